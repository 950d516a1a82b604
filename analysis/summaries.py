"""Summaries by question type, suppressed, as plain frozen data classes.

- `select_one` / `select_multiple`: n (respondents who answered), counts and percentages
  (of n) for every choice, zeros included;
- `integer` / `decimal`: n, mean, median and quartiles (never min or max);
- `text`: n only (free text is never shown to working groups);
- `date`: counts per month, every month from the first to the last answered one;
- `note` / `calculate`: no summary.

Every number passes through `analysis.suppression` before it is put in a data class, so
nothing built here can carry a count below `min_cell`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.frames import choice_column
from analysis.suppression import (
    Count,
    hide_small,
    suppress_select_multiple,
    suppress_select_one,
    visible_statistics,
)
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = [
    "Breakdown",
    "Comparison",
    "QuestionResult",
    "months_of",
    "percent",
    "summarize",
    "summarized_types",
]

Number = float | None


def summarized_types() -> frozenset[QuestionType]:
    """Question types that get a summary (every type a respondent answers)."""
    return frozenset(t for t in QuestionType if t.takes_answer)


@dataclass(frozen=True)
class Breakdown:
    """One question broken down by the choices of a `select_one` question (see breakdowns)."""

    question: str
    columns: tuple[str, ...]
    column_labels: Mapping[str, str]
    n: Mapping[str, Count]
    total: Count
    counts: Mapping[str, Mapping[str, Count]]
    totals: Mapping[str, Count]
    percent: Mapping[str, Mapping[str, Number]]
    statistics: Mapping[str, Mapping[str, Number]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "question": self.question,
            "columns": list(self.columns),
            "column_labels": dict(self.column_labels),
            "n": dict(self.n),
            "total": self.total,
            "counts": {row: dict(cells) for row, cells in self.counts.items()},
            "totals": dict(self.totals),
            "percent": {row: dict(cells) for row, cells in self.percent.items()},
        }
        for name, values in self.statistics.items():
            data[name] = dict(values)
        return data


@dataclass(frozen=True)
class Comparison:
    """The same question in another wave: its figures and the change (this minus other)."""

    survey: str
    n: Count
    percent: Mapping[str, Number]
    change: Mapping[str, Number]
    mean: Number = None
    mean_change: Number = None

    def to_json(self) -> dict[str, Any]:
        return {
            "survey": self.survey,
            "n": self.n,
            "percent": dict(self.percent),
            "change": dict(self.change),
            "mean": self.mean,
            "mean_change": self.mean_change,
        }


@dataclass(frozen=True)
class QuestionResult:
    """The published, suppressed summary of one question. None marks a hidden value."""

    name: str
    type: QuestionType
    label: str
    n: Count
    choices: Mapping[str, str] = field(default_factory=dict)
    counts: Mapping[str, Count] = field(default_factory=dict)
    percent: Mapping[str, Number] = field(default_factory=dict)
    mean: Number = None
    median: Number = None
    q1: Number = None
    q3: Number = None
    months: Mapping[str, Count] = field(default_factory=dict)
    by: Breakdown | None = None
    compare: Comparison | None = None

    @property
    def suppressed(self) -> bool:
        """Whether any value of this question is hidden (pages show the footnote then)."""
        values: list[object] = [self.n, *self.counts.values(), *self.months.values()]
        if self.by is not None:
            values += [self.by.total, *self.by.n.values(), *self.by.totals.values()]
            values += [x for cells in self.by.counts.values() for x in cells.values()]
        return any(value is None for value in values)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "type": str(self.type),
            "label": self.label,
            "n": self.n,
            "choices": dict(self.choices),
            "counts": dict(self.counts),
            "percent": dict(self.percent),
            "mean": self.mean,
            "median": self.median,
            "q1": self.q1,
            "q3": self.q3,
            "months": dict(self.months),
        }
        if self.by is not None:
            data["by"] = self.by.to_json()
        if self.compare is not None:
            data["compare"] = self.compare.to_json()
        return data


def percent(count: Count, n: Count) -> Number:
    """count / n in percent (one decimal); None where either is hidden or n is 0."""
    if count is None or n is None or n == 0:
        return None
    return round(100 * count / n, 1)


def _statistic(value: object) -> Number:
    if not isinstance(value, int | float) or pd.isna(value):
        return None
    return round(float(value), 2)


def months_of(dates: pd.Series) -> pd.Series:
    """Dates as a Categorical of months ('YYYY-MM'), every month from the first to the last."""
    present = dates.notna().to_numpy()
    if not present.any():
        empty: list[str] = []
        return pd.Series(
            pd.Categorical.from_codes(np.full(len(dates), -1), categories=pd.Index(empty))
        )
    index = (dates.dt.year * 12 + dates.dt.month - 1).to_numpy(dtype="float64", na_value=np.nan)
    first, last = int(np.nanmin(index)), int(np.nanmax(index))
    codes = np.where(present, np.nan_to_num(index) - first, -1).astype("int64")
    labels = [f"{month // 12:04d}-{month % 12 + 1:02d}" for month in range(first, last + 1)]
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=pd.Index(labels)), index=dates.index
    )


def summarize(
    frame: pd.DataFrame, questionnaire: Questionnaire, question: Question, language: str
) -> QuestionResult:
    """The suppressed summary of `question` over `frame` (see `analysis.frames`)."""
    k = questionnaire.min_cell
    label = questionnaire.text(question.label, language)
    head = (question.name, question.type, label)
    choices = {
        c.name: questionnaire.text(c.label, language) for c in questionnaire.choices_of(question)
    }
    match question.type:
        case QuestionType.SELECT_ONE:
            raw = frame[question.name].value_counts(sort=False).reindex(list(choices), fill_value=0)
            n, counts = suppress_select_one([int(x) for x in raw], k)
            shown = dict(zip(choices, counts, strict=True))
            return QuestionResult(
                *head, n=n, choices=choices, counts=shown,
                percent={c: percent(x, n) for c, x in shown.items()},
            )  # fmt: skip
        case QuestionType.SELECT_MULTIPLE:
            columns = [choice_column(question.name, c) for c in choices]
            flags = frame[columns]
            answered = int(flags.notna().any(axis=1).sum()) if columns else 0
            ticks = [int(x) for x in flags.sum(axis=0)] if columns else []
            n, counts = suppress_select_multiple(ticks, answered, k)
            shown = dict(zip(choices, counts, strict=True))
            return QuestionResult(
                *head, n=n, choices=choices, counts=shown,
                percent={c: percent(x, n) for c, x in shown.items()},
            )  # fmt: skip
        case QuestionType.INTEGER | QuestionType.DECIMAL:
            values = frame[question.name].dropna().astype("float64")
            n_raw = len(values)
            if not visible_statistics(n_raw, k):
                return QuestionResult(*head, n=hide_small(n_raw, k))
            q1, median, q3 = values.quantile([0.25, 0.5, 0.75]).tolist()
            return QuestionResult(
                *head, n=n_raw, mean=_statistic(values.mean()), median=_statistic(median),
                q1=_statistic(q1), q3=_statistic(q3),
            )  # fmt: skip
        case QuestionType.DATE:
            raw_months = months_of(frame[question.name]).value_counts(sort=False)
            n, counts = suppress_select_one([int(x) for x in raw_months], k)
            return QuestionResult(
                *head, n=n, months=dict(zip(raw_months.index, counts, strict=True))
            )
        case _:
            return QuestionResult(*head, n=hide_small(int(frame[question.name].notna().sum()), k))
