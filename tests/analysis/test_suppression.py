"""The first step of suppression (rules (a)-(c) on lines): each rule by hand, then
properties under hypothesis. The second step, the audit, is in test_disclosure.py."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.suppression import (
    Line,
    hide_small,
    order_statistics_shown,
    settle,
    statistics_shown,
)

K = 5


def one_way(counts: list[int], k: int = K, *, total: int | None = None, additive: bool = True
            ) -> tuple[int | None, list[int | None]]:  # fmt: skip
    """A question's counts and its n (the sum, or `total` for ticks) after the rules."""
    values = [*counts, sum(counts) if total is None else total]
    hidden = [False] * len(values)
    settle(values, hidden, [Line(tuple(range(len(counts))), len(counts), additive)], k)
    shown = [None if h else v for v, h in zip(values, hidden, strict=True)]
    return shown[-1], shown[:-1]


Shown = list[int | None]


def table(body: np.ndarray, k: int = K, column_n: list[int] | None = None,
          ) -> tuple[list[Shown], Shown, Shown, int | None]:  # fmt: skip
    """A table with row totals, column totals (or `column_n` for ticks: columns then are
    not additive) and the total, after the rules: (cells, rows, columns, total)."""
    rows, columns = body.shape
    cells = [int(x) for x in body.flatten()]
    row_totals = [int(x) for x in body.sum(axis=1)]
    column_totals = [int(x) for x in body.sum(axis=0)] if column_n is None else column_n
    values = cells + row_totals + column_totals + [sum(column_totals)]
    row_at, column_at, total_at = len(cells), len(cells) + rows, len(values) - 1
    lines = [
        Line(tuple(i * columns + j for j in range(columns)), row_at + i) for i in range(rows)
    ] + [
        Line(tuple(i * columns + j for i in range(rows)), column_at + j, column_n is None)
        for j in range(columns)
    ] + [
        Line(tuple(column_at + j for j in range(columns)), total_at),
    ]  # fmt: skip
    if column_n is None:
        lines.append(Line(tuple(row_at + i for i in range(rows)), total_at))
    hidden = [False] * len(values)
    settle(values, hidden, lines, k)
    shown = [None if h else v for v, h in zip(values, hidden, strict=True)]
    return (
        [shown[i * columns : (i + 1) * columns] for i in range(rows)],
        shown[row_at:column_at],
        shown[column_at:total_at],
        shown[total_at],
    )


def test_n_below_minimum_hides_the_whole_question() -> None:
    assert one_way([2, 1, 0]) == (None, [None, None, None])


def test_n_of_zero_is_shown() -> None:
    assert one_way([0, 0]) == (0, [0, 0])


def test_counts_below_minimum_are_suppressed_and_zeros_shown() -> None:
    n, counts = one_way([3, 0, 2, 40])

    assert n == 45
    assert counts[1] == 0
    assert counts[0] is None
    assert counts[2] is None


def test_secondary_suppression_hides_the_smallest_count_first_in_choice_order_on_ties() -> None:
    # 3 alone would be n - 7 - 7 - 20: the first of the two 7s is hidden too.
    assert one_way([3, 7, 7, 20]) == (37, [None, None, 7, 20])


def test_secondary_suppression_repeats_until_the_hidden_sum_reaches_the_minimum() -> None:
    assert one_way([1, 1, 2, 6, 30]) == (40, [None, None, None, None, 30])


def test_no_secondary_suppression_when_hidden_counts_reach_the_minimum() -> None:
    assert one_way([3, 4, 20]) == (27, [None, None, 20])


def test_select_multiple_hides_counts_whose_complement_is_small() -> None:
    n, counts = one_way([48, 3, 20, 50], total=50, additive=False)

    assert n == 50
    # 48 of 50: the two who did not tick it would be revealed.
    assert counts == [None, None, 20, 50]


def test_single_counts_and_statistics_follow_the_minimum() -> None:
    assert hide_small(4, K) is None
    assert hide_small(5, K) == 5
    assert not statistics_shown(4, K)
    assert statistics_shown(5, K)
    assert not statistics_shown(None, K)


def test_medians_and_quartiles_need_twenty_or_twice_the_minimum() -> None:
    assert not order_statistics_shown(19, 5)
    assert order_statistics_shown(20, 5)
    assert not order_statistics_shown(29, 15)
    assert order_statistics_shown(30, 15)
    assert not order_statistics_shown(None, 5)


def test_a_number_in_several_lines_is_hidden_in_all_of_them() -> None:
    # Number 2 (value 3) is a cell of the first line and the total of the second.
    values = [10, 20, 3, 1, 2, 33]
    hidden = [False] * len(values)

    settle(values, hidden, [Line((0, 1, 2), 5), Line((3, 4), 2)], K)

    assert hidden[2]
    assert hidden[3]
    assert hidden[4]


