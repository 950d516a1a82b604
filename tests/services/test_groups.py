"""Working groups are published with the questionnaires and read from the database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from survey_app.db.engine import Database
from survey_app.errors import UnknownGroup
from survey_app.services.groups import group_ids, groups_publish, working_group, working_groups
from survey_app.services.surveys import publish_directory
from tests.cli import survey_app

CATALOGUE = """\
working_groups:
  - id: sprache
    name: {de: Sprache, en: Language}
  - id: arbeit
    name: {de: Arbeit, en: Work}
"""


def catalogue(tmp_path: Path, text: str = CATALOGUE) -> Path:
    directory = tmp_path / "questionnaires"
    directory.mkdir(exist_ok=True)
    (directory / "working_groups.yaml").write_text(text)
    return directory


def test_publishing_the_questionnaires_publishes_the_groups_in_their_order(
    db: Database, tmp_path: Path
) -> None:
    publish_directory(db, catalogue(tmp_path))

    assert [group.id for group in working_groups(db)] == ["sprache", "arbeit"]
    assert working_group(db, "arbeit").name == {"de": "Arbeit", "en": "Work"}


def test_processes_publishing_at_the_same_moment_all_succeed(db: Database, tmp_path: Path) -> None:
    """The workers of `serve --workers 2` publish at their start, at the same moment; a
    worker whose start fails makes uvicorn stop them all."""
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = catalogue(tmp_path / "first")
    second = catalogue(tmp_path / "second", CATALOGUE + "  - id: wohnen\n    name: {de: Wohnen}\n")
    processes = [Database(db.url) for _ in range(4)]

    def publish(process: int) -> None:
        for turn in range(8):
            groups_publish(processes[process], first if (process + turn) % 2 else second)

    try:
        with ThreadPoolExecutor(max_workers=len(processes)) as pool:
            list(pool.map(publish, range(len(processes))))
    finally:
        for process in processes:
            process.dispose()
    assert [group.id for group in working_groups(db)] in (
        ["sprache", "arbeit"],
        ["sprache", "arbeit", "wohnen"],
    )


def test_a_file_edited_after_publishing_changes_nothing_until_published_again(
    db: Database, tmp_path: Path
) -> None:
    directory = catalogue(tmp_path)
    publish_directory(db, directory)
    catalogue(tmp_path, CATALOGUE + "  - id: wohnen\n    name: {de: Wohnen}\n")

    assert group_ids(db) == {"sprache", "arbeit"}
    with pytest.raises(UnknownGroup):
        working_group(db, "wohnen")
    publish_directory(db, directory)
    assert group_ids(db) == {"sprache", "arbeit", "wohnen"}


def test_a_catalogue_with_an_error_keeps_the_groups_published_before(
    db: Database, tmp_path: Path
) -> None:
    directory = catalogue(tmp_path)
    publish_directory(db, directory)
    catalogue(tmp_path, "working_groups:\n  - id: Kein Name!\n")

    report = publish_directory(db, directory)

    assert {problem.location for problem in report.problems} == {
        f"{directory / 'working_groups.yaml'}:2"
    }
    assert group_ids(db) == {"sprache", "arbeit"}


def test_an_account_made_before_the_first_start_publishes_the_groups_it_needs(
    database_url: str, tmp_path: Path
) -> None:
    environment = {
        "SURVEY_DATABASE_URL": database_url,
        "SURVEY_QUESTIONNAIRES": str(catalogue(tmp_path)),
        "SURVEY_VAR_DIR": str(tmp_path / "var"),
    }
    password = ("--password", "Lange-Passphrase-fuer-Tests")

    added = survey_app(
        environment, "user", "add", "lea@example.org", "--group", "arbeit", *password
    )
    refused = survey_app(environment, "user", "add", "max@example.org", "--group", "bau", *password)

    assert added.returncode == 0, added.stderr
    assert refused.returncode == 1
    assert "bau" in refused.stderr
