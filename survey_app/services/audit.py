"""The audit log: who did what, when. Never answers, never IP addresses.

An event is written with a Core insert (`survey_app.db.core`), on the caller's ORM session
or Core connection alike: writers without the ORM (`services.accounts`, so `survey-app
user ...`) record their events without importing SQLModel and SQLAlchemy's ORM.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import insert

from survey_app.db import core
from survey_app.db.engine import Database

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from survey_app.db.tables import AuditEvent


def audit_record(
    session: Session | Connection,
    *,
    actor: str,
    action: str,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Add an event to the caller's transaction, so it commits with the change it records."""
    text = json.dumps(dict(detail or {}), sort_keys=True, ensure_ascii=False)
    at = datetime.datetime.now(datetime.UTC)
    session.execute(insert(core.audit_event).values(at=at, actor=actor, action=action, detail=text))


def audit_events(db: Database, *, limit: int = 200) -> list[AuditEvent]:
    """The newest events first."""
    # The table class only here: the audit page reads the events, the writers above do not.
    from sqlmodel import col, select

    from survey_app.db.tables import AuditEvent

    with db.read() as session:
        query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
        return list(session.exec(query).all())
