"""The on-disk cache of parsed answers: one Arrow IPC file per database, survey version and
target questionnaire, so a new process (a `survey-app results` call) reads columns
instead of parsing every stored JSON text again; and of live publications (the audited
numbers of a live view, `services.live_results`), so a later call with the same stored
answers reads them without pandas or the audit.

The files hold row-level answers, so they are treated like the database: the directory
is mode 0700, each file 0600, written to a temporary file and renamed into place (a
reader never sees half a file), and `services.maintenance` deletes a database's files on
purge and restore. A file that cannot be read, or whose columns or identity do not match,
is ignored and rebuilt, never an error; one that cannot be written only costs speed.

This module imports no pandas or pyarrow at the top: `maintenance` uses it to delete,
and a live view answered from a stored publication never loads them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, make_url

from analysis.publication_format import Publication
from survey_app.db import core

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

__all__ = [
    "StoredAnswers",
    "cache_directory",
    "delete_database_files",
    "delete_version_files",
    "load_frame",
    "load_publication",
    "save_frame",
    "save_publication",
    "stored_answers",
]

FORMAT = 2
"""Bumped whenever the layout of a cached frame changes: older files are then ignored."""
_METADATA_KEY = b"survey_app.results_cache"


@dataclass(frozen=True)
class StoredAnswers:
    """What identifies the stored submissions of one version: how many there are, the
    highest id, and the `submission_id` (a random UUID) of that row, which tells a reused
    id (SQLite hands out the ids of deleted rows again) from the row that was cached."""

    count: int
    max_id: int
    newest: str
    reviewed: int = 0
    """The newest review event of the version's submissions: an exclusion (or its undoing)
    changes which rows count without changing the others."""


def stored_answers(
    connection: Connection | Session, version_id: int, up_to: int | None = None
) -> StoredAnswers | None:
    """What identifies a version's counted submissions (with `up_to`: those with id <=
    up_to): how many count (all but the excluded), the highest id and its `submission_id`,
    and the newest review event. Filtering on `version_id` alone lets the database answer
    from that column's index without reading the rows; excluded ones are few and found
    through the index on (status, version_id). Core statements, in the caller's
    transaction: a later live view asks this and nothing else of the database, and
    needs no ORM for it."""
    submission = core.submission.c
    condition = submission.version_id == version_id
    if up_to is not None:
        condition = condition & (submission.id <= up_to)
    count, max_id = connection.execute(
        select(func.count(), func.max(submission.id)).where(condition)
    ).one()
    if not count:
        return None
    newest = connection.execute(
        select(submission.submission_id).where(submission.id == max_id)
    ).scalar_one()
    excluded = connection.execute(
        select(func.count()).where(condition, submission.status == "excluded")
    ).scalar_one()
    # Review events are few: going through them newest first, each looked up by its
    # submission's key, finds the newest of this version at once. (As a join, SQLite went
    # through every submission of the version to look for its events: 0.13 s at 1M.)
    review = core.review_event.c
    of_version = (
        select(submission.id)
        .where(submission.id == review.submission_pk, submission.version_id == version_id)
        .exists()
    )
    reviewed = connection.execute(select(func.max(review.id)).where(of_version)).scalar_one()
    return StoredAnswers(int(count) - int(excluded), int(max_id), str(newest), int(reviewed or 0))


def cache_directory(var_dir: Path) -> Path:
    """Where the cache lives for the settings' var directory."""
    return var_dir / "results-cache"


