"""PostgreSQL pools sized from the worker count and the server's `max_connections`."""

from __future__ import annotations

import logging

import pytest

from survey_app.db.engine import (
    POSTGRESQL_KEPT_FREE,
    POSTGRESQL_OVERFLOW,
    POSTGRESQL_POOL,
    pool_for_workers,
    postgresql_pool_size,
)


@pytest.mark.parametrize("workers", [1, 2, 3, 4, 8])
def test_all_workers_together_stay_within_max_connections(workers: int) -> None:
    size = postgresql_pool_size(max_connections=100, reserved=3, workers=workers)
    assert workers * (size.pool_size + size.max_overflow) <= 100 - 3 - POSTGRESQL_KEPT_FREE
    assert size.pool_size >= 1


def test_a_large_server_keeps_the_default_pool() -> None:
    size = postgresql_pool_size(max_connections=500, reserved=3, workers=4)
    assert (size.pool_size, size.max_overflow, size.warning) == (
        POSTGRESQL_POOL,
        POSTGRESQL_OVERFLOW,
        None,
    )


def test_three_workers_on_the_default_server_get_a_smaller_pool_and_a_warning() -> None:
    size = postgresql_pool_size(max_connections=100, reserved=3, workers=3)
    assert size.pool_size + size.max_overflow == (100 - 3 - POSTGRESQL_KEPT_FREE) // 3
    assert size.warning is not None
    assert "PgBouncer" in size.warning


def test_too_many_workers_get_one_connection_each_and_a_clear_warning() -> None:
    size = postgresql_pool_size(max_connections=20, reserved=3, workers=16)
    assert (size.pool_size, size.max_overflow) == (1, 0)
    assert size.warning is not None
    assert "fewer workers" in size.warning


@pytest.mark.postgresql_only
def test_the_servers_max_connections_is_read_at_start(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        sized = pool_for_workers(database_url, workers=10_000)
    assert sized == {"pool_size": 1, "max_overflow": 0}
    assert "max_connections=" in caplog.text


@pytest.mark.sqlite_only
def test_sqlite_keeps_its_own_pool(database_url: str) -> None:
    assert pool_for_workers(database_url, workers=4) == {}
