"""`/healthz` says the process answers; `/readyz` says whether it can store answers, with
every reason when it cannot; start-up and login say so too."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from survey_app.app import create_app
from survey_app.db.migrate import upgrade
from survey_app.settings import Settings
from tests.conftest import PASSWORD, csrf_token
from tests.operations.conftest import remount_read_only, tmpfs


def test_healthz_answers_without_the_database(client: TestClient[Any]) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_everything_can_be_written(client: TestClient[Any]) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}


def test_readyz_is_503_below_the_free_space_threshold(settings: Settings) -> None:
    greedy = dataclasses.replace(settings, min_free_mb=1024 * 1024 * 1024)
    with TestClient(app=create_app(greedy)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0
    [problem] = response.json()["problems"]
    assert "KB free" in problem


class Lines(logging.Handler):
    """The lines of one logger (Litestar's logging set-up replaces the root's handlers
    at start, so pytest's caplog sees nothing logged after it)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_read_only_var_directory_is_reported_at_start_by_readyz_and_at_login(
    settings: Settings, accounts: object, tmp_path: Path
) -> None:
    lines = Lines()
    logging.getLogger("survey_app").addHandler(lines)
    with tmpfs(tmp_path / "var", 1024) as var_dir:
        site = dataclasses.replace(settings, var_dir=var_dir, min_free_mb=0)
        (var_dir / "sessions").mkdir()
        remount_read_only(var_dir)
        with TestClient(app=create_app(site)) as client:
            started = list(lines.lines)
            ready = client.get("/readyz")
            login = client.post(
                "/login",
                data={
                    "email": "admin@landkreis.example",
                    "password": PASSWORD,
                    "_csrf_token": csrf_token(client),
                },
                follow_redirects=False,
            )
    logging.getLogger("survey_app").removeHandler(lines)
    assert started == [
        f"not ready: {var_dir} is not writable: Read-only file system",
        f"not ready: {var_dir / 'sessions'} is not writable: Read-only file system",
    ]
    assert ready.status_code == 503
    assert any(str(var_dir) in problem for problem in ready.json()["problems"])
    assert login.status_code == 503
    assert "der Server kann keine Sitzung speichern" in login.text


@pytest.mark.sqlite_only
def test_a_read_only_sqlite_database_is_not_ready(settings: Settings, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "data", 4096) as data:
        url = f"sqlite:///{data / 'survey.sqlite3'}"
        upgrade(url)
        remount_read_only(data)
        site = dataclasses.replace(settings, database_url=url)
        with TestClient(app=create_app(site)) as client:
            response = client.get("/readyz")
            stored = client.post(
                "/api/v1/surveys/newcomer/responses",
                json={"submission_id": "s-1", "language": "de", "answers": {}},
            )
    assert response.status_code == 503
    assert any("database is not writable" in p for p in response.json()["problems"])
    assert stored.status_code in (422, 503)


@pytest.mark.postgresql_only
def test_a_read_only_postgresql_is_not_ready(settings: Settings) -> None:
    url = make_url(settings.database_url)
    options = url.query["options"]
    read_only = url.update_query_dict(
        {"options": f"{options} -cdefault_transaction_read_only=on"}
    ).render_as_string(hide_password=False)
    with TestClient(app=create_app(dataclasses.replace(settings, database_url=read_only))) as c:
        response = c.get("/readyz")
    assert response.status_code == 503
    [problem] = response.json()["problems"]
    assert "read-only transaction" in problem


def test_readyz_leaves_nothing_behind(client: TestClient[Any], settings: Settings) -> None:
    before = sorted(os.listdir(settings.var_dir))
    assert client.get("/readyz").status_code == 200
    assert sorted(os.listdir(settings.var_dir)) == before
