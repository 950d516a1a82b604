"""How fieldwork is going, for the office (admins only): responses per day, language and
version, invitations used, answers started in the browser but not sent.

Counts of stored rows only; the office sees row-level data anyway, so nothing here is
suppressed. Languages of the questionnaire without any response are listed too: they
show which communities the survey has not reached yet.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import col

from survey_app.db.engine import Database
from survey_app.db.tables import Draft, Submission, SurveyVersion
from survey_app.errors import UnknownSurvey
from survey_app.services.drafts import SUBMISSION_PREFIX
from survey_app.services.invitations import InvitationCounts, invitation_counts
from survey_app.services.surveys import get_survey

__all__ = ["Fieldwork", "fieldwork"]


@dataclass(frozen=True)
class Fieldwork:
    survey: str
    title: str
    responses: int
    excluded: int
    days: list[tuple[datetime.date, int]]
    """Every day from the first response to today (or the last response), oldest first."""
    languages: list[tuple[str, int]]
    """Every language of the questionnaire and any other answered in, most responses first."""
    versions: list[tuple[int, int]]
    from_pages: int
    """Responses sent from the survey pages (the rest came through the API)."""
    open_drafts: int
    """Answers started on the pages and not sent (yet), unexpired."""
    invitations: InvitationCounts | None


def fieldwork(db: Database, survey_id: str, *, today: datetime.date | None = None) -> Fieldwork:
    """The fieldwork figures of a survey; raises `UnknownSurvey`."""
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    questionnaire = survey.questionnaire
    today = today or datetime.datetime.now(datetime.UTC).date()
    of_survey = col(Submission.survey_id) == survey_id
    with db.read() as session:
        per_day = dict(
            session.execute(
                select(col(Submission.created_on), func.count())
                .where(of_survey)
                .group_by(col(Submission.created_on))
            ).all()
        )
        per_language = dict(
            session.execute(
                select(col(Submission.language), func.count())
                .where(of_survey)
                .group_by(col(Submission.language))
            ).all()
        )
        per_version = session.execute(
            select(col(SurveyVersion.number), func.count(col(Submission.id)))
            .join(Submission, col(Submission.version_id) == col(SurveyVersion.id), isouter=True)
            .where(col(SurveyVersion.survey_id) == survey_id)
            .group_by(col(SurveyVersion.number))
            .order_by(col(SurveyVersion.number))
        ).all()
        excluded = session.execute(
            select(func.count()).where(of_survey, col(Submission.status) == "excluded")
        ).scalar_one()
        from_pages = session.execute(
            select(func.count()).where(
                of_survey, col(Submission.submission_id).startswith(SUBMISSION_PREFIX)
            )
        ).scalar_one()
        open_drafts = session.execute(
            select(func.count()).where(
                col(Draft.survey_id) == survey_id, col(Draft.expires_on) >= today
            )
        ).scalar_one()
    days: list[tuple[datetime.date, int]] = []
    if per_day:
        day, last = min(per_day), max(max(per_day), today)
        while day <= last:
            days.append((day, int(per_day.get(day, 0))))
            day += datetime.timedelta(days=1)
    languages = dict.fromkeys(questionnaire.languages, 0) | {
        str(language): int(n) for language, n in per_language.items()
    }
    return Fieldwork(
        survey=survey_id,
        title=questionnaire.text(questionnaire.title, questionnaire.default_language),
        responses=sum(per_day.values()),
        excluded=int(excluded),
        days=days,
        languages=sorted(languages.items(), key=lambda item: (-item[1], item[0])),
        versions=[(int(number), int(n)) for number, n in per_version],
        from_pages=int(from_pages),
        open_drafts=int(open_drafts),
        invitations=(
            invitation_counts(db, survey_id) if questionnaire.audience == "invitation" else None
        ),
    )
