"""Fixtures: one fresh database per test, on SQLite or on the PostgreSQL server.

Set `SURVEY_TEST_DATABASE_URL=postgresql+psycopg://...` to run the suite against
PostgreSQL; each test then gets a schema no other test is using, as empty as new (a
test process reuses its schemas: see `_SpareSchemas`).
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from survey_app.db import tables  # noqa: F401 - the models whose tables tests create
from survey_app.db.engine import Database
from survey_app.db.migrate import alembic_config, upgrade
from survey_app.settings import PROJECT_ROOT, Settings

QUESTIONNAIRES = PROJECT_ROOT / "questionnaires"
PROJECT_DATABASE_URL = "sqlite://"  # only to find the migration scripts
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Real XLSForms from public projects (copied from ../shared/fixtures with their licences)
SHARED_XLSFORMS = FIXTURES / "xlsform" / "shared"

# Properties, not speed: Hypothesis' default 200 ms deadline per example is a timing
# assertion that fails on a busy machine (seen: a suppression property while two
# suites ran side by side). Speed targets live in bench/.
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of one database's own mechanisms are deselected (not skipped) on the other:
    `sqlite_only` on PostgreSQL, `postgresql_only` on SQLite.

    The PostgreSQL pass runs exactly the tests whose database is on PostgreSQL: those
    that reach the `database_under_test` fixture. Any other (pure questionnaire and
    analysis tests, and those that make a SQLite file of their own, such as the nginx
    and full-disk tests) would run the same code twice, so it runs on the SQLite pass."""
    on_postgresql = bool(os.environ.get("SURVEY_TEST_DATABASE_URL"))

    def elsewhere(item: pytest.Item) -> bool:
        if not on_postgresql:
            return item.get_closest_marker("postgresql_only") is not None
        if item.get_closest_marker("sqlite_only") is not None:
            return True
        if item.get_closest_marker("postgresql_only") is not None:
            return False
        return "database_under_test" not in getattr(item, "fixturenames", ())

    deselected = [item for item in items if elsewhere(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not elsewhere(item)]


def _postgres_schema_url(base_url: str, schema: str) -> str:
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@contextmanager
def empty_database(directory: Path, *, migrate: bool = False) -> Iterator[str]:
    """An empty database at the newest schema: a SQLite file in `directory`, or a schema
    of its own on the PostgreSQL server of `SURVEY_TEST_DATABASE_URL`.

    Running the migrations costs about half a second per database, more than most tests
    take, so by default the schema is made faster with the same result: SQLite copies a
    file migrated once per process, PostgreSQL reuses a schema of the models' tables
    emptied after its last test (`_SpareSchemas`). `tests/storage/test_migrations.py`
    proves, with `migrate=True`, that the migrations make exactly the models' tables on
    both; such a schema is made for the test and dropped afterwards."""
    base = os.environ.get("SURVEY_TEST_DATABASE_URL")
    if not base:
        path = directory / "test.sqlite3"
        url = f"sqlite:///{path}"
        if migrate:
            upgrade(url)
        else:
            with (
                closing(sqlite3.connect(_migrated_sqlite())) as source,
                closing(sqlite3.connect(path)) as target,
            ):
                source.backup(target)
        yield url
        return
    if not migrate:
        schema = _spare_schemas(base).take()
        try:
            yield _postgres_schema_url(base, schema)
        finally:
            _spare_schemas(base).give_back(schema)
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        upgrade(_postgres_schema_url(base, schema))
        yield _postgres_schema_url(base, schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


# What a schema is made of (tables, columns, defaults, constraints, indexes, sequences)
# and the revision it records: a schema is reused only if a test left all of it as made.
_SCHEMA_SHAPE = text(
    """
    SELECT 'relation', format('%s:%s', c.relname, c.relkind) FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace
    UNION ALL
    SELECT 'column', format('%s.%s:%s:%s:%s', c.relname, a.attname,
            format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = current_schema()::regnamespace
            AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint', format('%s:%s', conname, pg_get_constraintdef(oid)) FROM pg_constraint
        WHERE connamespace = current_schema()::regnamespace
    UNION ALL
    SELECT 'index', format('%s:%s', indexname, indexdef) FROM pg_indexes
        WHERE schemaname = current_schema()
    UNION ALL
    SELECT 'revision', version_num FROM alembic_version
    ORDER BY 1, 2
    """
)
# One statement list, one round trip (no parameters: psycopg sends it as a simple query).
_DELETE_ALL_ROWS = "; ".join(
    f'DELETE FROM "{table.name}"' for table in reversed(SQLModel.metadata.sorted_tables)
)
_RESTART_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = current_schema()"
)


class _SpareSchemas:
    """Schemas of the models' tables on one PostgreSQL server, reused by the tests of one
    test process: a test gets a schema no other test is using, emptied as new.

    Making a schema per test (CREATE SCHEMA, the models' tables, DROP SCHEMA ... CASCADE)
    cost 0.5 to 0.9 s of the server's time per test, about half of the PostgreSQL pass;
    emptying its tables and restarting its sequences costs a few milliseconds. A schema
    whose shape a test changed (a restore into a recreated schema), or which cannot be
    emptied, is dropped and a new one made."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.spare: list[str] = []
        self.shapes: dict[str, list[tuple[str, str]]] = {}
        self.engines: dict[str, Engine] = {}

    def take(self) -> str:
        if self.spare:
            return self.spare.pop()
        schema = f"t_{uuid.uuid4().hex[:16]}"
        engine = self.engines[schema] = create_engine(_postgres_schema_url(self.base_url, schema))
        # One transaction on the new schema alone (never on `public`).
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            SQLModel.metadata.create_all(connection, checkfirst=False)
            _record_revision(connection)
            self.shapes[schema] = _shape(connection)
        return schema

    def give_back(self, schema: str) -> None:
        if self._emptied(schema):
            self.spare.append(schema)
        else:
            self.drop(schema)

    def _emptied(self, schema: str) -> bool:
        """Empty the schema's tables, as a new schema has them, if its shape is as made."""
        try:
            with self.engines[schema].begin() as connection:
                # A test that left a transaction open on a table is a failure of its own;
                # here it only costs the schema.
                connection.execute(text("SET LOCAL lock_timeout = '5s'"))
                if _shape(connection) != self.shapes[schema]:
                    return False
                connection.exec_driver_sql(_DELETE_ALL_ROWS)
                connection.execute(_RESTART_SEQUENCES)
            return True
        except DBAPIError:
            return False

    def drop(self, schema: str) -> None:
        self.shapes.pop(schema, None)
        self.engines.pop(schema).dispose()
        admin = create_engine(self.base_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            admin.dispose()

    def drop_all(self) -> None:
        while self.spare:
            self.drop(self.spare.pop())


def _shape(connection: Connection) -> list[tuple[str, str]]:
    return [(kind, name) for kind, name in connection.execute(_SCHEMA_SHAPE)]


@lru_cache(maxsize=1)
def _spare_schemas(base_url: str) -> _SpareSchemas:
    return _SpareSchemas(base_url)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the spare schemas of this test process (each xdist worker has its own)."""
    if _spare_schemas.cache_info().currsize:
        base = os.environ.get("SURVEY_TEST_DATABASE_URL")
        if base:
            _spare_schemas(base).drop_all()


@lru_cache(maxsize=1)
def _migrated_sqlite() -> Path:
    """A SQLite file migrated to the newest revision, made once per test process."""
    directory = Path(tempfile.mkdtemp(prefix="migrated-"))
    path = directory / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _record_revision(connection: Connection) -> None:
    """What `alembic stamp head` writes, without loading Alembic's environment."""
    head = ScriptDirectory.from_config(alembic_config(PROJECT_DATABASE_URL)).get_current_head()
    connection.execute(
        text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    )
    connection.execute(text("INSERT INTO alembic_version VALUES (:head)"), {"head": head})


@pytest.fixture(scope="session")
def database_under_test() -> str | None:
    """The PostgreSQL server of `SURVEY_TEST_DATABASE_URL`, None for SQLite. Every fixture
    that makes a database with `empty_database` asks for it: that is how the PostgreSQL
    pass knows which tests to run (`pytest_collection_modifyitems`)."""
    return os.environ.get("SURVEY_TEST_DATABASE_URL")


@pytest.fixture
def database_url(tmp_path: Path, database_under_test: str | None) -> Iterator[str]:
    """An empty database at the newest schema for one test."""
    with empty_database(tmp_path) as url:
        yield url


@pytest.fixture
def migrated_database_url(tmp_path: Path, database_under_test: str | None) -> Iterator[str]:
    """An empty database made by running every migration (for the tests of migrations)."""
    with empty_database(tmp_path, migrate=True) as url:
        yield url


def app_settings(database_url: str, directory: Path) -> Settings:
    """The settings of the app under test: the project's questionnaires, files in
    `directory`, no submission rate limit."""
    return Settings(
        database_url=database_url,
        questionnaires=QUESTIONNAIRES,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        var_dir=directory / "var",
        submission_rate_limit=0,
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return app_settings(database_url, tmp_path)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    yield database
    database.dispose()


@pytest.fixture
def client(settings: Settings) -> Iterator[object]:
    """The real app with the project's questionnaires published, over an in-process client."""
    from litestar.testing import TestClient

    from survey_app.app import create_app

    with TestClient(app=create_app(settings)) as test_client:
        yield test_client


# -- accounts --------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id with its smallest cost in the tests' own process.

    Production parameters cost 0.1-0.3 s per hash and per login on this machine, and the
    suite creates and logs in accounts hundreds of times. The algorithm and the code path
    stay the same; servers started as subprocesses keep the production cost.
    """
    from argon2 import PasswordHasher

    from survey_app.services import accounts

    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    accounts._dummy_hash.cache_clear()
    yield
    patch.undo()
    accounts._dummy_hash.cache_clear()


PASSWORD = "correct horse battery staple"
ACCOUNTS = {
    "admin": ("admin@landkreis.example", (), True),
    "arbeit": ("arbeit@netzwerk.example", ("arbeit",), False),
    "sprache": ("sprache@netzwerk.example", ("sprache",), False),
}


def csrf_token(client: Any, path: str = "/login") -> str:
    """The CSRF token a form on `path` carries (GET it first, as a browser does)."""
    page = client.get(path, headers={"accept": "text/html"})
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def login(client: Any, who: str) -> Any:
    """Log `who` (a key of ACCOUNTS) in through the real login form."""
    email = ACCOUNTS[who][0]
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response


def create_accounts(database_url: str) -> None:
    """An admin and members of the Arbeit and Sprache working groups."""
    from survey_app.services.accounts import user_add

    database = Database(database_url)
    known = {"arbeit", "sprache", "beratung", "wohnen", "projekte"}
    for email, groups, is_admin in ACCOUNTS.values():
        user_add(
            database,
            email=email,
            password=PASSWORD,
            groups=groups,
            is_admin=is_admin,
            known_groups=known,
            actor="test",
        )
    database.dispose()


@pytest.fixture
def accounts(database_url: str) -> dict[str, tuple[str, tuple[str, ...], bool]]:
    create_accounts(database_url)
    return ACCOUNTS


def release(database_url: str, *surveys: str) -> None:
    """Release the results of `surveys` to the working groups, as the office does."""
    from survey_app.services.releases import release_create

    database = Database(database_url)
    try:
        for survey in surveys:
            release_create(database, survey, actor="test")
    finally:
        database.dispose()