def database_key(url: str) -> str:
    """A name for the database at `url` that holds no password (the URL never goes into
    a file name); a relative SQLite path is made absolute so two working directories do
    not share a name for two files."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        parsed = parsed.set(database=str(Path(str(parsed.database)).resolve()))
    plain = parsed.set(password=None).render_as_string(hide_password=False)
    return hashlib.sha256(plain.encode()).hexdigest()[:20]


def _file(directory: Path, url: str, version_id: int, target_hash: str) -> Path:
    target = hashlib.sha256(target_hash.encode()).hexdigest()[:16]
    return directory / f"{database_key(url)}-{version_id}-{target}.arrow"


def load_frame(
    directory: Path, url: str, version_id: int, target_hash: str, empty: pd.DataFrame
) -> tuple[StoredAnswers, pd.DataFrame] | None:
    """The cached frame of a version and what it was read from, or None when there is no
    usable file (missing, unreadable, another format, or columns unlike `empty`'s)."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    path = _file(directory, url, version_id, target_hash)
    try:
        with pa.OSFile(str(path), "rb") as source:
            table = ipc.open_file(source).read_all()
        meta = json.loads((table.schema.metadata or {})[_METADATA_KEY])
        if meta["format"] != FORMAT:
            return None
        stored = StoredAnswers(
            int(meta["count"]), int(meta["max_id"]), str(meta["newest"]), int(meta["reviewed"])
        )
        frame = table.to_pandas()
    except (OSError, pa.ArrowException, KeyError, ValueError, TypeError):
        return None
    if len(frame) != stored.count or not frame.dtypes.equals(empty.dtypes):
        return None
    return stored, frame


def save_frame(
    directory: Path,
    url: str,
    version_id: int,
    target_hash: str,
    stored: StoredAnswers,
    frame: pd.DataFrame,
) -> bool:
    """Write the frame of a version atomically (0600 in a 0700 directory) and drop the
    files of that version made for older questionnaires. Failing to write is not an error:
    it returns False."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    path = _file(directory, url, version_id, target_hash)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = {"format": FORMAT, "count": stored.count, "max_id": stored.max_id,
                "newest": stored.newest, "reviewed": stored.reviewed}  # fmt: skip
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), _METADATA_KEY: json.dumps(meta).encode()}
        )
        descriptor, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{database_key(url)}-", suffix=".partial"
        )
        try:
            with os.fdopen(descriptor, "wb") as handle:
                options = ipc.IpcWriteOptions(compression="zstd")
                with ipc.new_file(handle, table.schema, options=options) as writer:
                    writer.write_table(table)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except (OSError, ValueError, TypeError, pa.ArrowException):
        return False
    for other in directory.glob(f"{database_key(url)}-{version_id}-*.arrow"):
        if other != path:
            with contextlib.suppress(OSError):
                other.unlink()
    return True


def _publication_file(directory: Path, url: str, name: str) -> Path:
    return directory / f"{database_key(url)}-live-{name}.json"


def load_publication(directory: Path, url: str, name: str, identity: str) -> Publication | None:
    """The live publication stored under `name`, if it was made from the answers, code and
    questionnaire `identity` describes; None otherwise (missing, unreadable, stale)."""
    try:
        data = json.loads(_publication_file(directory, url, name).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("identity") != identity:
            return None
        return Publication.from_json(data["publication"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save_publication(
    directory: Path, url: str, name: str, identity: str, publication: Publication
) -> bool:
    """Store a live publication under `name` (one file per name: a newer one replaces
    it), atomically and 0600 in the 0700 directory. False when it cannot be written."""
    text = json.dumps(
        {"format": FORMAT, "identity": identity, "publication": publication.to_json()},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
        descriptor, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{database_key(url)}-", suffix=".partial"
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, _publication_file(directory, url, name))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError:
        return False
    return True


def delete_version_files(directory: Path, url: str, version_id: int) -> None:
    """Delete the files of one version (it has no submissions any more)."""
    _delete(directory.glob(f"{database_key(url)}-{version_id}-*.arrow"))


def delete_database_files(directory: Path, url: str) -> int:
    """Delete every file of the database at `url` (also temporary files a crash left);
    returns how many there were."""
    if not directory.is_dir():
        return 0
    key = database_key(url)
    return _delete(
        [
            *directory.glob(f"{key}-*.arrow"),
            *directory.glob(f"{key}-live-*.json"),
            *directory.glob(f".{key}-*.partial"),
        ]
    )


def _delete(paths: Iterable[Path]) -> int:
    deleted = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            deleted += 1
    return deleted
