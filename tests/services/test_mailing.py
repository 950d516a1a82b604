"""Sending invitations batch by batch: nobody gets a letter twice, whether a run is cut
off by the mail server, a second run starts while the first is still sending, or the
office's page stops at its time budget; what was sent stays recorded."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence

import pytest
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import Recipient
from survey_app.services.audit import audit_events
from survey_app.services.mailing import (
    BATCH,
    Letter,
    MailError,
    RecipientRow,
    SendReport,
    invitations_send,
    recipients_add,
)
from survey_app.services.surveys import publish_directory
from tests.storage.conftest import STORAGE_QUESTIONNAIRES

RECIPIENTS = 2 * BATCH + 20


class Postbox:
    """A mail server's side of `Mailer`: what arrived, and what happens on each call."""

    def __init__(self, on_call: Callable[[int], None] = lambda _call: None) -> None:
        self.delivered: list[str] = []
        self.calls = 0
        self.on_call = on_call

    def send(self, letters: Sequence[Letter], sender: str) -> list[str]:
        self.calls += 1
        self.on_call(self.calls)
        self.delivered += [letter.to for letter in letters]
        return [""] * len(letters)


@pytest.fixture
def office(db: Database) -> Database:
    publish_directory(db, STORAGE_QUESTIONNAIRES)
    rows = [RecipientRow(email=f"betrieb{n:03}@example.org") for n in range(RECIPIENTS)]
    recipients_add(db, "employers", rows, secret="s" * 32, actor="lea@example.org")
    return db


def send(db: Database, postbox: Postbox, *, remind: bool = False, **options: float) -> SendReport:
    return invitations_send(
        db,
        "employers",
        mailer=postbox,
        base_url="https://umfrage.lk.example",
        secret="s" * 32,
        sender="integration@lk.example",
        actor="lea@example.org",
        remind=remind,
        **options,
    )


def statuses(db: Database) -> Counter[str]:
    with db.read() as session:
        return Counter(r.status for r in session.exec(select(Recipient)).all())


def test_a_run_cut_off_by_the_mail_server_keeps_what_was_sent_and_the_next_sends_the_rest(
    office: Database,
) -> None:
    def server_goes_away(call: int) -> None:
        if call == 2:
            raise MailError("the mail server refused or was unreachable")

    first = Postbox(server_goes_away)
    with pytest.raises(MailError):
        send(office, first)
    after_first = statuses(office)
    second = Postbox()
    report = send(office, second)

    assert len(first.delivered) == BATCH
    assert after_first == {"sent": BATCH, "created": RECIPIENTS - BATCH}
    assert report == SendReport(sent=RECIPIENTS - BATCH, failed=0)
    assert set(first.delivered).isdisjoint(second.delivered)
    assert statuses(office) == {"sent": RECIPIENTS}
    runs = [json.loads(e.detail) for e in audit_events(office) if e.action == "invitations_send"]
    assert [run["sent"] for run in reversed(runs)] == [BATCH, RECIPIENTS - BATCH]


def test_a_second_run_while_the_first_is_sending_leaves_the_first_ones_letters_alone(
    office: Database,
) -> None:
    # The office presses "send" again while the first run is still at work (the proxy
    # gave up waiting): both finish, and each company gets one invitation.
    second = Postbox()
    reports: list[SendReport] = []

    def press_again(call: int) -> None:
        if call == 1:
            reports.append(send(office, second))

    first = Postbox(press_again)
    reports.append(send(office, first))
    delivered = Counter(first.delivered + second.delivered)

    assert len(delivered) == RECIPIENTS
    assert set(delivered.values()) == {1}
    assert sum(report.sent for report in reports) == RECIPIENTS
    assert len(first.delivered) == BATCH  # the second run took every later batch
    assert statuses(office) == {"sent": RECIPIENTS}


def test_the_page_stops_at_its_time_budget_and_says_how_many_are_left(office: Database) -> None:
    slow = Postbox(lambda _call: time.sleep(0.3))

    stopped = send(office, slow, budget=0.1)
    rest = send(office, Postbox())

    assert stopped == SendReport(sent=BATCH, failed=0, left=RECIPIENTS - BATCH)
    assert rest == SendReport(sent=RECIPIENTS - BATCH, failed=0, left=0)


def test_pressing_remind_twice_on_one_day_sends_one_reminder(office: Database) -> None:
    send(office, Postbox())
    reminders = Postbox()

    once = send(office, reminders, remind=True)
    twice = send(office, reminders, remind=True)

    assert once.sent == RECIPIENTS
    assert twice == SendReport(sent=0, failed=0)
    assert len(reminders.delivered) == RECIPIENTS


def test_a_refused_address_fails_alone_and_is_tried_again_by_the_next_run(
    office: Database,
) -> None:
    class Refusing(Postbox):
        def send(self, letters: Sequence[Letter], sender: str) -> list[str]:
            super().send(letters, sender)
            return ["550 'no such user'" if "007" in x.to else "" for x in letters]

    refusing = Refusing()
    first = send(office, refusing)
    second = send(office, Postbox())

    assert first == SendReport(sent=RECIPIENTS - 1, failed=1)
    assert refusing.calls == -(-RECIPIENTS // BATCH)  # each batch once, no retry in a run
    assert second == SendReport(sent=1, failed=0)
