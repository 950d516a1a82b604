"""The engine settings that make a commit durable, read back from live connections: the
same for an ORM session (`Database.write`) and a Core connection (`write_connection`)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from survey_app.db import engine as engine_module
from survey_app.db.engine import BUSY_TIMEOUT_MS, Database

Writer = Callable[[Database], AbstractContextManager[Connection]]


@contextmanager
def session_writer(db: Database) -> Iterator[Connection]:
    """`Database.write()`, as the connection its session writes on."""
    with db.write() as session:
        yield session.connection()


def core_writer(db: Database) -> AbstractContextManager[Connection]:
    return db.write_connection()


WRITERS = [pytest.param(session_writer, id="session"), pytest.param(core_writer, id="core")]


def setting(db: Database, writer: Writer, statement: str) -> object:
    with writer(db) as connection:
        return connection.execute(text(statement)).scalar_one()


@pytest.mark.parametrize("writer", WRITERS)
def test_commits_are_durable_before_they_return(db: Database, writer: Writer) -> None:
    if db.is_sqlite:
        assert setting(db, writer, "PRAGMA journal_mode") == "wal"
        assert setting(db, writer, "PRAGMA synchronous") == 2  # FULL
    else:
        assert setting(db, writer, "SHOW synchronous_commit") == "on"
        assert setting(db, writer, "SHOW fsync") == "on"


@pytest.mark.parametrize("writer", WRITERS)
def test_a_locked_database_is_waited_for_then_refused(db: Database, writer: Writer) -> None:
    if db.is_sqlite:
        assert setting(db, writer, "PRAGMA busy_timeout") == BUSY_TIMEOUT_MS
        assert setting(db, writer, "PRAGMA foreign_keys") == 1
    else:
        assert setting(db, writer, "SHOW lock_timeout") == f"{BUSY_TIMEOUT_MS // 1000}s"


@pytest.mark.sqlite_only  # PostgreSQL locks rows, not the database
@pytest.mark.parametrize("writer", WRITERS)
def test_sqlite_writes_take_the_write_lock_when_they_begin(db: Database, writer: Writer) -> None:
    path = db.engine.url.database
    assert path is not None
    with writer(db) as connection:
        connection.execute(text("SELECT 1"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def district_names(db: Database) -> list[str]:
    with db.read_connection() as connection:
        return list(connection.execute(text("SELECT name FROM district_setting")).scalars())


INSERT_SETTING = text("INSERT INTO district_setting (name, value) VALUES (:name, '')")


def insert_then_fail(db: Database, name: str) -> None:
    with db.write_connection() as connection:
        connection.execute(INSERT_SETTING, {"name": name})
        raise RuntimeError("refused after the insert")


def test_a_core_write_commits_on_exit_and_is_rolled_back_on_error(db: Database) -> None:
    with db.write_connection() as connection:
        connection.execute(INSERT_SETTING, {"name": "kept"})
    with pytest.raises(RuntimeError, match="refused"):
        insert_then_fail(db, "undone")

    assert district_names(db) == ["kept"]


@pytest.mark.sqlite_only  # the turn is SQLite's: PostgreSQL writers wait on row locks
@pytest.mark.parametrize("first", WRITERS)
@pytest.mark.parametrize("second", WRITERS)
def test_sqlite_writers_of_one_process_take_turns_without_the_busy_timeout(
    db: Database, monkeypatch: pytest.MonkeyPatch, first: Writer, second: Writer
) -> None:
    """A writer waits for the process's other writers on a lock, not in SQLite's busy
    handler: with no busy timeout at all, the second writer still gets its turn."""
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 0)
    impatient = Database(db.url)
    first_began = threading.Event()
    failures: list[BaseException] = []

    def write_first() -> None:
        with first(impatient) as connection:
            connection.execute(text("INSERT INTO district_setting VALUES ('first', '')"))
            first_began.set()
            time.sleep(0.2)

    def write_second() -> None:
        try:
            with second(impatient) as connection:
                connection.execute(text("INSERT INTO district_setting VALUES ('second', '')"))
        except BaseException as error:  # the test asserts on it in its own thread
            failures.append(error)

    try:
        writers = [threading.Thread(target=write_first), threading.Thread(target=write_second)]
        writers[0].start()
        assert first_began.wait(timeout=10)
        writers[1].start()
        for writer in writers:
            writer.join(timeout=10)
    finally:
        impatient.dispose()

    assert failures == []
    assert sorted(district_names(db)) == ["first", "second"]
