"""A roster's entries counted (`analysis.presence`): how many entries chose each choice
("Person: Alter – members aged 0–5: 57"), and the responses by their number of such
entries.

Two kinds, picked by the derived questions' `appearance` (`kind_of`):

- `EntryPresence`, a presence question (`<question>__in_<repeat>`, a `select_multiple`
  of responses with at least one such entry): its choices' table, beside each choice
  the number of entries that chose it (JSON `"entries": {choice: count or null}`);
- `EntryCountKind`, an entry-count question (`<question>__in_<repeat>__<choice>`, a
  `select_one` "0".."J"): responses by their number of entries with the choice, rows
  only up to the last one that is not a shown 0 (the rest are 0 and say nothing), and
  the entries as a figure (JSON `"entries": {choice: count or null}`), also per column
  of a breakdown (`statistics`: `"entries"`).

The results workbook and the slides show a presence question and its entry-count
questions as one table (`entry_table`): per choice the responses with at least one
such entry, the entries, and the responses by their number of such entries.

The number of entries is never a published number: it is worked out from published,
audited ones when a publication is read (`entries_from`), and only where all of them
are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from analysis.kinds.base import Reading, count_rows, shown
from analysis.kinds.choice import MultipleChoice, SingleChoice
from analysis.presence import entry_count_sources
from analysis.summaries import Number, QuestionResult
from analysis.suppression import Count
from survey_app.questionnaire.schema import Question, QuestionType

__all__ = [
    "ENTRIES",
    "EntryCountKind",
    "EntryPresence",
    "EntryRow",
    "EntryTable",
    "entries_from",
    "entry_table",
]

ENTRIES = "entries"
"""The figure's key in results (JSON, a breakdown's `statistics`)."""


def entries_from(count: Callable[[int], Count], limit: int) -> Count:
    """The number of entries with a choice, E = sum of j * x_j for j = 1..`limit`, where
    `count(j)` is the published x_j (the responses with exactly j such entries), or None
    (hidden) unless every x_j is shown.

    Why this reveals nothing: E is then a function of numbers the publication shows,
    each of them audited, with every relation a reader knows (`analysis.publication`
    links them to the presence question), as protected as the rest. Anyone could add
    them up; adding them up here gives a reader nothing they did not have. Where one
    x_j is hidden, E together with the others would pin it (E - P = 1 says one response
    has two such entries): E is hidden then, as every number is that would give away a
    hidden one."""
    total = 0
    for j in range(1, limit + 1):
        x = count(j)
        if x is None:
            return None
        total += j * x
    return total


def _one_way(reading: Reading, name: str) -> Callable[[int], Count]:
    """x_j of entry-count question `name` as the publication shows it."""
    return lambda j: reading.get(f"count|{name}|{j}")


def _limit(reading: Reading, question: Question) -> int:
    """J: the entry-count question's last category is "J"."""
    return len(reading.questionnaire.choices_of(question)) - 1


class EntryCountKind(SingleChoice):
    """A derived entry-count question (see the module doc)."""

    name = "entries"
    # Picked by the question's appearance, not its type (`kind_of`).
    types: ClassVar[tuple[QuestionType, ...]] = ()

    def rows(self, reading: Reading, question: Question) -> dict[str, str]:
        """ "0".."j": j the last number of entries whose count is not a shown 0."""
        rows = super().rows(reading, question)
        last = 0
        for position, row in enumerate(rows):
            if reading.get(f"count|{question.name}|{row}") != 0:
                last = position
        return dict(list(rows.items())[: last + 1])

    def result(self, reading: Reading, question: Question, head: QuestionResult) -> QuestionResult:
        rows = self.rows(reading, question)
        counts, shares = count_rows(reading, question.name, rows, head.n)
        source = entry_count_sources(reading.questionnaire)[question.name]
        entries = entries_from(_one_way(reading, question.name), _limit(reading, question))
        return replace(
            head,
            kind=self.name,
            choices=rows,
            counts=counts,
            percent=shares,
            extras={ENTRIES: {source.choice: entries}},
        )

    def breakdown_statistics(
        self, reading: Reading, question: Question, by: Question, columns: tuple[str, ...]
    ) -> dict[str, dict[str, Number]]:
        """The entries in each column, from that column's published cells; a row whose
        one-way count is a shown 0 has nothing in any column."""
        q, b = question.name, by.name

        def cell(column: str) -> Callable[[int], Count]:
            def count(j: int) -> Count:
                if reading.get(f"count|{q}|{j}") == 0:
                    return 0
                return reading.get(f"cell|{q}|{b}|{j}|{column}")

            return count

        limit = _limit(reading, question)
        found: dict[str, Number] = {}
        for column in columns:
            entries = entries_from(cell(column), limit)
            found[column] = entries
        return {ENTRIES: found}

    def shown_with(self, result: QuestionResult) -> str | None:
        """Its presence question (`<question>__in_<repeat>`, its name without the
        choice), whose sheet and slide show the responses by number of entries."""
        choice = next(iter(result.extras.get(ENTRIES, {})), None)
        suffix = f"__{choice}"
        if choice is None or not result.name.endswith(suffix):
            return None
        return result.name.removesuffix(suffix)

    def _table_header(self) -> list[str]:
        return ["entries", "responses", "%"]

    def table_rows(self, result: QuestionResult) -> list[list[str]]:
        rows = super().table_rows(result)
        for choice, entries in result.extras.get(ENTRIES, {}).items():
            rows.append([f"{ENTRIES} ({choice})", shown(entries), ""])
        return rows


