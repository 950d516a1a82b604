"""Who did not answer a question, checked as an attacker would (tests/analysis/attacker.py):
the responses minus the question's `n`, and in every column of a breakdown the column's
respondents minus its answered. Never shown, and never pinned within 1..k-1, in one
release or among the responses added between two (with skip logic, a few who did not
answer a question in a column are a few who did not give some earlier answer)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from analysis.frames import frame_from_texts
from analysis.publication import MISSING, Publication, plan_publication, publish, tabulate
from analysis.results import results_from_publication
from survey_app.questionnaire.schema import Questionnaire
from tests.analysis.attacker import Attacker, Finding
from tests.analysis.conftest import texts
from tests.analysis.test_tick_disclosure import JOINT, K, answers, read, release
from tests.analysis.test_tick_disclosure import survey as survey  # the fixture

QUESTIONS = (*JOINT.singles, *JOINT.multiples)


def not_answered(pairs: set[tuple[str, str]]) -> Iterator[tuple[Any, ...]]:
    """Who did not answer each question, overall and in every column of a published
    breakdown of it."""
    for question in QUESTIONS:
        yield ((question, MISSING),)
        for b, choices in JOINT.singles.items():
            if (question, b) in pairs:
                for column in (*choices, MISSING):
                    yield ((question, MISSING), (b, column))


def findings_of_one_release(survey: Questionnaire, rows: list[dict[str, Any]]) -> list[Finding]:
    publication = release(survey, [rows], [])
    attacker = Attacker(JOINT, [rows])
    read(attacker, 0, survey, publication)
    found = [
        attacker.pinned(condition, 0, 0, attacker.truth_of(condition, [0]), K)
        for condition in not_answered(set(publication.pairs))
    ]
    return [f for f in found if f is not None]


def findings_between_two_releases(
    survey: Questionnaire, old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> list[Finding]:
    one = release(survey, [old], [])
    two = release(survey, [old, new], [one])
    attacker = Attacker(JOINT, [old, new])
    read(attacker, 0, survey, one)
    read(attacker, 1, survey, two)
    found = []
    for condition in not_answered(set(one.pairs) | set(two.pairs)):
        found.append(attacker.pinned(condition, 1, 1, attacker.truth_of(condition, [1]), K))
        for last in (0, 1):
            truth = attacker.truth_of(condition, range(last + 1))  # type: ignore[arg-type]
            found.append(attacker.pinned(condition, 0, last, truth, K))
    return [f for f in found if f is not None]


# Answers with which the audit before not answered counts were audited gave them away
# (found by searching seeds): seed 1, 120 responses: in column z of the breakdown by b,
# 1 did not answer `m`, exactly, and 1 answered neither a nor `m`; seed 3, 120: in column
# y of the breakdown by a, 1 did not answer `w`; seed 4, 15: 3 did not answer a (the
# responses minus its n), and 1 not b.
@pytest.mark.parametrize(("seed", "count"), [(1, 120), (3, 120), (4, 15)])
def test_who_did_not_answer_a_question_cannot_be_worked_out(
    survey: Questionnaire, seed: int, count: int
) -> None:
    assert findings_of_one_release(survey, answers(random.Random(seed), count)) == []


@pytest.mark.parametrize("seed", range(30, 33))
def test_no_count_of_who_did_not_answer_is_pinned_for_random_answers(
    survey: Questionnaire, seed: int
) -> None:
    rng = random.Random(seed)

    assert findings_of_one_release(survey, answers(rng, rng.choice([15, 30, 60, 120]))) == []


# Seed 4 of the added responses: before, 3 of the 12 added did not answer `m` and 1 not
# b, each the difference of the two releases' responses and n.
@pytest.mark.parametrize("seed", [4, 1])
def test_who_came_in_without_answering_a_question_cannot_be_worked_out(
    survey: Questionnaire, seed: int
) -> None:
    old, new = answers(random.Random(12), 80), answers(random.Random(seed), 12)

    assert findings_between_two_releases(survey, old, new) == []


def plan_of(survey: Questionnaire) -> Any:
    return plan_publication(survey, groups=["arbeit", None], reference_year=2026)


def test_the_not_answered_are_audited_but_never_shown(survey: Questionnaire) -> None:
    plan = plan_of(survey)
    rows = answers(random.Random(1), 120)
    publication = release(survey, [rows], [])
    unanswered = {key for key in plan.unpublished if key.startswith("unanswered|")}

    assert {"unanswered|a", "unanswered|m", "unanswered|m|a|x",
            "unanswered|m|a|(missing)", "unanswered|w|c|q"} <= unanswered  # fmt: skip
    assert plan.unpublished["unanswered|m"] == ("responses", "n|m")
    assert plan.unpublished["unanswered|m|a|x"] == ("count|a|x", "column|m|a|x")
    assert plan.unpublished["unanswered|m|a|(missing)"] == (
        "responses", "n|a", "column|m|a|(missing)"
    )  # fmt: skip
    assert {plan.index[key] for key in unanswered} <= plan.structure.unpublished
    assert not any(key.startswith("unanswered") for key in publication.numbers)
    assert "unanswered" not in Publication.loads(publication.dumps()).dumps()
    for by in (None, "a", "b", "c"):
        results = results_from_publication(
            publication, survey, survey="audit", version=1, group="arbeit", by=by
        )
        assert "unanswered" not in str(results.to_json())


def test_a_count_that_is_published_already_is_not_numbered_again(survey: Questionnaire) -> None:
    # a by b and b by a are both published: who did not answer a in column x of b is the
    # cell of b by a in a's (missing) column, and both tables' (missing) by (missing) is
    # one variable, numbered once.
    plan = plan_of(survey)

    assert "unanswered|a|b|x" not in plan.index
    assert "unanswered|b|a|x" not in plan.index
    both_missing = [key for key in ("unanswered|a|b|(missing)", "unanswered|b|a|(missing)")
                    if key in plan.index]  # fmt: skip
    assert len(both_missing) == 1
    variables = {plan.structure.numbers[plan.index[key]] for key in plan.unpublished}
    assert len(variables) == len(plan.unpublished)  # no count numbered twice


def test_the_counts_of_the_not_answered_are_read_from_the_answers(survey: Questionnaire) -> None:
    rows = [{"a": "x", "m": ["p"]}, {"a": "x"}, {"a": "y", "w": ["e"]}, {"m": ["q"]}, {}]
    plan = plan_of(survey)
    values = plan.structure.values(
        tabulate(plan, frame_from_texts(survey, [(survey, texts(*rows))]))
    )

    def value(key: str) -> int:
        return int(values[plan.index[key]])

    assert [value("unanswered|a"), value("unanswered|m"), value("unanswered|w")] == [2, 3, 4]
    assert [value(f"unanswered|m|a|{j}") for j in ("x", "y", "z", MISSING)] == [1, 1, 0, 1]
    # Who did not answer b in column x of a: the cell of a by b in b's (missing) column.
    assert value("cell|a|b|x|(missing)") == 2


def test_an_earlier_release_stored_without_not_answered_counts_is_still_audited(
    survey: Questionnaire, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A release made before the not answered were audited stored none of them: they
    # count as shown there exactly where the numbers they follow from were (it showed
    # the responses and a's n, so how many did not answer a, but not b's n; m's answered
    # in columns x and y of a, not in z).
    import analysis.publication as publication

    audited: list[tuple[Any, ...]] = []
    audit = publication.audit
    monkeypatch.setattr(publication, "audit", lambda *args: audited.append(args) or audit(*args))
    planned = [plan_of(survey)]
    without = publication.Plan.without
    monkeypatch.setattr(
        publication.Plan,
        "without",
        lambda self, pairs: planned.append(without(self, pairs)) or planned[-1],
    )
    old = [{"a": "x", "m": ["p"]}] * 6 + [{"a": "y"}] * 6 + [{}] * 3
    new = [{"a": "x", "b": "x"}] * 10
    stored = {"responses": 15, "n|a": 12, "count|a|x": 6, "count|a|y": 6, "count|a|z": 0,
              "n|m": 6, "column|m|a|x": 6, "column|m|a|y": 0}  # fmt: skip
    earlier = Publication.loads(Publication(min_cell=K, numbers=stored).dumps())
    frames = [frame_from_texts(survey, [(survey, texts(*rows))]) for rows in (old, new)]

    published = publish(planned[0], frames, [earlier])

    plan, earlier_published = planned[-1], audited[0][3][0]
    shown = {key for key in plan.unpublished
             if key.startswith("unanswered") and earlier_published[plan.index[key]]}  # fmt: skip
    assert shown == {"unanswered|a", "unanswered|m", "unanswered|m|a|x", "unanswered|m|a|y"}
    assert published.publication.get("responses") == 25
    assert not any(key.startswith("unanswered") for key in published.publication.numbers)
