"""The engine settings that make a commit durable, read back from live connections."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from survey_app.db.engine import BUSY_TIMEOUT_MS, Database


def setting(db: Database, statement: str) -> object:
    with db.write() as session:
        return session.execute(text(statement)).scalar_one()


def test_commits_are_durable_before_they_return(db: Database) -> None:
    if db.is_sqlite:
        assert setting(db, "PRAGMA journal_mode") == "wal"
        assert setting(db, "PRAGMA synchronous") == 2  # FULL
    else:
        assert setting(db, "SHOW synchronous_commit") == "on"
        assert setting(db, "SHOW fsync") == "on"


def test_a_locked_database_is_waited_for_then_refused(db: Database) -> None:
    if db.is_sqlite:
        assert setting(db, "PRAGMA busy_timeout") == BUSY_TIMEOUT_MS
        assert setting(db, "PRAGMA foreign_keys") == 1
    else:
        assert setting(db, "SHOW lock_timeout") == f"{BUSY_TIMEOUT_MS // 1000}s"


@pytest.mark.sqlite_only  # PostgreSQL locks rows, not the database
def test_sqlite_writes_take_the_write_lock_when_they_begin(db: Database) -> None:
    path = db.engine.url.database
    assert path is not None
    with db.write() as session:
        session.execute(text("SELECT 1"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
