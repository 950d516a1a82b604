"""Paths of answers inside repeats: `members[2].age` is the answer to `age` in the second
entry of `members`, `members[1].jobs[2].title` one level deeper.

The same paths key errors (`check_answers`), name the fields of survey pages and list
what a page showed, so one spelling holds everywhere. Question names hold no `[`, so the
first `[` ends the name of the outermost repeat, and whatever follows the last `].` is the
question's own name (names may contain dots).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["entries_at", "entry_path", "leaf_name", "top_name", "value_at"]

_STEP = re.compile(r"^(?P<name>[^\[]+)\[(?P<position>\d+)\]\.(?P<rest>.+)$")


def entry_path(field: str, position: int) -> str:
    """The path of entry `position` (from 1) of the repeat at `field`, ready for a name:
    `entry_path("members", 2) + "age"` is `members[2].age`."""
    return f"{field}[{position}]."


def top_name(path: str) -> str:
    """The question of the pages a path belongs to: `members` for `members[2].age`."""
    return path.split("[", 1)[0]


def leaf_name(path: str) -> str:
    """The question a path names: `age` for `members[2].age`."""
    while (step := _STEP.match(path)) is not None:
        path = step["rest"]
    return path


def value_at(answers: Mapping[str, object], path: str) -> object:
    """The answer at `path` in `answers` (entries as lists of dicts), or None."""
    current: object = answers
    while (step := _STEP.match(path)) is not None:
        entries = current.get(step["name"]) if isinstance(current, Mapping) else None
        position = int(step["position"])
        if not isinstance(entries, list) or not 1 <= position <= len(entries):
            return None
        current, path = entries[position - 1], step["rest"]
    return current.get(path) if isinstance(current, Mapping) else None


def entries_at(
    answers: Mapping[str, object], path: str, *, create: bool = False
) -> list[Any] | None:
    """The list of entries of the repeat at `path` in `answers` (None when there is none;
    with `create`, an empty list is put in place where the repeat has no answer yet)."""
    container: object = answers
    rest = path
    while "[" in rest:
        name, _, tail = rest.partition("[")
        position, _, rest = tail.partition("].")
        entries = container.get(name) if isinstance(container, Mapping) else None
        number = int(position) if position.isdigit() else 0
        if not isinstance(entries, list) or not 1 <= number <= len(entries):
            return None
        container = entries[number - 1]
    if not isinstance(container, dict):
        return None
    found = container.get(rest)
    if found is None and create:
        found = container[rest] = []
    return found if isinstance(found, list) else None
