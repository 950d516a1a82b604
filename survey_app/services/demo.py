"""An earlier wave for the demo: so that a new user sees wave comparison working before a
second real round exists.

The earlier wave is a survey of its own (`{survey}-demo-earlier`, in the same `series`,
closed for answering) with synthetic answers dated a year back, drawn from the survey's
priors with every choice's weight drifted (`analysis.demo.drifted_priors`), and one
release of them. The results pages then offer it under "compare with wave" exactly as
they would offer last year's real round. `survey-app demo {survey}-demo-earlier --remove`
deletes its answers and release; the closed, empty survey stays as a published record.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlmodel import col, func, select

from survey_app.db.engine import Database
from survey_app.db.tables import Release, Submission
from survey_app.errors import Invalid, UnknownSurvey
from survey_app.i18n import S_
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services import results_cache
from survey_app.services.audit import audit_record
from survey_app.services.published import get_survey
from survey_app.services.releases import ReleaseSummary, release_create
from survey_app.services.submissions import NewSubmission, checked_submissions_create
from survey_app.services.surveys import survey_publish, survey_set_open

if TYPE_CHECKING:
    from analysis.demo import Priors

__all__ = [
    "EarlierWave",
    "demo_earlier_wave",
    "demo_remove",
    "earlier_wave_id",
    "store_demo_responses",
]

SUFFIX = "-demo-earlier"
#: How far back the earlier wave's answers are dated.
WAVE_GAP = datetime.timedelta(days=365)
_TITLE_SUFFIX = {"de": " (Demo: frühere Welle)"}
_TITLE_SUFFIX_OTHER = " (demo: earlier wave)"

EXISTS = S_(
    "The earlier wave %(wave)s has %(count)s responses already; "
    "`survey-app demo %(wave)s --remove` deletes them first."
)
NO_SERIES = S_(
    "The survey %(survey)s has no series: waves are compared only within one, so an "
    "earlier wave could not be compared with it. Add `series: %(survey)s` to its questionnaire."
)


@dataclass(frozen=True)
class EarlierWave:
    survey_id: str
    responses: int
    release: ReleaseSummary


def earlier_wave_id(survey_id: str) -> str:
    return survey_id + SUFFIX


def earlier_questionnaire(questionnaire: Questionnaire) -> Questionnaire:
    """The questionnaire of the earlier wave: the same questions and choices (so every
    question compares), its own id, a title that says what it is."""
    title = {
        language: text + _TITLE_SUFFIX.get(language, _TITLE_SUFFIX_OTHER)
        for language, text in questionnaire.title.items()
    }
    definition = questionnaire.to_definition() | {
        "id": earlier_wave_id(questionnaire.id),
        "title": title,
        "version": "demo",
    }
    return Questionnaire.model_validate(definition)


def demo_earlier_wave(
    db: Database,
    survey_id: str,
    count: int,
    *,
    seed: int = 0,
    priors: Priors | None = None,
    actor: str,
    today: datetime.date | None = None,
) -> EarlierWave:
    """Publish (or reuse) the earlier wave of `survey_id`, closed for answering; store
    `count` demo responses in it dated a year before `today`, and release them (demo
    responses counted: the caller refuses this in production). Audited.

    Raises `UnknownSurvey`, `Invalid` (a survey without a series, an earlier wave with
    responses already) or `ReleaseRefused`."""
    from analysis.demo import drifted_priors  # imported here: only the demo needs numpy's drift

    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    if survey.questionnaire.series is None:
        raise Invalid(NO_SERIES, values={"survey": survey_id})
    earlier = earlier_questionnaire(survey.questionnaire)
    with db.write() as session:
        # One wave of the demo, released once: a second batch would make the next
        # release audit a doubled wave against the first, which takes minutes.
        existing = session.execute(
            select(func.count()).where(col(Submission.survey_id) == earlier.id)
        ).scalar_one()
        if existing:
            raise Invalid(EXISTS, values={"wave": earlier.id, "count": existing})
        survey_publish(session, earlier)
        survey_set_open(session, earlier.id, False)
        audit_record(
            session,
            actor=actor,
            action="demo_earlier_wave",
            detail={"survey": survey_id, "wave": earlier.id, "responses": count},
        )
    drifted = drifted_priors(earlier, priors or {}, seed=seed)
    stored = store_demo_responses(
        db,
        earlier.id,
        count,
        seed=seed,
        priors=drifted,
        today=(today or datetime.date.today()) - WAVE_GAP,
    )
    release = release_create(db, earlier.id, actor=actor, note="demo: earlier wave", with_demo=True)
    return EarlierWave(survey_id=earlier.id, responses=stored, release=release)


def store_demo_responses(
    db: Database,
    survey_id: str,
    count: int,
    *,
    seed: int = 0,
    chunk: int = 10_000,
    today: datetime.date | None = None,
    priors: Priors | None = None,
) -> int:
    """Store `count` synthetic responses to the newest version of a survey, marked as
    demo responses (`demo_remove`), in one transaction per chunk. `demo_responses`
    yields only answers that passed `check_answers`, the gate of real submissions, and
    they are stored as a respondent's would be (`NewSubmission.from_checked`: the same
    canonical form, hash and quality signals); `priors` make them plausible."""
    from analysis.demo import demo_responses  # imported here: results calls do not need it

    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    today = today or datetime.date.today()
    responses = demo_responses(survey.questionnaire, count, seed=seed, today=today, priors=priors)
    new_submissions = (
        NewSubmission.from_checked(
            survey,
            response.checked,
            # Random, not drawn from the seed: a second run with the same seed adds
            # responses instead of colliding with the first run's ids.
            submission_id=str(uuid.uuid4()),
            language=response.language,
            created_on=today - datetime.timedelta(days=response.days_ago),
            demo=True,
        )
        for response in responses
    )
    return checked_submissions_create(db, new_submissions, chunk=chunk)


def demo_remove(
    db: Database, survey_id: str, *, actor: str, results_cache_dir: Path
) -> tuple[int, int]:
    """Delete a survey's demo responses and the releases that counted any of them (a
    later release could not be compared with those, and their numbers were synthetic),
    with every later release; audited. The database's cached answers go too. Returns
    (responses, releases) deleted. Raises `UnknownSurvey`."""
    if get_survey(db, survey_id) is None:
        raise UnknownSurvey(survey_id)
    with db.write() as session:
        demo = [
            (int(version), int(pk))
            for version, pk in session.execute(
                select(col(Submission.version_id), col(Submission.id)).where(
                    col(Submission.survey_id) == survey_id, col(Submission.demo)
                )
            ).all()
        ]
        releases = (
            session.execute(
                select(Release)
                .where(col(Release.survey_id) == survey_id)
                .order_by(col(Release.number))
            )
            .scalars()
            .all()
        )
        first = next((r.number for r in releases if any(r.counts(v, pk) for v, pk in demo)), None)
        dropped = [r for r in releases if first is not None and r.number >= first]
        for release in dropped:
            session.delete(release)
        session.execute(
            delete(Submission).where(col(Submission.survey_id) == survey_id, col(Submission.demo))
        )
        detail = {"survey": survey_id, "responses": len(demo), "releases": len(dropped)}
        audit_record(session, actor=actor, action="demo_remove", detail=detail)
    results_cache.delete_database_files(results_cache_dir, db.url)
    return len(demo), len(dropped)
