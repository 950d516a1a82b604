"""Invitations by e-mail: recipients imported from a spreadsheet, personal links sent
through SMTP, reminders only to those whose link is still unused.

The link's token is not stored anywhere: it is an HMAC of the recipient's random nonce
under the app's secret key, so the server can send it again for a reminder while a copy
of the database alone holds no working link (only the token's SHA-256, in `Invitation`,
as for every invitation). The pages show per recipient whether the link was used, never
which response came from it.

Sending happens outside any database transaction (an SMTP server may take seconds per
message), in batches of `BATCH` letters: a run claims a batch (`Recipient.claimed_at`)
in one transaction, sends it, and writes its outcomes while claiming the next in the
next one. A run that is interrupted (a crash, a lost mail server) leaves true statuses
and the next run continues with the rest; a second run started while the first is
still sending (the office pressed "send" again after the proxy gave up waiting) leaves
the first one's batches alone, so no one gets a letter twice. The office's page sends
for at most `budget` seconds and says how many are left, instead of running past the
proxy's timeout.
"""

from __future__ import annotations

import base64
import csv
import datetime
import hashlib
import hmac
import io
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from survey_app.db.engine import Database
from survey_app.db.tables import Invitation, Recipient
from survey_app.i18n import S_, StaffMessage
from survey_app.questionnaire.characters import CONTROL_CHARACTERS
from survey_app.services.audit import audit_record
from survey_app.services.invitations import invitation_link, token_hash
from survey_app.services.published import get_survey

__all__ = [
    "MAX_RECIPIENTS",
    "Letter",
    "MailError",
    "Mailer",
    "RecipientRow",
    "RecipientStatus",
    "RecipientsInvalid",
    "SendReport",
    "contacts_purge",
    "invitations_send",
    "read_recipients",
    "recipients_add",
    "recipients_of",
]

MAX_RECIPIENTS = 10_000
BATCH = 50
"""Letters per batch: statuses are written after each (a few seconds of SMTP at most)."""
CLAIM_MINUTES = 30
"""After this, a batch whose run never wrote its outcome (the process died) is due again."""
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_COLUMNS = {
    "email": {"email", "e-mail", "mail", "e-mail-adresse", "emailadresse", "e-mail adresse"},
    "name": {"name", "firma", "company", "unternehmen", "betrieb", "organisation"},
    "reference": {"referenz", "reference", "ref", "kennung", "nummer", "id"},
    "language": {"sprache", "language", "lang"},
}


class MailError(RuntimeError):
    """E-mail cannot be sent at all (no server configured, or it refuses us). The message
    is a staff message (`S_`) with its values, shown in the office's language as `staff`;
    `str()` is the English text (the command line)."""

    def __init__(self, message: str, values: Mapping[str, object] | None = None) -> None:
        self.staff = StaffMessage(message, dict(values or {}))
        super().__init__(str(self.staff))


class RecipientsInvalid(ValueError):
    """A recipients file that cannot be imported; `problems` are 'file line N: ...'
    (staff messages: English as `str()`, translated where the office sees them)."""

    def __init__(self, problems: list[StaffMessage]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems[:5]))
        self.problems = problems


@dataclass(frozen=True)
class RecipientRow:
    email: str
    name: str = ""
    reference: str = ""
    language: str = ""


# -- reading a recipients file ----------------------------------------------------------


