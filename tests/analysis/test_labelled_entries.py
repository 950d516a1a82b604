"""SPSS and Stata exports of a survey with repeats: beside the responses' file, one file
per repeat with a row per entry, linked by the keys of the long CSV layout (named so
that SPSS accepts them), labelled and coded as a response's; inside an entry, "not
asked" (the entry question's relevance was false for that entry) is told from "no
answer" (asked, left empty). Read back with pyreadstat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest

from analysis.frames import Responses, responses_from_texts
from analysis.labelled import NO_ANSWER, NOT_ASKED, write_labelled
from survey_app.db.engine import Database
from survey_app.questionnaire.rules import check_answers
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.exports import export_csv
from survey_app.services.results import export_responses
from tests.analysis.conftest import member, store_answers, texts
from tests.analysis.test_entries_export import HOUSEHOLDS, read_csv

# The keys of the long layout, as SPSS accepts them (no name may start with "_").
KEYS = ["v__index", "v__parent_table_name", "v__parent_index", "v__submission__index",
        "v__position"]  # fmt: skip


def read(path: Path) -> tuple[pd.DataFrame, Any]:
    if path.suffix == ".sav":
        return pyreadstat.read_sav(str(path), user_missing=True)
    return pyreadstat.read_dta(str(path))


def export_roster(
    db: Database, roster: Questionnaire, tmp_path: Path, file_format: str, language: str = "de"
) -> list[tuple[pd.DataFrame, Any]]:
    store_answers(db, roster, *HOUSEHOLDS)
    questionnaire, chunks = export_responses(db, "roster", chunk=2)  # entries across chunks
    output = tmp_path / f"roster.{file_format}"

    count, paths = write_labelled(chunks, questionnaire, language, output, file_format)  # type: ignore[arg-type]

    assert count == len(HOUSEHOLDS)
    assert paths == [output, tmp_path / f"roster-members.{file_format}",
                     tmp_path / f"roster-jobs.{file_format}"]  # fmt: skip
    return [read(path) for path in paths]


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_each_repeat_gets_a_file_of_its_entries_linked_to_their_responses(
    db: Database, roster: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    (responses, main), (members, member_meta), (jobs, _) = export_roster(
        db, roster, tmp_path, file_format
    )

    assert main.column_names[0] == "v__index"
    assert list(responses["v__index"]) == [1, 2, 3]
    assert list(responses["members"]) == [3, NO_ANSWER, 1]  # the number of entries
    assert member_meta.column_names[:5] == KEYS
    assert list(members["v__parent_table_name"]) == ["responses"] * 4
    assert list(members["v__parent_index"]) == [1, 1, 1, 3]
    assert list(members["v__submission__index"]) == [1, 1, 1, 3]
    assert list(members["v__position"]) == [1, 2, 3, 1]
    assert list(members["member_name"]) == ["Amal", "Lina", "Omar", "Sami"]
    assert list(members["age"]) == [41, 4, 38, 70]
    # The nested repeat: each job points to its member's row, and to the response.
    assert list(jobs["v__index"]) == [1, 2, 3]
    assert list(jobs["v__parent_table_name"]) == ["members"] * 3
    assert list(jobs["v__parent_index"]) == [1, 3, 3]
    assert list(jobs["v__submission__index"]) == [1, 1, 1]
    assert list(jobs["v__position"]) == [1, 1, 2]
    assert list(jobs["job_title"]) == ["Köchin", "=1+1", "B"]  # data, not a spreadsheet
    assert list(members["jobs"]) == [1, NOT_ASKED, 2, NOT_ASKED]


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_keys_join_entries_to_their_responses_and_members_to_their_jobs(
    db: Database, roster: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    (responses, _), (members, _), (jobs, _) = export_roster(db, roster, tmp_path, file_format)

    people = members.merge(
        responses, left_on="v__submission__index", right_on="v__index", suffixes=("", "_r")
    )
    worked = jobs.merge(members, left_on="v__parent_index", right_on="v__index")

    assert list(people["household_size"]) == [3, 3, 3, 1]
    assert list(zip(worked["member_name"], worked["job_title"], strict=True)) == [
        ("Amal", "Köchin"), ("Omar", "=1+1"), ("Omar", "B"),
    ]  # fmt: skip


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_inside_an_entry_not_asked_is_told_from_no_answer(
    db: Database, roster: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    _, (members, meta), (jobs, _) = export_roster(db, roster, tmp_path, file_format)

    # works is asked of members aged 15 or more (`${age} >= 15`, in each entry): Lina,
    # 4, was not asked; sex is asked of everyone and nobody answered it.
    assert list(members["works"]) == [1, NOT_ASKED, 1, 2]
    assert list(members["sex"]) == [NO_ANSWER] * 4
    # Hours of Omar's jobs: asked, left empty.
    assert list(jobs["job_hours"]) == [20, NO_ANSWER, NO_ANSWER]
    assert meta.variable_value_labels["works"][NOT_ASKED] == "nicht gefragt (Filter)"
    assert meta.variable_value_labels["works"][NO_ANSWER] == "keine Angabe"
    if file_format == "sav":
        assert meta.missing_ranges["works"] == [{"lo": NOT_ASKED, "hi": NOT_ASKED},
                                                {"lo": NO_ANSWER, "hi": NO_ANSWER}]  # fmt: skip


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_a_question_of_the_pages_whose_relevance_reads_the_entries_is_told_apart_too(
    db: Database, roster: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    (responses, _), _members, _jobs = export_roster(db, roster, tmp_path, file_format)

    # childcare is asked when the youngest member is under 6 (`min(${age}) < 6`): of the
    # first household (Lina is 4), who left it empty, not of the third (Sami is 70).
    assert list(responses["childcare"]) == [NO_ANSWER, 2, NOT_ASKED]


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_entries_carry_variable_and_value_labels_as_responses_do(
    db: Database, roster: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    _, (members, meta), (_jobs, job_meta) = export_roster(db, roster, tmp_path, file_format)

    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["age"] == "age: Alter"
    assert labels["relation"] == "relation: Beziehung zum Haushaltsvorstand"
    assert labels["v__index"] == "_index: Zeile in dieser Datei"
    assert labels["v__parent_index"] == (
        "_parent_index: _index der Antwort oder des Eintrags, zu dem er gehört"
    )
    assert meta.variable_value_labels["relation"][1] == "Haushaltsvorstand"
    assert list(members["relation"]) == [1, 3, 2, 1]
    assert meta.file_label == "Ihr Haushalt: Person"
    assert job_meta.file_label == "Ihr Haushalt: Tätigkeit"


def test_spss_and_stata_get_the_same_names(
    db: Database, roster: Questionnaire, tmp_path: Path
) -> None:
    store_answers(db, roster, *HOUSEHOLDS)
    written = {}
    for file_format in ("sav", "dta"):
        questionnaire, chunks = export_responses(db, "roster")
        output = tmp_path / f"r.{file_format}"
        _count, written[file_format] = write_labelled(
            chunks, questionnaire, "de", output, file_format
        )

    for spss_file, stata_file in zip(written["sav"], written["dta"], strict=True):
        assert read(spss_file)[1].column_names == read(stata_file)[1].column_names


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_an_export_with_no_responses_still_has_every_repeats_file(
    db: Database, roster: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    store_answers(db, roster)
    questionnaire, chunks = export_responses(db, "roster")
    output = tmp_path / f"r.{file_format}"

    count, paths = write_labelled(chunks, questionnaire, "en", output, file_format)  # type: ignore[arg-type]

    assert count == 0
    jobs, meta = read(paths[2])
    assert len(jobs) == 0
    assert meta.column_names[:5] == KEYS
    assert "job_title" in meta.column_names


def test_the_entries_match_the_csv_export_row_for_row(
    db: Database, roster: Questionnaire, tmp_path: Path
) -> None:
    store_answers(db, roster, *HOUSEHOLDS)
    csv_paths = export_csv(db, "roster", tmp_path / "r.csv", language="en", chunk=2).paths
    questionnaire, chunks = export_responses(db, "roster", chunk=2)
    _count, sav_paths = write_labelled(chunks, questionnaire, "en", tmp_path / "r.sav", "sav")

    for csv_path, sav_path in zip(csv_paths[1:], sav_paths[1:], strict=True):
        rows = read_csv(csv_path)
        frame, _meta = read(sav_path)
        for key in ("_index", "_parent_index", "_submission__index", "_position"):
            assert [int(row[key]) for row in rows] == list(frame[f"v_{key}"])


def test_entries_that_cannot_be_checked_any_more_count_their_empty_answers_as_no_answer(
    db: Database, roster: Questionnaire, tmp_path: Path
) -> None:
    # Two members where the household size (the newest version's repeat_count) says
    # three, as an earlier version may have stored it: check_answers refuses the list
    # as a whole and checks no entry, so nothing says Lina was not asked.
    amal, lina = member("Amal", 41, "head", works="no"), member("Lina", 4, "child")
    store_answers(db, roster, {"household_size": 3, "members": [amal, lina]})
    questionnaire, chunks = export_responses(db, "roster")

    _count, paths = write_labelled(chunks, questionnaire, "de", tmp_path / "r.sav", "sav")

    members, _meta = read(paths[1])
    assert list(members["works"]) == [2, NO_ANSWER]
    assert list(members["sex"]) == [NO_ANSWER, NO_ANSWER]


# A roster of our own: a select_multiple in each entry, and a question whose relevance
# reads both the entry (`${age}`) and the answers around it (`${course_wanted}`).
VISITS: dict[str, Any] = {
    "id": "visits",
    "title": {"de": "Beratung"},
    "languages": ["de"],
    "default_language": "de",
    "choices": {
        "yes_no": [{"name": "yes", "label": {"de": "Ja"}}, {"name": "no", "label": {"de": "Nein"}}],
        "languages": [
            {"name": "de", "label": {"de": "Deutsch"}},
            {"name": "ar", "label": {"de": "Arabisch"}},
            {"name": "fa", "label": {"de": "Farsi"}},
        ],
    },
    "pages": [{"name": "p", "title": {"de": "Seite"}, "questions": [
        {"name": "course_wanted", "type": "select_one", "choices": "yes_no",
         "label": {"de": "Wünschen Sie einen Kurs?"}},
        {"name": "people", "type": "repeat", "label": {"de": "Person"}, "questions": [
            {"name": "age", "type": "integer", "label": {"de": "Alter"}},
            {"name": "spoken", "type": "select_multiple", "choices": "languages",
             "label": {"de": "Sprachen"}},
            {"name": "course", "type": "select_one", "choices": "yes_no",
             "relevant": "${age} >= 16 and ${course_wanted} = 'yes'",
             "label": {"de": "Kurs für diese Person?"}},
        ]},
    ]}],
}  # fmt: skip


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_relevance_in_an_entry_reads_the_entry_and_the_answers_around_it(
    tmp_path: Path, file_format: str
) -> None:
    visits = Questionnaire.model_validate(VISITS)
    given = [
        {"course_wanted": "yes", "people": [
            {"age": 30, "spoken": ["de", "fa"], "course": "no"},  # asked, answered
            {"age": 10, "spoken": ["ar"]},  # too young: not asked
            {"age": 20},  # asked, no answer
        ]},
        {"course_wanted": "no", "people": [{"age": 40}]},  # no course wanted: not asked
    ]  # fmt: skip
    stored = [dict(check_answers(visits, answers).answers) for answers in given]
    responses = responses_from_texts(visits, [(visits, texts(*stored))])
    output = tmp_path / f"visits.{file_format}"

    _count, paths = write_labelled(
        [Responses(responses.frame, responses.entries)],
        visits,
        "de",
        output,
        file_format,  # type: ignore[arg-type]
    )

    people, meta = read(paths[1])
    assert list(people["course"]) == [2, NOT_ASKED, NO_ANSWER, NOT_ASKED]
    # select_multiple: a 0/1 variable per choice, no answer where nothing was ticked
    assert list(people["spoken_de"]) == [1, 0, NO_ANSWER, NO_ANSWER]
    assert list(people["spoken_ar"]) == [0, 1, NO_ANSWER, NO_ANSWER]
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["spoken_fa"] == "spoken: Sprachen: Farsi"
    assert meta.variable_value_labels["spoken_fa"][1] == "gewählt"
