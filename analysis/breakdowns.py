"""Breakdowns by a `select_one` question, and wave comparisons, as results JSON.

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
the single line of column `n`s. Every value comes from an audited publication
(`analysis.publication`); `analysis.results` arranges them.

Wave comparison (`"compare"` member, when `compare=S2` is asked) matches questions by
name, type and choice names, and sets the other wave's suppressed percentages beside
these; `change` is this survey's percentage minus the other's, in percentage points,
null wherever either side is hidden (so no new number is derived from a hidden one).
"""

from __future__ import annotations

from analysis.publication_format import MISSING
from analysis.summaries import Comparison, Number, QuestionResult

__all__ = ["MISSING_COLUMN", "comparison"]

MISSING_COLUMN = MISSING
"""Column of respondents who did not answer the breakdown question (never a choice name)."""


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
