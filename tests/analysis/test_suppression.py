"""Small-cell suppression: each rule by hand, then properties under hypothesis."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.suppression import (
    SuppressedTable,
    hide_small,
    suppress_select_multiple,
    suppress_select_one,
    suppress_table,
    visible_statistics,
)

K = 5


def test_n_below_minimum_hides_the_whole_question() -> None:
    assert suppress_select_one([2, 1, 0], K) == (None, [None, None, None])


def test_n_of_zero_is_shown() -> None:
    assert suppress_select_one([0, 0], K) == (0, [0, 0])


def test_counts_below_minimum_are_suppressed_and_zeros_shown() -> None:
    n, counts = suppress_select_one([3, 0, 2, 40], K)

    assert n == 45
    assert counts[1] == 0
    assert counts[0] is None
    assert counts[2] is None


def test_secondary_suppression_hides_the_smallest_count_first_in_choice_order_on_ties() -> None:
    # 3 alone would be n - 7 - 7 - 20: the first of the two 7s is hidden too.
    assert suppress_select_one([3, 7, 7, 20], K) == (37, [None, None, 7, 20])


def test_secondary_suppression_repeats_until_the_hidden_sum_reaches_the_minimum() -> None:
    assert suppress_select_one([1, 1, 2, 6, 30], K) == (40, [None, None, None, None, 30])


def test_no_secondary_suppression_when_hidden_counts_reach_the_minimum() -> None:
    assert suppress_select_one([3, 4, 20], K) == (27, [None, None, 20])


def test_select_multiple_hides_counts_whose_complement_is_small() -> None:
    n, counts = suppress_select_multiple([48, 3, 20, 50], 50, K)

    assert n == 50
    # 48 of 50: the two who did not tick it would be revealed.
    assert counts == [None, None, 20, 50]


def test_single_counts_and_statistics_follow_the_minimum() -> None:
    assert hide_small(4, K) is None
    assert hide_small(5, K) == 5
    assert not visible_statistics(4, K)
    assert visible_statistics(5, K)


def test_table_suppresses_rows_columns_and_margins_until_stable() -> None:
    cells = [[2, 10, 10], [10, 10, 10], [10, 10, 10]]

    table = suppress_table(cells, [22, 30, 30], [22, 30, 30], 82, K)

    # 2 is primary; row 0 and column 0 each need a second hidden cell; then the cells hidden
    # for them need partners in their own lines.
    assert table.cells[0][0] is None
    assert sum(x is None for x in table.cells[0]) >= 2
    assert sum(row[0] is None for row in table.cells) >= 2
    assert table.total == 82
    _check_table(np.array(cells), table, K)


def test_table_hides_a_lone_large_cell_hidden_by_the_other_direction() -> None:
    # Column 0 hides 3 and then 9 (its smallest non-zero); row 1 then holds 9 as its
    # only hidden cell, which its total would reveal, so another cell of row 1 goes too.
    cells = [[3, 0, 30], [9, 40, 40], [30, 30, 30]]

    table = suppress_table(cells, [33, 89, 90], [42, 70, 100], 212, K)

    assert table.cells[1][0] is None
    assert sum(x is None for x in table.cells[1]) >= 2
    _check_table(np.array(cells), table, K)


def test_table_with_small_grand_total_is_hidden_entirely() -> None:
    table = suppress_table([[1, 2], [0, 1]], [3, 1], [1, 3], 4, K)

    assert table.total is None
    assert all(x is None for row in table.cells for x in row)
    assert table.row_totals == [None, None]
    assert table.column_totals == [None, None]


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


def _check_table(body: np.ndarray, table: SuppressedTable, k: int,
                 column_n: list[int] | None = None) -> None:  # fmt: skip
    """Every line of the table; `column_n` for select_multiple tables (respondents)."""
    rows, columns = body.shape
    row_totals = body.sum(axis=1)
    columns_additive = column_n is None
    column_totals = body.sum(axis=0) if column_n is None else np.array(column_n)
    every = [*table.row_totals, *table.column_totals, table.total]
    every += [x for row in table.cells for x in row]
    assert not any(_small(x, k) for x in every)
    for i in range(rows):
        _check_additive_line(
            list(body[i]), table.cells[i], int(row_totals[i]), table.row_totals[i], k
        )
    _check_additive_line(
        list(column_totals), table.column_totals, int(column_totals.sum()), table.total, k
    )
    if columns_additive:
        for j in range(columns):
            _check_additive_line(
                list(body[:, j]), [row[j] for row in table.cells], int(column_totals[j]),
                table.column_totals[j], k,
            )  # fmt: skip
        _check_additive_line(list(row_totals), table.row_totals, int(body.sum()), table.total, k)


counts_lists = st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=8)
minimums = st.integers(min_value=2, max_value=10)


@given(counts_lists, minimums)
def test_select_one_never_shows_a_small_count_nor_lets_one_be_derived(
    counts: list[int], k: int
) -> None:
    n, shown = suppress_select_one(counts, k)

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

    shown_n, shown = suppress_select_multiple(counts, n, k)

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

    table = suppress_table(body, list(body.sum(axis=1)), list(body.sum(axis=0)), int(body.sum()), k)

    _check_table(body, table, k)
    for i, row in enumerate(table.cells):
        assert all(s is None or s == body[i, j] for j, s in enumerate(row))


@settings(max_examples=200)
@given(st.data(), minimums)
def test_select_multiple_tables_protect_complements_in_columns(data: st.DataObject, k: int) -> None:
    column_n = data.draw(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=4))
    rows = data.draw(st.integers(min_value=1, max_value=4))
    body = np.array(
        [[data.draw(st.integers(min_value=0, max_value=n)) for n in column_n] for _ in range(rows)]
    )

    table = suppress_table(
        body, list(body.sum(axis=1)), column_n, sum(column_n), k, columns_additive=False
    )

    _check_table(body, table, k, column_n=column_n)
    for j, n in enumerate(table.column_totals):
        for row in table.cells:
            if row[j] is not None and n is not None:
                assert not _small(n - row[j], k)
