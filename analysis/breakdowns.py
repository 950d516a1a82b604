"""Breakdowns by a `select_one` question, and wave comparisons.

Breakdown JSON (the `"by"` member of a question in the results, when `by=Q` is asked):

    "by": {
      "question": "german_level",                 # the select_one question of the columns
      "columns": ["a1", "a2", ..., "(missing)"],  # its choices, then respondents without
                                                  # an answer to it, so the margins are
                                                  # the question's own counts
      "column_labels": {"a1": "A1", ...},
      "n": {column: count|null},                  # respondents of the column answering
      "total": count|null,                        # = the question's n
      "counts": {row: {column: count|null}},      # rows: choices (select_*) or months (date)
      "totals": {row: count|null},                # row margins
      "percent": {row: {column: pct|null}},       # count / the column's n
      "mean": {column: x|null}, "median": ..., "q1": ..., "q3": ...   # numbers only
    }

`counts`, `totals` and `percent` are empty for text and number questions, whose table is
the single line of column `n`s. Every value passes rule (e) of `analysis.suppression`.

Wave comparison (`"compare"` member, when `compare=S2` is asked) matches questions by
name, type and choice names, and sets the other wave's suppressed percentages beside
these; `change` is this survey's percentage minus the other's, in percentage points,
null wherever either side is hidden (so no new number is derived from a hidden one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.frames import choice_column
from analysis.summaries import (
    Breakdown,
    Comparison,
    Number,
    QuestionResult,
    months_of,
    percent,
)
from analysis.suppression import Count, SuppressedTable, suppress_select_one, suppress_table
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = ["MISSING_COLUMN", "breakdown", "comparison"]

MISSING_COLUMN = "(missing)"
"""Column of respondents who did not answer the breakdown question (never a choice name)."""

_STATISTICS = ("mean", "median", "q1", "q3")


def breakdown(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    question: Question,
    by: Question,
    language: str,
) -> Breakdown:
    """The table of `question` by the choices of `by` (a select_one question), suppressed."""
    if by.type is not QuestionType.SELECT_ONE:
        raise ValueError(f"breakdowns need a select_one question, not {by.type}")
    k = questionnaire.min_cell
    by_choices = questionnaire.choices_of(by)
    columns = (*(c.name for c in by_choices), MISSING_COLUMN)
    column_labels = {c.name: questionnaire.text(c.label, language) for c in by_choices}
    column_labels[MISSING_COLUMN] = MISSING_COLUMN
    # Column of each respondent: the position of their answer among the choices, the
    # last column for no answer. Tables are counted with bincount over these codes.
    by_codes = np.asarray(frame[by.name].cat.codes, dtype="int64")
    by_codes = np.where(by_codes < 0, len(columns) - 1, by_codes)
    base: dict[str, Any] = {"question": by.name, "columns": columns, "column_labels": column_labels}

    if question.type in (QuestionType.SELECT_ONE, QuestionType.DATE):
        rows, body = _additive_table(frame[question.name], by_codes, len(columns), question.type)
        table = suppress_table(
            body, [int(x) for x in body.sum(axis=1)], [int(x) for x in body.sum(axis=0)],
            int(body.sum()), k,
        )  # fmt: skip
        return _table_breakdown(base, rows, columns, table)
    if question.type is QuestionType.SELECT_MULTIPLE:
        rows = [c.name for c in questionnaire.choices_of(question)]
        flags = frame[[choice_column(question.name, c) for c in rows]]
        answered = flags.notna().any(axis=1).to_numpy() if rows else np.zeros(len(frame), bool)
        body = np.array(
            [
                np.bincount(by_codes[flags[name].to_numpy(bool, na_value=False)],
                            minlength=len(columns))
                for name in flags.columns
            ],
            dtype="int64",
        ).reshape(len(rows), len(columns))  # fmt: skip
        column_n = np.bincount(by_codes[answered], minlength=len(columns))
        table = suppress_table(
            body,
            [int(x) for x in body.sum(axis=1)],
            [int(x) for x in column_n],
            int(answered.sum()),
            k,
            columns_additive=False,
        )
        return _table_breakdown(base, rows, columns, table)
    groups = pd.Series(pd.Categorical.from_codes(by_codes, categories=pd.Index(columns)))
    groups.index = frame.index
    return _line_breakdown(base, frame[question.name], groups, columns, question.type, k)


def _additive_table(
    values: pd.Series, by_codes: npt.NDArray[np.int64], width: int, kind: QuestionType
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Counts of each row (choice or month) by column; respondents without a row value
    are not counted."""
    if kind is QuestionType.DATE:
        values = months_of(values)
    rows = [str(c) for c in values.cat.categories]
    row_codes = np.asarray(values.cat.codes, dtype="int64")
    present = row_codes >= 0
    cells = np.bincount(row_codes[present] * width + by_codes[present], minlength=len(rows) * width)
    return rows, cells.reshape(len(rows), width).astype("int64")


def _table_breakdown(
    base: dict[str, Any], rows: list[str], columns: Sequence[str], table: SuppressedTable
) -> Breakdown:
    counts = {row: dict(zip(columns, table.cells[i], strict=True)) for i, row in enumerate(rows)}
    column_n = dict(zip(columns, table.column_totals, strict=True))
    return Breakdown(
        **base,
        n=column_n,
        total=table.total,
        counts=counts,
        totals=dict(zip(rows, table.row_totals, strict=True)),
        percent={
            row: {column: percent(x, column_n[column]) for column, x in cells.items()}
            for row, cells in counts.items()
        },
    )


def _line_breakdown(
    base: dict[str, Any],
    values: pd.Series,
    groups: pd.Series,
    columns: Sequence[str],
    kind: QuestionType,
    k: int,
) -> Breakdown:
    raw_n = values.notna().groupby(groups, observed=False).sum().reindex(list(columns))
    total, column_n = suppress_select_one([int(x) for x in raw_n], k)
    shown_n = dict(zip(columns, column_n, strict=True))
    statistics: dict[str, dict[str, Number]] = {}
    if kind in (QuestionType.INTEGER, QuestionType.DECIMAL):
        numbers = values.astype("float64").groupby(groups, observed=False)
        found = {
            "mean": numbers.mean(),
            "median": numbers.median(),
            "q1": numbers.quantile(0.25),
            "q3": numbers.quantile(0.75),
        }
        statistics = {
            name: {
                column: _shown_statistic(found[name].get(column), shown_n[column], k)
                for column in columns
            }
            for name in _STATISTICS
        }
    return Breakdown(
        **base,
        n=shown_n,
        total=total,
        counts={},
        totals={},
        percent={},
        statistics=statistics,
    )


def _shown_statistic(value: object, n: Count, k: int) -> Number:
    if n is None or n < k or value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return round(float(value), 2)  # type: ignore[arg-type]


def comparison(this: QuestionResult, other: QuestionResult, survey: str) -> Comparison | None:
    """`other` (the same question in another wave) beside `this`; None if they differ."""
    if this.type is not other.type or set(this.choices) != set(other.choices):
        return None
    change: dict[str, Number] = {}
    for choice, value in this.percent.items():
        before = other.percent.get(choice)
        change[choice] = None if value is None or before is None else round(value - before, 1)
    mean_change = None
    if this.mean is not None and other.mean is not None:
        mean_change = round(this.mean - other.mean, 2)
    return Comparison(
        survey=survey,
        n=other.n,
        percent={choice: other.percent.get(choice) for choice in this.percent},
        change=change,
        mean=other.mean,
        mean_change=mean_change,
    )
