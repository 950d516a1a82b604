"""Publishing questionnaires as versioned surveys, and reading what is published."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, bindparam, func
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import Session, col, select

from survey_app.db import core
from survey_app.db.engine import Database
from survey_app.db.tables import QuestionnaireUpload, Survey, SurveyVersion
from survey_app.questionnaire.errors import Problem, Severity
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.groups import groups_publish

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishedSurvey:
    """The newest published version of a survey, with its questionnaire."""

    id: str
    version_id: int
    number: int
    questionnaire: Questionnaire
    is_open: bool

    def summary(self) -> dict[str, Any]:
        """The shape of `GET /api/v1/surveys` entries."""
        q = self.questionnaire
        return {
            "id": self.id,
            "version": self.number,
            "title": q.title,
            "languages": list(q.languages),
            "default_language": q.default_language,
            "audience": q.audience,
        }


@dataclass
class PublishReport:
    published: list[PublishedSurvey] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# Published versions never change, so a version's questionnaire is parsed once per process
# and found again by (survey, content hash) without reading its definition (~100 KB of
# JSON for the newcomer survey) at all: readers select versions with `WITHOUT_DEFINITION`.
_QUESTIONNAIRES: dict[tuple[str, str], Questionnaire] = {}
_QUESTIONNAIRES_KEPT = 256
WITHOUT_DEFINITION = defer(cast(QueryableAttribute[Any], SurveyVersion.definition))


def questionnaire_of(version: SurveyVersion) -> Questionnaire:
    """The questionnaire of a published version; call it while the version's session is
    open (a version read `WITHOUT_DEFINITION` loads its definition on the first call)."""
    key = (version.survey_id, version.content_hash)
    found = _QUESTIONNAIRES.get(key)
    if found is None:
        found = _remember(key, version.definition)
    return found


def _remember(key: tuple[str, str], definition: Any) -> Questionnaire:
    found = Questionnaire.model_validate(definition)
    if len(_QUESTIONNAIRES) >= _QUESTIONNAIRES_KEPT:
        _QUESTIONNAIRES.clear()
    _QUESTIONNAIRES[key] = found
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


# Asked for by every request of a respondent's page and every submission: one prepared
# statement (built and cache-keyed once), read through SQLAlchemy Core on a connection.
# An ORM session and a `SurveyVersion` object per request were about a tenth of a page
# step's CPU (bench/README.md); the row is still read every time, so a survey closed or
# a version published is seen by the next request.
_NEWEST_VERSION = (
    core_select(
        core.survey_version.c.id,
        core.survey_version.c.number,
        core.survey_version.c.content_hash,
        core.survey.c.is_open,
    )
    .join(core.survey, core.survey.c.id == core.survey_version.c.survey_id)
    .where(core.survey_version.c.survey_id == bindparam("survey_id"))
    .order_by(core.survey_version.c.number.desc())
    .limit(1)
)
_DEFINITION = core_select(core.survey_version.c.definition).where(
    core.survey_version.c.id == bindparam("version_id")
)


def get_survey(db: Database, survey_id: str) -> PublishedSurvey | None:
    """The newest version of one survey, or None."""
    with db.read_connection() as connection:
        row = newest_version(connection, survey_id)
        if row is None:
            return None
        version_id, number, content_hash, is_open = row
        key = (survey_id, content_hash)
        questionnaire = _QUESTIONNAIRES.get(key)
        if questionnaire is None:
            definition = connection.execute(_DEFINITION, {"version_id": version_id}).scalar_one()
            questionnaire = _remember(key, definition)
    return PublishedSurvey(
        id=survey_id,
        version_id=int(version_id),
        number=int(number),
        questionnaire=questionnaire,
        is_open=bool(is_open),
    )


class SurveyChanged(Exception):
    """A remembered survey (`remembered_survey`) is no longer the newest version: what
    was decided with it must be decided again with the survey read afresh
    (`refreshed_survey`). Never an answer of its own."""


# The newest version of each survey as the submission API last found it, per database.
# Every submission used to read it in a read transaction of its own (a connection,
# BEGIN, the query, ROLLBACK: about a tenth of a submission's server CPU), only for the
# write transaction to ask about the survey again (`is_open`). Now the write
# transaction reads the newest version itself (`is_newest`, one query either way) and
# refuses to store against a remembered version that is no longer the newest, so a
# version published by this process or another is used from the next submission on,
# as before. Only known surveys are kept (never deleted, so the dict stays small);
# unknown ids are read every time.
_REMEMBERED: weakref.WeakKeyDictionary[Database, dict[str, PublishedSurvey]] = (
    weakref.WeakKeyDictionary()
)


def remembered_survey(db: Database, survey_id: str) -> PublishedSurvey | None:
    """`get_survey` as last read here: it may be outdated, so a caller must confirm it
    (`is_newest`) before it acts on it, and on `SurveyChanged` use `refreshed_survey`."""
    found = _REMEMBERED.get(db, {}).get(survey_id)
    return found if found is not None else refreshed_survey(db, survey_id)


def refreshed_survey(db: Database, survey_id: str) -> PublishedSurvey | None:
    """`get_survey`, remembered for `remembered_survey`."""
    found = get_survey(db, survey_id)
    if found is not None:
        _REMEMBERED.setdefault(db, {})[survey_id] = found
    return found


def newest_version(connection: Connection | Session, survey_id: str) -> Sequence[Any] | None:
    """The survey's newest version as (id, number, content_hash, is_open), in the
    caller's transaction; None for an unknown survey."""
    return connection.execute(_NEWEST_VERSION, {"survey_id": survey_id}).first()


def is_newest(survey: PublishedSurvey, newest: Sequence[Any] | None) -> bool:
    """Whether `survey` is the version `newest_version` found (a published version never
    changes, so its id says it all)."""
    return newest is not None and newest[0] == survey.version_id


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