def read_recipients(filename: str, data: bytes) -> list[RecipientRow]:
    """Recipients from a CSV (`;`, `,` or tab; UTF-8 with or without BOM, or Windows-1252
    as old Excel writes it) or XLSX file with a header row naming at least the e-mail
    column. Raises `RecipientsInvalid` with every problem and its line."""
    if data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        table = _xlsx_rows(filename, data)
    else:
        table = _csv_rows(data)
    if not table:
        raise RecipientsInvalid(
            [StaffMessage(S_("%(file)s: the file is empty"), {"file": filename})]
        )
    header, *rows = table
    where = _header(filename, header)
    problems: list[StaffMessage] = []
    found: list[RecipientRow] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        cells = {field: (row[i] if i < len(row) else "").strip() for field, i in where.items()}
        if not any(cell.strip() for cell in row):
            continue
        if any(CONTROL_CHARACTERS.search(cell) for cell in row):
            # PostgreSQL would refuse a NUL only when storing it; SQLite would keep it.
            problems.append(
                StaffMessage(
                    S_("%(file)s line %(line)s: control characters (such as NUL) in a cell"),
                    {"file": filename, "line": line},
                )
            )
            continue
        email = cells["email"].lower()
        if not _EMAIL.match(email) or len(email) > 254:
            problems.append(
                StaffMessage(
                    S_("%(file)s line %(line)s: '%(email)s' is not an e-mail address"),
                    {"file": filename, "line": line, "email": cells["email"][:60]},
                )
            )
            continue
        if email in seen:
            continue  # the same address twice gets one invitation
        seen.add(email)
        found.append(
            RecipientRow(
                email=email,
                name=cells.get("name", "")[:200],
                reference=cells.get("reference", "")[:200],
                language=cells.get("language", "").lower()[:16],
            )
        )
    if len(found) > MAX_RECIPIENTS:
        problems.append(
            StaffMessage(
                S_("%(file)s: more than %(count)s recipients at once"),
                {"file": filename, "count": MAX_RECIPIENTS},
            )
        )
    if problems:
        raise RecipientsInvalid(problems)
    return found


def _header(filename: str, header: Sequence[str]) -> dict[str, int]:
    where: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = " ".join(cell.strip().lower().replace("_", " ").split())
        for field, names in _COLUMNS.items():
            if name in names and field not in where:
                where[field] = index
    if "email" not in where:
        raise RecipientsInvalid(
            [
                StaffMessage(
                    S_("%(file)s line 1: no column 'E-Mail' (the first row names the columns)"),
                    {"file": filename},
                )
            ]
        )
    return where


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(filename: str, data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        # Read-only and values only: formulas are never evaluated, only cached values read.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise RecipientsInvalid(
            [StaffMessage(S_("%(file)s: not a readable XLSX workbook"), {"file": filename})]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [
            ["" if value is None else str(value) for value in row]
            for row in sheet.iter_rows(values_only=True, max_row=MAX_RECIPIENTS + 2)
        ]
    finally:
        workbook.close()


# -- recipients and their links ----------------------------------------------------------


def _token(secret: str, survey_id: str, nonce: str) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), f"invitation:{survey_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def recipients_add(
    db: Database, survey_id: str, rows: Iterable[RecipientRow], *, secret: str, actor: str
) -> tuple[int, int]:
    """Add recipients to an invitation survey, each with its own invitation, in one
    transaction with the audit entry; (added, already there). Raises `LookupError` for a
    survey that does not exist or takes no invitations."""
    survey = get_survey(db, survey_id)
    if survey is None or survey.questionnaire.audience != "invitation":
        raise LookupError(survey_id)
    added = known = 0
    with db.write() as session:
        present = set(
            session.exec(select(Recipient.email).where(Recipient.survey_id == survey_id)).all()
        )
        for row in rows:
            if row.email in present:
                known += 1
                continue
            present.add(row.email)
            nonce = secrets.token_hex(16)
            invitation = Invitation(
                survey_id=survey_id,
                token_hash=token_hash(_token(secret, survey_id, nonce)),
                label="E-Mail",
            )
            session.add(invitation)
            session.flush()
            assert invitation.id is not None
            session.add(
                Recipient(
                    survey_id=survey_id,
                    invitation_id=invitation.id,
                    nonce=nonce,
                    email=row.email,
                    name=row.name,
                    reference=row.reference,
                    language=row.language,
                )
            )
            added += 1
        audit_record(
            session,
            actor=actor,
            action="recipients_add",
            detail={"survey": survey_id, "added": added, "known": known},
        )
    return added, known


