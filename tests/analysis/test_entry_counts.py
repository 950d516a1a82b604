"""A roster's entries counted (`analysis.presence`, `analysis.kinds.entries`): for each
choice of a select question of the entries, derived questions count the households by
how many of their members chose it (x_j), the audit links them to the household counts,
and the number of members with the choice, E = sum of j * x_j, is shown only where every
x_j it is made of is shown."""

from __future__ import annotations

import itertools
import json
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select

from analysis.frames import frame_from_texts
from analysis.presence import entry_count_links, with_entry_presence
from analysis.results import NotABreakdownQuestion, Results, SurveyAnswers, build_results
from survey_app.db.engine import Database
from survey_app.db.tables import Release
from survey_app.questionnaire.rules import MAX_ENTRIES
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from survey_app.render.results import Texts, _question_view
from survey_app.render.templating import jinja_environment
from survey_app.services.live_results import survey_results
from survey_app.services.released import release_results
from survey_app.services.releases import release_create
from tests.analysis.conftest import household, member, store_answers, texts


def adult(sex: str | None = None, relation: str = "head") -> dict[str, Any]:
    more = {"sex": sex} if sex else {}
    return member("Amal", 40, relation, works="no", **more)


def child(sex: str | None = None, age: int = 4) -> dict[str, Any]:
    more = {"sex": sex} if sex else {}
    return member("Lina", age, "child", **more)


# 36 households that gave members, 31 with a sex for some. Counted by hand:
#   female: 26 households with one (x_1 = 26), 5 answered without (x_0): 26 members
#   male:   10 with two, 10 with one, 11 without: 30 members
#   diverse: 4 with one, 1 with two, 26 without: 6 members, in 5 households
#   child (relation, n 36): 10 with two, 6 with one, 20 without: 26 members
HOUSEHOLDS = [
    *[household(adult("f"), child("m"), child("m", 7))] * 10,
    *[household(adult("m"), adult("f", "partner"))] * 10,
    *[household(adult("f"))] * 6,
    *[household(adult("d"))] * 4,
    household(adult("d"), child("d")),
    *[household(adult(), child())] * 5,
]


def results_of(roster: Questionnaire, rows: list[dict[str, Any]], **options: Any) -> Results:
    derived = with_entry_presence(roster)
    frame = frame_from_texts(derived, [(roster, texts(*rows))])
    return build_results(SurveyAnswers("roster", 1, derived, frame, reference_year=2026), **options)


def question(results: Results, name: str) -> Any:
    return next(q for q in results.questions if q.name == name)


def entries(results: Results, name: str) -> dict[str, int | None]:
    """The members per choice that the presence question `name` shows."""
    return dict(question(results, name).extras.get("entries", {}))


def test_each_choice_of_an_entry_question_gets_a_count_question_after_the_household_count(
    roster: Questionnaire,
) -> None:
    derived = with_entry_presence(roster)

    names = list(derived.questions)
    after = names[names.index("sex__in_members") :][:4]
    assert after == [
        "sex__in_members",
        "sex__in_members__f",
        "sex__in_members__m",
        "sex__in_members__d",
    ]
    female = derived.questions["sex__in_members__f"]
    assert female.type is QuestionType.SELECT_ONE
    # repeat_count is an expression (${household_size}): up to MAX_ENTRIES members
    assert [c.name for c in derived.choices_of(female)] == [str(j) for j in range(MAX_ENTRIES + 1)]
    assert female.working_groups == roster.questions["members"].working_groups
    assert female.label["de"] == (
        "Person: Geschlecht: weiblich – Antworten nach Zahl solcher Einträge"
    )
    assert entry_count_links(derived)["sex__in_members__f"] == ("sex__in_members", "f")
    assert not any("__in_" in name for name in roster.all_questions)


