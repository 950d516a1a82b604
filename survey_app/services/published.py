"""Reading what is published: the newest version of a survey and its questionnaire,
through SQLAlchemy Core only (`survey_app.db.core`).

Every respondent's page and submission asks for it, and so do commands that only read
(`survey-app check` compares a questionnaire with its published version): importing the
ORM table classes and SQLModel would cost such a command about 0.15 s of its start
(issue 19). Publishing, which writes, stays in `services.surveys`.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam
from sqlalchemy import select as core_select

from survey_app.db import core
from survey_app.db.engine import Database
from survey_app.questionnaire.schema import Questionnaire

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "PublishedSurvey",
    "PublishedVersion",
    "SurveyChanged",
    "get_survey",
    "is_newest",
    "known_questionnaire",
    "newest_version",
    "published_version",
    "published_versions",
    "refreshed_survey",
    "remember_questionnaire",
    "remembered_survey",
]


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


# Published versions never change, so a version's questionnaire is parsed once per process
# and found again by (survey, content hash) without reading its definition (~100 KB of
# JSON for the newcomer survey) at all: readers select versions without it
# (`services.surveys.WITHOUT_DEFINITION`).
_QUESTIONNAIRES: dict[tuple[str, str], Questionnaire] = {}
_QUESTIONNAIRES_KEPT = 256


def known_questionnaire(key: tuple[str, str]) -> Questionnaire | None:
    """The questionnaire kept under (survey, content hash), if it was parsed here."""
    return _QUESTIONNAIRES.get(key)


def remember_questionnaire(key: tuple[str, str], definition: Any) -> Questionnaire:
    """The questionnaire of a version's `definition`, kept under (survey, content hash)."""
    found = Questionnaire.model_validate(definition)
    if len(_QUESTIONNAIRES) >= _QUESTIONNAIRES_KEPT:
        _QUESTIONNAIRES.clear()
    _QUESTIONNAIRES[key] = found
    return found


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
        questionnaire = _questionnaire(connection, survey_id, version_id, content_hash)
    return PublishedSurvey(
        id=survey_id,
        version_id=int(version_id),
        number=int(number),
        questionnaire=questionnaire,
        is_open=bool(is_open),
    )


@dataclass(frozen=True)
class PublishedVersion:
    """One published version of a survey, with its questionnaire."""

    id: int
    number: int
    questionnaire: Questionnaire


_VERSION = core.survey_version.c
_VERSIONS = (
    core_select(_VERSION.id, _VERSION.number, _VERSION.content_hash)
    .where(_VERSION.survey_id == bindparam("survey_id"))
    .order_by(_VERSION.number)
)
_ONE_VERSION = core_select(_VERSION.survey_id, _VERSION.number, _VERSION.content_hash).where(
    _VERSION.id == bindparam("version_id")
)


def published_versions(connection: Connection, survey_id: str) -> list[PublishedVersion]:
    """Every published version of a survey, oldest first, in the caller's transaction;
    a definition is read only for a questionnaire not yet parsed in this process."""
    return [
        PublishedVersion(
            int(version_id),
            int(number),
            _questionnaire(connection, survey_id, int(version_id), content_hash),
        )
        for version_id, number, content_hash in connection.execute(
            _VERSIONS, {"survey_id": survey_id}
        ).all()
    ]


def published_version(connection: Connection, version_id: int) -> PublishedVersion:
    """One published version by its id, in the caller's transaction."""
    survey_id, number, content_hash = connection.execute(
        _ONE_VERSION, {"version_id": version_id}
    ).one()
    return PublishedVersion(
        version_id, int(number), _questionnaire(connection, survey_id, version_id, content_hash)
    )


def _questionnaire(
    connection: Connection, survey_id: str, version_id: int, content_hash: str
) -> Questionnaire:
    key = (survey_id, content_hash)
    found = known_questionnaire(key)
    if found is None:
        definition = connection.execute(_DEFINITION, {"version_id": version_id}).scalar_one()
        found = remember_questionnaire(key, definition)
    return found


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