@dataclass(frozen=True)
class RecipientStatus:
    id: int
    email: str
    name: str
    reference: str
    status: str
    """created, sent, reminded, failed, or answered (the link was used)."""
    sent_on: datetime.date | None
    reminded_on: datetime.date | None
    error: str


def recipients_of(db: Database, survey_id: str) -> list[RecipientStatus]:
    """Every recipient of a survey with the state of its invitation, in import order."""
    with db.read() as session:
        rows = session.exec(
            select(Recipient, col(Invitation.used_on))
            .join(Invitation, col(Invitation.id) == col(Recipient.invitation_id))
            .where(Recipient.survey_id == survey_id)
            .order_by(col(Recipient.id))
        ).all()
    return [
        RecipientStatus(
            id=recipient.id or 0,
            email=recipient.email,
            name=recipient.name,
            reference=recipient.reference,
            status="answered" if used_on is not None else recipient.status,
            sent_on=recipient.sent_on,
            reminded_on=recipient.reminded_on,
            error=recipient.error,
        )
        for recipient, used_on in rows
    ]


# -- sending -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    """One e-mail to write: an invitation or a reminder with its personal link."""

    kind: str
    """"invitation" or "reminder"."""
    languages: tuple[str, ...]
    """The languages to write in, the first available one wins."""
    to: str
    name: str
    title: str
    link: str


class Mailer(Protocol):
    def send(self, letters: Sequence[Letter], sender: str) -> list[str]:
        """Write and send each letter; per letter "" or the server's error. Raises
        `MailError` when none can be sent."""
        ...


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    left: int = 0
    """Letters still due when the run stopped at its time budget."""


def invitations_send(
    db: Database,
    survey_id: str,
    *,
    mailer: Mailer,
    base_url: str,
    secret: str,
    sender: str,
    actor: str,
    remind: bool = False,
    today: datetime.date | None = None,
    budget: float | None = None,
) -> SendReport:
    """Send the invitations not sent yet (or that failed); with `remind`, a reminder to
    every recipient who was invited and whose link is unused. Batch by batch (see the
    module doc); no new batch is started after `budget` seconds. Raises `LookupError`
    for an unknown survey, `MailError` when the mail server cannot be reached (what was
    sent before stays recorded)."""
    survey = get_survey(db, survey_id)
    if survey is None:
        raise LookupError(survey_id)
    if not sender:
        raise MailError(S_("SURVEY_MAIL_FROM is not set: whom should the e-mails come from?"))
    questionnaire = survey.questionnaire
    title = questionnaire.text(questionnaire.title, questionnaire.default_language)
    today = today or datetime.datetime.now(datetime.UTC).date()
    stop_at = None if budget is None else time.monotonic() + budget

    def letter(recipient: Recipient) -> Letter:
        language = recipient.language or questionnaire.default_language
        return Letter(
            kind="reminder" if remind else "invitation",
            languages=(language, questionnaire.default_language),
            to=recipient.email,
            name=recipient.name,
            title=questionnaire.text(questionnaire.title, language) or title,
            link=invitation_link(base_url, survey_id, _token(secret, survey_id, recipient.nonce)),
        )

    sent = failed = 0
    outcomes: list[tuple[int, str]] = []
    after = 0  # batches go in recipient order: a letter that failed waits for the next run
    while True:
        out_of_time = stop_at is not None and time.monotonic() >= stop_at
        with db.write() as session:
            _record(session, outcomes, remind=remind, today=today)
            sent += sum(1 for _id, error in outcomes if not error)
            failed += sum(1 for _id, error in outcomes if error)
            batch = [] if out_of_time else _claim(session, survey_id, remind, today, after)
            left = _left(session, survey_id, remind, today, after) if out_of_time else 0
            if not batch and (sent or failed or not out_of_time):
                audit_record(
                    session,
                    actor=actor,
                    action="reminders_send" if remind else "invitations_send",
                    detail={"survey": survey_id, "sent": sent, "failed": failed, "left": left},
                )
        if not batch:
            return SendReport(sent=sent, failed=failed, left=left)
        try:
            errors = mailer.send([letter(recipient) for recipient in batch], sender)
        except MailError:
            with db.write() as session:
                _release(session, [recipient.id for recipient in batch])
                if sent or failed:
                    audit_record(
                        session,
                        actor=actor,
                        action="reminders_send" if remind else "invitations_send",
                        detail={"survey": survey_id, "sent": sent, "failed": failed},
                    )
            raise
        outcomes = [
            (int(recipient.id or 0), error) for recipient, error in zip(batch, errors, strict=True)
        ]
        after = max(recipient_id for recipient_id, _error in outcomes)


