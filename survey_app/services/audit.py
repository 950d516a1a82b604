"""The audit log: who did what, when. Never answers, never IP addresses."""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqlmodel import Session, col, select

from survey_app.db.engine import Database
from survey_app.db.tables import AuditEvent


def audit_record(
    session: Session, *, actor: str, action: str, detail: Mapping[str, object] | None = None
) -> None:
    """Add an event to the caller's transaction, so it commits with the change it records."""
    text = json.dumps(dict(detail or {}), sort_keys=True, ensure_ascii=False)
    session.add(AuditEvent(actor=actor, action=action, detail=text))


def audit_events(db: Database, *, limit: int = 200) -> list[AuditEvent]:
    """The newest events first."""
    with db.read() as session:
        query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
        return list(session.exec(query).all())
