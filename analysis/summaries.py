"""Summaries by question type, suppressed, as plain frozen data classes.

- `select_one` / `select_multiple`: n (respondents who answered), counts and percentages
  (of n) for every choice, zeros included;
- `integer` / `decimal`: n, mean, median and quartiles (never min or max);
- `text`: n, and the answers the office reviewed and released (`analysis.texts`; never
  an answer as given);
- `date`: counts per year bin fixed by the questionnaire (see `analysis.publication`);
- `rank`: n (respondents who ranked), counts and percentages of the choice ranked first,
  and each choice's mean place among those who ranked it (`mean_rank`, 1 = first);
- `note` / `calculate`: no summary.

What each type shows is decided by its kind (`analysis.kinds`); this module holds the
common shapes. Every number comes from an audited `analysis.publication.Publication`,
so nothing built here can carry a count below `min_cell` or one that could be worked
out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis.suppression import Count
from analysis.texts import ReleasedAnswer
from survey_app.questionnaire.schema import QuestionType

__all__ = ["Breakdown", "Comparison", "QuestionResult", "percent"]

Number = float | None


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
    answers: tuple[ReleasedAnswer, ...] = ()
    """Free-text answers the release shows (text questions only)."""
    extras: Mapping[str, Mapping[str, Number]] = field(default_factory=dict)
    """Figures of its kind beyond the common ones, by JSON key (a ranking's
    `mean_rank`): in the JSON after the common ones (`analysis.kinds` fills them)."""
    kind: str = ""
    """The name of its kind where that is not its type's (a roster's derived questions,
    `analysis.kinds.entries`): pages, tables and charts show it as that kind does."""

    @property
    def mean_rank(self) -> Mapping[str, Number]:
        """A ranking's mean place per choice (1 = first); None where hidden."""
        return self.extras.get("mean_rank", {})

    @property
    def hidden(self) -> int:
        """How many counts of this question (and its breakdown) are not shown."""
        values: list[object] = [self.n, *self.counts.values(), *self.months.values()]
        if self.by is not None:
            values += [self.by.total, *self.by.n.values(), *self.by.totals.values()]
            values += [x for cells in self.by.counts.values() for x in cells.values()]
        return sum(1 for value in values if value is None)

    @property
    def suppressed(self) -> bool:
        """Whether any value of this question is hidden (pages show the legend then)."""
        return self.hidden > 0

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
        if self.answers:
            data["answers"] = [answer.to_json() for answer in self.answers]
        for key, values in self.extras.items():
            data[key] = dict(values)
        return data


def percent(count: Count, n: Count) -> Number:
    """count / n in percent (one decimal); None where either is hidden or n is 0."""
    if count is None or n is None or n == 0:
        return None
    return round(100 * count / n, 1)
