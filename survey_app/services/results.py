"""Results: stored submissions of every version of a survey, read fast, handed to `analysis`.

Reading a million responses is the expensive part, so the answers of each version are
read in id ranges with the database concatenating the JSON texts into one newline-
delimited blob per range (`group_concat` on SQLite, `string_agg` on PostgreSQL): one
string per range instead of one Python object per row (on SQLite as bytes), parsed by
`analysis.frames` in one vectorised pass while a second thread reads the next range.

Parsed frames are cached per survey version and target questionnaire, in the process
and, when a `cache_dir` is given (`var/results-cache/`), on disk as Arrow
IPC files (`services.results_cache`), so a new process reads columns instead of parsing
JSON. Both caches stay exact as responses arrive: an entry remembers how many
submissions of the version it holds, the highest id and that row's `submission_id`
(identity checks that use only the version's index); when these match, the entry is
used; when only newer ids were added (the count up to the remembered id and the
remembered row are unchanged), only those are read and appended; otherwise (a purge, a
PostgreSQL transaction that committed an older id late, a restored or replaced
database) the version is read again. Over a million responses a first read takes ~4 s,
a later process reads the cache file in ~0.3 s (bench/README.md).

The CLI, the results pages and the API all pass the cache under the var directory, so a
restarted server's first results are as fast as a later CLI call.

Everything here reads through SQLAlchemy Core (`survey_app.db.core`): a live view that
has to count imports no SQLModel, ORM or table classes (0.1-0.2 s of a command's start,
issue 19). Demo responses, which are written, are stored by `services.demo`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Connection, LargeBinary, String, cast, func, select
from sqlalchemy.sql import ColumnElement

from analysis.frames import (
    Responses,
    answers_frame,
    empty_frame,
    join_responses,
    join_texts,
    parse_answers,
    parse_responses,
    take_responses,
)
from analysis.presence import with_entry_presence
from analysis.results import SurveyAnswers
from survey_app.db import core
from survey_app.db.engine import Database
from survey_app.errors import UnknownSurvey
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services import results_cache
from survey_app.services.published import PublishedVersion, get_survey, published_versions
from survey_app.services.results_cache import StoredAnswers, cache_directory, stored_answers

__all__ = [
    "cache_directory",
    "export_frames",
    "export_responses",
    "read_answers",
    "release_layers",
]

_SUBMISSION = core.submission.c
COUNTED = _SUBMISSION.status != "excluded"
"""Responses that count: every one the office did not exclude."""
ID_RANGE = 250_000
"""Submission ids per read: bounds the size of one concatenated blob."""
CACHE_SIZE = 16


@dataclass(frozen=True)
class _Cached:
    stored: StoredAnswers
    frame: pd.DataFrame
    saved_in: Path | None = None
    """The cache directory that holds this frame's file (None: only in memory)."""


_cache: OrderedDict[tuple[str, int, str], _Cached] = OrderedDict()
_cache_lock = threading.Lock()


def read_answers(db: Database, survey_id: str, *, cache_dir: Path | None = None) -> SurveyAnswers:
    """The newest questionnaire of a survey and the answers frame of all its versions;
    the questionnaire has the derived questions counting what a roster's entries
    answered by household (`analysis.presence`), and the frame their columns.

    With `cache_dir` (e.g. `cache_directory(settings.var_dir)`), parsed answers are also
    kept there between processes; without it, only in this process.
    """
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    target = with_entry_presence(survey.questionnaire)
    parts = []
    with db.read_connection() as connection:
        for version in published_versions(connection, survey_id):
            stored = stored_answers(connection, version.id)
            if stored is None:
                if cache_dir is not None:
                    # Nothing is stored (any more): no file may keep answers of it.
                    results_cache.delete_version_files(cache_dir, db.url, version.id)
                continue
            parts.append(_version_frame(db, connection, target, version, stored, cache_dir))
    return SurveyAnswers(survey_id, survey.number, target, answers_frame(target, parts))