def test_a_fixed_number_of_entries_is_counted_by_household_only(roster: Questionnaire) -> None:
    """With `repeat_count: 2` every household's entries per choice add up to 2: the
    households with 0 women are those with 2 men, a relation between two count questions
    the audit does not see, so none are derived."""
    definition = roster.to_definition()
    definition["pages"][0]["questions"][1]["repeat_count"] = "2"
    fixed = Questionnaire.model_validate(definition)

    derived = with_entry_presence(fixed)

    assert [n for n in derived.questions if "__in_" in n] == [
        "sex__in_members",
        "relation__in_members",
        "works__in_members",
    ]


def test_without_entry_counts_only_the_household_counts_are_added(roster: Questionnaire) -> None:
    derived = with_entry_presence(roster, entry_counts=False)

    assert [n for n in derived.questions if "__in_" in n] == [
        "sex__in_members",
        "relation__in_members",
        "works__in_members",
    ]


def test_a_household_is_counted_by_how_many_of_its_members_chose_the_choice(
    roster: Questionnaire,
) -> None:
    rows = [household(adult("f"), child("m"), child("m", 7)), household(adult(), child()), {}]
    derived = with_entry_presence(roster)

    frame = frame_from_texts(derived, [(roster, texts(*rows))])

    males = frame["sex__in_members__m"].astype(object)
    assert males.where(males.notna(), None).tolist() == ["2", None, None]
    children = frame["relation__in_members__child"].astype(object)
    assert children.where(children.notna(), None).tolist() == ["2", "1", None]


def test_members_are_counted_per_choice(roster: Questionnaire) -> None:
    # Five responses without members (k = 5): with one, the one who answered nothing is
    # a count of 1 that the audit protects (the responses minus every question's n), and
    # it hides the responses and with them some of the counts checked here.
    results = results_of(roster, [*HOUSEHOLDS, *[{}] * 5])

    assert entries(results, "sex__in_members")["f"] == 26
    assert entries(results, "sex__in_members")["m"] == 30
    assert entries(results, "relation__in_members") == {
        "head": 36,
        "partner": 10,
        "child": 26,
        "other": 0,
    }
    male = question(results, "sex__in_members__m")
    assert (male.n, dict(male.counts)) == (31, {"0": 11, "1": 10, "2": 10})  # no row "3".."50"
    assert dict(male.choices) == {"0": "0", "1": "1", "2": "2"}
    assert male.extras["entries"] == {"m": 30}


def test_members_are_hidden_where_a_household_count_they_are_made_of_is(
    roster: Questionnaire,
) -> None:
    results = results_of(roster, [*HOUSEHOLDS, {}])

    diverse = question(results, "sex__in_members__d")
    assert (diverse.counts["1"], diverse.counts["2"]) == (None, None)  # 4 and 1 households
    assert entries(results, "sex__in_members")["d"] is None
    assert diverse.extras["entries"] == {"d": None}


def _solutions(shown: dict[str, Any], limit: int) -> set[tuple[int, ...]]:
    """Every (x_0, x_1, ..., x_limit) a reader cannot tell from the truth, given what the
    results show of one choice: n, the households with at least one such member, the x_j
    shown, and the members if shown. A brute force over the hidden x_j (rows the results
    leave out are 0)."""
    n, households, counts, members = shown["n"], shown["P"], shown["x"], shown["E"]
    hidden = [j for j in range(limit + 1) if counts.get(str(j), 0) is None]
    found = set()
    for values in itertools.product(range(n + 1), repeat=len(hidden)):
        x = [counts.get(str(j), 0) for j in range(limit + 1)]
        for j, value in zip(hidden, values, strict=True):
            x[j] = value
        if sum(x) != n or sum(x[1:]) != households:
            continue
        if members is not None and sum(j * x[j] for j in range(limit + 1)) != members:
            continue
        found.add(tuple(x))
    return found


