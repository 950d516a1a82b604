"""Releases: working groups see published results only, never live data; the office
publishes them (CLI and admin page), each audited against everything shown before.
The attacker test reads through the real API what a member can and solves for every
hidden count."""

from __future__ import annotations

import dataclasses
import datetime
import random
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from analysis.publication import Publication
from survey_app.app import create_app
from survey_app.cli import main
from survey_app.db.engine import Database
from survey_app.db.tables import ReleaseJob
from survey_app.services.audit import audit_events
from survey_app.services.demo import store_demo_responses
from survey_app.services.releases import ReleaseRefused, release_create, releases_of
from survey_app.settings import Settings
from tests.analysis.attacker import Attacker, published_numbers
from tests.analysis.test_disclosure import JOINT, K, answers
from tests.conftest import csrf_token, login, release

AUDIT_SURVEY = Path(__file__).resolve().parents[1] / "analysis" / "audit_questionnaire"


@pytest.fixture
def office(settings: Settings, accounts: Any) -> Iterator[tuple[TestClient[Any], Settings]]:
    """The real app on the audit survey (3 single and 1 multiple choice, k = 5) with an
    admin and a member of its group; no responses yet."""
    settings = dataclasses.replace(settings, questionnaires=AUDIT_SURVEY)
    with TestClient(app=create_app(settings)) as client:
        yield client, settings


def send(client: TestClient[Any], rows: list[dict[str, Any]], start: int = 0) -> None:
    for index, row in enumerate(rows, start):
        response = client.post(
            "/api/v1/surveys/audit/responses",
            json={"submission_id": f"r-{index}", "language": "de", "answers": row},
        )
        assert response.status_code == 201, response.text


def member_reads(client: TestClient[Any]) -> list[dict[str, Any]]:
    """Everything a member of the group can ask for: results and each breakdown."""
    found = []
    for by in (None, "a", "b", "c"):
        params = {"group": "arbeit"} | ({"by": by} if by else {})
        response = client.get("/api/v1/results/audit", params=params)
        assert response.status_code == 200, response.text
        found.append(response.json())
    return found


