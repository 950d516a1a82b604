"""Choices: `select_one` (one choice per respondent) and `select_multiple` (ticks).

Published: how many answered, and the respondents per choice with their percentage of
those who answered, zeros included. A `select_one` is counted by its choices, so it is
audited and broken down by them; a `select_multiple` is counted as answered or not,
with each choice's ticks counted separately (and the rules an attacker can read in the
questionnaire: an exclusive "none", at most or at least N ticks). What follows from the
ticks without being shown (who did not tick a choice; with few choices, who ticked
exactly which) is audited in `analysis.publication`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from analysis.cells import neutralize
from analysis.kinds.base import (
    ANSWERED,
    Chart,
    Dimension,
    Kind,
    Reading,
    TickRules,
    count_rows,
    shown,
)
from analysis.summaries import QuestionResult
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from analysis.kinds.base import IntArray

__all__ = ["MultipleChoice", "SingleChoice", "tick_rules"]

_EXCLUSIVE = re.compile(
    r"not\(\s*selected\(\s*\.\s*,\s*'([^']+)'\s*\)\s*and\s*count-selected\(\s*\.\s*\)\s*>\s*1\s*\)"
)
_AT_MOST = re.compile(r"count-selected\(\s*\.\s*\)\s*(<=|<)\s*(\d+)")
_AT_LEAST = re.compile(r"count-selected\(\s*\.\s*\)\s*(>=|>)\s*(\d+)")


def tick_rules(question: Question) -> TickRules:
    """The `TickRules` of a question's constraint (patterns an attacker would read)."""
    text = question.constraint or ""
    at_most = _AT_MOST.search(text)
    at_least = _AT_LEAST.search(_EXCLUSIVE.sub("", text))
    return TickRules(
        exclusive=tuple(_EXCLUSIVE.findall(text)),
        at_most=None if at_most is None else int(at_most[2]) - (at_most[1] == "<"),
        at_least=None if at_least is None else int(at_least[2]) + (at_least[1] == ">"),
    )


class SingleChoice(Kind):
    """`select_one`: one category per respondent, its choice."""

    name = "choice"
    types: ClassVar[tuple[QuestionType, ...]] = (QuestionType.SELECT_ONE,)

    def frame_columns(
        self, target: Questionnaire, question: Question, column: pa.Array, rows: int
    ) -> dict[str, Any]:
        from analysis.frames import categorical_column, choice_names

        return {question.name: categorical_column(column, choice_names(target, question))}

    def export_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        from analysis.csv_export import csv_choice_labels

        choices = target.choices_of(question)
        labels = [neutralize(target.text(c.label, language)) for c in choices]
        return {header: csv_choice_labels(column, [c.name for c in choices], labels)}

    def export_code_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        from analysis.cells import neutralize_codes
        from analysis.csv_export import csv_choice_labels

        names = [c.name for c in target.choices_of(question)]
        return {header: csv_choice_labels(column, names, [neutralize_codes(n) for n in names])}

    def dimension(
        self, questionnaire: Questionnaire, question: Question, reference_year: int
    ) -> Dimension:
        return Dimension(question, tuple(c.name for c in questionnaire.choices_of(question)))

    def codes(self, frame: pd.DataFrame, dimension: Dimension) -> IntArray:
        import numpy as np

        codes = np.asarray(frame[dimension.name].cat.codes, dtype=np.int64)
        return np.where(codes < 0, len(dimension.categories), codes)

    def result(self, reading: Reading, question: Question, head: QuestionResult) -> QuestionResult:
        rows = self.rows(reading, question)
        counts, shares = count_rows(reading, question.name, rows, head.n)
        return replace(head, choices=rows, counts=counts, percent=shares)

    def breakdown_rows(self, reading: Reading, question: Question) -> list[str]:
        return list(self.rows(reading, question))

    def chart(self, result: QuestionResult, statistic_labels: Mapping[str, str]) -> Chart | None:
        compare = result.compare
        return Chart(
            tuple(
                (
                    label,
                    (result.percent.get(choice),)
                    if compare is None
                    else (result.percent.get(choice), compare.percent.get(choice)),
                )
                for choice, label in result.choices.items()
            ),
            percent=True,
            compared=compare is not None,
        )

    def table_rows(self, result: QuestionResult) -> list[list[str]]:
        if not result.counts:
            return []
        rows = [self._table_header()]
        if result.compare is not None:
            rows[0] += [f"% {result.compare.survey}", "change"]
        for choice, label in result.choices.items():
            row = [label, shown(result.counts[choice]), shown(result.percent[choice])]
            row += self._table_extras(result, choice)
            if result.compare is not None:
                row += [
                    shown(result.compare.percent.get(choice)),
                    shown(result.compare.change.get(choice)),
                ]
            rows.append(row)
        return rows

    def _table_header(self) -> list[str]:
        return ["", "count", "%"]

    def _table_extras(self, result: QuestionResult, choice: str) -> list[str]:
        return []

    def csv_rows(self, result: QuestionResult, head: list[Any]) -> list[list[Any]]:
        rows = [] if result.counts else super().csv_rows(result, head)
        for choice, label in result.choices.items():
            compare: list[Any] = ["", ""]
            if result.compare is not None:
                compare = [result.compare.percent.get(choice), result.compare.change.get(choice)]
            figures = [result.counts[choice], result.percent[choice]]
            rows.append(
                [*head, choice, label, "", *figures, self._csv_value(result, choice), *compare]
            )
        return rows

    def _csv_value(self, result: QuestionResult, choice: str) -> Any:
        """The `value` column of a choice's row (empty; a ranking's mean place)."""
        return ""