def test_one_household_with_two_diverse_members_cannot_be_worked_out(
    roster: Questionnaire,
) -> None:
    # 5 households with a diverse member, 6 diverse members: shown together, they would
    # say that exactly one household has two (6 - 5 = 1).
    results = results_of(roster, [*HOUSEHOLDS, {}])
    k = roster.min_cell
    shown = {
        "n": question(results, "sex__in_members").n,
        "P": question(results, "sex__in_members").counts["d"],
        "x": dict(question(results, "sex__in_members__d").counts),
        "E": entries(results, "sex__in_members")["d"],
    }
    assert (shown["n"], shown["P"], shown["E"]) == (31, 5, None)

    with_two = {x[2] for x in _solutions(shown, limit=3)}

    assert min(with_two) == 0, with_two
    assert max(with_two) >= k, with_two
    # The same reader, had the members been shown, pins the one household:
    assert {x[2] for x in _solutions(shown | {"E": 6}, limit=3)} == {1}


def test_households_with_two_members_are_not_left_as_a_difference_of_shown_counts(
    roster: Questionnaire,
) -> None:
    # 10 households with a diverse member: 8 with one, 2 with two; 6 without. The count
    # question alone would hide the 2 and the 6 (its smallest partner), and show the 8;
    # beside "10 with at least one" that leaves 2 with two. The audit knows that the
    # household count is the sum of the count question's, and hides otherwise.
    rows = [
        *[household(adult("f"))] * 6,
        *[household(adult("d"))] * 8,
        *[household(adult("d"), child("d"))] * 2,
    ]
    results = results_of(roster, rows)
    shown = {
        "n": question(results, "sex__in_members").n,
        "P": question(results, "sex__in_members").counts["d"],
        "x": dict(question(results, "sex__in_members__d").counts),
        "E": entries(results, "sex__in_members")["d"],
    }

    with_two = {x[2] for x in _solutions(shown, limit=3)}

    assert shown["P"] == 10
    assert min(with_two) == 0, (shown, with_two)
    assert max(with_two) >= roster.min_cell, (shown, with_two)


def test_the_mean_number_of_members_is_hidden_where_it_would_pin_a_hidden_count(
    roster: Questionnaire,
) -> None:
    # Households of 1 to 6 (a head, then children): 3 with four children and 3 with
    # five are hidden. The mean, 3.3 members of 30 households, says 99 members in all:
    # 69 children, 42 of them in the households shown, so 4 x_4 + 5 x_5 = 27 and
    # x_4 + x_5 = 6 pin both at 3.
    sizes = [1, 2, 2, 3, 3, 3, 4, 4, 5, 6] * 3
    rows = [household(adult(), *[child()] * (size - 1)) for size in sizes]

    results = results_of(roster, rows)

    children = question(results, "relation__in_members__child")
    assert (children.counts["4"], children.counts["5"]) == (None, None)
    members = question(results, "members")
    assert (members.n, members.mean, members.median) == (30, None, 3)


def test_the_mean_number_of_members_is_shown_where_every_count_is(
    roster: Questionnaire,
) -> None:
    rows = [*[household(adult("f"), child("m"))] * 10, *[household(adult("m"))] * 10]

    results = results_of(roster, rows)

    assert question(results, "members").mean == 1.5


def test_members_are_counted_per_column_of_a_breakdown(roster: Questionnaire) -> None:
    rows = [
        *[household(adult("f"), child("m"), child("m", 3), childcare="yes")] * 10,
        *[household(adult("m"), child("m"), childcare="no")] * 10,
        *[household(adult("f"))] * 10,
    ]

    results = results_of(roster, rows, by="childcare")

    male = question(results, "sex__in_members__m")
    assert male.by is not None
    assert male.by.statistics["entries"] == {"yes": 20, "no": 20, "(missing)": 0}
    assert entries(results, "sex__in_members")["m"] == 40


def test_results_are_never_broken_down_by_a_count_question(roster: Questionnaire) -> None:
    with pytest.raises(NotABreakdownQuestion):
        results_of(roster, HOUSEHOLDS, by="sex__in_members__f")