def test_before_the_first_release_members_get_a_clear_answer(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, _settings = office
    send(client, answers(random.Random(1), 40, 0.4))
    login(client, "arbeit")

    api = client.get("/api/v1/results/audit", params={"group": "arbeit"})
    page = client.get("/results/arbeit", params={"survey": "audit"})
    pdf = client.get("/results/arbeit/report.pdf", params={"survey": "audit"})

    assert api.status_code == 404
    assert api.json()["error"] == "No results of survey 'audit' have been released yet."
    assert page.status_code == 200
    assert "wurden noch keine Ergebnisse veröffentlicht" in page.text
    assert 'class="result-question"' not in page.text
    assert pdf.status_code == 404
    assert pdf.headers["content-type"].startswith("text/html")
    assert "wurden noch keine Ergebnisse veröffentlicht" in pdf.text


def test_results_do_not_move_when_someone_sends_until_the_next_release(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    send(client, answers(random.Random(2), 60, 0.4))
    release(settings.database_url, "audit")
    login(client, "arbeit")
    before = member_reads(client)

    send(client, [{"a": "z", "b": "z", "c": "q", "m": ["q"]}], start=1000)

    assert member_reads(client) == before
    assert before[0]["release"] == {"number": 1, "released_at": datetime.date.today().isoformat()}
    assert before[0]["responses"] == 60


def test_admins_may_ask_for_live_results_and_members_may_not(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    send(client, answers(random.Random(3), 60, 0.4))
    release(settings.database_url, "audit")
    send(client, answers(random.Random(4), 7, 0.4), start=500)

    login(client, "arbeit")
    refused = client.get("/api/v1/results/audit", params={"group": "arbeit", "live": 1})
    login(client, "admin")
    live = client.get("/api/v1/results/audit", params={"group": "arbeit", "live": 1}).json()
    released = client.get("/api/v1/results/audit", params={"group": "arbeit"}).json()

    assert refused.status_code == 403
    assert (live["release"], live["responses"]) == (None, 67)
    assert (released["release"]["number"], released["responses"]) == (1, 60)


def test_a_release_needs_at_least_k_new_responses(
    office: tuple[TestClient[Any], Settings], database_url: str
) -> None:
    client, _settings = office
    send(client, answers(random.Random(5), 4, 0.4))
    db = Database(database_url)
    with pytest.raises(ReleaseRefused, match="Only 4 responses arrived"):
        release_create(db, "audit", actor="test")
    send(client, answers(random.Random(6), 30, 0.4), start=100)
    assert release_create(db, "audit", actor="test").number == 1
    send(client, answers(random.Random(7), K - 1, 0.4), start=200)

    with pytest.raises(ReleaseRefused, match=f"Only {K - 1} responses arrived since release 1"):
        release_create(db, "audit", actor="test")

    events = [(e.action, e.detail) for e in audit_events(db)]
    db.dispose()
    assert [action for action, _detail in events].count("release") == 1
    assert any('"number": 1' in detail and '"responses": 34' in detail for _a, detail in events)


def test_the_release_command_names_the_release_and_refuses_with_exit_1(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    env = {
        "SURVEY_DATABASE_URL": settings.database_url,
        "SURVEY_QUESTIONNAIRES": str(AUDIT_SURVEY),
        "SURVEY_VAR_DIR": str(settings.var_dir),
    }
    send(client, answers(random.Random(8), 25, 0.4))

    checked = CliRunner().invoke(main, ["release", "audit", "--check"], env=env)
    made = CliRunner().invoke(main, ["release", "audit", "--note", "Zwischenstand"], env=env)
    refused = CliRunner().invoke(main, ["release", "audit"], env=env)
    shown = CliRunner().invoke(
        main, ["results", "audit", "--group", "arbeit", "--release", "1"], env=env
    )
    unknown = CliRunner().invoke(main, ["results", "audit", "--release", "2"], env=env)

    today = datetime.date.today().isoformat()
    assert checked.exit_code == 0, checked.output
    assert re.fullmatch(
        r"release 1 of audit would count 25 responses \(25 new\) and show \d+ of \d+ "
        r"one-way counts and \d+ of \d+ numbers; nothing released\n",
        checked.stdout,
    )
    assert made.exit_code == 0, made.output
    assert made.stdout == f"release 1 of audit: 25 responses ({today})\n"
    assert refused.exit_code == 1
    assert "Only 0 responses arrived since release 1" in refused.output
    assert shown.exit_code == 0, shown.output
    assert '"number": 1' in shown.stdout
    assert unknown.exit_code == 2
    assert "has no release 2" in unknown.output


def test_the_office_releases_from_the_admin_page_after_confirming(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, _settings = office
    send(client, answers(random.Random(9), 3, 0.4))
    login(client, "admin")

    too_few = client.get("/admin/surveys/audit/release")
    assert "weniger als 5 neue Antworten" in too_few.text
    assert "Jetzt veröffentlichen" not in too_few.text

    send(client, answers(random.Random(10), 30, 0.4), start=10)
    form = client.get("/admin/surveys/audit/release")
    assert "Jetzt veröffentlichen" in form.text
    assert re.search(r"<dt>Antworten</dt><dd>33</dd>", form.text)
    token = csrf_token(client, "/admin/surveys/audit/release")
    started = client.post(
        "/admin/surveys/audit/release",
        data={"_csrf_token": token, "note": "März-Treffen"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    done = until_ready(client, started.headers["location"])

    assert done.status_code == 200
    assert "Veröffentlichung 1 von „audit“ mit 33 Antworten" in done.text
    assert "März-Treffen" in client.get("/admin").text
    again = client.post("/admin/surveys/audit/release", data={"_csrf_token": token})
    assert again.status_code == 422
    assert "Seit Veröffentlichung 1 sind erst 0 Antworten eingegangen" in again.text


def test_the_office_is_told_before_a_later_release_with_few_new_responses(
    office: tuple[TestClient[Any], Settings],
) -> None:
    # Between two releases a count may change only by 0 or by at least k (5 here), so
    # with fewer than 10 k new responses most changes are hidden: the confirmation page
    # says so and what would be enough, but lets the office release.
    client, settings = office
    send(client, answers(random.Random(12), 30, 0.4))
    login(client, "admin")
    first = client.get("/admin/surveys/audit/release")
    release(settings.database_url, "audit")
    send(client, answers(random.Random(13), 12, 0.4), start=100)
    few = client.get("/admin/surveys/audit/release")
    send(client, answers(random.Random(14), 38, 0.4), start=200)
    plenty = client.get("/admin/surveys/audit/release")

    assert 'class="caution"' not in first.text
    assert "Seit Veröffentlichung 1 sind erst 12 Antworten eingegangen" in few.text
    assert "etwa 50 neuen Antworten" in few.text
    assert "Jetzt veröffentlichen" in few.text
    assert "erst 50 Antworten" not in plenty.text
    assert 'class="caution"' not in plenty.text
    assert "Jetzt veröffentlichen" in plenty.text


def test_the_office_checks_what_a_release_would_show_before_releasing(
    office: tuple[TestClient[Any], Settings],
) -> None:
    # A release cannot be taken back, and one made soon after another hides most of
    # what changed: "check first" runs the same audit, stores nothing and shows how much
    # the release would show beside the latest one; releasing then shows exactly that.
    client, settings = office
    send(client, answers(random.Random(15), 40, 0.4))
    login(client, "admin")
    token = csrf_token(client, "/admin/surveys/audit/release")
    first_check = until_ready(client, start(client, token, "check"))
    first = until_ready(client, start(client, token, "release"))
    send(client, answers(random.Random(16), 6, 0.4), start=100)
    second_check = until_ready(client, start(client, token, "check"))

    db = Database(settings.database_url)
    try:
        released = release_publication(db)
        made = releases_of(db, "audit")
    finally:
        db.dispose()
    shown = sum(1 for value in released.numbers.values() if value is not None)
    assert "nichts wurde bisher veröffentlicht" in first_check.text
    assert f"<td>{shown} / {len(released.numbers)}</td>" in first_check.text
    assert "Veröffentlichung 1 von „audit“ mit 40 Antworten" in first.text
    assert [r.number for r in made] == [1]  # the second check released nothing
    assert "2 würde 46 Antworten zählen, 6 davon neu" in second_check.text
    assert "weniger Antworten zeigen als die letzte" in second_check.text


def start(client: TestClient[Any], token: str, action: str) -> str:
    started = client.post(
        "/admin/surveys/audit/release",
        data={"_csrf_token": token, "action": action},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    return str(started.headers["location"])


def release_publication(db: Database) -> Publication:
    from sqlmodel import select

    from survey_app.db.tables import Release

    with db.read() as session:
        stored = session.exec(select(Release)).one()
    return Publication.loads(stored.publication)


def until_ready(client: TestClient[Any], page: str) -> Any:
    """The page of a release being made, once it no longer reloads itself."""
    deadline = time.monotonic() + 120
    while True:
        shown = client.get(page)
        if 'http-equiv="refresh"' not in shown.text or time.monotonic() > deadline:
            return shown
        time.sleep(0.1)


def test_a_release_started_on_the_admin_page_is_made_in_the_background(
    office: tuple[TestClient[Any], Settings],
) -> None:
    # The audit of a large survey takes longer than a page may (nginx: 60 s), so it runs
    # in a process of its own. While one runs, its page reloads itself and a second
    # start is refused; once its process is gone without a result, the page says it was
    # interrupted and the office can start again.
    client, settings = office
    send(client, answers(random.Random(11), 30, 0.4))
    login(client, "admin")
    token = csrf_token(client, "/admin/surveys/audit/release")
    other = subprocess.Popen(["sleep", "60"])  # another process making a release
    db = Database(settings.database_url)
    try:
        with db.write() as session:
            worker = f"{socket.gethostname()}:{other.pid}"
            job = ReleaseJob(survey_id="audit", actor="kollegin@kreis.example", worker=worker)
            session.add(job)
            session.flush()
            page = f"/admin/surveys/audit/release/{job.id}"
        running = client.get(page)
        refused = client.post("/admin/surveys/audit/release", data={"_csrf_token": token})
    finally:
        other.kill()
        other.wait()
        db.dispose()
    interrupted = client.get(page)
    started = client.post(
        "/admin/surveys/audit/release", data={"_csrf_token": token}, follow_redirects=False
    )
    done = until_ready(client, started.headers["location"])

    assert 'http-equiv="refresh"' in running.text
    assert "wird geprüft" in running.text
    assert refused.status_code == 422
    assert "Veröffentlichung 1 von „audit“ wird gerade erstellt" in refused.text
    assert "kollegin@kreis.example" in refused.text
    assert "unterbrochen" in interrupted.text
    assert 'http-equiv="refresh"' not in interrupted.text
    assert started.status_code == 303
    assert "Veröffentlichung 1 von „audit“ mit 30 Antworten" in done.text
    assert client.get("/admin/surveys/audit/release/999").status_code == 404


def test_a_member_reading_everything_through_the_api_cannot_solve_for_a_small_count(
    office: tuple[TestClient[Any], Settings],
) -> None:
    # 242 planted answers leaning to the first choices: tables of large and small counts.
    client, settings = office
    rows = answers(random.Random(242), 242, 0.25)
    send(client, rows)
    release(settings.database_url, "audit")
    login(client, "arbeit")
    attacker = Attacker(JOINT, [rows])

    hidden = {
        c: truth for results in member_reads(client) for c, truth in attacker.read(0, results)
    }

    assert hidden, "some counts are hidden"
    found = [attacker.pinned(c, 0, 0, truth, K) for c, truth in hidden.items() if truth > 0]
    assert [f for f in found if f is not None] == []


def test_two_releases_read_through_the_api_do_not_give_away_who_came_in_between(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    first, added = answers(random.Random(11), 120, 0.3), answers(random.Random(12), 12, 0.3)
    send(client, first)
    release(settings.database_url, "audit")
    login(client, "arbeit")
    attacker = Attacker(JOINT, [first, added])
    one = member_reads(client)
    send(client, added, start=1000)
    release(settings.database_url, "audit")
    two = member_reads(client)

    hidden = [(c, t, 0) for results in one for c, t in attacker.read(0, results)]
    hidden += [(c, t, 1) for results in two for c, t in attacker.read(1, results)]
    found = [attacker.pinned(c, 0, release, t, K) for c, t, release in hidden if t > 0]
    for results in two:
        for condition, truth in _differences(attacker, results):
            found.append(attacker.pinned(condition, 1, 1, truth, K))
    assert [f for f in found if f is not None] == []


def _differences(attacker: Attacker, results: dict[str, Any]) -> list[tuple[Any, int]]:
    """Every count of `results`, as the count among the responses of the second layer."""
    out = []
    for condition, _value in published_numbers(attacker.joint, results):
        out.append((condition, attacker.truth_of(condition, [1])))
    return out


def test_a_release_in_production_leaves_demo_responses_out(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    send(client, answers(random.Random(5), 12, 0.0))
    db = Database(settings.database_url)
    store_demo_responses(db, "audit", 30, seed=1)
    login(client, "admin")
    assert "42 Antworten (davon 30 Demo-Antworten" in client.get("/admin").text
    env = {
        "SURVEY_DATABASE_URL": settings.database_url,
        "SURVEY_QUESTIONNAIRES": str(AUDIT_SURVEY),
        "SURVEY_VAR_DIR": str(settings.var_dir),
        "SURVEY_ENVIRONMENT": "production",
        "SURVEY_SECRET_KEY": "a-production-secret-that-is-long-enough-0123456789",
        "SURVEY_BASE_URL": "https://umfrage.example.de",
    }

    made = CliRunner().invoke(main, ["release", "audit"], env=env)

    assert made.exit_code == 0, made.output
    assert "12 responses" in made.stdout
    [release_1] = releases_of(db, "audit")
    assert release_1.responses == 12
    [event] = [e for e in audit_events(db) if e.action == "release"]
    assert '"excluded": 30' in event.detail
    db.dispose()


def test_demo_responses_are_removed_with_the_releases_that_counted_them(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    db = Database(settings.database_url)
    store_demo_responses(db, "audit", 30, seed=1)
    release_create(db, "audit", actor="office")  # development: demo responses count
    send(client, answers(random.Random(7), 6, 0.0))
    env = {
        "SURVEY_DATABASE_URL": settings.database_url,
        "SURVEY_QUESTIONNAIRES": str(AUDIT_SURVEY),
        "SURVEY_VAR_DIR": str(settings.var_dir),
    }

    removed = CliRunner().invoke(main, ["demo", "audit", "--remove"], env=env)

    assert removed.exit_code == 0, removed.output
    assert "removed 30 demo responses and 1 release(s) of audit" in removed.output
    assert releases_of(db, "audit") == []
    assert release_create(db, "audit", actor="office").responses == 6
    assert [e.action for e in audit_events(db)][:2] == ["release", "demo_remove"]
    db.dispose()


def test_demo_needs_either_a_number_of_responses_or_remove(
    office: tuple[TestClient[Any], Settings],
) -> None:
    _client, settings = office
    env = {"SURVEY_DATABASE_URL": settings.database_url, "SURVEY_VAR_DIR": str(settings.var_dir)}
    for arguments in (["demo", "audit"], ["demo", "audit", "--responses", "3", "--remove"]):
        done = CliRunner().invoke(main, arguments, env=env)
        assert done.exit_code == 2
        assert "give either --responses N or --remove" in done.output
