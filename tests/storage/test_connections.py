"""Pooled PostgreSQL connections: pinged before use only after lying idle, and replaced
when the server dropped them meanwhile (a restart, a firewall's idle timeout)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from survey_app.db import engine as engine_module
from survey_app.db.engine import Database

pytestmark = pytest.mark.postgresql_only


@pytest.fixture
def pings(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The connections pinged, in order."""
    pinged: list[Any] = []
    ping = db.engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pinged.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted)
    return pinged


def backend(db: Database) -> int:
    with db.read() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_in_steady_use_is_not_pinged(db: Database, pings: list[Any]) -> None:
    for _ in range(5):
        backend(db)
    assert pings == []


def test_a_connection_that_lay_idle_is_pinged_before_use(
    db: Database, pings: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend(db)
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_S", 0.0)
    backend(db)
    assert len(pings) == 1


def test_a_connection_the_server_dropped_while_idle_is_replaced(
    db: Database, pings: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped = backend(db)
    with Database(db.url).engine.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped}).scalar()
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_S", 0.0)

    replaced = backend(db)  # no error: the failed ping made the pool connect anew

    assert replaced != dropped
    assert len(pings) >= 1


def test_reads_open_no_transaction(db: Database) -> None:
    """At READ COMMITTED a transaction gives a read nothing (each statement takes its own
    snapshot either way) but costs a BEGIN and a ROLLBACK: two round trips."""
    import psycopg

    idle = psycopg.pq.TransactionStatus.IDLE
    with db.read() as session:
        session.execute(text("SELECT 1"))
        dbapi = session.connection().connection.dbapi_connection
        assert dbapi is not None
        assert dbapi.info.transaction_status == idle
    with db.read_connection() as connection:
        connection.execute(text("SELECT 1"))
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        assert dbapi.info.transaction_status == idle


def test_writes_are_one_transaction(db: Database) -> None:
    import psycopg

    with db.write() as session:
        session.execute(text("SELECT 1"))
        dbapi = session.connection().connection.dbapi_connection
        assert dbapi is not None
        assert dbapi.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    with db.write_connection() as connection:
        connection.execute(text("SELECT 1"))
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        assert dbapi.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