def test_the_results_page_shows_members_per_choice_and_households_by_members(
    roster: Questionnaire,
) -> None:
    results = results_of(roster, [*HOUSEHOLDS, {}])
    page = SimpleNamespace(results=results, interactive=False, breakdowns=())
    template = jinja_environment().get_template("results/_question.html")

    def html(name: str) -> str:
        view = _question_view(question(results, name), Texts("de"), ())
        return template.render(q=view, t=Texts("de"), page=page)

    presence = html("sex__in_members")
    assert "Einträge (zum Beispiel Personen) je Antwortmöglichkeit" in presence
    assert '<th scope="row">männlich</th><td><span class="count">30</span></td>' in presence
    assert '<th scope="row">divers</th><td><span class="count">·</span></td>' in presence
    male = html("sex__in_members__m")
    assert 'Einträge = <span class="count">30</span>' in male
    assert '<th scope="row">3</th>' not in male


def test_the_command_lines_json_carries_the_members(roster: Questionnaire) -> None:
    data = json.loads(json.dumps(results_of(roster, [*HOUSEHOLDS, {}]).to_json()))

    presence = next(q for q in data["questions"] if q["name"] == "sex__in_members")
    assert presence["entries"] == {"f": 26, "m": 30, "d": None}


def test_live_results_count_members(db: Database, roster: Questionnaire) -> None:
    store_answers(db, roster, *HOUSEHOLDS)

    results = survey_results(db, "roster")

    assert entries(results, "sex__in_members") == {"f": 26, "m": 30, "d": None}


def test_a_release_shows_members_and_reads_them_back(db: Database, roster: Questionnaire) -> None:
    store_answers(db, roster, *HOUSEHOLDS)

    release_create(db, "roster", actor="lea")
    found = release_results(db, "roster")

    assert entries(found, "sex__in_members") == {"f": 26, "m": 30, "d": None}
    assert dict(question(found, "relation__in_members__child").counts) == {
        "0": 20,
        "1": 6,
        "2": 10,
    }


def test_a_release_made_before_members_were_counted_still_reads_back(
    db: Database, roster: Questionnaire
) -> None:
    store_answers(db, roster, *HOUSEHOLDS)
    release_create(db, "roster", actor="lea")
    with db.write() as session:
        # As such a release was stored: household counts, no count questions' keys.
        release = session.execute(select(Release)).scalars().one()
        stored = json.loads(release.publication)
        stored["numbers"] = {
            key: value for key, value in stored["numbers"].items() if "__in_members__" not in key
        }
        release.publication = json.dumps(stored)

    found = release_results(db, "roster")

    sex = question(found, "sex__in_members")
    assert (sex.n, sex.counts["f"], sex.counts["m"]) == (31, 26, 20)
    assert "entries" not in sex.extras
    assert not [q.name for q in found.questions if "__in_members__" in q.name]


def test_a_later_release_with_few_new_households_does_not_show_their_members_by_difference(
    db: Database, roster: Questionnaire
) -> None:
    store_answers(db, roster, *HOUSEHOLDS[:26], *[household(adult("d"))] * 6)
    release_create(db, "roster", actor="lea")
    first = release_results(db, "roster")
    assert entries(first, "sex__in_members")["d"] == 6  # 6 households with one each

    # Five more households, two with two diverse members: 6 -> 10 members would say so.
    store_answers(
        db, roster, *[household(adult("d"), child("d"))] * 2, *[household(adult("f"))] * 3
    )
    release_create(db, "roster", actor="lea")
    second = release_results(db, "roster")

    assert entries(second, "sex__in_members")["d"] is None
    before, after = _figures(first), _figures(second)
    for name in before.keys() & after.keys():
        change = after[name] - before[name]
        assert change == 0 or change >= roster.min_cell, (name, before[name], after[name])


def _figures(results: Results) -> dict[str, int]:
    """Every count the results show: n, counts (households) and entries (members)."""
    figures: dict[str, int] = {}
    for q in results.questions:
        shown: list[tuple[str, int | None]] = [("n", q.n)]
        shown += [(f"count {c}", x) for c, x in q.counts.items()]
        shown += [(f"entries {c}", x) for c, x in q.extras.get("entries", {}).items()]
        figures |= {f"{q.name} {name}": int(x) for name, x in shown if x is not None}
    return figures
