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
`lock_timeout` equal to SQLite's busy timeout. A pooled connection is pinged before use
only when it lay idle for `PING_AFTER_IDLE_S` (see `_ping_idle_connections`), and reads
run without a transaction (`read`, `read_connection`): a page step's reads cost one round
trip each instead of three.
Both: `hide_parameters`, so an error never carries a statement's parameters (a
respondent's answers) into a log line or traceback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.expression import Executable

from survey_app.files import create_private_file, private_directory

if TYPE_CHECKING:
    # SQLModel (with SQLAlchemy's ORM) is imported by the sessions below when they are
    # first opened: a caller on SQLAlchemy Core alone (`survey-app export --format csv`,
    # `services.exports`) does not pay its ~0.2-0.4 s import (bench/README.md).
    from sqlmodel import Session

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
# On a full disk a write fails once the WAL must grow. SQLite restarts the WAL from its
# beginning after a checkpoint, reusing the space it holds, so a WAL checkpointed every
# 200 pages (0.8 MB) and kept at up to 1 MB afterwards recovers as soon as the database
# itself has a little room, where the default (1,000 pages, never truncated) needed ~4
# MB free before the next checkpoint (figures in tests/operations/test_full_disk.py).
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 200
SQLITE_JOURNAL_SIZE_LIMIT = 1024 * 1024
# Connections kept open per process: on SQLite one per worker thread (anyio's default
# limiter has 40); on PostgreSQL fewer, so that several worker processes stay within its
# max_connections (100 by default) with the overflow. A pool smaller than the load closes
# and reopens connections, and every open costs: SQLite runs the PRAGMAs below,
# PostgreSQL forks a backend (bench/README.md).
SQLITE_POOL = 40
POSTGRESQL_POOL = 20
POSTGRESQL_OVERFLOW = 20
# Connections of the server left to others: `survey-app` commands, backups, psql.
POSTGRESQL_KEPT_FREE = 10
POSTGRESQL_CONNECT_TIMEOUT_S = 10


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; creates the directory of a SQLite file if needed."""
    parsed = make_url(url)
    kwargs = {"hide_parameters": True, **kwargs}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # A new database file is 0600 (in a new 0700 directory) before SQLite opens it.
            database = Path(parsed.database)
            private_directory(database.parent, tighten=False)
            create_private_file(database)
            # An in-memory database lives in its one connection (SingletonThreadPool).
            kwargs = {"pool_size": SQLITE_POOL, "max_overflow": 10, **kwargs}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs = {"pool_size": POSTGRESQL_POOL, "max_overflow": POSTGRESQL_OVERFLOW, **kwargs}
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("connect_args", {"connect_timeout": POSTGRESQL_CONNECT_TIMEOUT_S})
    engine = create_engine(url, **kwargs)
    _ping_idle_connections(engine)
    if parsed.get_backend_name() == "postgresql":
        _configure_postgresql(engine)
    return engine


@dataclass(frozen=True)
class PoolSize:
    """Connections one worker process may hold: `pool_size` kept, `max_overflow` more."""

    pool_size: int
    max_overflow: int
    warning: str | None = None


def postgresql_pool_size(max_connections: int, reserved: int, workers: int) -> PoolSize:
    """The pool of each of `workers` processes so that all of them together stay within
    the server's `max_connections` (less its `superuser_reserved_connections` and
    `POSTGRESQL_KEPT_FREE` for commands and backups); a warning when that is less than
    the default pool, or not even one connection each."""
    workers = max(1, workers)
    budget = (max_connections - reserved - POSTGRESQL_KEPT_FREE) // workers
    wanted = POSTGRESQL_POOL + POSTGRESQL_OVERFLOW
    if budget >= wanted:
        return PoolSize(POSTGRESQL_POOL, POSTGRESQL_OVERFLOW)
    if budget < 1:
        return PoolSize(
            1,
            0,
            f"PostgreSQL max_connections={max_connections} leaves no connection for each of "
            f"{workers} workers: requests will wait and get 503; use fewer workers, raise "
            "max_connections or put PgBouncer in front (README: deployment)",
        )
    pool = max(1, budget // 2)
    return PoolSize(
        pool,
        budget - pool,
        f"PostgreSQL max_connections={max_connections} allows {budget} connections for each "
        f"of {workers} workers instead of {wanted}: fine for moderate load; for more, raise "
        "max_connections or put PgBouncer in front (README: deployment)",
    )


def pool_for_workers(url: str, workers: int) -> dict[str, int]:
    """Engine arguments that size a PostgreSQL pool from the server's `max_connections`
    (asked once, at start) and the number of worker processes; nothing for SQLite. A
    server that cannot be asked keeps the default pool, with a warning."""
    if make_url(url).get_backend_name() != "postgresql":
        return {}
    probe = create_engine(
        url,
        poolclass=NullPool,
        hide_parameters=True,
        connect_args={"connect_timeout": POSTGRESQL_CONNECT_TIMEOUT_S},
    )
    try:
        with probe.connect() as connection:
            max_connections = int(connection.exec_driver_sql("SHOW max_connections").scalar_one())
            reserved = int(
                connection.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one()
            )
    except SQLAlchemyError as error:
        log.warning("could not read PostgreSQL's max_connections (%s)", type(error).__name__)
        return {}
    finally:
        probe.dispose()
    size = postgresql_pool_size(max_connections, reserved, workers)
    if size.warning:
        log.warning("%s", size.warning)
    return {"pool_size": size.pool_size, "max_overflow": size.max_overflow}


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
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_JOURNAL_SIZE_LIMIT}")
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


PING_AFTER_IDLE_S = 5.0
"""A pooled connection idle at least this long is pinged before it is handed out."""

_IDLE_SINCE = "idle_since"


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled server connection before use only if it lay idle in the pool for
    `PING_AFTER_IDLE_S`; one that fails the ping is replaced (SQLAlchemy's pool retries
    the checkout when a `checkout` listener raises `DisconnectionError`).

    Why not `pool_pre_ping`: it pings at *every* checkout, one more round trip per
    transaction, about a sixth of a submission's round trips and 0.1-0.4 ms of the app's
    CPU per submission (bench/README.md). A connection in steady use has just proven
    itself; the ones at risk are those left idle while the server restarted or a
    firewall dropped them. A connection lost within the last seconds fails its request
    once; SQLAlchemy then invalidates the whole pool, so the next requests reconnect."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return  # new, or back in the pool only a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("a pooled connection failed its ping") from error


_SQLITE_WRITER_LOCKS: dict[str, threading.RLock] = {}
_SQLITE_WRITER_LOCKS_GUARD = threading.Lock()


def _sqlite_writer_lock(url: str) -> threading.RLock:
    """One lock per database file in this process, shared by every `Database` on it."""
    database = make_url(url).database or ":memory:"
    key = str(Path(database).resolve()) if database != ":memory:" else url
    with _SQLITE_WRITER_LOCKS_GUARD:
        return _SQLITE_WRITER_LOCKS.setdefault(key, threading.RLock())


class Database:
    """The application's way to the database: `read()` and `write()` sessions, and
    `read_connection()` and `write_connection()` for callers on SQLAlchemy Core alone."""

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
        # PostgreSQL reads without BEGIN and ROLLBACK: at READ COMMITTED every statement
        # takes its own snapshot inside a transaction too, so a read-only one adds two
        # round trips and nothing else. SQLite's read transaction is one snapshot for
        # all its statements, so it keeps it.
        self._reader = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        from sqlmodel import Session

        with Session(self._reader, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection for reads, for the paths where an ORM session costs more
        than the query (every page step reads its draft and its survey)."""
        with self._reader.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one transaction: committed (durably) on exit, rolled back on error."""
        from sqlmodel import Session

        with (
            self._write_turn,
            Session(self._writer, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in one transaction, for writers without the ORM (`survey-app
        user ...`, `services.accounts`): like `write()`, it waits for its turn among this
        process's writers and begins with `BEGIN IMMEDIATE` on SQLite; committed (durably)
        on exit, rolled back on error."""
        with self._write_turn, self._writer.begin() as connection:
            yield connection

    def try_write(self, statement: Executable) -> None:
        """Run `statement` in a write transaction and roll it back: raises if the
        database refuses writes (read-only file or server, locked beyond the timeout)."""
        with self._write_turn, self._writer.connect() as connection:
            transaction = connection.begin()
            try:
                connection.execute(statement)
            finally:
                transaction.rollback()

    def dispose(self) -> None:
        self.engine.dispose()
