"""What a roster's entries answered, counted by household (`analysis.presence`): each
select question of a top-level repeat's entries becomes a derived respondent-level
`select_multiple` question `<question>__in_<repeat>` that results, releases and the
audit treat like any answer, and that respondents never see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from analysis.exports import write_results_xlsx
from analysis.frames import frame_from_texts, responses_from_texts
from analysis.presence import presence_subsets, with_entry_presence
from analysis.results import Results, SurveyAnswers, build_results
from survey_app.db.engine import Database
from survey_app.questionnaire.rules import ErrorCode, check_answers
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from survey_app.services.live_results import survey_results
from survey_app.services.published import get_survey
from survey_app.services.released import release_results
from survey_app.services.releases import release_create
from survey_app.services.results import export_frames
from tests.analysis.conftest import household, member, store_answers, texts

DERIVED = ["sex__in_members", "relation__in_members", "works__in_members"]


def adult(sex: str | None = None, relation: str = "head") -> dict[str, Any]:
    more = {"sex": sex} if sex else {}
    return member("Amal", 40, relation, works="no", **more)


def child(sex: str | None = None, age: int = 4) -> dict[str, Any]:
    more = {"sex": sex} if sex else {}
    return member("Lina", age, "child", **more)


# 28 households that gave members, 23 with a sex for some:
#   5 x (f, m, m), 5 x (m, f), 6 x (m), 6 x (f), 5 x (no sex given), 1 x (d)
# households with a member of each sex: f 5 + 5 + 6 = 16, m 5 + 5 + 6 = 16, d 1; n 23
# (members: f 16, m 21: not what is counted).
HOUSEHOLDS = [
    *[household(adult("f"), child("m"), child("m", 7))] * 5,
    *[household(adult("m"), adult("f", "partner"))] * 5,
    *[household(adult("m"))] * 6,
    *[household(adult("f"))] * 6,
    *[household(adult(), child())] * 5,
    household(adult("d")),
]


def results_of(roster: Questionnaire, rows: list[dict[str, Any]], **options: Any) -> Results:
    derived = with_entry_presence(roster)
    frame = frame_from_texts(derived, [(roster, texts(*rows))])
    return build_results(SurveyAnswers("roster", 1, derived, frame, reference_year=2026), **options)


def question(results: Results, name: str) -> Any:
    return next(q for q in results.questions if q.name == name)


def test_each_select_question_of_an_entry_becomes_a_household_question_after_its_repeat(
    roster: Questionnaire,
) -> None:
    derived = with_entry_presence(roster)

    names = list(derived.questions)
    after = names[names.index("members") + 1 :]
    # Each followed by its entry-count questions (tests/analysis/test_entry_counts.py).
    assert [name for name in after if name.endswith("__in_members")] == DERIVED
    assert after[0] == DERIVED[0]
    sex = derived.questions["sex__in_members"]
    assert sex.type is QuestionType.SELECT_MULTIPLE
    assert sex.choices == roster.all_questions["sex"].choices
    assert sex.working_groups == roster.questions["members"].working_groups
    assert sex.label == {
        "de": "Person: Geschlecht – Antworten mit mindestens einem solchen Eintrag",
        "en": "Person: Sex – responses with at least one such entry",
    }
    assert not set(DERIVED) & set(roster.all_questions), "the survey's own stays as it is"
    assert presence_subsets(derived) == dict.fromkeys(DERIVED, "members")


def test_a_questionnaire_without_repeats_stays_the_same(wave1: Questionnaire) -> None:
    assert with_entry_presence(wave1) is wave1


def test_a_name_already_taken_is_refused(roster: Questionnaire) -> None:
    definition = roster.to_definition()
    definition["pages"][-1]["questions"][0]["name"] = "sex__in_members"
    clash = Questionnaire.model_validate(definition)

    with pytest.raises(ValueError, match="sex__in_members"):
        with_entry_presence(clash)


def test_a_choice_is_ticked_where_at_least_one_entry_chose_it(roster: Questionnaire) -> None:
    rows = [
        household(adult("f"), child("m"), child("m", 7)),
        household(adult(), child()),
        household(adult("d")),
        {},
    ]
    derived = with_entry_presence(roster)

    frame = frame_from_texts(derived, [(roster, texts(*rows))])

    ticks = frame[["sex__in_members/f", "sex__in_members/m", "sex__in_members/d"]]
    assert ticks.astype(object).where(ticks.notna(), None).values.tolist() == [
        [True, True, False],
        [None, None, None],  # entries, but none said: not answered
        [False, False, True],
        [None, None, None],  # no entries
    ]
    with_entries = responses_from_texts(derived, [(roster, texts(*rows))]).frame
    assert with_entries[ticks.columns].equals(ticks), "parsed with entries: the same columns"


def test_households_are_counted_once_per_choice_however_many_members_chose_it(
    roster: Questionnaire,
) -> None:
    results = results_of(roster, [*HOUSEHOLDS, {}])

    sex = question(results, "sex__in_members")
    assert sex.type is QuestionType.SELECT_MULTIPLE
    assert sex.n == 23
    assert (sex.counts["f"], sex.counts["m"]) == (16, 16)
    relation = question(results, "relation__in_members")
    assert relation.n == 28
    assert (relation.counts["head"], relation.counts["child"]) == (28, 10)


def test_small_household_counts_are_hidden_like_any_count(roster: Questionnaire) -> None:
    results = results_of(roster, [*HOUSEHOLDS, {}])

    sex = question(results, "sex__in_members")
    assert sex.counts["d"] is None


def test_household_counts_are_broken_down_by_a_question_of_the_response(
    roster: Questionnaire,
) -> None:
    rows = [
        *[household(adult("f"), child("m"), childcare="yes")] * 10,
        *[household(adult("m"), child("m"), childcare="no")] * 10,
        *[household(adult("f"))] * 10,
    ]

    results = results_of(roster, rows, by="childcare")

    by = question(results, "sex__in_members").by
    assert by is not None
    assert by.counts["f"] == {"yes": 10, "no": 0, "(missing)": 10}
    assert by.counts["m"] == {"yes": 10, "no": 10, "(missing)": 0}


def test_the_groups_workbook_shows_household_counts_as_a_multiple_choice(
    roster: Questionnaire, tmp_path: Path
) -> None:
    results = results_of(roster, [*HOUSEHOLDS, {}])
    path = tmp_path / "roster.xlsx"

    write_results_xlsx(results, path)

    assert "Person Geschlecht – Antworten…" in load_workbook(path).sheetnames


def test_live_results_show_household_counts(db: Database, roster: Questionnaire) -> None:
    store_answers(db, roster, *HOUSEHOLDS)

    results = survey_results(db, "roster")

    sex = question(results, "sex__in_members")
    assert (sex.n, sex.counts["f"], sex.counts["m"], sex.counts["d"]) == (23, 16, 16, None)


def test_a_release_shows_household_counts_and_reads_them_back(
    db: Database, roster: Questionnaire
) -> None:
    store_answers(db, roster, *HOUSEHOLDS)

    release_create(db, "roster", actor="lea")
    found = release_results(db, "roster", language="en")

    sex = question(found, "sex__in_members")
    assert sex.label == "Person: Sex – responses with at least one such entry"
    assert (sex.n, sex.counts["f"], sex.counts["m"], sex.counts["d"]) == (23, 16, 16, None)


def test_a_later_release_with_few_new_households_does_not_show_their_count_by_difference(
    db: Database, roster: Questionnaire
) -> None:
    diverse = household(adult("d"))
    store_answers(db, roster, *HOUSEHOLDS, *[diverse] * 5, *[household(adult("f"))] * 12)
    release_create(db, "roster", actor="lea")
    first = question(release_results(db, "roster"), "sex__in_members")
    assert (first.n, first.counts["d"], first.counts["f"]) == (40, 6, 28)

    # Five more households, two with a diverse member: 6 -> 8 would give away the 2.
    store_answers(db, roster, *[diverse] * 2, *[household(adult("f"))] * 3)
    release_create(db, "roster", actor="lea")
    second = question(release_results(db, "roster"), "sex__in_members")

    assert second.counts["d"] is None
    shown_twice = [(first.n, second.n)] + [
        (first.counts[choice], second.counts[choice]) for choice in first.counts
    ]
    for before, after in shown_twice:
        if before is not None and after is not None:
            assert after - before == 0 or after - before >= roster.min_cell


def test_the_derived_questions_are_never_asked_accepted_or_exported(
    db: Database, roster: Questionnaire
) -> None:
    store_answers(db, roster, *HOUSEHOLDS)
    release_create(db, "roster", actor="lea")
    survey_results(db, "roster")

    survey = get_survey(db, "roster")
    assert survey is not None
    assert not set(DERIVED) & set(survey.questionnaire.all_questions)
    checked = check_answers(survey.questionnaire, {**HOUSEHOLDS[0], "sex__in_members": ["f"]})
    assert {name: error.code for name, error in checked.errors.items()} == {
        "sex__in_members": ErrorCode.UNKNOWN_QUESTION
    }
    _target, chunks = export_frames(db, "roster")
    assert not [c for chunk in chunks for c in chunk.columns if "__in_" in c]
