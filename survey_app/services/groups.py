"""The working groups in force: published with the questionnaires, read from one place.

`working_groups.yaml` beside the questionnaires is the source; `groups_publish` copies it
into the database when the questionnaires are published (at start-up, and by commands
that publish the directory), and every reader — results pages, the API, the admin pages,
the CLI — asks `working_groups(db)`. A catalogue with errors is not published: the groups
published before stay in force and the problems are reported.
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, delete, select

from survey_app.db.engine import Database
from survey_app.db.tables import WorkingGroupRow
from survey_app.errors import UnknownGroup
from survey_app.questionnaire.errors import Problem
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
    with db.write() as session:
        session.execute(delete(WorkingGroupRow))
        for position, group in enumerate(groups):
            session.add(WorkingGroupRow(id=group.id, position=position, name=dict(group.name)))
    return groups, []


def working_groups(db: Database) -> tuple[WorkingGroup, ...]:
    """The published working groups in the catalogue's order."""
    with db.read() as session:
        rows = session.exec(select(WorkingGroupRow).order_by(col(WorkingGroupRow.position))).all()
        return tuple(WorkingGroup(id=row.id, name=row.name) for row in rows)


def group_ids(db: Database) -> set[str]:
    return {group.id for group in working_groups(db)}


def working_group(db: Database, group_id: str) -> WorkingGroup:
    """The published working group `group_id`; raises `UnknownGroup`."""
    with db.read() as session:
        row = session.get(WorkingGroupRow, group_id)
        if row is None:
            raise UnknownGroup(group_id)
        return WorkingGroup(id=row.id, name=row.name)