class MultipleChoice(SingleChoice):
    """`select_multiple`: answered or not, and each choice's ticks."""

    types: ClassVar[tuple[QuestionType, ...]] = (QuestionType.SELECT_MULTIPLE,)

    def answer_type(self, question: Question) -> pa.DataType:
        import pyarrow as pa

        return pa.list_(pa.string())

    def frame_columns(
        self, target: Questionnaire, question: Question, column: pa.Array, rows: int
    ) -> dict[str, Any]:
        from analysis.frames import choice_flags, choice_names

        return choice_flags(question.name, column, choice_names(target, question), rows)

    def answer_values(
        self, frame: pd.DataFrame, questionnaire: Questionnaire, question: Question
    ) -> list[Any]:
        """The ticked choices' names ([] where not answered)."""
        from analysis.frames import choice_column

        choices = [c.name for c in questionnaire.choices_of(question)]
        if not choices:
            return [[] for _ in range(len(frame))]
        flags = [
            frame[choice_column(question.name, c)].to_numpy(bool, na_value=False) for c in choices
        ]
        return [
            [c for c, ticked in zip(choices, row, strict=True) if ticked]
            for row in zip(*flags, strict=True)
        ]

    def export_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        from analysis.csv_export import csv_ticks

        choices = target.choices_of(question)
        ticks = csv_ticks(column, [c.name for c in choices])
        return {
            neutralize(f"{header}: {target.text(c.label, language)}"): flags
            for c, flags in zip(choices, ticks, strict=True)
        }

    def export_code_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        from analysis.cells import neutralize
        from analysis.csv_export import csv_selection_codes, csv_ticks

        names = [c.name for c in target.choices_of(question)]
        columns = {header: csv_selection_codes(column, names)}
        for name, ticks in zip(names, csv_ticks(column, names), strict=True):
            columns[neutralize(f"{header}/{name}")] = ticks
        return columns

    def dimension(
        self, questionnaire: Questionnaire, question: Question, reference_year: int
    ) -> Dimension:
        choices = tuple(c.name for c in questionnaire.choices_of(question))
        return Dimension(question, (ANSWERED,), ticks=choices, rules=tick_rules(question))

    def codes(self, frame: pd.DataFrame, dimension: Dimension) -> IntArray:
        import numpy as np

        from analysis.frames import choice_column

        missing = len(dimension.categories)
        columns = [choice_column(dimension.name, c) for c in dimension.ticks]
        if not columns:
            return np.full(len(frame), missing, dtype=np.int64)
        answered = frame[columns].notna().any(axis=1).to_numpy()
        return np.where(answered, 0, missing).astype(np.int64)