def release_layers(
    db: Database,
    survey_id: str,
    target: Questionnaire,
    boundaries: Sequence[Mapping[int, int]],
    *,
    apart: Collection[int] = (),
    ids: list[npt.NDArray[np.int64]] | None = None,
) -> tuple[list[pd.DataFrame], dict[int, int]]:
    """The answers each release added, as frames with the target's columns: layer m holds,
    per version, the submissions with `boundaries[m-1][version] < id <= boundaries[m][version]`
    (a version missing from a boundary has none up to it), excluded or not, but not the ids
    in `apart`; then one frame per id of `apart`, in that order. One read, one transaction.

    Also returns the version of each id of `apart` (ids that are gone are missing). With
    `ids`, the submission id of every row of each layer is appended to it, one array per
    layer."""
    layers: list[pd.DataFrame] = []
    kept = tuple(sorted(apart))
    outside = (_SUBMISSION.id.notin_(kept),) if kept else ()
    with db.read_connection() as connection:
        sources = {
            version.id: version.questionnaire
            for version in published_versions(connection, survey_id)
        }
        before: Mapping[int, int] = {}
        for boundary in boundaries:
            layer_ids: list[npt.NDArray[np.int64]] | None = [] if ids is not None else None
            parts = [
                _read_version(
                    connection,
                    target,
                    source,
                    version_id,
                    before.get(version_id, 0),
                    end,
                    outside,
                    ids=layer_ids,
                )
                for version_id, source in sources.items()
                if (end := boundary.get(version_id, 0)) > before.get(version_id, 0)
            ]
            layers.append(answers_frame(target, parts))
            if ids is not None:
                ids.append(_joined_ids(layer_ids))
            before = boundary
        version_of = dict(
            connection.execute(
                select(_SUBMISSION.id, _SUBMISSION.version_id).where(
                    _SUBMISSION.survey_id == survey_id, _SUBMISSION.id.in_(kept)
                )
            ).all()
        ) if kept else {}  # fmt: skip
        for pk in kept:
            version_id = version_of.get(pk)
            if version_id is None:
                layers.append(empty_frame(target))
                if ids is not None:
                    ids.append(np.zeros(0, dtype=np.int64))
                continue
            one = (_SUBMISSION.id == pk,)
            layers.append(
                _read_version(connection, target, sources[version_id], version_id, pk - 1, pk, one)
            )
            if ids is not None:
                ids.append(np.full(len(layers[-1]), pk, dtype=np.int64))
    return layers, {int(k): int(v) for k, v in version_of.items()}


def _joined_ids(parts: list[npt.NDArray[np.int64]] | None) -> npt.NDArray[np.int64]:
    """Ids of the rows of frames joined by `answers_frame` (parts in the same order)."""
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(parts)


def _version_frame(
    db: Database,
    connection: Connection,
    target: Questionnaire,
    version: PublishedVersion,
    stored: StoredAnswers,
    cache_dir: Path | None,
) -> pd.DataFrame:
    key = (results_cache.database_key(db.url), version.id, target.content_hash)
    with _cache_lock:
        cached = _cache.get(key)
    if (cached is None or cached.stored != stored) and cache_dir is not None:
        loaded = results_cache.load_frame(
            cache_dir, db.url, version.id, target.content_hash, empty_frame(target)
        )
        if loaded is not None:
            cached = _Cached(*loaded, saved_in=cache_dir)
    if cached is not None and cached.stored == stored:
        entry = cached
    else:
        entry = _Cached(stored, _read_newer_or_all(connection, target, version, stored, cached))
    if cache_dir is not None and entry.saved_in != cache_dir:
        saved = results_cache.save_frame(
            cache_dir, db.url, version.id, target.content_hash, stored, entry.frame
        )
        if saved and not _still_stored(db, version.id, stored):
            # A purge committed while these answers were parsed, and may have deleted
            # the cache files before this one was written: no file may keep answers that
            # are no longer stored (checked after the write, so whichever comes last,
            # the purge's deletion or this check, removes it).
            results_cache.delete_version_files(cache_dir, db.url, version.id)
            saved = False
        entry = _Cached(entry.stored, entry.frame, saved_in=cache_dir if saved else None)
    with _cache_lock:
        _cache[key] = entry
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return entry.frame


