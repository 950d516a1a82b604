"""Questionnaire versions: submissions keep theirs; `check` reports breaking changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import select

from survey_app.cli import main
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.published import PublishedSurvey, get_survey
from survey_app.services.submissions import (
    SubmissionConflict,
    SubmissionReceipt,
    submission_create,
)
from survey_app.services.surveys import publish_directory, survey_versions
from survey_app.services.versions import breaking_changes
from tests.storage.conftest import STORAGE_QUESTIONNAIRES

FEEDBACK = (STORAGE_QUESTIONNAIRES / "feedback.yaml").read_text(encoding="utf-8")
AGE_QUESTION = FEEDBACK[
    FEEDBACK.index("      - name: age") : FEEDBACK.index("      - name: reason")
]
WITHOUT_AGE = FEEDBACK.replace(AGE_QUESTION, "")
AGE_RENAMED = FEEDBACK.replace("name: age\n", "name: age_years\n")
AGE_ONLY_IF_UNSATISFIED = FEEDBACK.replace(
    "        constraint: . >= 16 and . <= 99\n",
    "        constraint: . >= 16 and . <= 99\n        relevant: ${satisfied} = 'no'\n",
)
AGE_AS_TEXT = FEEDBACK.replace(
    "        type: integer\n        constraint: . >= 16 and . <= 99\n", "        type: text\n"
)


def directory(tmp_path: Path, content: str) -> Path:
    folder = tmp_path / "questionnaires"
    folder.mkdir(exist_ok=True)
    shutil.copy(STORAGE_QUESTIONNAIRES / "working_groups.yaml", folder)
    (folder / "feedback.yaml").write_text(content, encoding="utf-8")
    return folder


def questionnaire(tmp_path: Path, content: str) -> Questionnaire:
    path = directory(tmp_path, content) / "feedback.yaml"
    loaded = load_questionnaire(path, working_groups={"sprache", "arbeit", "beratung"})
    assert loaded.questionnaire is not None, loaded.problems
    return loaded.questionnaire


def test_submissions_keep_their_version_and_a_removed_question_stays_readable(
    db: Database, tmp_path: Path
) -> None:
    publish_directory(db, directory(tmp_path, FEEDBACK))
    first = get_survey(db, "feedback")
    assert first is not None
    submission_create(
        db,
        survey=first,
        submission_id="old",
        language="en",
        answers={"satisfied": "yes", "age": 40},
    )
    publish_directory(db, directory(tmp_path, WITHOUT_AGE))
    second = get_survey(db, "feedback")
    assert second is not None
    assert second.number == 2
    submission_create(
        db, survey=second, submission_id="new", language="en", answers={"satisfied": "yes"}
    )

    with db.read() as session:
        stored = {row.submission_id: row for row in session.exec(select(Submission)).all()}
    versions = {version.id: (version.number, q) for version, q in survey_versions(db, "feedback")}
    old_number, old_questionnaire = versions[stored["old"].version_id]
    assert (old_number, versions[stored["new"].version_id][0]) == (1, 2)
    assert json.loads(stored["old"].answers)["age"] == 40
    assert old_questionnaire.questions["age"].label["en"] == "Age"
    assert "age" not in second.questionnaire.questions


def test_a_question_renamed_in_place_is_a_breaking_change(tmp_path: Path) -> None:
    [change] = breaking_changes(
        questionnaire(tmp_path, FEEDBACK), questionnaire(tmp_path, AGE_RENAMED)
    )
    assert change.path == ("pages", 0, "questions", 1, "name")
    assert "'age_years' replaces 'age'" in change.message


def test_a_question_with_another_type_is_a_breaking_change(tmp_path: Path) -> None:
    [change] = breaking_changes(
        questionnaire(tmp_path, FEEDBACK), questionnaire(tmp_path, AGE_AS_TEXT)
    )
    assert change.path == ("pages", 0, "questions", 1, "type")
    assert "changed type from integer to text" in change.message


def test_removing_or_adding_questions_is_not_breaking(tmp_path: Path) -> None:
    assert (
        breaking_changes(questionnaire(tmp_path, FEEDBACK), questionnaire(tmp_path, WITHOUT_AGE))
        == []
    )
    assert (
        breaking_changes(questionnaire(tmp_path, WITHOUT_AGE), questionnaire(tmp_path, FEEDBACK))
        == []
    )


def check(database_url: str, tmp_path: Path, *args: str) -> Result:
    env = {"SURVEY_DATABASE_URL": database_url, "SURVEY_VAR_DIR": str(tmp_path / "var")}
    return CliRunner().invoke(main, ["check", *args], env=env)


def test_check_reports_a_breaking_change_against_the_published_version(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    publish_directory(db, directory(tmp_path, FEEDBACK))
    path = directory(tmp_path, AGE_RENAMED) / "feedback.yaml"
    done = check(database_url, tmp_path, str(path))
    assert done.exit_code == 1
    line = AGE_RENAMED[: AGE_RENAMED.index("name: age_years")].count("\n") + 1
    assert f"{path}:{line}: breaking change: question 'age_years' replaces 'age'" in done.output
    assert "against published version 1" in done.output
    assert len(survey_versions(db, "feedback")) == 1


def test_check_with_allow_breaking_publishes_a_new_series(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    publish_directory(db, directory(tmp_path, FEEDBACK))
    path = directory(tmp_path, AGE_AS_TEXT) / "feedback.yaml"
    done = check(database_url, tmp_path, "--allow-breaking", str(path))
    assert done.exit_code == 0, done.output
    assert "breaking change: question 'age' changed type" in done.output
    versions = [(version.number, version.series) for version, _ in survey_versions(db, "feedback")]
    assert versions == [(1, 1), (2, 2)]
    # The server publishing the same file at start-up finds that version: nothing new.
    publish_directory(db, path.parent)
    assert len(survey_versions(db, "feedback")) == 2


CHECK_IMPORTS_PROBE = """
import sys