class EntryPresence(MultipleChoice):
    """A presence question of a roster (see the module doc): its choices' ticks and,
    beside them, the entries with each choice."""

    name = "entry_presence"
    # Picked by the question's appearance, not its type (`kind_of`).
    types: ClassVar[tuple[QuestionType, ...]] = ()

    def result(self, reading: Reading, question: Question, head: QuestionResult) -> QuestionResult:
        result = super().result(reading, question, head)
        entries: dict[str, Number] = {}
        for name, source in entry_count_sources(reading.questionnaire).items():
            if source.presence != question.name or not reading.publication.has(f"n|{name}"):
                continue
            limit = _limit(reading, reading.questionnaire.questions[name])
            entries[source.choice] = entries_from(_one_way(reading, name), limit)
        if not entries:
            return result  # a release made before entries were counted
        return replace(result, kind=self.name, extras={ENTRIES: entries})

    def entry_table(
        self, result: QuestionResult, parts: Sequence[QuestionResult]
    ) -> EntryTable | None:
        return entry_table(result, parts) if parts else None

    def _table_header(self) -> list[str]:
        return ["", "count", "%", "entries"]

    def _table_extras(self, result: QuestionResult, choice: str) -> list[str]:
        return [shown(result.extras.get(ENTRIES, {}).get(choice))]

    def _csv_value(self, result: QuestionResult, choice: str) -> Any:
        return result.extras.get(ENTRIES, {}).get(choice)


@dataclass(frozen=True)
class EntryRow:
    """One choice of a roster's counted question, as the workbook and the slides show
    it; None marks a hidden value."""

    choice: str
    label: str
    responses: Count
    """Responses with at least one such entry (the presence question's count)."""
    percent: Number
    entries: Count
    """The entries with the choice (`entries_from`)."""
    by_number: tuple[Count, ...]
    """Responses with 0, 1, ... such entries, as many as the table has columns: rows the
    entry-count question leaves out are shown zeros (`EntryCountKind.rows`)."""
    counted: bool = True
    """False for a choice without an entry-count question (a name that cannot end a
    question's): it has no entries and no `by_number`, rather than hidden ones."""

    @property
    def values(self) -> tuple[Count | Number, ...]:
        """Every number of the row a reader is shown, hidden ones as None."""
        counted = (self.entries, *self.by_number) if self.counted else ()
        return (self.responses, self.percent, *counted)


@dataclass(frozen=True)
class EntryTable:
    """A roster's counted question as one table: its choices' rows and the numbers of
    entries ("0".."j", up to the last any choice's entry-count question shows)."""

    numbers: tuple[str, ...]
    rows: tuple[EntryRow, ...]

    @property
    def hidden(self) -> int:
        """How many of its values are not shown."""
        return sum(1 for row in self.rows for value in row.values if value is None)


def entry_table(presence: QuestionResult, parts: Sequence[QuestionResult]) -> EntryTable:
    """The table of presence question `presence` with its entry-count questions
    `parts` (those whose `shown_with` names it)."""
    by_choice = {choice: part for part in parts for choice in part.extras.get(ENTRIES, {})}
    width = max((len(part.choices) for part in parts), default=0)
    numbers = tuple(str(j) for j in range(width))
    rows = []
    for choice, label in presence.choices.items():
        part = by_choice.get(choice)
        responses, share = presence.counts.get(choice), presence.percent.get(choice)
        if part is None:
            rows.append(EntryRow(choice, label, responses, share, None, (), counted=False))
            continue
        by_number = tuple(part.counts.get(j, 0) for j in numbers)
        entries = part.extras[ENTRIES][choice]
        count = None if entries is None else int(entries)
        rows.append(EntryRow(choice, label, responses, share, count, by_number))
    return EntryTable(numbers, tuple(rows))
