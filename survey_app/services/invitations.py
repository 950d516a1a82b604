"""Personal invitation links for `audience: invitation` surveys.

A token is 24 random bytes (192 bits) in URL-safe base64; only its SHA-256 is stored, so
a copy of the database does not contain working links. Each token admits one submission
(`survey_app.services.submissions` marks it used in the submission's transaction).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import func
from sqlmodel import Session, col, select

from survey_app.db.engine import Database
from survey_app.db.tables import Invitation, Survey
from survey_app.errors import UnknownSurvey

TOKEN_BYTES = 24


@dataclass(frozen=True)
class InvitationCounts:
    created: int
    used: int


def token_hash(token: str) -> str:
    """What is stored for a token: its SHA-256 as hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_link(base_url: str, survey_id: str, token: str) -> str:
    """The personal link that starts (or resumes) the survey for one invitee."""
    return f"{base_url.rstrip('/')}/s/{quote(survey_id)}?invitation={token}"


def invitations_create(db: Database, survey_id: str, count: int, label: str = "") -> list[str]:
    """Create `count` invitations in one transaction and return their tokens.

    The tokens exist only in the return value: give them out now or never.
    """
    with db.write() as session:
        return invitations_add(session, survey_id, count, label)


def invitations_add(session: Session, survey_id: str, count: int, label: str = "") -> list[str]:
    """Add `count` invitations to the caller's transaction and return their tokens."""
    if count < 1:
        raise ValueError("count must be at least 1")
    if session.get(Survey, survey_id) is None:
        raise UnknownSurvey(survey_id)
    tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in range(count)]
    session.add_all(
        Invitation(survey_id=survey_id, token_hash=token_hash(token), label=label)
        for token in tokens
    )
    return tokens


def invitation_find(db: Database, survey_id: str, token: str) -> Invitation | None:
    """The invitation of `token` for `survey_id` (used or not), or None."""
    with db.read() as session:
        return session.exec(
            select(Invitation).where(
                Invitation.survey_id == survey_id, Invitation.token_hash == token_hash(token)
            )
        ).first()


def invitation_counts(db: Database, survey_id: str) -> InvitationCounts:
    """How many invitations a survey has, and how many were used for a submission."""
    with db.read() as session:
        created, used = session.exec(
            select(func.count(col(Invitation.id)), func.count(col(Invitation.used_on))).where(
                Invitation.survey_id == survey_id
            )
        ).one()
        return InvitationCounts(created=created, used=used)
