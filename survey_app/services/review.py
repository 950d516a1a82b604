"""The office's review of responses: a status per response, kept with its history.

`received` (every response starts so), `approved`, or `excluded` with a reason (a test
answer left in, a duplicate, junk). Excluded responses never count: releases leave them
out (the next release is audited for the difference, see `services.releases`), and so
do live results and group exports. The answers themselves stay as given (editing them
is deliberately not offered), and excluding is reversible. Every change is
a `ReviewEvent` and an audit entry, in the transaction of the change.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import update
from sqlmodel import col, select

from survey_app.db.engine import Database
from survey_app.db.tables import ReviewEvent, Submission
from survey_app.errors import Invalid
from survey_app.services.audit import audit_record

__all__ = ["STATUSES", "ReviewRefused", "responses_set_status", "review_history"]

STATUSES = ("received", "approved", "excluded")
MAX_REASON = 500


class ReviewRefused(Invalid):
    """A status change that cannot be made; the message says why."""


def responses_set_status(
    db: Database,
    survey_id: str,
    submission_pks: Collection[int],
    *,
    status: str,
    reason: str = "",
    actor: str,
) -> int:
    """Set the status of responses of a survey (all or nothing); how many changed.

    An exclusion needs a reason. Raises `ReviewRefused`."""
    if status not in STATUSES:
        raise ReviewRefused(f"Unknown status '{status}': one of {', '.join(STATUSES)}.")
    reason = reason.strip()[:MAX_REASON]
    if status == "excluded" and not reason:
        raise ReviewRefused("Please say why the responses are excluded.")
    wanted = sorted(set(submission_pks))
    if not wanted:
        return 0
    with db.write() as session:
        found = session.execute(
            select(col(Submission.id), col(Submission.status)).where(
                col(Submission.survey_id) == survey_id, col(Submission.id).in_(wanted)
            )
        ).all()
        if len(found) != len(wanted):
            raise ReviewRefused(f"Not every response named belongs to survey '{survey_id}'.")
        changing = [int(pk) for pk, current in found if current != status]
        if not changing:
            return 0
        session.execute(
            update(Submission).where(col(Submission.id).in_(changing)).values(status=status)
        )
        for pk in changing:
            session.add(
                ReviewEvent(
                    submission_pk=pk, survey_id=survey_id, actor=actor, status=status, reason=reason
                )
            )
        audit_record(
            session,
            actor=actor,
            action=f"responses_{status}",
            detail={"survey": survey_id, "responses": len(changing)},
        )
    return len(changing)


def review_history(db: Database, submission_pk: int) -> list[ReviewEvent]:
    """The status changes of one response, oldest first."""
    with db.read() as session:
        return list(
            session.exec(
                select(ReviewEvent)
                .where(ReviewEvent.submission_pk == submission_pk)
                .order_by(col(ReviewEvent.id))
            ).all()
        )
