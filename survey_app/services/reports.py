"""Services of the results pages and reports beyond the results themselves: which
surveys have questions for a working group, and the audit entry of a download. (The
period of the responses is not shown: its first and last day are single respondents'
dates; the release date says how current results are.)"""

from __future__ import annotations

from survey_app.db.engine import Database
from survey_app.services.audit import audit_record
from survey_app.services.published import PublishedSurvey
from survey_app.services.surveys import latest_surveys

__all__ = ["record_download", "surveys_of_group"]


def surveys_of_group(db: Database, group: str) -> list[PublishedSurvey]:
    """Published surveys (newest versions, by id) with at least one question for `group`."""
    return [
        survey
        for survey in latest_surveys(db)
        if any(q.takes_answer for q in survey.questionnaire.questions_of_group(group))
    ]


def record_download(db: Database, *, actor: str, action: str, survey: str, group: str) -> None:
    """Put a download of results (export or report) in the audit log."""
    with db.write() as session:
        audit_record(session, actor=actor, action=action, detail={"survey": survey, "group": group})
