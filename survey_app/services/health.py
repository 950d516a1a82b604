"""Whether this process can do its work: write to the database and to `var/`, with
disk space left. `/readyz` answers with it, start-up logs it, login checks `var/`."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from survey_app.db.engine import Database

# An update that changes nothing, rolled back: the database must accept a write (a
# read-only file, a read-only PostgreSQL or a standby refuse it) without storing any.
_TRIAL_WRITE = text("UPDATE alembic_version SET version_num = version_num")


def database_problem(db: Database) -> str | None:
    """Why the database cannot take a write now, or None."""
    try:
        db.try_write(_TRIAL_WRITE)
    except SQLAlchemyError as error:
        return f"the database is not writable: {database_reason(error)}"
    return None


def database_reason(error: SQLAlchemyError) -> str:
    """The driver's first line of `error`: the reason, without SQL or parameters."""
    return str(getattr(error, "orig", None) or error).splitlines()[0]


def directory_problem(directory: Path) -> str | None:
    """Why a file cannot be created in `directory` now (missing, read-only, full), or None."""
    try:
        descriptor, name = tempfile.mkstemp(dir=directory, prefix=".write-check-")
        try:
            os.write(descriptor, b"ok")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
            os.unlink(name)
    except OSError as error:
        return f"{directory} is not writable: {error.strerror or error}"
    return None


def sessions_problem(var_dir: Path) -> str | None:
    """Why a login could not be kept now (`var/sessions` missing or not writable), or None."""
    sessions = var_dir / "sessions"
    if not sessions.is_dir():
        return f"{sessions} is missing"
    return directory_problem(sessions)


def free_space_problems(directories: list[Path], min_free_bytes: int) -> list[str]:
    """The directories (of `var/` and a SQLite database) with less free space than asked."""
    problems = []
    filesystems = set()
    for directory in directories:
        try:
            filesystem = directory.stat().st_dev
            free = shutil.disk_usage(directory).free
        except OSError as error:
            problems.append(f"free space of {directory} unknown: {error.strerror or error}")
            continue
        if filesystem in filesystems:
            continue  # one line per disk
        filesystems.add(filesystem)
        if free < min_free_bytes:
            problems.append(
                f"only {free // 1024} KB free on the disk of {directory} "
                f"(at least {min_free_bytes // 1024} KB needed)"
            )
    return problems


def readiness_problems(db: Database, var_dir: Path, min_free_bytes: int) -> list[str]:
    """Everything that keeps this process from storing answers and logins; empty if ready."""
    checks = (database_problem(db), directory_problem(var_dir), sessions_problem(var_dir))
    problems = [problem for problem in checks if problem is not None]
    directories = [var_dir]
    database = make_url(db.url).database if db.is_sqlite else None
    if database and database != ":memory:":
        directories.append(Path(database).resolve().parent)
    existing = [directory for directory in directories if directory.exists()]
    return problems + free_space_problems(existing, min_free_bytes)
