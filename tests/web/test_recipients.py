"""Invitations by e-mail, against a real SMTP server started by the test: the office
imports recipients from a German Excel CSV or an XLSX file, sends personal links, sees
who answered (never what), and reminds only the others; contact data can be purged."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import io
import json
import re
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from litestar.testing import TestClient
from openpyxl import Workbook

from survey_app.app import create_app
from survey_app.cli import main
from survey_app.db.engine import Database
from survey_app.services.audit import audit_events
from survey_app.settings import Settings
from tests.conftest import ACCOUNTS, csrf_token, login
from tests.storage.conftest import STORAGE_QUESTIONNAIRES

SENDER = "Integrationsbüro Musterkreis <integration@lk.example>"
RECIPIENTS_CSV = (
    "E-Mail;Firma;Referenz;Sprache\r\n"
    "info@baecker-mueller.example;Bäckerei Müller;IHK-17;de\r\n"
    "hr@pflege.example;Pflege am Ring;;en\r\n"
    "chef@tischler.example;Tischlerei Öz;HWK-3;\r\n"
).encode("utf-8-sig")


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield handler, port
    finally:
        server.stop()


@pytest.fixture
def office(
    settings: Settings, accounts: Any, inbox: tuple[Inbox, int]
) -> Iterator[tuple[TestClient[Any], Settings, Inbox]]:
    handler, port = inbox
    settings = dataclasses.replace(
        settings,
        questionnaires=STORAGE_QUESTIONNAIRES,
        smtp_url=f"smtp://127.0.0.1:{port}",
        mail_from=SENDER,
    )
    with TestClient(app=create_app(settings)) as client:
        login(client, "admin")
        yield client, settings, handler


def upload(client: TestClient[Any], name: str, data: bytes) -> Any:
    return client.post(
        "/admin/surveys/employers/recipients",
        files={"file": (name, data)},
        data={"_csrf_token": csrf_token(client)},
    )


def press(client: TestClient[Any], action: str) -> Any:
    return client.post(
        f"/admin/surveys/employers/recipients/{action}",
        data={"_csrf_token": csrf_token(client)},
    )


def text_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def link_of(message: Message) -> str:
    found = re.search(r"^https?://\S+/s/employers\?invitation=(\S+)\s*$", text_of(message), re.M)
    assert found is not None
    return found.group(1)


def test_the_office_invites_sees_who_answered_and_reminds_only_the_others(
    office: tuple[TestClient[Any], Settings, Inbox],
) -> None:
    client, _settings, inbox = office
    client.post(
        "/admin/district",
        data={"phone": "05151 903-0", "_csrf_token": csrf_token(client, "/admin/district")},
    )
    imported = upload(client, "betriebe.csv", RECIPIENTS_CSV)
    again = upload(client, "betriebe.csv", RECIPIENTS_CSV)
    sent = press(client, "send")
    invitations = list(inbox.messages)
    by_address = {m["To"]: m for m in invitations}
    baker = next(m for to, m in by_address.items() if "baecker" in to)
    answered = client.post(
        "/api/v1/surveys/employers/responses",
        json={
            "submission_id": "b-1",
            "language": "de",
            "answers": {"staff": 4711},
            "invitation": link_of(baker),
        },
    )
    reminded = press(client, "remind")
    reminders = inbox.messages[len(invitations) :]
    page = client.get("/admin/surveys/employers/recipients")

    assert imported.status_code == 200
    assert "3 Empfänger hinzugefügt" in imported.text
    assert "0 Empfänger hinzugefügt, 3 waren schon da" in again.text
    assert "3 Einladungen verschickt" in sent.text
    assert len(invitations) == 3
    assert baker["Subject"] == "Einladung: Betriebe"
    assert "Netzwerk Integration im Landkreis Musterland" in text_of(baker)  # the profile
    assert "telefonisch unter 05151 903-0" in text_of(baker)  # set on /admin/district
    assert str(baker["To"]).startswith("Bäckerei Müller <")  # the name, decoded
    assert {p.get_content_type() for p in baker.walk()} >= {"text/plain", "text/html"}
    english = next(m for to, m in by_address.items() if "pflege" in to)
    assert english["Subject"] == "Invitation: Companies"
    assert "by phone on 05151 903-0" in text_of(english)
    assert len({link_of(m) for m in invitations}) == 3  # one personal link each
    assert answered.status_code == 201, answered.text
    assert "2 Erinnerungen verschickt" in reminded.text
    assert sorted(str(m["To"]) for m in reminders) == sorted(
        str(m["To"]) for m in invitations if m is not baker
    )
    assert {link_of(m) for m in reminders} == {link_of(m) for m in invitations if m is not baker}
    assert "<dt>hat geantwortet</dt><dd>1</dd>" in page.text
    assert "<dt>erinnert</dt><dd>2</dd>" in page.text
    assert "4711" not in re.sub(r"<[^>]+>", " ", page.text.split("<table>")[-1])  # no answers


def test_a_bad_file_names_each_bad_line_and_adds_no_one(
    office: tuple[TestClient[Any], Settings, Inbox],
) -> None:
    client, _settings, _inbox = office
    bad = b"E-Mail,Name\nok@firma.example,Firma\nkeine-adresse,Zwei\n,\nx@y,Drei\n"
    refused = upload(client, "liste.csv", bad)
    no_column = upload(client, "liste.csv", b"Name;Ort\nFirma;Kreis\n")
    page = client.get("/admin/surveys/employers/recipients")
    assert refused.status_code == 422
    assert "liste.csv Zeile 3: „keine-adresse“ ist keine E-Mail-Adresse" in refused.text
    assert "liste.csv Zeile 5" in refused.text
    assert no_column.status_code == 422
    assert "keine Spalte „E-Mail“" in no_column.text
    assert "<table>" not in page.text


def test_recipients_come_from_an_xlsx_workbook(
    office: tuple[TestClient[Any], Settings, Inbox],
) -> None:
    client, _settings, _inbox = office
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Name", "E-Mail"])
    sheet.append(["Autohaus Demir", "service@autohaus.example"])
    sheet.append(['=HYPERLINK("x")', "kontakt@praxis.example"])
    data = io.BytesIO()
    workbook.save(data)
    imported = upload(client, "liste.xlsx", data.getvalue())
    assert imported.status_code == 200
    assert "2 Empfänger hinzugefügt" in imported.text
    assert "service@autohaus.example" in imported.text


def test_without_a_reachable_mail_server_nothing_is_marked_sent(
    office: tuple[TestClient[Any], Settings, Inbox], settings: Settings, accounts: Any
) -> None:
    client, configured, _inbox = office
    upload(client, "betriebe.csv", RECIPIENTS_CSV)
    offline = dataclasses.replace(configured, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    with TestClient(app=create_app(offline)) as other:
        login(other, "admin")
        failed = press(other, "send")
    assert failed.status_code == 503
    assert "Der Mailserver hat abgelehnt oder war nicht erreichbar" in failed.text
    assert "<dt>noch nicht verschickt</dt><dd>3</dd>" in failed.text


def test_links_to_this_computer_are_flagged_where_the_office_makes_links(
    office: tuple[TestClient[Any], Settings, Inbox],
) -> None:
    """In development `SURVEY_BASE_URL` may point to this computer: the pages that make
    links for recipients (the mailing, the link lists) say that they will not work."""
    client, configured, _inbox = office
    recipients = client.get("/admin/surveys/employers/recipients")
    overview = client.get("/admin")
    english = client.get("/admin/surveys/employers/recipients?lang=en")
    # Plain http: the test client sends no cookie marked secure (https would).
    public = dataclasses.replace(configured, base_url="http://umfrage.lk.example")
    with TestClient(app=create_app(public)) as other:
        login(other, "admin")
        public_recipients = other.get("/admin/surveys/employers/recipients")
        public_overview = other.get("/admin")

    warning = "Links nur auf diesen Computer"
    assert configured.base_url == "http://127.0.0.1:8000"
    assert warning in recipients.text
    assert "funktionieren bei den Empfängern nicht" in recipients.text
    assert "<code>http://127.0.0.1:8000</code>" in recipients.text
    assert warning in overview.text  # above the form of the link lists
    assert "will not work for recipients" in english.text
    assert warning not in public_recipients.text
    assert warning not in public_overview.text
    assert "Einladungen verschicken" in public_recipients.text


def test_the_office_deletes_the_contact_data_after_confirming_and_the_links_still_work(
    office: tuple[TestClient[Any], Settings, Inbox], db: Database
) -> None:
    client, _settings, inbox = office
    upload(client, "betriebe.csv", RECIPIENTS_CSV)
    press(client, "send")
    before = client.get("/admin/surveys/employers/recipients")
    asked = press(client, "purge")
    still_there = client.get("/admin/surveys/employers/recipients")
    deleted = client.post(
        "/admin/surveys/employers/recipients/purge",
        data={"confirmed": "yes", "_csrf_token": csrf_token(client)},
    )
    link = client.get(f"/s/employers?invitation={link_of(inbox.messages[0])}")

    assert "Kontaktdaten löschen …</button>" in before.text
    assert asked.status_code == 200
    assert "Die Kontaktdaten aller 3 Empfänger löschen?" in asked.text
    assert "info@baecker-mueller.example" in still_there.text  # asking deleted nothing
    assert deleted.status_code == 200
    assert "Die Kontaktdaten von 3 Empfängern wurden gelöscht." in deleted.text
    for address in ("info@baecker-mueller.example", "hr@pflege.example", "chef@tischler"):
        assert address not in deleted.text
    assert "<dt>eingeladen</dt><dd>0</dd>" in deleted.text
    [event] = [e for e in audit_events(db) if e.action == "contacts_purge"]
    assert event.actor == ACCOUNTS["admin"][0]
    assert json.loads(event.detail) == {"survey": "employers", "recipients": 3}
    assert link.status_code == 200  # the personal links keep working


def command_line_set_up(
    settings: Settings,
    port: int,
    tmp_path: Path,
    monkeypatch: Any,
    base_url: str = "https://umfrage.lk.example",
) -> Path:
    """The environment of `survey-app invitations` against the test's SMTP server; returns
    a file of three recipients."""
    recipients = tmp_path / "betriebe.csv"
    recipients.write_bytes(RECIPIENTS_CSV)
    for name, value in {
        "SURVEY_DATABASE_URL": settings.database_url,
        "SURVEY_QUESTIONNAIRES": str(STORAGE_QUESTIONNAIRES),
        "SURVEY_VAR_DIR": str(tmp_path / "var"),
        "SURVEY_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "SURVEY_MAIL_FROM": SENDER,
        "SURVEY_BASE_URL": base_url,
    }.items():
        monkeypatch.setenv(name, value)
    return recipients


def test_the_command_line_sends_reminds_and_purges_contacts(
    settings: Settings, inbox: tuple[Inbox, int], tmp_path: Path, monkeypatch: Any
) -> None:
    handler, port = inbox
    recipients = command_line_set_up(settings, port, tmp_path, monkeypatch)
    runner = CliRunner()

    sent = runner.invoke(
        main, ["invitations", "send", "employers", "--recipients", str(recipients)]
    )
    reminded = runner.invoke(main, ["invitations", "remind", "employers"])
    purged = runner.invoke(main, ["purge", "--contacts", "employers"])
    nothing_left = runner.invoke(main, ["invitations", "remind", "employers"])

    assert sent.exit_code == 0, sent.output
    assert "recipients added: 3" in sent.output
    assert "invitations sent: 3, failed: 0" in sent.output
    assert "reminders sent: 3, failed: 0" in reminded.output
    assert len(handler.messages) == 6
    assert "contacts deleted: employers: 3" in purged.output
    assert "reminders sent: 0, failed: 0" in nothing_left.output


def test_the_command_line_warns_that_letters_link_to_this_computer(
    settings: Settings, inbox: tuple[Inbox, int], tmp_path: Path, monkeypatch: Any
) -> None:
    _handler, port = inbox
    recipients = command_line_set_up(
        settings, port, tmp_path, monkeypatch, base_url="http://127.0.0.1:8000"
    )

    sent = CliRunner().invoke(
        main, ["invitations", "send", "employers", "--recipients", str(recipients)]
    )

    assert sent.exit_code == 0, sent.output
    assert "invitations sent: 3, failed: 0" in sent.output
    assert (
        "warning: the link in every letter points to this computer (http://127.0.0.1:8000)"
        in sent.output
    )