def _claim(
    session: Session, survey_id: str, remind: bool, today: datetime.date, after: int
) -> list[Recipient]:
    """The next batch of due recipients (after id `after`) that no other run holds,
    marked as this run's."""
    now = datetime.datetime.now(datetime.UTC)
    stale = now - datetime.timedelta(minutes=CLAIM_MINUTES)
    query = _due_query(survey_id, remind, today).where(
        col(Recipient.id) > after,
        or_(col(Recipient.claimed_at).is_(None), col(Recipient.claimed_at) < stale),
    )
    batch = list(session.exec(query.limit(BATCH)).all())
    for recipient in batch:
        recipient.claimed_at = now
        session.add(recipient)
    session.flush()
    for recipient in batch:
        session.expunge(recipient)
    return batch


def _left(session: Session, survey_id: str, remind: bool, today: datetime.date, after: int) -> int:
    due = _due_query(survey_id, remind, today).where(col(Recipient.id) > after)
    return int(session.exec(select(func.count()).select_from(due.subquery())).one())


def _record(
    session: Session, outcomes: list[tuple[int, str]], *, remind: bool, today: datetime.date
) -> None:
    """Each sent letter's outcome, and the claim given back."""
    for recipient_id, error in outcomes:
        row = session.get(Recipient, recipient_id)
        if row is None:  # deleted meanwhile (purge --contacts)
            continue
        if error:
            row.status, row.error = "failed", error
        elif remind:
            row.status, row.reminded_on, row.error = "reminded", today, ""
        else:
            row.status, row.sent_on, row.error = "sent", today, ""
        row.claimed_at = None
        session.add(row)


def _release(session: Session, ids: Sequence[int | None]) -> None:
    for recipient_id in ids:
        row = session.get(Recipient, recipient_id)
        if row is not None:
            row.claimed_at = None
            session.add(row)


def _due_query(survey_id: str, remind: bool, today: datetime.date) -> SelectOfScalar[Recipient]:
    """Recipients whose link is unused and who have no invitation yet (or a failed one);
    with `remind`, who were invited and not reminded today (at most one reminder a day:
    pressing "remind" twice must not send two)."""
    query = (
        select(Recipient)
        .join(Invitation, col(Invitation.id) == col(Recipient.invitation_id))
        .where(Recipient.survey_id == survey_id, col(Invitation.used_on).is_(None))
        .order_by(col(Recipient.id))
    )
    if remind:
        return query.where(
            col(Recipient.sent_on).is_not(None),
            or_(col(Recipient.reminded_on).is_(None), col(Recipient.reminded_on) < today),
        )
    return query.where(col(Recipient.sent_on).is_(None))


def contacts_purge(db: Database, survey_id: str, *, actor: str) -> int:
    """Delete the contact data of a survey's recipients (their links stay valid)."""
    with db.write() as session:
        deleted = session.execute(delete(Recipient).where(col(Recipient.survey_id) == survey_id))
        count = int(deleted.rowcount or 0)  # type: ignore[attr-defined]
        audit_record(
            session,
            actor=actor,
            action="contacts_purge",
            detail={"survey": survey_id, "recipients": count},
        )
    return count
