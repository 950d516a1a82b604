"""Who may see what: the authorisation matrix, login, CSRF, rate limits, headers, errors."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar import get
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import ReleaseJob
from survey_app.services.audit import audit_events
from survey_app.services.demo import store_demo_responses
from survey_app.services.questionnaires import questionnaire_upload
from survey_app.settings import Settings
from survey_app.web.guards import GUARDS
from tests.conftest import (
    PASSWORD,
    app_settings,
    create_accounts,
    csrf_token,
    empty_database,
    login,
    release,
)
from tests.storage.conftest import STORAGE_QUESTIONNAIRES

ANONYMOUS = "anonymous"
ANY_ACCOUNT = "*"
# (route, the group whose members may see it (None: admins only, ANY_ACCOUNT: everyone
# logged in), is it a page?)
ROUTES = [
    ("/results", ANY_ACCOUNT, True),
    ("/api/v1/results/newcomer?group=arbeit", "arbeit", False),
    ("/api/v1/results/company?group=arbeit", "arbeit", False),
    ("/api/v1/results/newcomer?group=arbeit&by=german_level", "arbeit", False),
    ("/api/v1/results/newcomer?group=sprache", "sprache", False),
    ("/api/v1/results/newcomer", None, False),
    ("/api/v1/results/newcomer?group=arbeit&live=1", None, False),
    ("/results/arbeit?survey=newcomer&live=1", None, True),
    ("/results/arbeit?survey=newcomer", "arbeit", True),
    ("/results/arbeit?survey=company&by=company_size", "arbeit", True),
    ("/results/sprache?survey=newcomer", "sprache", True),
    ("/results/arbeit/report?survey=newcomer", "arbeit", True),
    ("/results/arbeit/report.pdf?survey=newcomer", "arbeit", True),
    ("/results/arbeit/report.pdf?survey=newcomer&live=1", None, True),
    ("/results/arbeit/export.xlsx?survey=newcomer", "arbeit", True),
    ("/results/arbeit/export.csv?survey=newcomer", "arbeit", True),
    ("/results/arbeit/slides.pptx?survey=newcomer", "arbeit", True),
    ("/results/arbeit/present?survey=newcomer&slide=1", "arbeit", True),
    ("/results/sprache/export.xlsx?survey=newcomer", "sprache", True),
    ("/admin", None, True),
    ("/admin/users", None, True),
    ("/admin/audit", None, True),
    ("/admin/surveys/newcomer/responses.csv", None, True),
    ("/admin/surveys/company/responses.xlsx", None, True),
    ("/admin/surveys/newcomer/responses.sav", None, True),
    ("/admin/surveys/newcomer/release", None, True),
    ("/admin/surveys/newcomer/release/1", None, True),
    ("/admin/surveys/newcomer/fieldwork", None, True),
    ("/admin/surveys/newcomer/responses", None, True),
    ("/admin/surveys/newcomer/responses/1", None, True),
    ("/admin/surveys/newcomer/texts", None, True),
    ("/admin/surveys/newcomer/texts/comment", None, True),
    ("/admin/surveys/company/recipients", None, True),
    ("/admin/questionnaires", None, True),
    ("/admin/questionnaires/1", None, True),
    ("/admin/questionnaires/1/preview?lang=ar&page=0", None, True),
    ("/admin/questionnaires/published/newcomer/1/xlsform", None, True),
    ("/admin/district", None, True),
]
# State-changing admin forms: (route, form fields).
ADMIN_ACTIONS = [
    ("/admin/surveys/newcomer/close", {"confirmed": "yes"}),
    ("/admin/surveys/newcomer/open", {"confirmed": "yes"}),
    ("/admin/surveys/company/invitations", {"count": "2", "label": "Matrix"}),
    ("/admin/surveys/company/release", {"note": "Matrix"}),
    ("/admin/users", {"email": "neu@netzwerk.example", "password": "ein langes Passwort 42"}),
    ("/admin/users/1/password", {"password": "ein anderes langes Passwort"}),
    ("/admin/users/2/remove", {}),
    ("/admin/surveys/newcomer/responses/status", {"new_status": "approved"}),
    ("/admin/surveys/newcomer/responses/1/status", {"new_status": "approved"}),
    ("/admin/surveys/newcomer/texts/comment/categories", {"label": "Matrix"}),
    ("/admin/surveys/newcomer/texts/comment/categories/1/remove", {}),
    ("/admin/surveys/newcomer/texts/comment/answers/1", {"text": "Matrix", "released": "yes"}),
    ("/admin/surveys/company/recipients", {}),
    ("/admin/surveys/company/recipients/send", {}),
    ("/admin/surveys/company/recipients/remind", {}),
    ("/admin/surveys/company/recipients/purge", {"confirmed": "yes"}),
    ("/admin/questionnaires", {}),
    ("/admin/questionnaires/1/publish", {"confirmed": "yes"}),
    ("/admin/questionnaires/1/preview", {"nav:action": "start"}),
    ("/admin/questionnaires/1/preview/refresh", {"nav:page": "0"}),
    ("/admin/questionnaires/1/discard", {}),
    ("/admin/district", {"district": "Matrixkreis"}),
    ("/admin/district/logo", {}),
    ("/admin/district/logo/remove", {}),
]
# State-changing forms of a group's members (and admins): (route, group, form fields).
GROUP_ACTIONS = [
    ("/results/arbeit/breakdowns", "arbeit", {"survey": "newcomer"}),
]
ROLES = [ANONYMOUS, "admin", "arbeit", "sprache"]


def expected_status(role: str, group: str | None, is_page: bool) -> int:
    if role == ANONYMOUS:
        return 303 if is_page else 401
    if role == "admin" or role == group or group == ANY_ACCOUNT:
        return 200
    return 403


def seed(settings: Settings) -> None:
    """A few responses in each of the project's surveys, an uploaded questionnaire, a
    failed release job and a release of each survey (run inside the app's lifespan: it
    publishes the surveys)."""
    db = Database(settings.database_url)
    try:
        store_demo_responses(db, "newcomer", 20, seed=1)
        store_demo_responses(db, "company", 20, seed=1)
        questionnaire_upload(
            db,
            filename="feedback.yaml",
            data=(STORAGE_QUESTIONNAIRES / "feedback.yaml").read_bytes(),
            actor="test",
        )
        with db.write() as session:
            # A release the admin page could not make: its page, without a thread.
            session.add(
                ReleaseJob(survey_id="newcomer", actor="test", worker="-:1", state="failed")
            )
    finally:
        db.dispose()
    release(settings.database_url, "newcomer", "company")


@pytest.fixture
def app_client(settings: Settings, accounts: object) -> Iterator[Any]:
    """The app on the project's surveys with the test accounts and no responses, for a
    test of logins, sessions and headers that may change its state (locked accounts)."""
    with TestClient(app=create_app(settings)) as client:
        yield client


@pytest.fixture
def released_client(app_client: Any, settings: Settings) -> Any:
    """`app_client` seeded: responses and a release of each survey."""
    seed(settings)
    return app_client


@pytest.fixture(scope="session")
def shared_app(
    tmp_path_factory: pytest.TempPathFactory, database_under_test: str | None
) -> Iterator[tuple[Any, Settings]]:
    """One seeded app per test process for the matrix below, whose every request only
    reads or is refused (seeding takes seconds; the matrix has ~150 cases)."""
    directory = tmp_path_factory.mktemp("access")
    with empty_database(directory) as database_url:
        settings = app_settings(database_url, directory)
        create_accounts(database_url)
        with TestClient(app=create_app(settings)) as client:
            seed(settings)
            yield client, settings


@pytest.fixture
def matrix_client(shared_app: tuple[Any, Settings]) -> Iterator[Any]:
    """The shared app's client with no session: each case logs in on its own."""
    client, _settings = shared_app
    client.cookies.clear()
    yield client
    client.cookies.clear()


