"""An attacker with a member's view: everything a working group can read, solved as
integer programs.

Independent of `analysis.disclosure` on purpose: it reads only results JSON (what the
API and pages hand out), builds its own model and uses SciPy's `milp`. For each hidden
number it computes the smallest and largest value consistent with everything shown, in
whole numbers; for two releases also every difference between them.

Two models: `Attacker(linked=True)` has a table per pair of questions (every
combination of their answers, a tick set for a multiple choice) and one per question,
all agreeing on their shared margins: the linked-tables model the audit guarantees
against. `Attacker(linked=False)` has one table of every combination of answers to all
questions, the strongest linear attacker; the audit does not model it (three-way
relations), and the tests measure how far it gets.

`skips` gives either model the questionnaire's skip logic, as an attacker who reads it
knows it: every cell of a table of both questions where a question is answered though
its relevance is false holds no one, nor, for a required question, any where it is
unanswered though its relevance is true.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

MISSING = "(missing)"


@dataclass(frozen=True)
class Joint:
    """Every combination of answers: single choices (or missing) and tick sets."""

    singles: Mapping[str, Sequence[str]]  # question -> choices
    multiples: Mapping[str, Sequence[str]]  # question -> choices

    def cells(self) -> list[dict[str, Any]]:
        axes: list[list[tuple[str, Any]]] = []
        for name, choices in self.singles.items():
            axes.append([(name, c) for c in (*choices, MISSING)])
        for name, choices in self.multiples.items():
            ticks = [
                frozenset(t)
                for size in range(1, len(choices) + 1)
                for t in itertools.combinations(choices, size)
            ]
            axes.append([(name, t) for t in (*ticks, MISSING)])
        return [dict(combination) for combination in itertools.product(*axes)]

    def key(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The joint cell of one respondent's answers."""
        cell: dict[str, Any] = {}
        for name in self.singles:
            cell[name] = answers.get(name, MISSING)
        for name in self.multiples:
            ticked = answers.get(name)
            cell[name] = frozenset(ticked) if ticked else MISSING
        return cell


@dataclass(frozen=True)
class SkipRule:
    """`question` is relevant where `relevant` holds for the answer to `on` (a choice or
    `(missing)`, a frozenset of ticks for a multiple choice); `required`: answered there."""

    question: str
    on: str
    relevant: Callable[[Any], bool]
    required: bool = False

    def impossible(self, cell: Mapping[str, Any]) -> bool:
        """Whether no respondent can be in `cell` (which holds both questions)."""
        answered = cell[self.question] != MISSING
        relevant = self.relevant(cell[self.on])
        return (answered and not relevant) or (self.required and relevant and not answered)


@dataclass(frozen=True)
class NotTicked:
    """The category of respondents who answered a multiple choice without ticking
    `choice` (never shown as such: worked out as the answered minus the ticks)."""

    choice: str


def _distinct(cells: list[dict[str, Any]], questions: tuple[str, ...]) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for cell in cells:
        seen.setdefault(tuple(cell[q] for q in questions), {q: cell[q] for q in questions})
    return list(seen.values())


def _states(cells: list[dict[str, Any]], question: str) -> list[Any]:
    return list(dict.fromkeys(cell[question] for cell in cells))


def _matches(cell: Mapping[str, Any], question: str, category: Any) -> bool:
    """Whether a joint cell is in `category` of `question` (a choice, `(answered)`,
    `(missing)`, or for a multiple choice the ticks of a choice, `NotTicked(choice)`,
    or a frozenset: exactly those choices ticked)."""
    value = cell[question]
    if isinstance(category, NotTicked):
        return isinstance(value, frozenset) and category.choice not in value
    if isinstance(category, frozenset):
        return bool(value == category)
    if category == MISSING:
        return bool(value == MISSING)
    if category == "(answered)":
        return bool(value != MISSING)
    if isinstance(value, frozenset):
        return category in value
    return bool(value == category)


def published_numbers(
    joint: Joint, results: Mapping[str, Any]
) -> Iterator[tuple[tuple[str, ...], int | None]]:
    """(condition, shown value) for every count in a results JSON: a condition is
    a tuple of (question, category) pairs a cell must match."""
    yield (), results["responses"]
    for question in results["questions"]:
        name = question["name"]
        yield ((name, "(answered)"),), question["n"]
        for choice, count in question["counts"].items():
            yield ((name, choice),), count
        by = question.get("by")
        if not by:
            continue
        b = by["question"]
        for column in by["columns"]:
            yield ((name, "(answered)"), (b, column)), by["n"][column]
            for row, cells in by["counts"].items():
                yield ((name, row), (b, column)), cells[column]
        for row, total in by["totals"].items():
            yield ((name, row),), total
        yield ((name, "(answered)"),), by["total"]


@dataclass
class Finding:
    condition: tuple[Any, ...]
    release: str
    truth: int
    low: float
    high: float


