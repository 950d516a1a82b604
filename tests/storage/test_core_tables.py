"""`survey_app.db.core` names the tables' columns again for readers without the ORM: each
of its columns must exist in the table classes with the same kind of type, or a reader
would fail on a renamed column or get a date back as text."""

from __future__ import annotations

import pytest
from sqlalchemy import TableClause
from sqlmodel import SQLModel

import survey_app.db.tables  # noqa: F401  (registers the table classes in the metadata)
from survey_app.db import core

CORE_TABLES = [
    core.audit_event,
    core.draft,
    core.release,
    core.review_event,
    core.submission,
    core.survey,
    core.survey_version,
    core.user_account,
    core.user_group,
    core.working_group,
]


@pytest.mark.parametrize("clause", CORE_TABLES, ids=lambda clause: clause.name)
def test_core_columns_have_the_names_and_types_of_the_table_classes(clause: TableClause) -> None:
    table = SQLModel.metadata.tables[clause.name]

    for column in clause.columns:
        assert column.name in table.columns, f"{clause.name}.{column.name} is not a column"
        declared = table.columns[column.name].type
        assert column.type._type_affinity is declared._type_affinity, (
            f"{clause.name}.{column.name}: {column.type!r} here, {declared!r} in the table"
        )


def test_every_core_table_is_checked() -> None:
    clauses = [value for value in vars(core).values() if isinstance(value, TableClause)]

    assert {clause.name for clause in clauses} == {clause.name for clause in CORE_TABLES}
