"""Some of `survey_app.db.tables` as SQLAlchemy Core table clauses, for readers without the ORM.

Importing the table classes imports SQLModel and SQLAlchemy's ORM, 0.3-0.5 s of a
command's start (bench/README.md). A command that only reads rows (`survey-app export
--format csv`), reads asked for by every request (`services.published.get_survey`,
`services.drafts.draft_load` and `draft_save`), and the accounts, working groups and
audit log that `survey-app user ...` reads and writes (`services.accounts`,
`services.groups`, `services.audit`), what identifies the counted answers, which
every live results view asks first (`services.results_cache.stored_answers`), the
answers a live view counts (`services.results`) and the releases members read
(`services.released`) use these instead: the same table and column names with the same column
types (so dates, booleans and JSON come back as the ORM reads them), and nothing else:
no keys, indexes or defaults, which belong to the tables and the migrations (a Core
insert gives every value itself, the ORM's Python-side defaults such as `created_at`
included).
`tests/storage/test_core_tables.py` checks each column against the table classes.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, String, Text, column, table

__all__ = [
    "audit_event",
    "draft",
    "release",
    "review_event",
    "submission",
    "survey",
    "survey_version",
    "user_account",
    "user_group",
    "working_group",
]

draft = table(
    "draft",
    column("key_hash", String),
    column("survey_id", String),
    column("version_id", Integer),
    column("invitation_id", Integer),
    column("language", String),
    column("page", Integer),
    column("answers", Text),
    column("updated_on", Date),
    column("expires_on", Date),
    column("started_at", DateTime),
)

survey = table(
    "survey",
    column("id", String),
    column("is_open", Boolean),
)

survey_version = table(
    "survey_version",
    column("id", Integer),
    column("survey_id", String),
    column("number", Integer),
    column("content_hash", String),
    column("definition", JSON),
)

release = table(
    "result_release",
    column("id", Integer),
    column("survey_id", String),
    column("number", Integer),
    column("released_at", DateTime),
    column("version_id", Integer),
    column("publication", Text),
    column("texts", JSON),
)

submission = table(
    "submission",
    column("id", Integer),
    column("submission_id", String),
    column("survey_id", String),
    column("version_id", Integer),
    column("language", String),
    column("answers", Text),
    column("created_on", Date),
    column("status", String),
)

review_event = table(
    "review_event",
    column("id", Integer),
    column("submission_pk", Integer),
    column("survey_id", String),
    column("at", DateTime),
    column("actor", String),
    column("status", String),
    column("reason", Text),
)

user_account = table(
    "user_account",
    column("id", Integer),
    column("email", String),
    column("password_hash", String),
    column("is_admin", Boolean),
    column("created_at", DateTime),
)

user_group = table(
    "user_group",
    column("user_id", Integer),
    column("group_id", String),
)

working_group = table(
    "working_group",
    column("id", String),
    column("position", Integer),
    column("name", JSON),
)

audit_event = table(
    "audit_event",
    column("id", Integer),
    column("at", DateTime),
    column("actor", String),
    column("action", String),
    column("detail", Text),
)
