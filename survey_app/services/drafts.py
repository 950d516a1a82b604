"""Drafts: the answers of a respondent who has not submitted yet, kept server-side.

A draft is found by a secret *key*: a random value in an HttpOnly cookie for anonymous
surveys, the invitation token for invitation surveys (so the personal link resumes the
draft in any browser). Only the SHA-256 of a key is stored. A short *resume code*
(typed on another device) is stored as an HMAC keyed with the app's secret, so a copy of
the database alone cannot be used to guess codes offline. Drafts expire after the
configured number of days since they were last saved and are never counted in results
(they live in their own table; `maintenance.purge` deletes the expired ones).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from survey_app.db import core
from survey_app.db.engine import Database
from survey_app.db.tables import Draft, Submission, SurveyVersion
from survey_app.services.published import PublishedSurvey
from survey_app.services.submissions import SubmissionReceipt, submission_create
from survey_app.services.surveys import questionnaire_of

KEY_BYTES = 32
# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: easy to read aloud and to type on a phone.
RESUME_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
RESUME_LENGTH = 10  # 25**10: about 46 bits
SUBMISSION_PREFIX = "web-"


@dataclass(frozen=True)
class DraftState:
    """A draft as the pages need it."""

    survey_id: str
    answers: dict[str, Any]
    page: int
    language: str
    expires_on: datetime.date
    invitation_id: int | None
    version_id: int
    """The version the draft was last saved with (its `page` is a page of that one)."""
    started_at: datetime.datetime | None = None
    """The first save, to the minute (for the response's time to complete)."""


def today_utc() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def new_draft_key() -> str:
    """A fresh random key for an anonymous draft (256 bits, URL-safe)."""
    return secrets.token_urlsafe(KEY_BYTES)


def key_hash(key: str) -> str:
    """What is stored for a draft key: its SHA-256 as hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def submission_id_for(key: str) -> str:
    """The stable submission id of a draft's final answers: a double-click or a retried
    request stores one response. Derived from the key, so it cannot be linked to the
    stored key hash, and nobody without the key can compute it."""
    digest = hashlib.sha256(b"submission\0" + key.encode("utf-8")).hexdigest()
    return SUBMISSION_PREFIX + digest[:40]


# Capital letters of the Cyrillic and Greek alphabets that look like the Latin letters
# of a code (Unicode TR39 lists them as confusables). A code is read off a screen or
# paper and typed again, perhaps on a Russian, Ukrainian or Greek keyboard layout. Kept
# by hand: the TR39 skeleton also folds letters into digits and back (which the code's
# alphabet already avoids), and a dependency for these few letters would hide the rule.
_LOOK_ALIKES = str.maketrans(
    {
        "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K",
        "М": "M", "О": "O", "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y", "Ү": "Y",
        "Ԛ": "Q", "Ԝ": "W", "Ԁ": "D",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    }
)  # fmt: skip
# What people put between the groups: dashes of every kind, the minus sign, the Arabic
# tatweel; spaces of every kind are dropped as well.
_SEPARATORS = frozenset("_\u2212\u0640")


def normalize_resume_code(text: str) -> str:
    """A typed resume code as it was issued: upper case, without spaces or dashes, with
    Arabic-Indic or Persian digits as 0-9, full-width forms folded (NFKC), and Cyrillic
    or Greek look-alike letters as the Latin ones."""
    folded = unicodedata.normalize("NFKC", text).upper().translate(_LOOK_ALIKES)
    kept: list[str] = []
    for char in folded:
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            kept.append(str(digit))
        elif not (
            char.isspace() or char in _SEPARATORS or unicodedata.category(char) in ("Pd", "Cf")
        ):
            kept.append(char)
    return "".join(kept)


def format_resume_code(code: str) -> str:
    """A resume code as shown: two groups of five (`ACDE3-FGHJ4`)."""
    return f"{code[:5]}-{code[5:]}"


def _resume_code_hash(code: str, secret: str) -> str:
    message = normalize_resume_code(code).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _state(row: Any) -> DraftState:
    """A draft's row (an ORM object, or a Core row with the same names) as the pages need it."""
    answers = json.loads(row.answers)
    return DraftState(
        survey_id=row.survey_id,
        answers=answers if isinstance(answers, dict) else {},
        page=row.page,
        language=row.language,
        expires_on=row.expires_on,
        invitation_id=row.invitation_id,
        version_id=row.version_id,
        started_at=row.started_at,
    )


def _row(session: Session, survey_id: str, hashed_key: str) -> Draft | None:
    return session.exec(
        select(Draft).where(Draft.survey_id == survey_id, Draft.key_hash == hashed_key)
    ).first()


def draft_load(
    db: Database, survey_id: str, key: str, *, today: datetime.date | None = None
) -> DraftState | None:
    """The unexpired draft of `key` for `survey_id`, or None."""
    # Asked for by every page step: Core on a connection, not an ORM session and object
    # (see `services.published.get_survey`).
    with db.read_connection() as connection:
        row = connection.execute(
            _DRAFT_BY_KEY, {"survey_id": survey_id, "key_hash": key_hash(key)}
        ).first()
    if row is None or row.expires_on < (today or today_utc()):
        return None
    return _state(row)


_DRAFT_BY_KEY = core_select(
    core.draft.c.survey_id,
    core.draft.c.answers,
    core.draft.c.page,
    core.draft.c.language,
    core.draft.c.expires_on,
    core.draft.c.invitation_id,
    core.draft.c.version_id,
    core.draft.c.started_at,
).where(
    core.draft.c.survey_id == bindparam("survey_id"),
    core.draft.c.key_hash == bindparam("key_hash"),
)


def draft_save(
    db: Database,
    *,
    survey: PublishedSurvey,
    key: str,
    answers: Mapping[str, object],
    page: int | None,
    language: str,
    lifetime_days: int,
    invitation_id: int | None = None,
    today: datetime.date | None = None,
) -> DraftState:
    """Create or replace the draft of `key`; its expiry moves `lifetime_days` ahead.

    `page` None keeps the page the draft is at (an autosave arriving after the
    respondent moved on must not move them back); a new draft then starts at page 0.
    An expired draft with the same key is overwritten, so old answers never come back.
    """
    today = today or today_utc()
    values: dict[str, Any] = {
        "survey_id": survey.id,
        "version_id": survey.version_id,
        "invitation_id": invitation_id,
        "language": language,
        "answers": json.dumps(dict(answers), sort_keys=True, ensure_ascii=False),
        "updated_on": today,
        "expires_on": today + datetime.timedelta(days=lifetime_days),
    }
    if page is not None:
        values["page"] = page
    hashed = key_hash(key)
    for _attempt in range(2):
        try:
            # One Core statement (two for a new draft) in the write transaction: the
            # ORM's select, object and flush were a fifth of a page step's CPU.
            with db.write() as session:
                connection = session.connection()
                row = connection.execute(
                    update(core.draft)
                    .where(core.draft.c.key_hash == hashed)
                    .values(values)
                    .returning(*_DRAFT_BY_KEY.selected_columns)
                ).first()
                if row is None:
                    started = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
                    row = connection.execute(
                        insert(core.draft)
                        .values({"page": 0, **values, "key_hash": hashed, "started_at": started})
                        .returning(*_DRAFT_BY_KEY.selected_columns)
                    ).one()
                return _state(row)
        except IntegrityError:
            # Two first saves of one key raced (a double-click on an invitation link's
            # first page): the other one inserted, so this attempt updates its row.
            continue
    raise RuntimeError("could not save the draft")


def draft_change(
    db: Database,
    *,
    survey_id: str,
    key: str,
    change: Callable[[Mapping[str, Any]], Mapping[str, object]],
    lifetime_days: int,
    today: datetime.date | None = None,
) -> DraftState | None:
    """Apply `change` to the answers the draft of `key` holds *now* and save the result;
    the draft stays at its page. None (and nothing saved) without an unexpired draft.

    Read and write share one transaction with the row locked (`BEGIN IMMEDIATE` on
    SQLite, `FOR UPDATE` on PostgreSQL): htmx reports each change on its own request, so
    an earlier change can arrive after later ones (or after Next); applied to the
    answers read when its request began, it would undo everything saved meanwhile.
    """
    today = today or today_utc()
    with db.write() as session:
        row = session.exec(
            select(Draft)
            .where(Draft.survey_id == survey_id, Draft.key_hash == key_hash(key))
            .with_for_update()
        ).first()
        if row is None or row.expires_on < today:
            return None
        answers = change(_state(row).answers)
        row.answers = json.dumps(dict(answers), sort_keys=True, ensure_ascii=False)
        row.updated_on = today
        row.expires_on = today + datetime.timedelta(days=lifetime_days)
        session.add(row)
        return _state(row)


def draft_page_name(db: Database, draft: DraftState) -> str | None:
    """The name of the page a draft is at, in the version it was saved with (a newer
    version may have moved the page), or None when that version has no such page."""
    with db.read() as session:
        version = session.get(SurveyVersion, draft.version_id)
        if version is None:
            return None
        pages = questionnaire_of(version).pages
    return pages[draft.page].name if 0 <= draft.page < len(pages) else None


def draft_delete(db: Database, survey_id: str, key: str) -> bool:
    """Delete the draft of `key`; False if there was none."""
    with db.write() as session:
        return _draft_delete(session, survey_id, key)


def _draft_delete(session: Session, survey_id: str, key: str) -> bool:
    result = session.execute(
        delete(Draft).where(col(Draft.survey_id) == survey_id, col(Draft.key_hash) == key_hash(key))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def draft_submit(
    db: Database,
    *,
    survey: PublishedSurvey,
    key: str,
    language: str,
    answers: Mapping[str, object],
    invitation_token: str | None = None,
    started_at: datetime.datetime | None = None,
) -> SubmissionReceipt:
    """Send the answers of the draft of `key`: store them as a submission (exactly once,
    its id derived from the key) and delete the draft, in one transaction. Raises what
    `submission_create` raises; the draft stays then. `started_at`: when the draft was
    begun (the response's time to complete)."""
    return submission_create(
        db,
        survey=survey,
        submission_id=submission_id_for(key),
        language=language,
        answers=answers,
        invitation_token=invitation_token,
        started_at=started_at,
        also=lambda session: _draft_delete(session, survey.id, key),
    )


def resume_code_create(
    db: Database,
    *,
    survey_id: str,
    key: str,
    secret: str,
    today: datetime.date | None = None,
) -> str | None:
    """A new resume code for the unexpired draft of `key` (replacing an earlier one),
    or None when there is no such draft."""
    for _attempt in range(3):
        code = "".join(secrets.choice(RESUME_ALPHABET) for _ in range(RESUME_LENGTH))
        try:
            with db.write() as session:
                row = _row(session, survey_id, key_hash(key))
                if row is None or row.expires_on < (today or today_utc()):
                    return None
                row.resume_code_hash = _resume_code_hash(code, secret)
                session.add(row)
            return code
        except IntegrityError:
            continue  # the same code is already taken by another draft: draw again
    raise RuntimeError("could not create a unique resume code")


def _row_by_code(session: Session, survey_id: str, code: str, secret: str) -> Draft | None:
    return session.exec(
        select(Draft).where(
            Draft.survey_id == survey_id,
            Draft.resume_code_hash == _resume_code_hash(code, secret),
            col(Draft.invitation_id).is_(None),
        )
    ).first()


def draft_resume(
    db: Database,
    *,
    survey_id: str,
    code: str,
    secret: str,
    today: datetime.date | None = None,
) -> str | None:
    """Move the draft with resume `code` to this browser: returns its new key (the old
    key stops working), or None when the code matches no unexpired draft."""
    if not normalize_resume_code(code):
        return None
    key = new_draft_key()
    with db.write() as session:
        row = _row_by_code(session, survey_id, code, secret)
        if row is None or row.expires_on < (today or today_utc()):
            return None
        row.key_hash = key_hash(key)
        session.add(row)
    return key


def draft_delete_by_code(db: Database, *, survey_id: str, code: str, secret: str) -> bool:
    """Delete the draft with resume `code` (a respondent who wants the answers gone)."""
    if not normalize_resume_code(code):
        return False
    with db.write() as session:
        row = _row_by_code(session, survey_id, code, secret)
        if row is None:
            return False
        session.delete(row)
        return True


def draft_was_sent(db: Database, survey_id: str, key: str) -> bool:
    """Whether the answers of the draft of `key` were stored: a second click on Send,
    arriving after the first one deleted the draft, is then answered with thanks."""
    with db.read() as session:
        found = session.exec(
            select(Submission.id).where(
                Submission.survey_id == survey_id,
                Submission.submission_id == submission_id_for(key),
            )
        ).first()
    return found is not None
