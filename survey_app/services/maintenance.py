"""Backup, restore and purging: looking after the data between waves.

Backups are consistent while the server runs: SQLite through its online backup API (a
snapshot of committed transactions, also in WAL mode), PostgreSQL through `pg_dump -Fc`
(one repeatable-read snapshot). A restore goes only into a database that holds no data.

Purging deletes drafts that have expired and the raw submissions of surveys whose
`retention` date has passed, with their review history. The survey's releases stay (the
numbers working groups were shown), but the texts of the reasons the office gave for
excluding responses go with those responses: a release keeps only how many responses each
reason left out. Every purge is written to the audit log with its counts (never answers).

Purging submissions and restoring a database also delete that database's files in the
results cache (`services.results_cache`, under the var directory), which hold parsed
answers: purged answers must not linger there, and a restored database must not be
mistaken for the one whose answers were cached.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, inspect, literal, update
from sqlalchemy import select as sa_select
from sqlalchemy import table as table_clause
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session, col, select

from survey_app.db.engine import Database, make_engine
from survey_app.db.tables import (
    AuditEvent,
    Draft,
    Invitation,
    Recipient,
    Release,
    Submission,
    Survey,
    SurveyVersion,
    TextReview,
)
from survey_app.files import create_private_file, private_directory
from survey_app.services import results_cache
from survey_app.services.surveys import questionnaire_of

# Tables that say nothing about whether a database holds data.
BOOKKEEPING_TABLES = frozenset({"alembic_version"})


class MaintenanceError(RuntimeError):
    """A backup or restore cannot be done; the message says why and what to do."""


# -- backup and restore -----------------------------------------------------------------


def backup_database(url: str, output: Path) -> None:
    """Write a consistent copy of the database at `url` to `output` (replaced atomically)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as work:
        partial = Path(work) / output.name
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(parsed), partial)
        else:
            schema = _postgres_schema(parsed)
            command = ["pg_dump", "--format=custom", "--no-owner", f"--file={partial}"]
            if schema is not None:
                command.append(f"--schema={schema}")
            _run_postgres_tool(parsed, [*command, _conninfo(parsed)])
        os.replace(partial, output)


def restore_database(url: str, backup: Path, *, results_cache_dir: Path) -> None:
    """Restore `backup` (made by `backup_database`) into the database at `url`.

    The target must hold no data (tables created by migrations alone are fine); it is
    never overwritten. Stop the server while restoring; it migrates on start-up. Cached
    results of a database that was at `url` before are deleted from `results_cache_dir`.
    """
    if not backup.is_file():
        raise MaintenanceError(f"{backup}: no such backup file")
    results_cache.delete_database_files(results_cache_dir, url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _check_empty(url)
        _sqlite_restore(backup, _sqlite_path(parsed))
        return
    schema = _postgres_schema(parsed) or "public"
    dumped = _dumped_schemas(parsed, backup)
    if dumped - {schema}:
        raise MaintenanceError(
            f"{backup} holds schema {', '.join(sorted(dumped))} but the database URL "
            f"selects schema {schema}: restore with a URL for schema {', '.join(sorted(dumped))}"
        )
    _check_empty(url)
    # --clean drops the empty tables a migration may have created, so the dump's own
    # definitions (at the dump's schema revision) are restored.
    _run_postgres_tool(
        parsed,
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={_conninfo(parsed)}",
            str(backup),
        ],
    )