from survey_app.cli import main

try:
    main(["check", *sys.argv[1:]])
except SystemExit as ended:
    print("exit:", ended.code)
heavy = ("sqlmodel", "sqlalchemy.orm", "survey_app.db.tables", "pandas")
print("loaded:", ",".join(name for name in heavy if name in sys.modules))
"""


def test_check_compares_with_the_published_version_without_loading_the_orm(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    """The ORM's table classes are a third of a `check` call's start (issue 19): the
    published version is read through Core."""
    publish_directory(db, directory(tmp_path, FEEDBACK))
    path = directory(tmp_path, AGE_RENAMED) / "feedback.yaml"
    env = {"SURVEY_DATABASE_URL": database_url, "SURVEY_VAR_DIR": str(tmp_path / "var")}

    done = subprocess.run(
        [sys.executable, "-c", CHECK_IMPORTS_PROBE, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )

    assert "breaking change: question 'age_years' replaces 'age'" in done.stdout
    assert done.stdout.strip().splitlines()[-2:] == ["exit: 1", "loaded:"]


@pytest.mark.parametrize(
    "url",
    ["sqlite:///{tmp}/missing/none.sqlite3", "postgresql+psycopg://nobody@127.0.0.1:9/none"],
)
def test_check_skips_the_comparison_without_a_reachable_database(tmp_path: Path, url: str) -> None:
    path = directory(tmp_path, AGE_RENAMED) / "feedback.yaml"
    done = check(url.format(tmp=tmp_path), tmp_path, str(path))
    assert done.exit_code == 0, done.output
    assert "breaking" not in done.output
    assert not (tmp_path / "missing").exists()


def test_check_skips_the_comparison_for_a_survey_never_published(
    database_url: str, tmp_path: Path
) -> None:
    done = check(database_url, tmp_path, str(directory(tmp_path, AGE_RENAMED) / "feedback.yaml"))
    assert done.exit_code == 0, done.output


ANSWERS = {"satisfied": "yes", "age": 40}


def stored_then_republished(
    db: Database, tmp_path: Path, new_content: str
) -> tuple[SubmissionReceipt, PublishedSurvey]:
    """`ANSWERS` stored as "s-1" under the first version, then `new_content` published:
    the receipt and the survey's new version."""
    publish_directory(db, directory(tmp_path, FEEDBACK))
    first = get_survey(db, "feedback")
    assert first is not None
    stored = submission_create(
        db, survey=first, submission_id="s-1", language="en", answers=ANSWERS
    )
    publish_directory(db, directory(tmp_path, new_content))
    second = get_survey(db, "feedback")
    assert second is not None
    assert second.number == 2
    return stored, second


def test_a_retry_after_a_new_version_is_judged_by_the_version_it_answered(
    db: Database, tmp_path: Path
) -> None:
    stored, second = stored_then_republished(db, tmp_path, WITHOUT_AGE)

    again = submission_create(
        db, survey=second, submission_id="s-1", language="en", answers=ANSWERS
    )

    assert again == replace(stored, created=False)
    assert again.version == 1
    assert not again.created


def test_a_retry_is_compared_as_the_version_it_answered_cleaned_it(
    db: Database, tmp_path: Path
) -> None:
    # The new version would discard the age as irrelevant: the same answers, cleaned by
    # it, differ from the stored ones, yet the retry is the same submission.
    stored, second = stored_then_republished(db, tmp_path, AGE_ONLY_IF_UNSATISFIED)

    again = submission_create(
        db, survey=second, submission_id="s-1", language="en", answers=ANSWERS
    )
    with pytest.raises(SubmissionConflict):
        submission_create(
            db, survey=second, submission_id="s-1", language="en", answers={"satisfied": "no"}
        )

    assert again == replace(stored, created=False)
    with db.read() as session:
        assert len(session.exec(select(Submission)).all()) == 1