def _still_stored(db: Database, version_id: int, stored: StoredAnswers) -> bool:
    """Whether the rows `stored` describes are still stored as they were, read in a
    transaction of its own (not the one the answers were read in, whose snapshot would
    not see a purge). Rows that arrived since do not count: they have higher ids."""
    with db.read_connection() as connection:
        return stored_answers(connection, version_id, up_to=stored.max_id) == stored


def _read_newer_or_all(
    connection: Connection,
    target: Questionnaire,
    version: PublishedVersion,
    stored: StoredAnswers,
    cached: _Cached | None,
) -> pd.DataFrame:
    """The version's frame from a cached one plus the newer ids when only those were
    added since; read whole otherwise."""
    source = version.questionnaire
    if cached is not None and stored.max_id > cached.stored.max_id:
        before = stored_answers(connection, version.id, up_to=cached.stored.max_id)
        if before == cached.stored:
            newer = _read_version(
                connection, target, source, version.id, cached.stored.max_id, stored.max_id
            )
            return answers_frame(target, [cached.frame, newer])
    return _read_version(connection, target, source, version.id, 0, stored.max_id)


def _read_version(
    connection: Connection,
    target: Questionnaire,
    source: Questionnaire,
    version_id: int,
    after_id: int,
    max_id: int,
    which: tuple[ColumnElement[bool], ...] = (COUNTED,),
    ids: list[npt.NDArray[np.int64]] | None = None,
) -> pd.DataFrame:
    """Submissions of one version with after_id < id <= max_id (and meeting `which`: by
    default, those not excluded), parsed range by range; with `ids`, the submission id
    of each row is appended to it (one array per range read).

    With several ranges, a second thread reads the next one while this one is parsed
    (the database and pyarrow both work outside the GIL). It uses the same connection, one
    statement after the other, so every range comes from the same transaction."""
    ranges = [(low, min(low + ID_RANGE, max_id)) for low in range(after_id, max_id, ID_RANGE)]
    if not ranges:
        return empty_frame(target)
    parts = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="results-read") as reader:
        with_ids = ids is not None
        following = reader.submit(
            _read_range, connection, version_id, *ranges[0], which, with_ids=with_ids
        )
        for index in range(len(ranges)):
            count, lines, row_ids = following.result()
            if index + 1 < len(ranges):
                following = reader.submit(
                    _read_range,
                    connection,
                    version_id,
                    *ranges[index + 1],
                    which,
                    with_ids=with_ids,
                )
            if count:
                parts.append(parse_answers(target, source, lines, count))
                if ids is not None:
                    ids.append(row_ids)
            del lines  # at most two ranges' texts in memory: this one's and the next
    return answers_frame(target, parts)


def _read_range(
    connection: Connection,
    version_id: int,
    low: int,
    high: int,
    which: tuple[ColumnElement[bool], ...] = (),
    *,
    with_ids: bool = False,
) -> tuple[int, Any, npt.NDArray[np.int64]]:
    """How many submissions of a version have low < id <= high (and meet `which`), their
    texts, one a line, and `with_ids` their ids in the same order (else an empty array).

    The ids are a second aggregate of the same query: both aggregates are fed the rows
    in one pass (in parallel plans, partial states travel together), so they list the
    rows in the same order, whatever order the database chose."""
    sqlite = connection.dialect.name == "sqlite"
    in_range = (
        _SUBMISSION.version_id == version_id,
        _SUBMISSION.id > low,
        _SUBMISSION.id <= high,
        *which,
    )
    listed = (func.aggregate_strings(cast(_SUBMISSION.id, String), ","),)
    extra = listed if with_ids else ()
    count, lines, *joined_ids = connection.execute(
        select(func.count(), _joined_texts(sqlite, replace_newlines=False), *extra).where(*in_range)
    ).one()
    if count and lines.count(b"\n" if sqlite else "\n") != count - 1:
        # A text with a raw newline (whitespace in JSON; this application never stores
        # one): read the range again with newlines replaced, one text a line.
        count, lines, *joined_ids = connection.execute(
            select(func.count(), _joined_texts(sqlite, replace_newlines=True), *extra).where(
                *in_range
            )
        ).one()
    row_ids = (
        np.array(joined_ids[0].split(","), dtype=np.int64)
        if count and joined_ids
        else np.zeros(0, dtype=np.int64)
    )
    return int(count), lines, row_ids