@pytest.mark.xdist_group("access-matrix")
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "group", "is_page"), ROUTES)
def test_authorisation_matrix(
    matrix_client: Any, role: str, route: str, group: str | None, is_page: bool
) -> None:
    if role != ANONYMOUS:
        login(matrix_client, role)
    response = matrix_client.get(route, follow_redirects=False)
    assert response.status_code == expected_status(role, group, is_page), response.text
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login?next=")


@pytest.mark.xdist_group("access-matrix")
@pytest.mark.parametrize("role", [ANONYMOUS, "arbeit"])
@pytest.mark.parametrize(("route", "fields"), ADMIN_ACTIONS)
def test_admin_actions_are_refused_to_everyone_but_admins(
    matrix_client: Any,
    shared_app: tuple[Any, Settings],
    role: str,
    route: str,
    fields: dict[str, str],
) -> None:
    settings = shared_app[1]
    if role != ANONYMOUS:
        login(matrix_client, role)
    token = csrf_token(matrix_client, "/login" if role == ANONYMOUS else "/results")
    changes_before = admin_changes(settings)
    response = matrix_client.post(
        route, data={**fields, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == expected_status(role, None, is_page=True), response.text
    if role == ANONYMOUS:
        assert response.headers["location"].startswith("/login?next=")
    assert admin_changes(settings) == changes_before


@pytest.mark.xdist_group("access-matrix")
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "group", "fields"), GROUP_ACTIONS)
def test_group_actions_are_for_the_groups_members_and_admins(
    matrix_client: Any, role: str, route: str, group: str, fields: dict[str, str]
) -> None:
    if role != ANONYMOUS:
        login(matrix_client, role)
    token = csrf_token(matrix_client, "/login" if role == ANONYMOUS else "/results")
    response = matrix_client.post(
        route, data={**fields, "_csrf_token": token}, follow_redirects=False
    )
    # Done, the answer is a redirect back to the page (303), as for the login.
    expected = 303 if expected_status(role, group, is_page=True) in (200, 303) else 403
    assert response.status_code == expected, response.text
    if role == ANONYMOUS:
        assert response.headers["location"].startswith("/login?next=")


