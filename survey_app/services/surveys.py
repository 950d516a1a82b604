"""Publishing questionnaires as versioned surveys, and reading every published version
(the newest one is read without the ORM: `services.published`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import Session, col, select

from survey_app.db.engine import Database
from survey_app.db.tables import QuestionnaireUpload, Survey, SurveyVersion
from survey_app.questionnaire.errors import Problem, Severity
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.groups import groups_publish
from survey_app.services.published import (
    PublishedSurvey,
    known_questionnaire,
    remember_questionnaire,
)

log = logging.getLogger(__name__)


@dataclass
class PublishReport:
    published: list[PublishedSurvey] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


WITHOUT_DEFINITION = defer(cast(QueryableAttribute[Any], SurveyVersion.definition))


def questionnaire_of(version: SurveyVersion) -> Questionnaire:
    """The questionnaire of a published version; call it while the version's session is
    open (a version read `WITHOUT_DEFINITION` loads its definition on the first call)."""
    key = (version.survey_id, version.content_hash)
    found = known_questionnaire(key)
    if found is None:
        found = remember_questionnaire(key, version.definition)
    return found


def publish_directory(db: Database, directory: Path) -> PublishReport:
    """Publish the working groups and every valid questionnaire in `directory`; invalid
    files are reported, skipped (`groups_publish`: a catalogue with errors keeps the
    groups published before).

    A survey whose newest version was published in the browser (`/admin/questionnaires`)
    is never replaced from here: a file with other content is skipped with a warning,
    so a restart cannot undo the office's upload (publish the file in the browser)."""
    # The YAML loader only here: reading published surveys (results calls) does not need it.
    from survey_app.questionnaire.loader import load_directory

    groups, problems = groups_publish(db, directory)
    report = PublishReport(problems=list(problems))
    for result in load_directory(directory, working_groups={group.id for group in groups}):
        if result.questionnaire is None:
            report.problems.extend(result.problems)
            for problem in result.errors:
                log.error("questionnaire skipped: %s", problem)
            continue
        uploaded = _uploaded_newest(db, result.questionnaire)
        if uploaded is not None:
            report.problems.append(
                Problem(
                    f"{result.path}:1",
                    f"not published: version {uploaded} of '{result.questionnaire.id}' was "
                    "published in the browser (/admin/questionnaires) and stays the newest; "
                    "upload this file there to publish it",
                    Severity.WARNING,
                )
            )
            continue
        report.published.append(publish_questionnaire(db, result.questionnaire))
    return report


def _uploaded_newest(db: Database, questionnaire: Questionnaire) -> int | None:
    """The number of the survey's newest version if it was published from an upload and
    `questionnaire` is not already one of its versions; None otherwise."""
    with db.read() as session:
        newest = session.exec(
            select(SurveyVersion)
            .options(WITHOUT_DEFINITION)
            .where(SurveyVersion.survey_id == questionnaire.id)
            .order_by(col(SurveyVersion.number).desc())
        ).first()
        if newest is None or _find_version(session, questionnaire) is not None:
            return None
        uploaded = session.exec(
            select(QuestionnaireUpload.id).where(QuestionnaireUpload.version_id == newest.id)
        ).first()
        return newest.number if uploaded is not None else None


def publish_questionnaire(
    db: Database, questionnaire: Questionnaire, *, new_series: bool = False
) -> PublishedSurvey:
    """Publish `questionnaire`; a new version only if its content changed. Idempotent.

    A new version continues the series of the newest one, or starts the next series when
    `new_series` is set (a breaking change published on purpose: results do not compare
    answers across series).

    Several app processes may start at once: the unique constraints decide, and a loser
    of the race reads what the winner wrote.
    """
    for _attempt in range(3):
        try:
            with db.write() as session:
                return _publish(session, questionnaire, new_series)
        except IntegrityError:
            continue
    with db.read() as session:
        found = _find_version(session, questionnaire)
        if found is None:
            raise RuntimeError(f"could not publish survey {questionnaire.id}")
        survey = session.get(Survey, questionnaire.id)
        return _published(found, questionnaire, survey.is_open if survey else True)


def survey_publish(
    session: Session, questionnaire: Questionnaire, *, new_series: bool = False
) -> PublishedSurvey:
    """`publish_questionnaire` in the caller's transaction (no retry)."""
    return _publish(session, questionnaire, new_series)


def _find_version(session: Session, questionnaire: Questionnaire) -> SurveyVersion | None:
    return session.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == questionnaire.id,
            SurveyVersion.content_hash == questionnaire.content_hash,
        )
    ).first()


def _publish(session: Session, questionnaire: Questionnaire, new_series: bool) -> PublishedSurvey:
    survey = session.get(Survey, questionnaire.id)
    if survey is None:
        survey = Survey(id=questionnaire.id)
        session.add(survey)
        session.flush()
    existing = _find_version(session, questionnaire)
    if existing is not None:
        return _published(existing, questionnaire, survey.is_open)
    newest = session.exec(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == questionnaire.id)
        .order_by(col(SurveyVersion.number).desc())
    ).first()
    series = newest.series if newest else 1
    version = SurveyVersion(
        survey_id=questionnaire.id,
        number=newest.number + 1 if newest else 1,
        series=series + 1 if newest and new_series else series,
        label=questionnaire.version,
        content_hash=questionnaire.content_hash,
        definition=questionnaire.to_definition(),
    )
    session.add(version)
    session.flush()
    log.info("published survey %s version %s", questionnaire.id, version.number)
    return _published(version, questionnaire, survey.is_open)


def _published(
    version: SurveyVersion, questionnaire: Questionnaire, is_open: bool
) -> PublishedSurvey:
    assert version.id is not None
    return PublishedSurvey(
        id=version.survey_id,
        version_id=version.id,
        number=version.number,
        questionnaire=questionnaire,
        is_open=is_open,
    )


def latest_surveys(db: Database) -> list[PublishedSurvey]:
    """The newest version of every published survey, ordered by id."""
    with db.read() as session:
        newest = (
            select(SurveyVersion.survey_id, func.max(SurveyVersion.number).label("number"))
            .group_by(col(SurveyVersion.survey_id))
            .subquery()
        )
        rows = session.exec(
            select(SurveyVersion, Survey)
            .options(WITHOUT_DEFINITION)
            .join(
                newest,
                (col(SurveyVersion.survey_id) == newest.c.survey_id)
                & (col(SurveyVersion.number) == newest.c.number),
            )
            .join(Survey, col(Survey.id) == col(SurveyVersion.survey_id))
            .order_by(col(SurveyVersion.survey_id))
        ).all()
        return [_published(v, questionnaire_of(v), s.is_open) for v, s in rows]


def survey_versions(db: Database, survey_id: str) -> list[tuple[SurveyVersion, Questionnaire]]:
    """Every published version of a survey, oldest first."""
    with db.read() as session:
        versions = session.exec(
            select(SurveyVersion)
            .options(WITHOUT_DEFINITION)
            .where(SurveyVersion.survey_id == survey_id)
            .order_by(col(SurveyVersion.number))
        ).all()
        return [(version, questionnaire_of(version)) for version in versions]


def set_survey_open(db: Database, survey_id: str, is_open: bool) -> bool:
    """Open or close a survey for answers; False if there is no such survey."""
    with db.write() as session:
        return survey_set_open(session, survey_id, is_open)


def survey_set_open(session: Session, survey_id: str, is_open: bool) -> bool:
    """`set_survey_open` in the caller's transaction."""
    survey = session.get(Survey, survey_id)
    if survey is None:
        return False
    survey.is_open = is_open
    session.add(survey)
    return True
