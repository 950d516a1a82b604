"""Excluding responses: statuses with a history and an audit entry; excluded responses
count neither in releases nor in live results, and excluding is reversible."""

from __future__ import annotations

import io
import json
import random
import zipfile
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import col, select

from survey_app.db.engine import Database
from survey_app.db.tables import Release, Submission
from survey_app.services.audit import audit_events
from survey_app.services.releases import ReleaseRefused, release_create, release_preview
from survey_app.services.review import ReviewRefused, responses_set_status, review_history
from survey_app.settings import Settings
from tests.analysis.test_disclosure import answers
from tests.api.test_releases import office, send  # noqa: F401 - the fixture
from tests.conftest import login


def first_ids(database_url: str, count: int) -> list[int]:
    db = Database(database_url)
    with db.read() as session:
        ids = session.execute(
            select(col(Submission.id)).order_by(col(Submission.id)).limit(count)
        ).scalars()
        found = [int(pk) for pk in ids]
    db.dispose()
    return found


def test_an_exclusion_needs_a_reason_and_is_kept_with_its_history(
    office: tuple[TestClient[Any], Settings],  # noqa: F811
) -> None:
    client, settings = office
    send(client, answers(random.Random(1), 12, 0.4))
    db = Database(settings.database_url)
    [first] = first_ids(settings.database_url, 1)

    with pytest.raises(ReviewRefused, match="say why"):
        responses_set_status(db, "audit", [first], status="excluded", actor="lea")
    with pytest.raises(ReviewRefused, match="belongs to survey"):
        responses_set_status(db, "audit", [first, 10**9], status="approved", actor="lea")
    changed = responses_set_status(
        db, "audit", [first], status="excluded", reason="Testantwort", actor="lea"
    )
    again = responses_set_status(db, "audit", [first], status="excluded", reason="x", actor="lea")
    back = responses_set_status(db, "audit", [first], status="received", actor="lea")

    history = [(e.status, e.reason, e.actor) for e in review_history(db, first)]
    actions = [e.action for e in audit_events(db)]
    db.dispose()
    assert (changed, again, back) == (1, 0, 1)
    assert history == [("excluded", "Testantwort", "lea"), ("received", "", "lea")]
    assert "responses_excluded" in actions
    assert "responses_received" in actions


def test_the_audit_log_names_the_responses_whose_status_changed_when_they_are_few(
    office: tuple[TestClient[Any], Settings],  # noqa: F811
) -> None:
    client, settings = office
    send(client, answers(random.Random(6), 25, 0.4))
    db = Database(settings.database_url)
    ids = first_ids(settings.database_url, 25)

    responses_set_status(db, "audit", ids[:3], status="excluded", reason="Dublette", actor="lea")
    responses_set_status(db, "audit", ids[:20], status="approved", actor="lea")
    responses_set_status(db, "audit", ids, status="excluded", reason="Dublette", actor="lea")

    changes = [(e.action, json.loads(e.detail)) for e in reversed(audit_events(db))][-3:]
    db.dispose()
    assert changes == [
        ("responses_excluded", {"survey": "audit", "responses": 3, "ids": ids[:3]}),
        ("responses_approved", {"survey": "audit", "responses": 20, "ids": ids[:20]}),
        ("responses_excluded", {"survey": "audit", "responses": 25}),  # too many to name
    ]
    assert all("Dublette" not in json.dumps(detail) for _action, detail in changes)


