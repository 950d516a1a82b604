"""Fixtures of the analysis tests: two waves of a small newcomer-style survey."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from analysis.csv_export import StoredRows, write_stored_csv_files
from analysis.export_layout import ExportValues
from analysis.xlsx import write_stored_xlsx
from survey_app.questionnaire.loader import load_questionnaire, read_yaml
from survey_app.questionnaire.rules import check_answers
from survey_app.questionnaire.schema import Questionnaire
from tests.conftest import FIXTURES

QUESTIONNAIRES = Path(__file__).resolve().parent / "questionnaires"
#: The slides' titles of the Arbeit group's deck of wave1: title, key figures, questions.
WAVE1_SLIDES = [
    "Befragung Welle 1",
    "Auf einen Blick",
    "Wie gut sprechen Sie Deutsch?",
    "Wie alt sind Sie?",
    "Haben Sie Arbeit?",
    "Wochenstunden",
]
#: The sheets of the Arbeit group's workbook of wave1: the info sheet, then one per
#: question, named after its German label.
WAVE1_SHEETS = [
    "Info",
    "Wie gut sprechen Sie Deutsch",
    "Wie alt sind Sie",
    "Haben Sie Arbeit",
    "Wochenstunden",
]
GROUPS = {"sprache", "arbeit", "beratung", "wohnen", "projekte", "schulen", "gesundheit", "kultur"}


def load(name: str) -> Questionnaire:
    result = load_questionnaire(QUESTIONNAIRES / f"{name}.yaml", working_groups=GROUPS)
    assert result.questionnaire is not None, result.problems
    return result.questionnaire


def texts(*answers: dict[str, Any]) -> list[str]:
    """Answers as stored: canonical JSON texts."""
    return [
        json.dumps(a, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for a in answers
    ]


def write_rows(
    questionnaire: Questionnaire,
    answers: Sequence[dict[str, Any]],
    path: Path,
    *,
    language: str = "de",
    values: ExportValues = "labels",
    per_chunk: int | None = None,
) -> tuple[int, list[Path]]:
    """Write `answers`, stored as responses to `questionnaire` (read `per_chunk` at a
    time, default all at once), to the row-level export `path`: a CSV (with its entries'
    files) or an XLSX, as its suffix says; the number of responses and the files."""
    rows = [texts(given)[0] for given in answers]
    size = per_chunk or max(len(rows), 1)
    chunks = [
        StoredRows(
            version_ids=[1] * len(part),
            submitted_on=["2026-01-02"] * len(part),
            languages=["de"] * len(part),
            statuses=["received"] * len(part),
            answers=part,
        )
        for part in (rows[start : start + size] for start in range(0, len(rows), size))
    ]
    versions = {1: (1, questionnaire)}
    if path.suffix == ".xlsx":
        count = write_stored_xlsx(chunks, questionnaire, versions, language, path, values=values)
        return count, [path]
    return write_stored_csv_files(chunks, questionnaire, versions, language, path, values=values)


def variant(questionnaire: Questionnaire, **changes: Any) -> Questionnaire:
    """The questionnaire with top-level fields replaced (pages, choices, ...)."""
    definition = questionnaire.to_definition() | changes
    return Questionnaire.model_validate(definition)


@pytest.fixture(scope="session")
def wave1() -> Questionnaire:
    return load("wave1")


@pytest.fixture(scope="session")
def wave2() -> Questionnaire:
    return load("wave2")


@functools.cache
def read_roster() -> Questionnaire:
    """tests/fixtures/roster.yaml (household members, jobs per member), read through the
    model: the loader's checks still refuse repeats (`repeat-not-yet-shown`)."""
    return Questionnaire.model_validate(read_yaml(FIXTURES / "roster.yaml").data)


@pytest.fixture(scope="session")
def roster() -> Questionnaire:
    return read_roster()


def member(name: str, age: int, relation: str, **more: Any) -> dict[str, Any]:
    return {"member_name": name, "age": age, "relation": relation, **more}


def household(*members: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A roster response of `members` as `check_answers` stores it (irrelevant answers
    dropped, calculations computed)."""
    answers = {"household_size": len(members), "members": list(members), **more}
    checked = check_answers(read_roster(), answers)
    assert checked.ok, checked.errors
    return dict(checked.answers)


def store_answers(
    db: Any, questionnaire: Questionnaire, *answers: dict[str, Any], version_id: int | None = None
) -> int:
    """Publish `questionnaire` (through the service: its checks are not run, so the
    roster is published despite `repeat-not-yet-shown`) and store `answers` as its
    responses, in order, to the version `version_id` (default: the newest); the
    version's id."""
    import datetime
    import uuid

    from survey_app.db.tables import Submission
    from survey_app.services.published import get_survey
    from survey_app.services.submissions import answers_hash, canonical_json
    from survey_app.services.surveys import publish_questionnaire

    publish_questionnaire(db, questionnaire)
    survey = get_survey(db, questionnaire.id)
    assert survey is not None
    version_id = version_id or survey.version_id
    with db.write() as session:
        for number, given in enumerate(answers):
            text = canonical_json(given)
            session.add(
                Submission(
                    survey_id=survey.id,
                    version_id=version_id,
                    submission_id=str(uuid.uuid4()),
                    language="de",
                    answers=text,
                    answers_hash=answers_hash(text),
                    created_on=datetime.date(2026, 1, 1 + number % 28),
                )
            )
    return version_id
