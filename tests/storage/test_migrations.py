"""Alembic migrations: from an empty database, from each previous revision, to the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from survey_app.db import tables  # noqa: F401 - the models whose tables are compared
from survey_app.db.engine import make_engine
from survey_app.db.migrate import alembic_config, current_revision, downgrade, upgrade


def revisions(url: str) -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def test_the_migrated_schema_matches_the_models(migrated_database_url: str) -> None:
    database_url = migrated_database_url
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection), SQLModel.metadata
            )
    finally:
        engine.dispose()
    assert differences == []


def test_each_revision_upgrades_from_the_previous_one_and_back(
    migrated_database_url: str,
) -> None:
    database_url = migrated_database_url
    downgrade(database_url, "base")
    assert current_revision(database_url) is None
    previous = "base"
    for revision in revisions(database_url):
        upgrade(database_url, revision)
        assert current_revision(database_url) == revision
        downgrade(database_url, previous)
        upgrade(database_url, revision)
        previous = revision
    assert current_revision(database_url) == revisions(database_url)[-1]
