"""Overload answered 503 with Retry-After, bodies that never arrive ended with 408, and
clients that leave mid-body logged as one line, never a traceback."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from litestar.testing import TestClient
from litestar.types import Message

from survey_app.app import create_app
from survey_app.settings import Settings
from survey_app.web import connections, submissions
from tests.storage.conftest import STORAGE_QUESTIONNAIRES

URL = "/api/v1/surveys/feedback/responses"
VALID = {"submission_id": "s-1", "language": "de", "answers": {"satisfied": "yes"}}
BODY = b'{"submission_id": "s-1", "language": "de", "answers": {"satisfied": "yes"}}'


class Lines(logging.Handler):
    """Every record of the app's loggers (Litestar replaces the root's handlers at start,
    so pytest's caplog misses them)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("survey_app")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def site(settings: Settings, **changes: Any) -> TestClient[Any]:
    app = create_app(
        dataclasses.replace(settings, questionnaires=STORAGE_QUESTIONNAIRES, **changes)
    )
    return TestClient(app=app)


def test_one_request_over_the_limit_is_503_with_retry_after(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    submit = submissions._submit

    def held(*args: Any) -> Any:
        entered.set()
        release.wait(10)
        return submit(*args)

    monkeypatch.setattr(submissions, "_submit", held)
    with site(settings, max_concurrent_requests=1) as client:
        first: dict[str, int] = {}
        thread = threading.Thread(
            target=lambda: first.update(status=client.post(URL, json=VALID).status_code)
        )
        thread.start()
        assert entered.wait(10)
        refused = client.post(URL, json={**VALID, "submission_id": "s-2"})
        alive = client.get("/healthz")
        release.set()
        thread.join(10)
        after = client.post(URL, json={**VALID, "submission_id": "s-3"})
    assert refused.status_code == 503
    assert int(refused.headers["retry-after"]) > 0
    assert alive.status_code == 200
    assert first["status"] == 201
    assert after.status_code == 201


def asgi_post(client: TestClient[Any], messages: list[Message]) -> list[Message]:
    """POST `URL` straight to the app, whose body arrives as `messages` and then never
    more; returns what the app sent."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": URL,
        "raw_path": URL.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    pending = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    async def call() -> None:
        with anyio.fail_after(10):
            await client.app(scope, receive, send)  # type: ignore[arg-type]

    client.blocking_portal.call(call)
    return sent


def test_a_body_that_never_arrives_ends_with_408_and_one_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, lines: Lines
) -> None:
    monkeypatch.setattr(connections, "BODY_TIMEOUT_S", 0.2)
    with site(settings) as client:
        sent = asgi_post(client, [{"type": "http.request", "body": BODY[:10], "more_body": True}])
    assert sent[0]["status"] == 408
    logged = [(r.levelname, r.getMessage()) for r in lines.records if r.levelno >= logging.INFO]
    assert [level for level, _ in logged if "did not arrive" in _] == ["INFO"]
    assert not [r for r in lines.records if r.levelno >= logging.WARNING]


def test_a_client_leaving_mid_body_is_one_info_line_without_traceback(
    settings: Settings, lines: Lines
) -> None:
    with site(settings) as client:
        asgi_post(
            client,
            [
                {"type": "http.request", "body": BODY[:10], "more_body": True},
                {"type": "http.disconnect"},
            ],
        )
    disconnects = [r for r in lines.records if "disconnected" in r.getMessage()]
    assert [(r.levelname, r.exc_info) for r in disconnects] == [("INFO", None)]
    assert not [r for r in lines.records if r.levelno >= logging.WARNING]
