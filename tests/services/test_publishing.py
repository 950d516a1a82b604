"""Publishing questionnaire files as versioned surveys."""

from __future__ import annotations

import shutil
from pathlib import Path

from survey_app.db.engine import Database
from survey_app.services.surveys import latest_surveys, publish_directory, survey_versions
from tests.conftest import QUESTIONNAIRES

EXAMPLE = """\
id: example
title: {de: Beispiel, en: Example}
languages: [de, en]
default_language: de
pages:
  - name: one
    title: {de: Eins, en: One}
    questions:
      - name: comment
        type: text
        label: {de: Kommentar, en: Comment}
"""


def make_directory(tmp_path: Path, content: str = EXAMPLE) -> Path:
    directory = tmp_path / "questionnaires"
    directory.mkdir(exist_ok=True)
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    (directory / "example.yaml").write_text(content)
    return directory


def test_a_new_file_is_published_as_version_one(db: Database, tmp_path: Path) -> None:
    report = publish_directory(db, make_directory(tmp_path))
    assert [(s.id, s.number) for s in report.published] == [("example", 1)]


def test_publishing_the_same_file_again_changes_nothing(db: Database, tmp_path: Path) -> None:
    directory = make_directory(tmp_path)
    publish_directory(db, directory)
    publish_directory(db, directory)
    assert len(survey_versions(db, "example")) == 1


def test_a_changed_file_publishes_a_new_version_and_keeps_the_old(
    db: Database, tmp_path: Path
) -> None:
    publish_directory(db, make_directory(tmp_path))
    publish_directory(db, make_directory(tmp_path, EXAMPLE.replace("Kommentar", "Ihr Kommentar")))
    versions = survey_versions(db, "example")
    assert [version.number for version, _ in versions] == [1, 2]
    assert versions[0][1].questions["comment"].label["de"] == "Kommentar"
    [latest] = latest_surveys(db)
    assert latest.number == 2


def test_an_invalid_file_is_reported_and_skipped(db: Database, tmp_path: Path) -> None:
    directory = make_directory(tmp_path)
    (directory / "broken.yaml").write_text("id: broken\ntitle: [\n")
    report = publish_directory(db, directory)
    assert [survey.id for survey in report.published] == ["example"]
    assert any(
        str(problem).startswith(f"{directory / 'broken.yaml'}:") for problem in report.problems
    )
