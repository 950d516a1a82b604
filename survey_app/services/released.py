"""Reading a release: the results a working group sees, from the stored publication.

Pages, the results API, workbooks, reports and `survey-app results --release` read a
release many times for every time one is made, and never touch the answers again: a
release is parsed once per process (`release_results`) and read through SQLAlchemy Core
(`survey_app.db.core`), without pandas, the audit, SQLModel or the ORM table classes, so
the command starts in a fraction of the time (issue 19, bench/README.md). Making a
release is `services.releases`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select

from analysis.presence import entry_count_sources, entry_presence_sources, with_entry_presence
from analysis.publication_format import Publication
from analysis.results import (
    ReleaseInfo,
    Results,
    ResultsError,
    check_own_breakdown,
    results_from_publication,
)
from analysis.texts import ReleasedAnswer, with_text_categories
from survey_app.db import core
from survey_app.db.engine import Database
from survey_app.errors import NotFound, UnknownComparison, UnknownSurvey
from survey_app.i18n import S_
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.published import get_survey, published_version

__all__ = ["NoRelease", "ReleasedTexts", "release_results"]

_CACHE_SIZE = 32


class NoRelease(NotFound):
    """No results of a survey (or not this release) have been released."""

    code = "no_release"

    def __init__(self, survey_id: str, number: int | None = None) -> None:
        if number is None:
            message = S_("No results of survey '%(survey)s' have been released yet.")
        else:
            message = S_("Survey '%(survey)s' has no release %(number)s.")
        super().__init__(message, values={"survey": survey_id, "number": number})
        self.survey_id = survey_id

    @property
    def fields(self) -> Mapping[str, object]:
        """The results API has always said this in `error` too."""
        return {"error": self.message}


@dataclass(frozen=True)
class ReleasedTexts:
    """What a release takes of the review: categories per question ((id, label) pairs),
    the categories of each tagged response (submission id -> question -> ids), and the
    selected answers per question. Stored with the release (`to_json`) and read back
    (`from_json`) so it shows exactly what was released."""

    categories: Mapping[str, Sequence[tuple[int, str]]]
    tags: Mapping[int, Mapping[str, Collection[int]]]
    answers: Mapping[str, Sequence[ReleasedAnswer]]

    def to_json(self) -> dict[str, object]:
        return {
            "categories": {q: [[pk, label] for pk, label in c] for q, c in self.categories.items()},
            "answers": {q: [a.to_json() for a in found] for q, found in self.answers.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ReleasedTexts:
        categories = cast(Mapping[str, list[list[Any]]], data.get("categories") or {})
        answers = cast(Mapping[str, list[Mapping[str, Any]]], data.get("answers") or {})
        return cls(
            categories={
                q: [(int(pk), str(label)) for pk, label in c] for q, c in categories.items()
            },
            tags={},
            answers={
                q: [ReleasedAnswer.from_json(a) for a in found] for q, found in answers.items()
            },
        )


@dataclass(frozen=True)
class _Stored:
    info: ReleaseInfo
    survey: str
    version: int
    questionnaire: Questionnaire
    publication: Publication
    answers: Mapping[str, Sequence[ReleasedAnswer]]
    """The free-text answers the release shows, per question."""


_cache: OrderedDict[tuple[str, int, str], _Stored] = OrderedDict()
"""Parsed releases by (database, id, time of release): a restored or another database
with the same ids never gets another's."""
_cache_lock = threading.Lock()


def _stored(db: Database, survey_id: str, number: int | None) -> _Stored:
    """A release (the latest when `number` is None), parsed once per process."""
    release = core.release.c
    with db.read_connection() as connection:
        query = select(release.id, release.released_at).where(release.survey_id == survey_id)
        if number is not None:
            query = query.where(release.number == number)
        found = connection.execute(query.order_by(release.number.desc()).limit(1)).first()
        if found is None:
            if get_survey(db, survey_id) is None:
                raise UnknownSurvey(survey_id)
            raise NoRelease(survey_id, number)
        release_id = int(found[0])
        key = (db.url, release_id, found[1].isoformat())
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        row = connection.execute(
            select(
                release.number,
                release.released_at,
                release.version_id,
                release.publication,
                release.texts,
            ).where(release.id == release_id)
        ).one()
        version = published_version(connection, row.version_id)
        texts = ReleasedTexts.from_json(row.texts or {})
        publication = Publication.loads(row.publication)
        stored = _Stored(
            info=ReleaseInfo(row.number, row.released_at.date()),
            survey=survey_id,
            version=version.number,
            questionnaire=with_text_categories(
                _with_published_presence(version.questionnaire, publication),
                texts.categories,
            ),
            publication=publication,
            answers=texts.answers,
        )
    with _cache_lock:
        _cache[key] = stored
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return stored


def _with_published_presence(
    questionnaire: Questionnaire, publication: Publication
) -> Questionnaire:
    """The questionnaire a release was made from: with the derived questions counting
    what a roster's entries answered (`analysis.presence`) where the release published
    them, which a release made before they existed did not; the entry-count questions
    only where it published those (a release made before them has presence questions
    alone, under the same keys)."""
    derived = with_entry_presence(questionnaire)
    if not any(publication.has(f"n|{name}") for name in entry_presence_sources(derived)):
        return questionnaire
    if any(publication.has(f"n|{name}") for name in entry_count_sources(derived)):
        return derived
    return with_entry_presence(questionnaire, entry_counts=False)


def release_results(
    db: Database,
    survey_id: str,
    *,
    group: str | None = None,
    by: str | None = None,
    compare: str | None = None,
    language: str | None = None,
    number: int | None = None,
) -> Results:
    """Results of a release (the latest by default) for a working group.

    Raises `UnknownSurvey`, `NoRelease` (also for the `compare` survey) or `ResultsError`
    (an unknown or unfit `by`, or with a group, a `by` that is not one of the group's)."""
    stored = _stored(db, survey_id, number)
    check_own_breakdown(stored.questionnaire, group, by)
    other = None
    if compare is not None:
        try:
            found = _stored(db, compare, None)
        except UnknownSurvey:
            raise UnknownComparison(compare) from None
        except NoRelease as error:
            raise ResultsError(str(error)) from None
        other = (found.survey, found.version, found.questionnaire, found.publication)
    return results_from_publication(
        stored.publication,
        stored.questionnaire,
        survey=survey_id,
        version=stored.version,
        group=group,
        by=by,
        language=language,
        compare=other,
        release=stored.info,
        answers=stored.answers,
    )
