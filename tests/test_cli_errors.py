"""The command line never shows a traceback: a database that was never migrated is one
line naming `survey-app db upgrade`, any other unexpected error one line and a hint;
`--debug` shows the details."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from survey_app.cli import main
from tests.conftest import _postgres_schema_url


@pytest.fixture
def unmigrated_url(tmp_path: Path, database_under_test: str | None) -> Iterator[str]:
    """A database nobody ran `survey-app db upgrade` on (on PostgreSQL an empty schema)."""
    base = database_under_test
    if not base:
        yield f"sqlite:///{tmp_path / 'new.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(base, schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"SURVEY_DATABASE_URL": url, "SURVEY_VAR_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def test_a_command_on_a_database_never_migrated_names_db_upgrade(
    unmigrated_url: str, tmp_path: Path
) -> None:
    code, output = run(
        unmigrated_url, tmp_path, "user", "add", "lea@landkreis.example", "--admin",
        "--password", "a long enough password 42",
    )  # fmt: skip
    assert code == 1
    assert "Traceback" not in output
    assert output.strip() == (
        "Error: the database has no tables yet: run `survey-app db upgrade` first"
    )


def test_an_unexpected_error_is_one_line_and_a_hint(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the disk said no\nand more lines")

    monkeypatch.setattr("survey_app.services.accounts.user_list", broken)
    code, output = run(database_url, tmp_path, "user", "list")
    assert code == 1
    assert output.splitlines() == [
        "Error: RuntimeError: the disk said no (run `survey-app --debug ...` for the details)"
    ]


def test_debug_shows_the_traceback(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the disk said no")

    monkeypatch.setattr("survey_app.services.accounts.user_list", broken)
    env = {"SURVEY_DATABASE_URL": database_url, "SURVEY_VAR_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(main, ["--debug", "user", "list"], env=env)
    assert result.exit_code == 1
    assert "Traceback" in result.output
    assert "Error: RuntimeError: the disk said no" in result.output


def test_click_usage_errors_stay_as_they_are(tmp_path: Path) -> None:
    code, output = run("sqlite:///unused", tmp_path, "user", "add")
    assert code == 2
    assert "Missing argument 'EMAIL'" in output
