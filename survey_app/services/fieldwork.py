"""How fieldwork is going, for the office (admins only): responses per day, language and
version, invitations used, letters sent, answers started in the browser but not sent.

Counts of stored rows only; the office sees row-level data anyway, so nothing here is
suppressed. Languages of the questionnaire without any response are listed too: they
show which communities the survey has not reached yet. Demo responses (`survey-app
demo`) are counted apart: a chart of made-up answers would tell the office nothing about
where to promote the survey.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import and_, func, not_, select
from sqlmodel import Session, col

from survey_app.db.engine import Database
from survey_app.db.tables import Draft, Invitation, Recipient, Submission, SurveyVersion
from survey_app.errors import UnknownSurvey
from survey_app.services.drafts import SUBMISSION_PREFIX
from survey_app.services.invitations import InvitationCounts, invitation_counts
from survey_app.services.published import get_survey

__all__ = ["Fieldwork", "Mailing", "fieldwork"]


@dataclass(frozen=True)
class Mailing:
    """The invitations by e-mail (`services.mailing`): how many recipients were invited,
    reminded, and used their link; letters the mail server refused."""

    recipients: int
    invited: int
    reminded: int
    answered: int
    failed: int


@dataclass(frozen=True)
class Fieldwork:
    survey: str
    title: str
    responses: int
    """Real responses: every figure below leaves the demo responses out."""
    demo: int
    """Demo responses (`survey-app demo`), counted nowhere else."""
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
    mailing: Mailing | None
    """For an invitation survey; recipients are gone after `purge --contacts`."""


def fieldwork(db: Database, survey_id: str, *, today: datetime.date | None = None) -> Fieldwork:
    """The fieldwork figures of a survey; raises `UnknownSurvey`."""
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    questionnaire = survey.questionnaire
    today = today or datetime.datetime.now(datetime.UTC).date()
    of_survey = and_(col(Submission.survey_id) == survey_id, not_(col(Submission.demo)))
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
            .join(
                Submission,
                and_(
                    col(Submission.version_id) == col(SurveyVersion.id), not_(col(Submission.demo))
                ),
                isouter=True,
            )
            .where(col(SurveyVersion.survey_id) == survey_id)
            .group_by(col(SurveyVersion.number))
            .order_by(col(SurveyVersion.number))
        ).all()
        demo = session.execute(
            select(func.count()).where(col(Submission.survey_id) == survey_id, col(Submission.demo))
        ).scalar_one()
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
        mailing = _mailing(session, survey_id) if questionnaire.audience == "invitation" else None
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
        demo=int(demo),
        excluded=int(excluded),
        days=days,
        languages=sorted(languages.items(), key=lambda item: (-item[1], item[0])),
        versions=[(int(number), int(n)) for number, n in per_version],
        from_pages=int(from_pages),
        open_drafts=int(open_drafts),
        invitations=(
            invitation_counts(db, survey_id) if questionnaire.audience == "invitation" else None
        ),
        mailing=mailing,
    )


def _mailing(session: Session, survey_id: str) -> Mailing:
    """The recipients of a survey by how far their invitation got, in one query."""
    answered = col(Invitation.used_on).is_not(None)
    recipients, invited, reminded, used, failed = session.execute(
        select(
            func.count(),
            func.count(col(Recipient.sent_on)),
            func.count(col(Recipient.reminded_on)),
            func.count(col(Invitation.used_on)),
            func.count().filter(col(Recipient.status) == "failed", not_(answered)),
        )
        .select_from(Recipient)
        .join(Invitation, col(Invitation.id) == col(Recipient.invitation_id))
        .where(col(Recipient.survey_id) == survey_id)
    ).one()
    return Mailing(
        recipients=int(recipients),
        invited=int(invited),
        reminded=int(reminded),
        answered=int(used),
        failed=int(failed),
    )
