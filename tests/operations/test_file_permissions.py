"""Row-level data and secrets are created 0600 in 0700 directories, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.cli import main
from survey_app.db.engine import Database
from survey_app.db.migrate import upgrade
from survey_app.settings import Settings, get_settings
from tests.conftest import login


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.sqlite_only
def test_a_new_sqlite_database_and_its_directory_are_private(tmp_path: Path) -> None:
    database = tmp_path / "new" / "survey.sqlite3"
    upgrade(f"sqlite:///{database}")
    db = Database(f"sqlite:///{database}")
    with db.write() as session:
        session.connection().exec_driver_sql("CREATE TABLE probe (x)")
    assert mode(database.parent) == 0o700
    for path in database.parent.iterdir():
        assert mode(path) == 0o600, path
    db.dispose()


def test_the_generated_secret_key_is_private_from_its_first_byte(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    get_settings({"SURVEY_VAR_DIR": str(var_dir)})
    assert mode(var_dir) == 0o700
    assert mode(var_dir / "secret_key") == 0o600


def test_sessions_are_private(settings: Settings, accounts: object) -> None:
    with TestClient(app=create_app(settings)) as client:
        login(client, "admin")
    sessions = settings.var_dir / "sessions"
    assert mode(settings.var_dir) == 0o700
    assert mode(sessions) == 0o700
    files = list(sessions.iterdir())
    assert files
    assert all(mode(path) == 0o600 for path in files)


@pytest.mark.sqlite_only
def test_a_backup_is_private(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: Any
) -> None:
    monkeypatch.setenv("SURVEY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SURVEY_VAR_DIR", str(settings.var_dir))
    output = tmp_path / "backup.sqlite3"
    result = CliRunner().invoke(main, ["backup", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert mode(output) == 0o600