GUARDED_PREFIXES = ("/admin", "/results", "/api/v1/results")


def test_every_admin_and_results_route_is_guarded_and_in_the_matrix(settings: Settings) -> None:
    """A new route under /admin or /results is refused until it has a guard and a line in
    the matrix above (so it is tested for every role)."""
    matrix = [("GET", urlsplit(route).path) for route, _group, _page in ROUTES]
    matrix += [("POST", route) for route, _fields in ADMIN_ACTIONS]
    matrix += [("POST", route) for route, _group, _fields in GROUP_ACTIONS]
    checked = 0
    for route in create_app(settings).routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(GUARDED_PREFIXES):
            continue
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", route.path) + "/?$")
        for handler in route.route_handlers:
            guards = [guard for guard in handler.resolve_guards() if guard in GUARDS]
            assert guards, f"{route.path} has no guard of survey_app.web.guards"
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                assert any(method == listed and pattern.match(path) for listed, path in matrix), (
                    f"{method} {route.path} is missing from the authorisation matrix"
                )
                checked += 1
    assert checked >= len(ROUTES) // 2  # the walk found the app's routes


def admin_changes(settings: Settings) -> list[int | None]:
    """The audited events other than logins: every admin action writes one."""
    database = Database(settings.database_url)
    try:
        events = audit_events(database, limit=1000)
        return [event.id for event in events if not event.action.startswith("login")]
    finally:
        database.dispose()


def test_login_sets_a_fresh_http_only_session_cookie(app_client: Any) -> None:
    app_client.get("/login")
    before = app_client.cookies.get("survey_session")
    response = login(app_client, "arbeit")
    cookie = response.headers["set-cookie"]
    assert "survey_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie or "samesite=lax" in cookie.lower()
    assert app_client.cookies.get("survey_session") != before


