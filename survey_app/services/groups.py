"""The working groups in force: published with the questionnaires, read from one place.

`working_groups.yaml` beside the questionnaires is the source; `groups_publish` copies it
into the database when the questionnaires are published (at start-up, and by commands
that publish the directory), and every reader — results pages, the API, the admin pages,
the CLI — asks `working_groups(db)`. A catalogue with errors is not published: the groups
published before stay in force and the problems are reported.

Reads and the publishing go through Core (`survey_app.db.core`), not the table classes:
`survey-app user add` checks its groups here, and importing SQLModel and SQLAlchemy's ORM
took longer than the whole of its work (issue 19).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, text

from survey_app.db import core
from survey_app.db.engine import Database
from survey_app.errors import UnknownGroup
from survey_app.questionnaire.errors import Problem

if TYPE_CHECKING:
    from survey_app.questionnaire.schema import WorkingGroup

__all__ = ["group_ids", "groups_publish", "working_group", "working_groups"]


def groups_publish(db: Database, directory: Path) -> tuple[list[WorkingGroup], list[Problem]]:
    """Publish the catalogue of `directory` in one transaction, replacing the groups
    published before; a catalogue with problems publishes nothing. Returns the groups in
    force afterwards and the catalogue's problems."""
    # The YAML loader only here: readers of the groups (results calls) do not need it.
    from survey_app.questionnaire.loader import load_working_group_catalog

    groups, problems = load_working_group_catalog(directory)
    if problems:
        return list(working_groups(db)), problems
    # Every app process publishes at its start and the catalogue has usually not changed:
    # then a start writes nothing and waits for no lock.
    if _rows(working_groups(db)) == _rows(groups):
        return groups, []
    with db.write_connection() as connection:
        if not db.is_sqlite:
            # Processes starting together (the workers of `serve --workers 2`, or two
            # replaced at once) publish at the same moment. A PostgreSQL DELETE does not
            # remove rows another process commits while it waits, so the second INSERT
            # would meet them; a failed publish fails the worker's start, and uvicorn then
            # stops every worker. Publishers take turns instead (readers are not blocked;
            # SQLite's writers take turns already, `Database.write_connection`).
            connection.execute(
                text(f"LOCK TABLE {core.working_group.name} IN SHARE ROW EXCLUSIVE MODE")
            )
        connection.execute(delete(core.working_group))
        rows = [
            {"id": group_id, "position": position, "name": name}
            for position, (group_id, name) in enumerate(_rows(groups))
        ]
        if rows:  # an empty list would run the INSERT once, without values
            connection.execute(insert(core.working_group), rows)
    return groups, []


def _rows(groups: Iterable[WorkingGroup]) -> list[tuple[str, dict[str, str]]]:
    return [(group.id, dict(group.name)) for group in groups]


def working_groups(db: Database) -> tuple[WorkingGroup, ...]:
    """The published working groups in the catalogue's order."""
    # The model (pydantic) only where groups are made: `group_ids` needs none of it.
    from survey_app.questionnaire.schema import WorkingGroup

    with db.read_connection() as connection:
        rows = connection.execute(_GROUPS.order_by(core.working_group.c.position)).all()
    return tuple(WorkingGroup(id=row.id, name=row.name) for row in rows)


def group_ids(db: Database) -> set[str]:
    """The ids of the published working groups (`survey-app user add` checks its groups
    with them, without the questionnaire model)."""
    with db.read_connection() as connection:
        return set(connection.execute(select(core.working_group.c.id)).scalars())


def working_group(db: Database, group_id: str) -> WorkingGroup:
    """The published working group `group_id`; raises `UnknownGroup`."""
    from survey_app.questionnaire.schema import WorkingGroup

    with db.read_connection() as connection:
        row = connection.execute(_GROUPS.where(core.working_group.c.id == group_id)).first()
    if row is None:
        raise UnknownGroup(group_id)
    return WorkingGroup(id=row.id, name=row.name)


_GROUPS = select(core.working_group.c.id, core.working_group.c.name)
