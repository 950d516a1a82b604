"""The submission API accepts JSON from clients and its own site only, and answers with a
receipt id that says nothing about how many responses arrived."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from litestar.utils.sync import AsyncCallable

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.settings import Settings
from tests.api.test_submissions import URL, VALID, count_rows
from tests.storage.conftest import STORAGE_QUESTIONNAIRES


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient[Any]]:
    site = dataclasses.replace(
        settings, questionnaires=STORAGE_QUESTIONNAIRES, base_url="https://umfrage.example"
    )
    with TestClient(app=create_app(site), base_url="https://umfrage.example") as client:
        yield client


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_a_body_not_declared_json_is_415_and_stores_nothing(
    api: TestClient[Any], db: Database, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = api.post(URL, content=json.dumps(VALID), headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert count_rows(db) == 0


def test_json_with_a_charset_is_accepted(api: TestClient[Any]) -> None:
    response = api.post(
        URL,
        content=json.dumps(VALID),
        headers={"content-type": "Application/JSON; charset=utf-8"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "https://umfrage.example.evil", "file://"]
)
def test_a_submission_from_another_sites_page_is_403(
    api: TestClient[Any], db: Database, origin: str
) -> None:
    response = api.post(URL, json=VALID, headers={"origin": origin})
    assert response.status_code == 403
    assert "another site" in response.json()["detail"]
    assert count_rows(db) == 0


def test_a_text_plain_post_from_another_site_is_refused(api: TestClient[Any], db: Database) -> None:
    """What any web page can send without asking the browser's permission (no preflight)."""
    response = api.post(
        URL,
        content=json.dumps(VALID),
        headers={"origin": "https://evil.example", "content-type": "text/plain"},
    )
    assert response.status_code in (403, 415)
    assert count_rows(db) == 0


def test_the_sites_own_origin_and_clients_without_one_are_accepted(
    api: TestClient[Any],
) -> None:
    own = api.post(URL, json=VALID, headers={"origin": "https://umfrage.example"})
    assert own.status_code == 201
    other = {**VALID, "submission_id": "s-2"}
    assert api.post(URL, json=other).status_code == 201


def test_the_receipt_id_is_opaque_stable_and_reveals_no_count(api: TestClient[Any]) -> None:
    receipts = [api.post(URL, json={**VALID, "submission_id": f"s-{n}"}).json() for n in range(3)]
    ids = [receipt["id"] for receipt in receipts]
    assert all(isinstance(receipt_id, str) and len(receipt_id) == 32 for receipt_id in ids)
    assert len(set(ids)) == 3
    assert not any(receipt_id.isdigit() for receipt_id in ids)
    replay = api.post(URL, json={**VALID, "submission_id": "s-1"})
    assert replay.status_code == 200
    assert replay.json()["id"] == ids[1]


def test_the_receipt_id_is_the_same_after_a_restart(settings: Settings) -> None:
    site = dataclasses.replace(settings, questionnaires=STORAGE_QUESTIONNAIRES)
    with TestClient(app=create_app(site)) as first:
        stored = first.post(URL, json=VALID).json()["id"]
    with TestClient(app=create_app(site)) as second:
        assert second.post(URL, json=VALID).json()["id"] == stored


def test_the_schema_documents_an_opaque_receipt_id(api: TestClient[Any]) -> None:
    schema = api.get("/schema/openapi.json").json()
    stored = schema["components"]["schemas"]["SubmissionStored"]
    assert stored["properties"]["id"]["type"] == "string"


def test_no_guard_runs_in_a_worker_thread(settings: Settings) -> None:
    # Litestar runs a plain function guard through a worker thread: a thread hop for
    # every request it guards (the app's submission rate guard guards every request),
    # which was a quarter of a submission's server CPU.
    app = create_app(dataclasses.replace(settings, questionnaires=STORAGE_QUESTIONNAIRES))
    threaded = {
        f"{route.path} {guard.func.__name__}"
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        for guard in handler.resolve_guards()
        if isinstance(guard, AsyncCallable)
    }
    assert threaded == set()