def test_table_suppresses_rows_columns_and_margins_until_stable() -> None:
    body = np.array([[2, 10, 10], [10, 10, 10], [10, 10, 10]])

    cells, _rows, _columns, total = table(body)

    # 2 is primary; row 0 and column 0 each need a second hidden cell; then the cells hidden
    # for them need partners in their own lines.
    assert cells[0][0] is None
    assert sum(x is None for x in cells[0]) >= 2
    assert sum(row[0] is None for row in cells) >= 2
    assert total == 82


def test_table_hides_a_lone_large_cell_hidden_by_the_other_direction() -> None:
    # Column 0 hides 3 and then 9 (its smallest non-zero); row 1 then holds 9 as its
    # only hidden cell, which its total would reveal, so another cell of row 1 goes too.
    cells, _rows, _columns, _total = table(np.array([[3, 0, 30], [9, 40, 40], [30, 30, 30]]))

    assert cells[1][0] is None
    assert sum(x is None for x in cells[1]) >= 2


def test_table_with_small_grand_total_is_hidden_entirely() -> None:
    cells, rows, columns, total = table(np.array([[1, 2], [0, 1]]))

    assert total is None
    assert all(x is None for row in cells for x in row)
    assert rows == [None, None]
    assert columns == [None, None]


# -- properties ------------------------------------------------------------------------


def _small(value: int | None, k: int) -> bool:
    return value is not None and 0 < value < k


def _check_additive_line(values: list[int], shown: list[int | None], total: int,
                         total_shown: int | None, k: int) -> None:  # fmt: skip
    hidden = [x for x, s in zip(values, shown, strict=True) if s is None]
    if total_shown is not None:
        # What subtraction reveals: the sum of the hidden cells, and a lone hidden cell.
        assert sum(hidden) == 0 or sum(hidden) >= k
        assert sum(1 for x in hidden if x > 0) != 1
    elif total > 0:
        # A hidden total must not be the sum of shown cells.
        assert any(x > 0 for x in hidden)


counts_lists = st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=8)
minimums = st.integers(min_value=2, max_value=10)


@given(counts_lists, minimums)
def test_select_one_never_shows_a_small_count_nor_lets_one_be_derived(
    counts: list[int], k: int
) -> None:
    n, shown = one_way(counts, k)

    assert not _small(n, k)
    assert not any(_small(x, k) for x in shown)
    if n is None:
        assert all(x is None for x in shown)
    else:
        assert n == sum(counts)
        _check_additive_line(counts, shown, n, n, k)
    assert all(s is None or s == x for x, s in zip(counts, shown, strict=True))


@given(st.data(), minimums)
def test_select_multiple_never_shows_a_small_count_or_small_complement(
    data: st.DataObject, k: int
) -> None:
    n = data.draw(st.integers(min_value=0, max_value=60))
    counts = data.draw(st.lists(st.integers(min_value=0, max_value=n), min_size=1, max_size=6))

    shown_n, shown = one_way(counts, k, total=n, additive=False)

    assert not _small(shown_n, k)
    for x in shown:
        assert not _small(x, k)
        if x is not None and shown_n is not None:
            assert not _small(shown_n - x, k)


tables = st.integers(min_value=1, max_value=5).flatmap(
    lambda rows: st.lists(
        st.lists(st.integers(min_value=0, max_value=25), min_size=rows, max_size=rows),
        min_size=1,
        max_size=5,
    )
)


@settings(max_examples=300)
@given(tables, minimums)
def test_tables_never_show_a_small_count_nor_let_one_be_derived_in_any_line(
    columns: list[list[int]], k: int
) -> None:
    body = np.array(columns).T

    cells, rows, column_totals, total = table(body, k)

    for i, row in enumerate(cells):
        _check_additive_line(list(body[i]), row, int(body[i].sum()), rows[i], k)
        assert all(s is None or s == body[i, j] for j, s in enumerate(row))
    for j in range(body.shape[1]):
        column = [row[j] for row in cells]
        _check_additive_line(list(body[:, j]), column, int(body[:, j].sum()), column_totals[j], k)
    _check_additive_line(list(body.sum(axis=1)), rows, int(body.sum()), total, k)
    assert not any(_small(x, k) for x in [*rows, *column_totals, total])


@settings(max_examples=200)
@given(st.data(), minimums)
def test_select_multiple_tables_protect_complements_in_columns(data: st.DataObject, k: int) -> None:
    column_n = data.draw(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=4))
    rows = data.draw(st.integers(min_value=1, max_value=4))
    body = np.array(
        [[data.draw(st.integers(min_value=0, max_value=n)) for n in column_n] for _ in range(rows)]
    )

    cells, _rows, shown_n, _total = table(body, k, column_n=column_n)

    for j, n in enumerate(shown_n):
        for row in cells:
            assert not _small(row[j], k)
            if row[j] is not None and n is not None:
                assert not _small(n - row[j], k)
