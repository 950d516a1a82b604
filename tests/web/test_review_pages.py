"""The office's review pages: find responses by their quality flags, read one in the
survey's labels, exclude it with a reason; members and visitors get no access; every
view of a response and every change is in the audit log."""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import json
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import col, select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Draft, Submission
from survey_app.services.audit import audit_events
from survey_app.settings import Settings
from tests.analysis.test_disclosure import answers
from tests.api.test_releases import AUDIT_SURVEY, send
from tests.conftest import csrf_token, login
from tests.web.respondent import Respondent


@pytest.fixture
def office(settings: Settings, accounts: Any) -> Iterator[tuple[TestClient[Any], Settings]]:
    """The audit survey (k = 5), an admin and a member; duplicates need 2 identical
    answer sets, a burst 5 responses in ten minutes."""
    settings = dataclasses.replace(settings, questionnaires=AUDIT_SURVEY, quality_burst=1000)
    with TestClient(app=create_app(settings)) as client:
        yield client, settings


def stored(settings: Settings) -> list[Submission]:
    db = Database(settings.database_url)
    with db.read() as session:
        rows = list(session.exec(select(Submission).order_by(col(Submission.id))).all())
    db.dispose()
    return rows


def set_minutes(settings: Settings, minutes: dict[int, int]) -> None:
    db = Database(settings.database_url)
    with db.write() as session:
        for pk, value in minutes.items():
            session.execute(
                update(Submission).where(col(Submission.id) == pk).values(minutes=value)
            )
    db.dispose()


def listed(html: str) -> list[int]:
    """The response numbers in the table, in order."""
    return [int(n) for n in re.findall(r'/responses/(\d+)">', html)]


def test_the_office_finds_the_fastest_excludes_one_and_the_next_release_counts_one_less(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    send(client, answers(random.Random(7), 20, 0.2))
    pks = [row.id for row in stored(settings)]
    assert all(pk is not None for pk in pks)
    set_minutes(settings, {pk: 30 - i for i, pk in enumerate(pks)})  # the last is fastest
    login(client, "admin")

    fastest = client.get("/admin/surveys/audit/responses", params={"order": "fastest"})
    first = listed(fastest.text)[0]
    detail = client.get(f"/admin/surveys/audit/responses/{first}")
    refused = client.post(
        f"/admin/surveys/audit/responses/{first}/status",
        data={"new_status": "excluded", "reason": "", "_csrf_token": csrf_token(client)},
    )
    excluded = client.post(
        f"/admin/surveys/audit/responses/{first}/status",
        data={"new_status": "excluded", "reason": "Testantwort", "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    preview = client.get("/admin/surveys/audit/release")

    assert fastest.status_code == 200
    assert first == pks[-1]
    assert listed(fastest.text)[:3] == [pks[-1], pks[-2], pks[-3]]
    assert detail.status_code == 200
    assert "<em>nicht gefragt</em>" not in detail.text  # no skip logic in this survey
    assert re.search(
        r"A <code>a</code></th>\s*<td>(<bdi>[XYZ]</bdi>|<em>keine Antwort</em>)", detail.text
    )
    assert refused.status_code == 422
    assert "warum die Antworten ausgeschlossen werden" in refused.text
    assert excluded.status_code == 303
    assert re.search(r"<dt>Antworten</dt><dd>19</dd>", preview.text)
    db = Database(settings.database_url)
    events = [(e.action, json.loads(e.detail)) for e in audit_events(db)]
    db.dispose()
    assert ("response_viewed", {"survey": "audit", "response": first}) in events
    assert ("responses_excluded", {"survey": "audit", "responses": 1, "ids": [first]}) in events


def test_a_selection_is_excluded_at_once_and_every_copy_but_the_first_is_a_duplicate(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    same = {"a": "x", "b": "y", "c": "p", "m": ["q"]}
    others = [{"a": a, "b": b, "c": "q"} for a in "xyz" for b in "yz"]  # all different
    send(client, [same, *others, same, same])
    login(client, "admin")

    duplicates = client.get("/admin/surveys/audit/responses", params={"flag": "duplicate"})
    bulk = client.post(
        "/admin/surveys/audit/responses/status",
        data={
            "flag": "duplicate",
            "new_status": "excluded",
            "reason": "Dublette",
            "_csrf_token": csrf_token(client),
        },
    )

    rows = stored(settings)
    assert len(listed(duplicates.text)) == 2
    assert bulk.status_code == 200
    assert "Status von 2 Antworten geändert" in bulk.text
    assert [row.status for row in rows].count("excluded") == 2
    assert rows[0].status == "received"  # the first of the identical set stays


def test_members_and_visitors_cannot_review(office: tuple[TestClient[Any], Settings]) -> None:
    client, settings = office
    send(client, answers(random.Random(9), 3, 0.0))
    pk = stored(settings)[0].id
    anonymous = client.get("/admin/surveys/audit/responses", follow_redirects=False)
    login(client, "arbeit")
    member_list = client.get("/admin/surveys/audit/responses")
    member_detail = client.get(f"/admin/surveys/audit/responses/{pk}")
    member_change = client.post(
        f"/admin/surveys/audit/responses/{pk}/status",
        data={"new_status": "excluded", "reason": "x", "_csrf_token": csrf_token(client)},
    )
    assert anonymous.status_code in (302, 303)
    assert "/login" in anonymous.headers["location"]
    assert (member_list.status_code, member_detail.status_code) == (403, 403)
    assert member_change.status_code == 403
    assert {row.status for row in stored(settings)} == {"received"}


def test_unknown_surveys_and_responses_are_not_found(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, _settings = office
    login(client, "admin")
    assert client.get("/admin/surveys/nope/responses").status_code == 404
    assert client.get("/admin/surveys/audit/responses/999999").status_code == 404


def test_time_to_complete_is_counted_from_the_first_saved_page_in_whole_minutes(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    respondent = Respondent(client, survey="audit")
    respondent.start("de")
    db = Database(settings.database_url)
    with db.write() as session:
        session.execute(
            update(Draft).values(
                started_at=datetime.datetime.now(datetime.UTC)
                - datetime.timedelta(seconds=7 * 60 + 30)
            )
        )
    sent = respondent.answer_page(0, {"a": "x", "b": "y"}, action="submit")
    db.dispose()
    [row] = stored(settings)
    assert sent.status_code == 200, sent.text
    assert row.minutes == 7
    assert row.unanswered == 50  # c and m left empty of four questions asked


def test_api_responses_have_no_time_and_are_numbered_within_their_window(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    send(client, answers(random.Random(10), 6, 0.0))
    rows = stored(settings)
    crowds = [row.crowd for row in rows]
    assert [row.minutes for row in rows] == [None] * 6
    # One window, or two when the test ran across a ten-minute boundary.
    assert crowds[0] >= 1
    assert all(b == a + 1 or b == 1 for a, b in itertools.pairwise(crowds))


def test_the_office_export_names_each_response_status(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    send(client, answers(random.Random(11), 4, 0.0))
    pk = stored(settings)[1].id
    login(client, "admin")
    client.post(
        f"/admin/surveys/audit/responses/{pk}/status",
        data={"new_status": "excluded", "reason": "Test", "_csrf_token": csrf_token(client)},
    )
    text = client.get("/admin/surveys/audit/responses.csv").content.decode("utf-8-sig")
    lines = text.splitlines()
    assert '"status"' in lines[0]
    assert [line.count('"excluded"') for line in lines[1:]] == [0, 1, 0, 0]