def test_excluded_responses_leave_the_next_release_and_live_results(
    office: tuple[TestClient[Any], Settings],  # noqa: F811
) -> None:
    client, settings = office
    send(client, answers(random.Random(2), 40, 0.4))
    db = Database(settings.database_url)
    assert release_create(db, "audit", actor="test").responses == 40
    login(client, "admin")
    live_before = client.get("/api/v1/results/audit", params={"live": 1}).json()
    junk = first_ids(settings.database_url, 3)

    responses_set_status(db, "audit", junk, status="excluded", reason="Dublette", actor="lea")
    preview = release_preview(db, "audit")
    live_after = client.get("/api/v1/results/audit", params={"live": 1}).json()
    with pytest.raises(ReleaseRefused, match="Only 0 responses arrived since release 1"):
        release_create(db, "audit", actor="test")
    send(client, answers(random.Random(3), 15, 0.4), start=100)
    second = release_create(db, "audit", actor="test")

    with db.read() as session:
        stored = session.execute(select(Release).where(col(Release.number) == 2)).scalar_one()
    db.dispose()
    assert (live_before["responses"], live_after["responses"]) == (40, 37)
    assert (preview.number, preview.responses, preview.since_previous) == (2, 37, 0)
    assert (preview.excluded, preview.allowed) == (3, False)
    assert second.responses == 40 - 3 + 15
    assert stored.excluded == {"ids": junk, "reasons": {"Dublette": 3}}
    released = client.get("/api/v1/results/audit").json()
    assert (released["release"]["number"], released["responses"]) == (2, 52)


def test_a_response_taken_back_counts_again(
    office: tuple[TestClient[Any], Settings],  # noqa: F811
) -> None:
    client, settings = office
    send(client, answers(random.Random(4), 30, 0.4))
    db = Database(settings.database_url)
    junk = first_ids(settings.database_url, 2)
    responses_set_status(db, "audit", junk, status="excluded", reason="Test", actor="lea")
    assert release_create(db, "audit", actor="test").responses == 28

    responses_set_status(db, "audit", junk, status="received", actor="lea")
    send(client, answers(random.Random(5), 10, 0.4), start=100)
    assert release_create(db, "audit", actor="test").responses == 40
    db.dispose()


REASON = "Zeugin Xylophon 4711"
"""A reason for an exclusion that no result could contain by chance."""


def readable(response: Any) -> str:
    """What a member can read in a response: the text, or every part of an Office file."""
    assert response.status_code == 200, response.url
    if response.content[:2] != b"PK":
        return str(response.text)
    with zipfile.ZipFile(io.BytesIO(response.content)) as office_file:
        return "".join(office_file.read(name).decode("utf-8", "replace")
                       for name in office_file.namelist())  # fmt: skip


def test_working_groups_never_see_why_responses_were_excluded(
    office: tuple[TestClient[Any], Settings],  # noqa: F811
) -> None:
    client, settings = office
    send(client, answers(random.Random(12), 30, 0.4))
    db = Database(settings.database_url)
    excluded = first_ids(settings.database_url, 2)
    responses_set_status(db, "audit", excluded, status="excluded", reason=REASON, actor="lea")
    release_create(db, "audit", actor="lea")
    with db.read() as session:
        [stored] = session.execute(select(Release)).scalars().all()
    db.dispose()
    assert REASON in json.dumps(stored.excluded)  # kept for the office until purge
    login(client, "arbeit")

    reads = [
        ("/api/v1/results/audit", {"group": "arbeit"}),
        ("/api/v1/results/audit", {"group": "arbeit", "by": "a"}),
        ("/results", {}),
        ("/results/arbeit", {"survey": "audit"}),
        ("/results/arbeit", {"survey": "audit", "by": "a"}),
        ("/results/arbeit/report", {"survey": "audit"}),
        ("/results/arbeit/export.xlsx", {"survey": "audit"}),
        ("/results/arbeit/export.csv", {"survey": "audit"}),
        ("/results/arbeit/slides.pptx", {"survey": "audit", "by": "a"}),
        *[("/results/arbeit/present", {"survey": "audit", "slide": n}) for n in range(5)],
    ]
    shown = [(url, params, readable(client.get(url, params=params))) for url, params in reads]

    assert json.loads(shown[0][2])["responses"] == 28
    assert [(url, params) for url, params, text in shown if "Xylophon" in text] == []