def _joined_texts(sqlite: bool, *, replace_newlines: bool) -> ColumnElement[Any]:
    """The answer texts of the selected rows joined by newlines, in one value."""
    answers = _SUBMISSION.answers
    texts = func.replace(answers, "\n", " ") if replace_newlines else answers
    joined: ColumnElement[Any] = func.aggregate_strings(texts, "\n")
    if sqlite:
        # The bytes as stored (UTF-8): no decoding into a str only to encode it again.
        joined = cast(joined, LargeBinary)
    return joined


def export_frames(
    db: Database, survey_id: str, *, chunk: int = 50_000
) -> tuple[Questionnaire, Iterator[pd.DataFrame]]:
    """The newest questionnaire and the submissions as frames of at most `chunk` rows,
    oldest first, each with the columns `submitted_on`, `language`, `version` and `status`
    (the office's review: excluded responses are included, marked) in front of the
    answers; memory stays constant however many submissions there are."""
    target, chunks = export_responses(db, survey_id, chunk=chunk)
    return target, (responses.frame for responses in chunks)


def export_responses(
    db: Database, survey_id: str, *, chunk: int = 50_000
) -> tuple[Questionnaire, Iterator[Responses]]:
    """As `export_frames`, each chunk with its repeats' entries (`Responses.entries`,
    pointing to the chunk's rows)."""
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    target = survey.questionnaire
    with db.read_connection() as connection:
        versions = {
            version.id: (version.number, version.questionnaire)
            for version in published_versions(connection, survey_id)
        }

    def frames() -> Iterator[Responses]:
        last_id = 0
        while True:
            with db.read_connection() as connection:
                rows = connection.execute(
                    select(
                        _SUBMISSION.id,
                        _SUBMISSION.version_id,
                        _SUBMISSION.created_on,
                        _SUBMISSION.language,
                        _SUBMISSION.answers,
                        _SUBMISSION.status,
                    )
                    .where(_SUBMISSION.survey_id == survey_id, _SUBMISSION.id > last_id)
                    .order_by(_SUBMISSION.id)
                    .limit(chunk)
                ).all()
            if not rows:
                return
            last_id = int(str(rows[-1][0]))
            yield _export_chunk(target, versions, [tuple(row) for row in rows])

    return target, frames()


def _export_chunk(
    target: Questionnaire,
    versions: dict[int, tuple[int, Questionnaire]],
    rows: list[tuple[Any, ...]],
) -> Responses:
    """One chunk of rows (id, version_id, created_on, language, answers, status) as a
    frame in the same order. The answer texts stay a Python list joined once per version: put
    into a frame first, each would be copied into an Arrow string array and back."""
    _ids, version_ids, dates, languages, texts, statuses = (
        list(column) for column in zip(*rows, strict=True)
    )
    of_version = np.asarray(version_ids, dtype="int64")
    numbers = np.empty(len(rows), dtype="int64")
    parts: list[Responses] = []
    positions: list[npt.NDArray[np.intp]] = []
    for version_id in dict.fromkeys(version_ids):
        number, source = versions[version_id]
        where = np.flatnonzero(of_version == version_id)
        numbers[where] = number
        own = texts if len(where) == len(rows) else [texts[i] for i in where]
        parts.append(parse_responses(target, source, join_texts(own), len(own)))
        positions.append(where)
    answers = join_responses(target, parts)
    if len(parts) > 1:
        # Back into id order: row k of the concatenation came from position order[k].
        order = np.argsort(np.concatenate(positions), kind="stable")
        answers = take_responses(target, answers, order)
    meta = pd.DataFrame(
        {
            "submitted_on": pd.array([str(date) for date in dates], dtype="str"),
            "language": pd.array(languages, dtype="str"),
            "version": numbers,
            "status": pd.array(statuses, dtype="str"),
        }
    )
    return Responses(pd.concat([meta, answers.frame], axis=1), answers.entries)
