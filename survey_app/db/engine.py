"""Engines and sessions, configured for durability on SQLite and PostgreSQL.

SQLite: WAL with `synchronous=FULL` (a commit is on disk before it returns), a busy
timeout instead of immediate "database is locked" errors, foreign keys on, and
`BEGIN IMMEDIATE` for writes so two writers never deadlock upgrading a read lock.
Reads use plain deferred transactions so they never wait for a writer in WAL mode.
Writers of one process queue on a lock before `BEGIN IMMEDIATE`: SQLite's busy handler
sleeps in growing steps (up to 100 ms) while it waits, which made the slowest 1 % of
submissions 10-50x slower than the median under load (bench/README.md); the busy timeout
still covers writers in other processes.
PostgreSQL: `synchronous_commit=on` (its default, made explicit per connection) and a
`lock_timeout` equal to SQLite's busy timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

BUSY_TIMEOUT_MS = 10_000
# Connections kept open per process: on SQLite one per worker thread (anyio's default
# limiter has 40); on PostgreSQL fewer, so that several worker processes stay within its
# max_connections (100 by default) with the overflow. A pool smaller than the load closes
# and reopens connections, and every open costs: SQLite runs the PRAGMAs below,
# PostgreSQL forks a backend (bench/README.md).
SQLITE_POOL = 40
POSTGRESQL_POOL = 20


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; creates the directory of a SQLite file if needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # An in-memory database lives in its one connection (SingletonThreadPool).
            kwargs = {"pool_size": SQLITE_POOL, "max_overflow": 10, **kwargs}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(
        url, pool_pre_ping=True, pool_size=POSTGRESQL_POOL, max_overflow=20, **kwargs
    )
    if parsed.get_backend_name() == "postgresql":
        _configure_postgresql(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's `begin` event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Like SQLite's busy timeout: a request waits for a lock this long, then fails
        # (a 503 with Retry-After) instead of holding a worker thread indefinitely.
        # synchronous_commit is set explicitly: a commit is durable before it returns.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET lock_timeout = {int(BUSY_TIMEOUT_MS)}")
        cursor.execute("SET synchronous_commit = on")
        cursor.close()
        dbapi_connection.commit()


_SQLITE_WRITER_LOCKS: dict[str, threading.RLock] = {}
_SQLITE_WRITER_LOCKS_GUARD = threading.Lock()


def _sqlite_writer_lock(url: str) -> threading.RLock:
    """One lock per database file in this process, shared by every `Database` on it."""
    database = make_url(url).database or ":memory:"
    key = str(Path(database).resolve()) if database != ":memory:" else url
    with _SQLITE_WRITER_LOCKS_GUARD:
        return _SQLITE_WRITER_LOCKS.setdefault(key, threading.RLock())


class Database:
    """The application's way to the database: `read()` and `write()` sessions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = (
            self.engine.execution_options(sqlite_immediate=True) if self.is_sqlite else self.engine
        )
        self._write_turn: AbstractContextManager[Any] = (
            _sqlite_writer_lock(url) if self.is_sqlite else nullcontext()
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one transaction: committed (durably) on exit, rolled back on error."""
        with (
            self._write_turn,
            Session(self._writer, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
