"""Services of the results pages and reports beyond the results themselves: which
surveys have questions for a working group, the period of the responses, and the audit
entry of a download."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import col

from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.services.audit import audit_record
from survey_app.services.surveys import PublishedSurvey, latest_surveys

__all__ = ["ResponsePeriod", "record_download", "response_period", "surveys_of_group"]


@dataclass(frozen=True)
class ResponsePeriod:
    """Dates of the first and last stored response (submissions keep only the date)."""

    first: datetime.date | None
    last: datetime.date | None


def response_period(db: Database, survey_id: str) -> ResponsePeriod:
    """The first and last response date of a survey (all versions); None when it has none."""
    with db.read() as session:
        first, last = session.execute(
            select(
                func.min(col(Submission.created_on)), func.max(col(Submission.created_on))
            ).where(col(Submission.survey_id) == survey_id)
        ).one()
    return ResponsePeriod(first, last)


def surveys_of_group(db: Database, group: str) -> list[PublishedSurvey]:
    """Published surveys (newest versions, by id) with at least one question for `group`."""
    return [
        survey
        for survey in latest_surveys(db)
        if any(q.type.takes_answer for q in survey.questionnaire.questions_of_group(group))
    ]


def record_download(db: Database, *, actor: str, action: str, survey: str, group: str) -> None:
    """Put a download of results (export or report) in the audit log."""
    with db.write() as session:
        audit_record(session, actor=actor, action=action, detail={"survey": survey, "group": group})
