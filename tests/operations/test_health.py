"""`/healthz` says the process answers; `/readyz` says whether it can store answers, with
every reason when it cannot; start-up and login say so too."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.migrate import upgrade
from survey_app.services.surveys import publish_directory
from survey_app.settings import Settings
from tests.conftest import PASSWORD, csrf_token
from tests.operations.conftest import remount_read_only, tmpfs

SUBMIT = "/api/v1/surveys/newcomer/responses"
ANSWERS = {
    "arrival_year": "y2018_2021",
    "german_level": "a2",
    "integration_course": "attending",
    "main_activity": "employed",
    "housing_situation": "own_flat",
}


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


@contextlib.contextmanager
def error_lines() -> Iterator[list[str]]:
    """The app's error lines while the block runs."""
    lines = Lines()
    logger = logging.getLogger("survey_app")
    logger.addHandler(lines)
    try:
        yield lines.lines
    finally:
        logger.removeHandler(lines)


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


def test_a_database_error_while_publishing_at_start_is_one_line_and_the_app_serves(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose start fails makes uvicorn's supervisor stop every worker of
    `serve --workers N`: a connection lost while publishing is reported, and the surveys
    published before are served."""
    published = Database(settings.database_url)
    publish_directory(published, settings.questionnaires)
    published.dispose()

    def connection_lost(*_args: object) -> None:
        raise OperationalError("INSERT ...", {}, Exception("server closed the connection"))

    monkeypatch.setattr("survey_app.app.publish_directory", connection_lost)
    with error_lines() as lines, TestClient(app=create_app(settings)) as client:
        started = list(lines)
        surveys = client.get("/api/v1/surveys")
    assert started == ["questionnaires not published: server closed the connection"]
    assert surveys.status_code == 200
    assert "newcomer" in surveys.text


@pytest.mark.sqlite_only
def test_a_read_only_sqlite_database_is_not_ready(settings: Settings, tmp_path: Path) -> None:
    """A database that became read-only after its surveys were published: start-up says
    so in one line, /readyz answers 503, and valid answers are refused with 503 (never
    acknowledged, so the client sends them again later)."""
    with tmpfs(tmp_path / "data", 4096) as data:
        url = f"sqlite:///{data / 'survey.sqlite3'}"
        upgrade(url)
        published = Database(url)
        publish_directory(published, settings.questionnaires)
        published.dispose()
        remount_read_only(data)
        site = dataclasses.replace(settings, database_url=url, min_free_mb=0)
        with error_lines() as lines, TestClient(app=create_app(site)) as client:
            started = list(lines)
            response = client.get("/readyz")
            stored = client.post(
                SUBMIT, json={"submission_id": "s-1", "language": "de", "answers": ANSWERS}
            )
    # SQLite's reason depends on the journal ("unable to open database file" in WAL mode).
    [unready, unpublished] = started
    assert unready.startswith("not ready: the database is not writable: ")
    assert unpublished == "questionnaires not published: the database is not writable"
    assert response.status_code == 503
    assert any("database is not writable" in p for p in response.json()["problems"])
    assert stored.status_code == 503, stored.text
    assert stored.headers["retry-after"]


@pytest.mark.postgresql_only
def test_a_read_only_postgresql_is_not_ready(settings: Settings) -> None:
    url = make_url(settings.database_url)
    options = url.query["options"]
    read_only = url.update_query_dict(
        {"options": f"{options} -cdefault_transaction_read_only=on"}
    ).render_as_string(hide_password=False)
    site = dataclasses.replace(settings, database_url=read_only)
    with error_lines() as lines, TestClient(app=create_app(site)) as client:
        started = list(lines)
        response = client.get("/readyz")
    assert started == [
        "not ready: the database is not writable: cannot execute UPDATE in a read-only transaction",
        "questionnaires not published: the database is not writable",
    ]
    assert response.status_code == 503
    [problem] = response.json()["problems"]
    assert "read-only transaction" in problem


@pytest.mark.postgresql_only
def test_answers_to_a_read_only_postgresql_are_503(settings: Settings) -> None:
    """Surveys published, then the database turned read-only (a standby after a
    fail-over, say): valid answers are refused with 503, never acknowledged."""
    published = Database(settings.database_url)
    publish_directory(published, settings.questionnaires)
    published.dispose()
    url = make_url(settings.database_url)
    read_only = url.update_query_dict(
        {"options": f"{url.query['options']} -cdefault_transaction_read_only=on"}
    ).render_as_string(hide_password=False)
    site = dataclasses.replace(settings, database_url=read_only)
    with TestClient(app=create_app(site)) as client:
        stored = client.post(
            SUBMIT, json={"submission_id": "s-1", "language": "de", "answers": ANSWERS}
        )
    assert stored.status_code == 503, stored.text
    assert stored.headers["retry-after"]


def test_readyz_leaves_nothing_behind(client: TestClient[Any], settings: Settings) -> None:
    before = sorted(os.listdir(settings.var_dir))
    assert client.get("/readyz").status_code == 200
    assert sorted(os.listdir(settings.var_dir)) == before
