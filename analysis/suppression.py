"""Small-cell suppression that cannot be undone by subtraction.

The rule, with `k` = the survey's `min_cell`:

(a) the `n` of a question is shown only if it is 0 or >= k; otherwise it is hidden, and
    so is every count, percentage and statistic of that question;
(b) a count x with 0 < x < k is hidden (primary suppression); for `select_multiple`
    also when 0 < n - x < k, because the complement would reveal it;
(c) for `select_one`, while the hidden counts of a question add up to more than 0 and
    less than k, the smallest remaining non-zero count is hidden too (the first in
    choice order on ties), so the difference between `n` and the shown counts never
    reveals a small number;
(d) numeric statistics only when n >= k (min and max are never computed);
(e) tables (breakdowns) apply (a)-(c) to every row and every column, margins included,
    repeating until nothing changes.

Every line of a table is a set of cells with a total. A line is *additive* when its
cells add up to its total (each respondent in exactly one cell: `select_one`, months,
one row of a `select_multiple` table across the breakdown columns) and gets (a)-(c);
a line of `select_multiple` choices is not additive (one respondent can tick several)
and gets (a)-(b) with the complement rule. In a table a cell can also be hidden by the
*other* direction, so an additive line can end up with a single hidden non-zero cell of
any size, or with a hidden total and every cell shown; both would be derivable, so (c)
also fires then (for a one-dimensional question this never happens: a lone hidden count
is always a primary one below k). If no non-zero cell is left to hide, the line's total
is hidden instead, and the lines it belongs to are settled in turn.

Known limit (stated, not solved): the rule protects each table on its own. Differences
*between* published tables (two questions linked by relevance, or a margin hidden in a
breakdown but shown in the plain results) are not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "SuppressedTable",
    "hide_small",
    "suppress_select_multiple",
    "suppress_select_one",
    "suppress_table",
    "visible_statistics",
]

Count = int | None


def hide_small(count: int, k: int) -> Count:
    """Rule (a) for a single count: shown if 0 or >= k, else None."""
    return None if 0 < count < k else count


def visible_statistics(n: int, k: int) -> bool:
    """Rule (d): statistics of a number question are shown only when n >= k."""
    return n >= k


@dataclass(frozen=True)
class SuppressedTable:
    """A table after suppression: None marks a hidden value."""

    cells: list[list[Count]]
    row_totals: list[Count]
    column_totals: list[Count]
    total: Count


@dataclass(frozen=True)
class _Line:
    cells: tuple[tuple[int, int], ...]
    total: tuple[int, int]
    additive: bool


class _Grid:
    """Values and hidden flags of a table with its margins (last row and column)."""

    def __init__(self, values: npt.NDArray[np.int64], k: int) -> None:
        self.values = values
        self.hidden = np.zeros(values.shape, dtype=bool)
        self.k = k

    def hide(self, position: tuple[int, int]) -> bool:
        if self.hidden[position]:
            return False
        self.hidden[position] = True
        return True

    def settle(self, line: _Line) -> bool:
        """Apply (a)-(c) to one line; True if anything new was hidden."""
        k = self.k
        total = int(self.values[line.total])
        changed = False
        if 0 < total < k:  # (a)
            for position in (line.total, *line.cells):
                changed |= self.hide(position)
            return changed
        for position in line.cells:  # (b)
            x = int(self.values[position])
            if 0 < x < k or (not line.additive and 0 < total - x < k):
                changed |= self.hide(position)
        if not line.additive:
            return changed
        while self._derivable(line):  # (c)
            extra = self._next_to_hide(line)
            if extra is None:
                break
            changed |= self.hide(extra)
        return changed

    def _derivable(self, line: _Line) -> bool:
        hidden = [int(self.values[p]) for p in line.cells if self.hidden[p]]
        hidden_nonzero = sum(1 for x in hidden if x > 0)
        if self.hidden[line.total]:
            return hidden_nonzero == 0 and int(self.values[line.total]) > 0
        hidden_sum = sum(hidden)
        return 0 < hidden_sum < self.k or hidden_nonzero == 1

    def _next_to_hide(self, line: _Line) -> tuple[int, int] | None:
        candidates = [p for p in line.cells if not self.hidden[p] and int(self.values[p]) > 0]
        if candidates:
            # min() keeps the first of equal values: ties go to the first in choice order.
            return min(candidates, key=lambda p: int(self.values[p]))
        if not self.hidden[line.total]:
            return line.total
        return None

    def settle_all(self, lines: Sequence[_Line]) -> None:
        changed = True
        while changed:
            changed = False
            for line in lines:
                changed |= self.settle(line)

    def shown(self, position: tuple[int, int]) -> Count:
        return None if self.hidden[position] else int(self.values[position])


def suppress_select_one(counts: Sequence[int], k: int) -> tuple[Count, list[Count]]:
    """Rules (a)-(c) for one `select_one` question (n is the sum of the counts)."""
    grid = _Grid(np.array([[*counts, sum(counts)]], dtype=np.int64), k)
    width = len(counts)
    line = _Line(tuple((0, j) for j in range(width)), (0, width), additive=True)
    grid.settle_all([line])
    return grid.shown((0, width)), [grid.shown((0, j)) for j in range(width)]


def suppress_select_multiple(counts: Sequence[int], n: int, k: int) -> tuple[Count, list[Count]]:
    """Rules (a)-(b) with the complement for one `select_multiple` question."""
    grid = _Grid(np.array([[*counts, n]], dtype=np.int64), k)
    width = len(counts)
    line = _Line(tuple((0, j) for j in range(width)), (0, width), additive=False)
    grid.settle_all([line])
    return grid.shown((0, width)), [grid.shown((0, j)) for j in range(width)]


def suppress_table(
    cells: npt.ArrayLike,
    row_totals: Sequence[int],
    column_totals: Sequence[int],
    total: int,
    k: int,
    *,
    columns_additive: bool = True,
) -> SuppressedTable:
    """Rule (e) for a table (rows = choices of a question, columns = breakdown groups).

    Rows are always additive across the breakdown columns (a respondent belongs to one
    column); columns are additive unless the question is `select_multiple`, in which case
    the column totals are respondents (not the sum of ticks) and so is the grand total
    down the margin column.
    """
    body = np.asarray(cells, dtype=np.int64).reshape(len(row_totals), len(column_totals))
    rows, columns = body.shape
    values = np.zeros((rows + 1, columns + 1), dtype=np.int64)
    values[:rows, :columns] = body
    values[:rows, columns] = row_totals
    values[rows, :columns] = column_totals
    values[rows, columns] = total
    lines = [
        _Line(tuple((i, j) for j in range(columns)), (i, columns), additive=True)
        for i in range(rows + 1)
    ] + [
        _Line(tuple((i, j) for i in range(rows)), (rows, j), additive=columns_additive)
        for j in range(columns + 1)
    ]
    grid = _Grid(values, k)
    grid.settle_all(lines)
    return SuppressedTable(
        cells=[[grid.shown((i, j)) for j in range(columns)] for i in range(rows)],
        row_totals=[grid.shown((i, columns)) for i in range(rows)],
        column_totals=[grid.shown((rows, j)) for j in range(columns)],
        total=grid.shown((rows, columns)),
    )