class Attacker:
    """Integer programs over the cells of one or more layers of responses."""

    def __init__(
        self,
        joint: Joint,
        layers: Sequence[Sequence[Mapping[str, Any]]],
        *,
        linked: bool = True,
        skips: Sequence[SkipRule] = (),
    ) -> None:
        self.joint = joint
        self.layers = len(layers)
        full = joint.cells()
        names = [*joint.singles, *joint.multiples]
        # Each table: the questions it crosses and its cells (combinations of answers).
        tables: list[tuple[tuple[str, ...], list[dict[str, Any]]]] = []
        if linked:
            for pair in itertools.combinations(names, 2):
                tables.append((pair, _distinct(full, pair)))
            for name in names:
                tables.append(((name,), _distinct(full, (name,))))
        else:
            tables.append((tuple(names), full))
        self.tables = tables
        self.offsets = np.cumsum([0, *(len(cells) for _q, cells in tables)])
        self.size = int(self.offsets[-1])
        self.truth = np.zeros((len(layers), self.size), dtype=np.int64)
        for layer, rows in enumerate(layers):
            for answers in rows:
                cell = joint.key(answers)
                for t, (questions, cells) in enumerate(tables):
                    position = cells.index({q: cell[q] for q in questions})
                    self.truth[layer, self.offsets[t] + position] += 1
        self.structure = self._agreement() + self._skip_logic(skips)
        self.rows: list[np.ndarray] = []
        self.values: list[float] = []

    def _agreement(self) -> list[np.ndarray]:
        """Rows (over one layer) saying that tables agree on every shared margin."""
        rows = []
        by_question: dict[str, list[int]] = {}
        for t, (questions, _cells) in enumerate(self.tables):
            for q in questions:
                by_question.setdefault(q, []).append(t)
        first_table = 0
        for t in range(1, len(self.tables)):  # every table holds everyone
            rows.append(self._table_sum(t) - self._table_sum(first_table))
        for q, owners in by_question.items():
            for state in _states(self.tables[owners[0]][1], q):
                base = self._table_mask(owners[0], q, state)
                for other in owners[1:]:
                    rows.append(self._table_mask(other, q, state) - base)
        return rows

    def _skip_logic(self, skips: Sequence[SkipRule]) -> list[np.ndarray]:
        """Rows (over one layer) holding at 0 each cell no respondent can be in."""
        rows = []
        for skip in skips:
            for t, (questions, cells) in enumerate(self.tables):
                if skip.question not in questions or skip.on not in questions:
                    continue
                for i, cell in enumerate(cells):
                    if skip.impossible(cell):
                        row = np.zeros(self.size)
                        row[self.offsets[t] + i] = 1
                        rows.append(row)
        return rows

    def _table_sum(self, t: int) -> np.ndarray:
        row = np.zeros(self.size)
        row[self.offsets[t] : self.offsets[t + 1]] = 1
        return row

    def _table_mask(self, t: int, question: str, state: Any) -> np.ndarray:
        row = np.zeros(self.size)
        for i, cell in enumerate(self.tables[t][1]):
            if cell[question] == state:
                row[self.offsets[t] + i] = 1
        return row

    @staticmethod
    def _id(cell: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(sorted(cell.items(), key=lambda item: item[0]))

    def _mask(self, condition: Sequence[tuple[str, Any]]) -> np.ndarray:
        """The cells of the first table that crosses every question of `condition`."""
        wanted = {q for q, _c in condition}
        t = next(t for t, (questions, _c) in enumerate(self.tables) if wanted <= set(questions))
        mask = np.zeros(self.size)
        for i, cell in enumerate(self.tables[t][1]):
            if all(_matches(cell, q, c) for q, c in condition):
                mask[self.offsets[t] + i] = 1
        return mask

    def form(self, condition: Sequence[tuple[str, Any]], layers: Sequence[int]) -> np.ndarray:
        """The count of `condition` summed over `layers`, as a row over all variables."""
        form = np.zeros(self.layers * self.size)
        mask = self._mask(condition)
        for layer in layers:
            form[layer * self.size : (layer + 1) * self.size] = mask
        return form

    def truth_of(self, condition: Sequence[tuple[str, Any]], layers: Sequence[int]) -> int:
        return int(self.form(condition, layers) @ self.truth.flatten())

    def read(
        self, release: int | Sequence[int], results: Mapping[str, Any]
    ) -> list[tuple[Any, int]]:
        """Take in a results JSON of a release (`release`: its layers, or N for layers
        0..N); the hidden numbers with their true values."""
        layers = range(release + 1) if isinstance(release, int) else release
        hidden = []
        for condition, value in published_numbers(self.joint, results):
            form = self.form(condition, layers)
            truth = int(form @ self.truth.flatten())
            if value is None:
                hidden.append((condition, truth))
            else:
                assert value == truth, (condition, value, truth)
                self.rows.append(form)
                self.values.append(value)
        return hidden

    def bounds(self, form: np.ndarray) -> tuple[float, float]:
        size = len(form)
        agreement = [
            np.concatenate([row if layer == own else np.zeros(self.size)
                            for layer in range(self.layers)])
            for own in range(self.layers)
            for row in self.structure
        ]  # fmt: skip
        zeros = np.zeros(len(agreement))
        constraints = [
            LinearConstraint(np.array(self.rows), self.values, self.values),
            LinearConstraint(np.array(agreement), zeros, zeros),
        ]
        integrality = np.ones(size)
        bounds = Bounds(np.zeros(size), np.full(size, np.inf))
        low = milp(form, constraints=constraints, integrality=integrality, bounds=bounds)
        high = milp(-form, constraints=constraints, integrality=integrality, bounds=bounds)
        assert low.status == 0, low.message
        return low.fun, (np.inf if high.status == 3 else -high.fun)

    def pinned(
        self, condition: Any, first: int | Sequence[int], last: int | None, truth: int, k: int
    ) -> Finding | None:
        """A finding if the count of `condition` over layers `first`..`last` (or over the
        layers `first` lists, `last` None) lies within 1..k-1 whatever is consistent."""
        layers = first if last is None else range(first, last + 1)  # type: ignore[arg-type]
        if not 0 < truth < k:
            return None
        low, high = self.bounds(self.form(condition, list(layers)))
        if low >= 1 and high <= k - 1:
            return Finding(condition, f"layers {list(layers)}", truth, low, high)
        return None