def test_logout_ends_the_session(app_client: Any) -> None:
    login(app_client, "admin")
    assert app_client.get("/admin/users", follow_redirects=False).status_code == 200
    token = csrf_token(app_client)
    response = app_client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    after = app_client.get("/admin/users", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login?next=")


def test_unknown_email_and_wrong_password_get_the_same_answer(app_client: Any) -> None:
    answers = []
    for email in ("nobody@example.org", "arbeit@netzwerk.example"):
        response = app_client.post(
            "/login",
            data={
                "email": email,
                "password": "wrong password!",
                "_csrf_token": csrf_token(app_client),
            },
            headers={"accept": "text/html"},
        )
        answers.append((response.status_code, response.text.replace(email, "EMAIL")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 401


def test_failed_and_successful_logins_are_audited_without_passwords(
    app_client: Any, settings: Settings
) -> None:
    app_client.post(
        "/login",
        data={
            "email": "arbeit@netzwerk.example",
            "password": "guess-guess-guess",
            "_csrf_token": csrf_token(app_client),
        },
    )
    login(app_client, "arbeit")
    db = Database(settings.database_url)
    events = [(event.actor, event.action, event.detail) for event in audit_events(db)]
    db.dispose()
    assert ("arbeit@netzwerk.example", "login", "{}") in events
    assert ("arbeit@netzwerk.example", "login_failed", "{}") in events
    assert not any("guess" in detail or PASSWORD in detail for _, _, detail in events)


def test_thirty_wrong_passwords_in_a_row_get_429_with_retry_after(app_client: Any) -> None:
    token = csrf_token(app_client)
    statuses = [
        app_client.post(
            "/login",
            data={
                "email": "arbeit@netzwerk.example",
                "password": f"wrong-{i:04d}-password",
                "_csrf_token": token,
            },
        )
        for i in range(30)
    ]
    codes = [response.status_code for response in statuses]
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429] * 20
    assert int(statuses[-1].headers["retry-after"]) > 0


def test_a_locked_account_cannot_log_in_even_with_the_right_password(app_client: Any) -> None:
    token = csrf_token(app_client)
    for i in range(10):
        app_client.post(
            "/login",
            data={
                "email": "sprache@netzwerk.example",
                "password": f"nope-{i}-nope-nope",
                "_csrf_token": token,
            },
        )
    response = app_client.post(
        "/login",
        data={"email": "sprache@netzwerk.example", "password": PASSWORD, "_csrf_token": token},
    )
    assert response.status_code == 429


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_a_form_post_without_csrf_token_is_refused(app_client: Any, path: str) -> None:
    app_client.get("/login")
    response = app_client.post(
        path, data={"email": "admin@landkreis.example", "password": PASSWORD}
    )
    assert response.status_code == 403


def test_next_after_login_stays_on_this_site(app_client: Any) -> None:
    response = app_client.post(
        "/login",
        data={
            "email": "admin@landkreis.example",
            "password": PASSWORD,
            "next": "//evil.example/x",
            "_csrf_token": csrf_token(app_client),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/results"


@pytest.mark.parametrize(
    "path", ["/login", "/api/v1/surveys", "/static/app.css", "/no/such/page", "/api/v1/nothing"]
)
def test_security_headers_are_on_every_response(app_client: Any, path: str) -> None:
    response = app_client.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in response.headers["permissions-policy"]
    assert "server" not in response.headers


def test_unknown_routes_are_404_as_json_for_the_api_and_html_for_pages(app_client: Any) -> None:
    api = app_client.get("/api/v1/nothing")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")
    page = app_client.get("/no/such/page", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


def test_an_unexpected_error_shows_a_request_id_and_no_traceback(settings: Settings) -> None:
    @get("/test-only/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app = create_app(settings)
    app.register(boom)
    with TestClient(app=app) as client:
        page = client.get("/test-only/boom", headers={"accept": "text/html"})
        api = client.get("/test-only/boom", headers={"accept": "application/json"})
    assert page.status_code == 500
    assert "request id" in page.text
    assert "secret internal detail" not in page.text
    assert "Traceback" not in page.text
    assert api.json()["request_id"] in api.json()["detail"]


def test_anonymous_submissions_are_rate_limited_per_client(settings: Settings) -> None:
    limited = dataclasses.replace(settings, submission_rate_limit=3)
    body = {"language": "de", "answers": {}}
    with TestClient(app=create_app(limited)) as client:
        codes = [
            client.post(
                "/api/v1/surveys/newcomer/responses", json={**body, "submission_id": f"s{i}"}
            ).status_code
            for i in range(4)
        ]
        last = client.post(
            "/api/v1/surveys/newcomer/responses", json={**body, "submission_id": "x"}
        )
    assert 429 not in codes[:3]
    assert codes[3] == 429
    assert int(last.headers["retry-after"]) > 0


def test_a_removed_account_loses_access_at_once(released_client: Any, settings: Settings) -> None:
    from survey_app.services.accounts import user_remove

    login(released_client, "arbeit")
    assert released_client.get("/api/v1/results/newcomer?group=arbeit").status_code == 200
    db = Database(settings.database_url)
    user_remove(db, email="arbeit@netzwerk.example", actor="test")
    db.dispose()
    assert released_client.get("/api/v1/results/newcomer?group=arbeit").status_code == 401


def test_a_member_cannot_break_results_down_by_another_groups_question(
    released_client: Any,
) -> None:
    login(released_client, "arbeit")
    response = released_client.get("/api/v1/results/newcomer?group=arbeit&by=housing_situation")
    assert response.status_code == 422
    assert "not a question of working group 'arbeit'" in response.json()["detail"]
