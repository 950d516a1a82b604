"""The admin pages: surveys, open/close, invitations, users, row-level exports, audit log;
and the limits on guessing resume codes and invitation links."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook

from survey_app.app import create_app
from survey_app.services.audit import audit_events
from survey_app.settings import Settings
from survey_app.web.security import GUESSES_ALLOWED
from tests.conftest import csrf_token, login
from tests.web.respondent import NEWCOMER_PAGES, Respondent
from tests.web.test_respond_invitations import COMPANY_PAGES

NEW_MEMBER = "wohnen@netzwerk.example"
NEW_PASSWORD = "a long and uncommon passphrase"


@pytest.fixture
def admin(settings: Settings, accounts: object) -> Iterator[TestClient[Any]]:
    """The app with an admin logged in."""
    with TestClient(app=create_app(settings)) as client:
        login(client, "admin")
        yield client


def post_form(client: TestClient[Any], path: str, **data: Any) -> Any:
    """Submit a form of the admin pages, with the CSRF token a browser would send."""
    data["_csrf_token"] = csrf_token(client, "/admin")
    return client.post(path, data=data, follow_redirects=False)


def create_invitations(client: TestClient[Any], count: int, label: str = "März") -> list[str]:
    response = post_form(
        client, "/admin/surveys/company/invitations", count=str(count), label=label, format="csv"
    )
    assert response.status_code == 201, response.text
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    return [parse_qs(urlparse(row["link"]).query)["invitation"][0] for row in rows]


def answer_company(client: TestClient[Any], token: str, comment: str = "Gute Idee.") -> Any:
    pages = [*COMPANY_PAGES[:-1], {"comment": comment}]
    return Respondent(client, "company", invitation=token).answer_all(pages)


@pytest.mark.parametrize("path", ["/admin", "/admin/users", "/admin/audit"])
def test_every_admin_page_renders_for_an_admin(admin: TestClient[Any], path: str) -> None:
    page = admin.get(path, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'name="_csrf_token"' in page.text  # the logout form at least


def test_the_overview_lists_surveys_with_versions_and_response_counts(
    admin: TestClient[Any],
) -> None:
    Respondent(admin, "newcomer").answer_all(NEWCOMER_PAGES)
    page = admin.get("/admin").text
    newcomer = page[page.index('id="survey-newcomer"') :]
    assert "1 Antworten" in newcomer
    assert re.search(r"<td>1</td><td>[^<]*</td><td>\d{4}-\d\d-\d\d</td><td>1</td>", newcomer)
    assert 'id="survey-company"' in page


def test_closing_a_survey_hides_it_from_the_start_page_and_refuses_answers(
    admin: TestClient[Any],
) -> None:
    assert "/s/newcomer" in admin.get("/").text
    asked = post_form(admin, "/admin/surveys/newcomer/close")
    assert asked.status_code == 200
    assert "Ja, schließen" in asked.text
    assert "/s/newcomer" in admin.get("/").text  # nothing happens before the confirmation
    closed = post_form(admin, "/admin/surveys/newcomer/close", confirmed="yes")
    assert closed.status_code == 303
    assert "/s/newcomer" not in admin.get("/").text
    respondent = Respondent(admin, "newcomer")
    assert respondent.start().status_code == 403
    post_form(admin, "/admin/surveys/newcomer/open", confirmed="yes")
    assert "/s/newcomer" in admin.get("/").text
    assert respondent.start().status_code == 200


def test_opening_an_unknown_survey_is_404(admin: TestClient[Any]) -> None:
    assert post_form(admin, "/admin/surveys/nothing/open").status_code == 404
    assert post_form(admin, "/admin/surveys/nothing/open", confirmed="yes").status_code == 404


def test_created_invitations_download_as_csv_with_links_that_work_exactly_once(
    admin: TestClient[Any],
) -> None:
    response = post_form(
        admin, "/admin/surveys/company/invitations", count="3", label="März", format="csv"
    )
    assert response.headers["content-type"].startswith("text/csv")
    # German Excel opens it in columns: semicolons, UTF-8 with a byte-order mark.
    assert response.content.startswith("\ufefflabel;link\r\n".encode())
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    tokens = create_invitations(admin, 3)
    assert len(set(tokens)) == 3
    for token in tokens:
        assert Respondent(admin, "company", invitation=token).open().status_code == 200
    assert "Vielen Dank" in answer_company(admin, tokens[0]).text
    assert Respondent(admin, "company", invitation=tokens[0]).open().status_code == 403
    assert Respondent(admin, "company", invitation=tokens[1]).open().status_code == 200


def test_created_invitations_download_as_an_excel_workbook_by_default(
    admin: TestClient[Any],
) -> None:
    response = post_form(admin, "/admin/surveys/company/invitations", count="2", label="=1+1")
    assert response.status_code == 201
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="company-invitations.xlsx"' in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == ["label", "link"]
    assert [label for label, _link in rows] == ["'=1+1"] * 2
    for _label, link in rows:
        [token] = parse_qs(urlparse(link).query)["invitation"]
        assert Respondent(admin, "company", invitation=token).open().status_code == 200


def test_a_link_list_in_an_unknown_format_creates_no_invitations(
    admin: TestClient[Any],
) -> None:
    response = post_form(admin, "/admin/surveys/company/invitations", count="2", format="pdf")
    assert response.status_code == 422
    assert re.search(r"0 erstellt", admin.get("/admin").text)


def test_the_overview_counts_used_and_unused_invitations_and_never_shows_tokens(
    admin: TestClient[Any],
) -> None:
    tokens = create_invitations(admin, 2)
    answer_company(admin, tokens[0])
    page = admin.get("/admin").text
    assert re.search(r"2 erstellt, 1 benutzt,\s+1 unbenutzt", page)
    assert not any(token in page for token in tokens)


@pytest.mark.parametrize("count", ["0", "5001", "many"])
def test_a_bad_invitation_count_is_refused_with_422(admin: TestClient[Any], count: str) -> None:
    response = post_form(admin, "/admin/surveys/company/invitations", count=count)
    assert response.status_code == 422
    assert 'role="alert"' in response.text


def test_the_anonymous_survey_has_no_invitations(admin: TestClient[Any]) -> None:
    response = post_form(admin, "/admin/surveys/newcomer/invitations", count="3")
    assert response.status_code == 422


def test_invitation_creation_is_audited_with_the_count_and_no_token(
    admin: TestClient[Any], settings: Settings
) -> None:
    from survey_app.db.engine import Database

    tokens = create_invitations(admin, 4)
    database = Database(settings.database_url)
    [event] = [e for e in audit_events(database) if e.action == "invitations_create"]
    database.dispose()
    assert '"count": 4' in event.detail
    assert not any(token in event.detail for token in tokens)


def test_an_admin_adds_a_member_who_can_log_in(admin: TestClient[Any]) -> None:
    response = post_form(
        admin, "/admin/users", email=NEW_MEMBER, password=NEW_PASSWORD, group=["wohnen", "arbeit"]
    )
    assert response.status_code == 303
    users = admin.get("/admin/users").text
    assert NEW_MEMBER in users
    assert "arbeit, wohnen" in users
    admin.post("/logout", data={"_csrf_token": csrf_token(admin)})
    logged_in = admin.post(
        "/login",
        data={"email": NEW_MEMBER, "password": NEW_PASSWORD, "_csrf_token": csrf_token(admin)},
        follow_redirects=False,
    )
    assert logged_in.status_code == 303
    assert admin.get("/admin", follow_redirects=False).status_code == 403


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": NEW_MEMBER, "password": "too short", "group": "wohnen"}, "12"),
        ({"email": NEW_MEMBER, "password": NEW_PASSWORD}, "mindestens eine Arbeitsgruppe"),
        ({"email": NEW_MEMBER, "password": NEW_PASSWORD, "group": "kegeln"}, "kegeln"),
        (
            {"email": "not-an-address", "password": NEW_PASSWORD, "admin": "on"},
            "keine E-Mail-Adresse",
        ),
        (
            {"email": "arbeit@netzwerk.example", "password": NEW_PASSWORD, "admin": "on"},
            "gibt es schon",
        ),
    ],
)
def test_a_refused_account_is_explained_next_to_the_form_with_422(
    admin: TestClient[Any], fields: dict[str, Any], message: str
) -> None:
    response = post_form(admin, "/admin/users", **fields)
    assert response.status_code == 422
    [alert] = re.findall(r'role="alert"[^>]*>([^<]*)<', response.text)
    assert message in alert
    assert NEW_MEMBER not in re.sub(r'role="alert"[^>]*>[^<]*<', "", response.text)


def _user_id(client: TestClient[Any], email: str) -> str:
    page = client.get("/admin/users").text
    row = page[page.index(f"<td>{email}</td>") :]
    match = re.search(r'action="/admin/users/(\d+)/remove"', row)
    assert match
    return match.group(1)


def test_an_admin_removes_a_member_and_the_removal_is_audited(
    admin: TestClient[Any], settings: Settings
) -> None:
    from survey_app.db.engine import Database

    user_id = _user_id(admin, "sprache@netzwerk.example")
    response = post_form(admin, f"/admin/users/{user_id}/remove")
    assert response.status_code == 303
    assert "sprache@netzwerk.example" not in admin.get("/admin/users").text
    database = Database(settings.database_url)
    actions = [(e.actor, e.action) for e in audit_events(database)]
    database.dispose()
    assert ("admin@landkreis.example", "user_remove") in actions


def test_an_admin_cannot_remove_their_own_account(admin: TestClient[Any]) -> None:
    user_id = _user_id(admin, "admin@landkreis.example")
    response = post_form(admin, f"/admin/users/{user_id}/remove")
    assert response.status_code == 422
    assert "admin@landkreis.example" in admin.get("/admin/users").text


def test_an_admin_sets_a_new_password(admin: TestClient[Any]) -> None:
    user_id = _user_id(admin, "arbeit@netzwerk.example")
    short = post_form(admin, f"/admin/users/{user_id}/password", password="short")
    assert short.status_code == 422
    changed = post_form(admin, f"/admin/users/{user_id}/password", password=NEW_PASSWORD)
    assert changed.status_code == 200
    assert "arbeit@netzwerk.example" in changed.text


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_row_level_exports_neutralise_formulas(admin: TestClient[Any], file_format: str) -> None:
    [token] = create_invitations(admin, 1)
    answer_company(admin, token, comment='=HYPERLINK("http://evil.example","klick")')
    response = admin.get(f"/admin/surveys/company/responses.{file_format}")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(response.content), read_only=True)["responses"]
        rows = [[str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert len(rows) == 2
    [comment] = [cell for cell in rows[1] if "HYPERLINK" in cell]
    assert comment.startswith("'=")


@pytest.mark.parametrize("who", ["arbeit", None])
def test_row_level_exports_are_for_admins_only(
    settings: Settings, accounts: object, who: str | None
) -> None:
    with TestClient(app=create_app(settings)) as client:
        if who:
            login(client, who)
        response = client.get("/admin/surveys/newcomer/responses.csv", follow_redirects=False)
    assert response.status_code == (403 if who else 303)


def test_an_export_of_an_unknown_survey_or_format_is_404(admin: TestClient[Any]) -> None:
    assert admin.get("/admin/surveys/nothing/responses.csv").status_code == 404
    assert admin.get("/admin/surveys/newcomer/responses.pdf").status_code == 404


def test_the_audit_log_shows_who_did_what_newest_first(admin: TestClient[Any]) -> None:
    post_form(admin, "/admin/surveys/newcomer/close", confirmed="yes")
    admin.get("/admin/surveys/newcomer/responses.xlsx")
    page = admin.get("/admin/audit").text
    actions = re.findall(r"<td>(login|survey_close|export_rows|user_add)</td>", page)
    assert actions[:3] == ["export_rows", "survey_close", "login"]
    assert "user_add" in actions
    assert "admin@landkreis.example" in page
    assert "&#34;format&#34;: &#34;xlsx&#34;" in page or "&quot;format&quot;" in page


@pytest.mark.parametrize(
    "path",
    [
        "/admin/surveys/newcomer/close",
        "/admin/surveys/newcomer/open",
        "/admin/surveys/company/invitations",
        "/admin/users",
        "/admin/users/1/password",
        "/admin/users/1/remove",
    ],
)
def test_an_admin_form_without_csrf_token_is_refused(admin: TestClient[Any], path: str) -> None:
    response = admin.post(
        path,
        data={"count": "1", "email": NEW_MEMBER, "password": NEW_PASSWORD, "group": "arbeit"},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 403
    assert "Dieses Formular ist abgelaufen." in response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "is_open" not in response.text
    assert "2 erstellt" not in admin.get("/admin").text


def test_resume_code_guessing_gets_429_with_retry_after(client: TestClient[Any]) -> None:
    respondent = Respondent(client, "newcomer")
    data = {"_csrf_token": respondent.csrf(), "code": "AAAAA-BBBBB", "nav:action": "resume"}
    codes = [
        client.post("/s/newcomer/resume", data=data).status_code for _ in range(GUESSES_ALLOWED + 1)
    ]
    assert codes[:GUESSES_ALLOWED] == [422] * GUESSES_ALLOWED
    assert codes[GUESSES_ALLOWED] == 429
    refused = client.post("/s/newcomer/resume", data=data)
    assert int(refused.headers["retry-after"]) > 0


def test_invitation_guessing_gets_429_even_for_a_right_link(admin: TestClient[Any]) -> None:
    [token] = create_invitations(admin, 1)
    for guess in range(GUESSES_ALLOWED):
        assert admin.get(f"/s/company?invitation=guess{guess}").status_code == 404
    assert admin.get(f"/s/company?invitation={token}").status_code == 429
