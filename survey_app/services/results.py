"""Results: stored submissions of every version of a survey, read fast, handed to `analysis`.

Reading a million responses is the expensive part, so the answers of each version are
read in id ranges with the database concatenating the JSON texts into one newline-
delimited blob per range (`group_concat` on SQLite, `string_agg` on PostgreSQL): one
string per range instead of one Python object per row, parsed by `analysis.frames` in
one vectorised pass. Parsed frames are cached per survey version in the process; the
cache stays exact as responses arrive: it remembers how many submissions it holds and
the highest id, reads only newer ids when the count below that id is unchanged, and
reads the version again otherwise (a purge, or a PostgreSQL transaction that committed
an older id late).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlmodel import Session, col

from analysis.demo import demo_responses
from analysis.frames import answers_frame, parse_answers
from analysis.results import Results, ResultsError, SurveyAnswers, build_results
from survey_app.db.engine import Database
from survey_app.db.tables import Submission, SurveyVersion
from survey_app.questionnaire.loader import load_working_group_catalog
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.surveys import (
    get_survey,
    questionnaire_of,
    survey_versions,
)

__all__ = [
    "UnknownGroup",
    "UnknownSurvey",
    "export_frames",
    "read_answers",
    "store_demo_responses",
    "survey_results",
    "working_group_ids",
]

ID_RANGE = 250_000
"""Submission ids per read: bounds the size of one concatenated blob."""
CACHE_SIZE = 16


class UnknownSurvey(LookupError):
    def __init__(self, survey_id: str) -> None:
        super().__init__(f"no survey '{survey_id}'")
        self.survey_id = survey_id


class UnknownGroup(LookupError):
    def __init__(self, group: str) -> None:
        super().__init__(f"no working group '{group}'")


@dataclass
class _Cached:
    count: int
    max_id: int
    frame: pd.DataFrame


_cache: OrderedDict[tuple[str, int, str], _Cached] = OrderedDict()
_cache_lock = threading.Lock()


def working_group_ids(directory: Path) -> set[str]:
    """Ids of the working groups in the catalogue beside the questionnaires."""
    groups, _problems = load_working_group_catalog(directory)
    return {group.id for group in groups}


def survey_results(
    db: Database,
    survey_id: str,
    *,
    group: str | None = None,
    working_groups: Collection[str] | None = None,
    by: str | None = None,
    compare: str | None = None,
    language: str | None = None,
) -> Results:
    """Suppressed results of a survey (all versions) for a working group.

    Raises `UnknownSurvey`, `UnknownGroup` (when `working_groups` is given and does not
    hold `group`) or `analysis.results.ResultsError` (unknown or unfit `by` question, or
    with a group, a `by` question that is not one of the group's).
    """
    if group is not None and working_groups is not None and group not in working_groups:
        raise UnknownGroup(group)
    answers = read_answers(db, survey_id)
    if group is not None and by is not None:
        own = {question.name for question in answers.questionnaire.questions_of_group(group)}
        if by not in own:
            # A member must not cross the group's results with another group's (perhaps
            # sensitive) question: break down only by the group's own questions.
            raise ResultsError(f"'{by}' is not a question of working group '{group}'")
    other = read_answers(db, compare) if compare is not None else None
    return build_results(answers, group=group, by=by, language=language, compare=other)


def read_answers(db: Database, survey_id: str) -> SurveyAnswers:
    """The newest questionnaire of a survey and the answers frame of all its versions."""
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    target = survey.questionnaire
    with db.read() as session:
        versions = {
            version.id: version
            for version in session.execute(
                select(SurveyVersion).where(col(SurveyVersion.survey_id) == survey_id)
            ).scalars()
        }
        stats = session.execute(
            select(col(Submission.version_id), func.count(), func.max(col(Submission.id)))
            .where(col(Submission.survey_id) == survey_id)
            .group_by(col(Submission.version_id))
        ).all()
        parts = [
            _version_frame(session, target, versions[version_id], int(count), int(max_id))
            for version_id, count, max_id in sorted(stats)
        ]
    return SurveyAnswers(survey_id, survey.number, target, answers_frame(target, parts))


def _version_frame(
    session: Session, target: Questionnaire, version: SurveyVersion, count: int, max_id: int
) -> pd.DataFrame:
    assert version.id is not None
    source = questionnaire_of(version)
    key = (str(session.get_bind().engine.url), version.id, target.content_hash)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and (cached.count, cached.max_id) == (count, max_id):
        with _cache_lock:
            _cache.move_to_end(key)
        return cached.frame
    frame: pd.DataFrame | None = None
    if cached is not None and max_id > cached.max_id:
        below = session.execute(
            select(func.count())
            .select_from(Submission)
            .where(col(Submission.version_id) == version.id, col(Submission.id) <= cached.max_id)
        ).scalar_one()
        if below == cached.count:
            newer = _read_version(session, target, source, version.id, cached.max_id, max_id)
            frame = answers_frame(target, [cached.frame, newer])
    if frame is None:
        frame = _read_version(session, target, source, version.id, 0, max_id)
    with _cache_lock:
        _cache[key] = _Cached(count, max_id, frame)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return frame


def _read_version(
    session: Session,
    target: Questionnaire,
    source: Questionnaire,
    version_id: int,
    after_id: int,
    max_id: int,
) -> pd.DataFrame:
    """Submissions of one version with after_id < id <= max_id, parsed range by range."""
    blob = func.aggregate_strings(func.replace(col(Submission.answers), "\n", " "), "\n")
    parts = []
    for low in range(after_id, max_id, ID_RANGE):
        high = min(low + ID_RANGE, max_id)
        count, lines = session.execute(
            select(func.count(), blob).where(
                col(Submission.version_id) == version_id,
                col(Submission.id) > low,
                col(Submission.id) <= high,
            )
        ).one()
        if count:
            parts.append(parse_answers(target, source, lines, int(count)))
    return answers_frame(target, parts)


def export_frames(
    db: Database, survey_id: str, *, chunk: int = 50_000
) -> tuple[Questionnaire, Iterator[pd.DataFrame]]:
    """The newest questionnaire and the submissions as frames of at most `chunk` rows,
    oldest first, each with the columns `submitted_on`, `language` and `version` in front
    of the answers; memory stays constant however many submissions there are."""
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    target = survey.questionnaire
    versions = {v.id: (v.number, q) for v, q in survey_versions(db, survey_id)}

    def frames() -> Iterator[pd.DataFrame]:
        last_id = 0
        while True:
            with db.read() as session:
                rows = session.execute(
                    select(
                        col(Submission.id),
                        col(Submission.version_id),
                        col(Submission.created_on),
                        col(Submission.language),
                        col(Submission.answers),
                    )
                    .where(col(Submission.survey_id) == survey_id, col(Submission.id) > last_id)
                    .order_by(col(Submission.id))
                    .limit(chunk)
                ).all()
            if not rows:
                return
            last_id = rows[-1][0]
            yield _export_chunk(target, versions, [tuple(row) for row in rows])

    return target, frames()


def _export_chunk(
    target: Questionnaire,
    versions: dict[int | None, tuple[int, Questionnaire]],
    rows: list[tuple[Any, ...]],
) -> pd.DataFrame:
    meta = pd.DataFrame(rows, columns=["id", "version_id", "submitted_on", "language", "answers"])
    parts = []
    for version_id, group in meta.groupby("version_id", sort=False):
        number, source = versions[int(str(version_id))]
        texts = group["answers"].str.replace("\n", " ", regex=False)
        answers = parse_answers(target, source, "\n".join(texts), len(group))
        answers.index = group.index
        parts.append(
            pd.concat(
                [
                    pd.DataFrame(
                        {
                            "submitted_on": group["submitted_on"].astype("str"),
                            "language": group["language"],
                            "version": number,
                        },
                        index=group.index,
                    ),
                    answers,
                ],
                axis=1,
            )
        )
    return pd.concat(parts).sort_index().reset_index(drop=True)


def canonical_json(answers: dict[str, object]) -> str:
    """Answers as stored: sorted keys, compact, UTF-8 characters kept."""
    return json.dumps(answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def store_demo_responses(
    db: Database,
    survey_id: str,
    count: int,
    *,
    seed: int = 0,
    chunk: int = 10_000,
    today: datetime.date | None = None,
) -> int:
    """Store `count` synthetic responses to the newest version of a survey, in one
    transaction per chunk. `demo_responses` yields only answers that passed
    `check_answers`, the gate of real submissions."""
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    questionnaire = survey.questionnaire
    today = today or datetime.date.today()
    ids = np.random.default_rng([seed, 1])
    rows: list[dict[str, object]] = []
    stored = 0
    for response in demo_responses(questionnaire, count, seed=seed, today=today):
        text = canonical_json(dict(response.answers))
        rows.append(
            {
                "survey_id": survey_id,
                "version_id": survey.version_id,
                "submission_id": str(uuid.UUID(bytes=ids.bytes(16), version=4)),
                "language": response.language,
                "answers": text,
                "answers_hash": hashlib.sha256(text.encode()).hexdigest(),
                "created_on": today - datetime.timedelta(days=response.days_ago),
            }
        )
        if len(rows) == chunk:
            stored += _insert(db, rows)
            rows = []
    if rows:
        stored += _insert(db, rows)
    return stored


def _insert(db: Database, rows: list[dict[str, object]]) -> int:
    with db.write() as session:
        session.execute(insert(Submission), rows)
    return len(rows)