def _check_empty(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names()) - BOOKKEEPING_TABLES
            with_rows = [
                table
                for table in sorted(tables)
                if connection.execute(
                    sa_select(literal(1)).select_from(table_clause(table)).limit(1)
                ).first()
            ]
    finally:
        engine.dispose()
    if with_rows:
        raise MaintenanceError(
            f"the database is not empty (data in: {', '.join(with_rows)}); restore only into "
            "an empty database, e.g. a new SURVEY_DATABASE_URL, so nothing is overwritten"
        )


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise MaintenanceError("backup and restore need a SQLite database file")
    return Path(url.database)


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise MaintenanceError(f"{source}: no such database file")
    create_private_file(target)  # every answer is in it: 0600 before the first byte
    with (
        _closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        _closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        # One self-contained file: no -wal or -shm companions beside the copy.
        dst.execute("PRAGMA journal_mode=DELETE")
        if dst.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise MaintenanceError(f"the copy of {source} failed its integrity check")


def _sqlite_restore(backup: Path, target: Path) -> None:
    try:
        with _closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as src:
            tables = {row[0] for row in src.execute("SELECT name FROM sqlite_master")}
            if "submission" not in tables:
                raise MaintenanceError(f"{backup} is not a backup of this application")
            private_directory(target.parent, tighten=False)
            create_private_file(target)
            with _closing(sqlite3.connect(target)) as dst:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as error:
        raise MaintenanceError(f"{backup} is not a SQLite backup: {error}") from None


class _closing:
    """`contextlib.closing` that also closes when the block raises (typed for sqlite3)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *_exc: object) -> None:
        self.connection.close()


def _postgres_schema(url: URL) -> str | None:
    """The schema a URL selects with `options=-csearch_path=...` (tests use this)."""
    options = url.query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    found = re.search(r"search_path\s*=\s*([A-Za-z0-9_]+)", options)
    return found.group(1) if found else None


def _conninfo(url: URL) -> str:
    """A libpq connection URI for the PostgreSQL tools (password passed separately)."""
    plain = url.set(drivername="postgresql", password=None)
    plain = plain.difference_update_query(["options"])
    return plain.render_as_string(hide_password=False)


def _run_postgres_tool(url: URL, command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise MaintenanceError(f"{command[0]} not found: install the PostgreSQL client tools")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if finished.returncode != 0:
        raise MaintenanceError(f"{command[0]} failed: {finished.stderr.strip()}")


def _dumped_schemas(url: URL, backup: Path) -> set[str]:
    if shutil.which("pg_restore") is None:
        raise MaintenanceError("pg_restore not found: install the PostgreSQL client tools")
    listing = subprocess.run(  # noqa: S603
        ["pg_restore", "--list", str(backup)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if listing.returncode != 0:
        raise MaintenanceError(f"{backup} is not a pg_dump archive: {listing.stderr.strip()}")
    # TOC lines look like "215; 1259 16390 TABLE public submission postgres" (and
    # "TABLE DATA public submission postgres" for the rows).
    table_entry = r"^\d+; \d+ \d+ TABLE (?:DATA )?(\S+) "
    schemas = set(re.findall(table_entry, listing.stdout, flags=re.MULTILINE))
    if not schemas:
        raise MaintenanceError(f"{backup} contains no tables")
    return schemas


# -- purging ----------------------------------------------------------------------------


@dataclass
class PurgeReport:
    """What a purge deleted: counts only."""

    drafts: int = 0
    submissions: dict[str, int] = field(default_factory=dict)

    def detail(self) -> str:
        return json.dumps({"drafts": self.drafts, "submissions": self.submissions}, sort_keys=True)


def purge(
    db: Database,
    *,
    drafts_older_than: datetime.timedelta | None = None,
    today: datetime.date | None = None,
    actor: str = "cli",
    results_cache_dir: Path,
) -> PurgeReport:
    """Delete expired drafts and the submissions of surveys past their retention date.

    Drafts go when their expiry date has passed, or when they were last saved more than
    `drafts_older_than` ago. Invitations stay (used ones stay used) but lose their link
    to a deleted submission. One transaction, with its audit event. When submissions
    were deleted, so are the database's cached results in `results_cache_dir`.
    """
    today = today or datetime.datetime.now(datetime.UTC).date()
    report = PurgeReport()
    with db.write() as session:
        expired = col(Draft.expires_on) < today
        if drafts_older_than is not None:
            expired = expired | (col(Draft.updated_on) < today - drafts_older_than)
        report.drafts = _deleted(session.execute(delete(Draft).where(expired)))
        for survey_id in _past_retention(session, today):
            in_survey = col(Draft.survey_id) == survey_id
            report.drafts += _deleted(session.execute(delete(Draft).where(in_survey)))
            session.execute(
                update(Invitation)
                .where(col(Invitation.survey_id) == survey_id)
                .values(submission_pk=None)
            )
            session.execute(delete(Recipient).where(col(Recipient.survey_id) == survey_id))
            session.execute(delete(TextReview).where(col(TextReview.survey_id) == survey_id))
            _forget_reasons(session, survey_id)
            deleted = session.execute(
                delete(Submission).where(col(Submission.survey_id) == survey_id)
            )
            report.submissions[survey_id] = _deleted(deleted)
        session.add(AuditEvent(actor=actor, action="purge", detail=report.detail()))
    if report.submissions:
        results_cache.delete_database_files(results_cache_dir, db.url)
    return report


def _forget_reasons(session: Session, survey_id: str) -> None:
    """Replace the reasons' texts in the survey's releases (`Release.excluded`, reason ->
    count) by the counts alone; ids and counts stay."""
    found = session.execute(
        sa_select(col(Release.id), col(Release.excluded)).where(col(Release.survey_id) == survey_id)
    ).all()
    for release_id, excluded in found:
        if not (excluded or {}).get("reasons"):
            continue
        kept = {key: value for key, value in excluded.items() if key != "reasons"}
        kept["reason_counts"] = sorted(excluded["reasons"].values(), reverse=True)
        session.execute(update(Release).where(col(Release.id) == release_id).values(excluded=kept))


def _deleted(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _past_retention(session: Session, today: datetime.date) -> Iterable[str]:
    """Surveys whose newest published version has a retention date before `today`."""
    for survey_id in session.exec(select(Survey.id)).all():
        newest = session.exec(
            select(SurveyVersion)
            .where(SurveyVersion.survey_id == survey_id)
            .order_by(col(SurveyVersion.number).desc())
        ).first()
        if newest is None:
            continue
        retention = questionnaire_of(newest).retention
        if retention is not None and retention < today:
            yield survey_id
