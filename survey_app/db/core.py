"""Some of `survey_app.db.tables` as SQLAlchemy Core table clauses, for readers without the ORM.

Importing the table classes imports SQLModel and SQLAlchemy's ORM, 0.3-0.5 s of a
command's start (bench/README.md). A command that only reads rows (`survey-app export
--format csv`) uses these instead: the same table and column names with the same column
types (so dates, booleans and JSON come back as the ORM reads them), and nothing else:
no keys, indexes or defaults, which belong to the tables and the migrations.
`tests/storage/test_core_tables.py` checks each column against the table classes.
"""

from __future__ import annotations

from sqlalchemy import JSON, Date, Integer, String, Text, column, table

__all__ = ["submission", "survey_version"]

survey_version = table(
    "survey_version",
    column("id", Integer),
    column("survey_id", String),
    column("number", Integer),
    column("content_hash", String),
    column("definition", JSON),
)

submission = table(
    "submission",
    column("id", Integer),
    column("survey_id", String),
    column("version_id", Integer),
    column("language", String),
    column("answers", Text),
    column("created_on", Date),
    column("status", String),
)
