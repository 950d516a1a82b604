"""Repeats (`repeat`, a roster): how many respondents gave entries, and the number of
entries per response as a number is shown (mean, median, quartiles: `NumberKind`, the
same rules).

In a frame of answers a repeat is one column, its number of entries (missing where it
was not answered); its entries have frames of their own, one row per entry
(`analysis.frames.Responses.entries`). What the entries answered is counted by derived
questions of responses (`analysis.presence`, shown by `analysis.kinds.entries`): a
count of entries could come from a single household.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from analysis.kinds.base import MISSING, Counting, Dimension, Statistics
from analysis.kinds.number import NumberKind
from analysis.presence import ENTRY_COUNT, PRESENCE_INFIX
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["RepeatKind"]


class RepeatKind(NumberKind):
    name = "repeat"
    types: ClassVar[tuple[QuestionType, ...]] = (QuestionType.REPEAT,)

    def answer_type(self, question: Question) -> pa.DataType:
        """A list of entries, each an object of its answered questions' answers (nested
        repeats included)."""
        import pyarrow as pa

        from analysis.frames import entry_questions
        from analysis.kinds import kind_of

        fields = [
            pa.field(child.name, kind_of(child).answer_type(child))
            for child in entry_questions(question)
        ]
        return pa.list_(pa.struct(fields))

    def frame_columns(
        self, target: Questionnaire, question: Question, column: pa.Array, rows: int
    ) -> dict[str, Any]:
        """The number of entries (Int64), missing where the repeat was not answered."""
        from analysis.frames import entry_counts

        return {question.name: entry_counts(column)}

    def statistics(
        self, frame: pd.DataFrame, dimension: Dimension, counting: Counting
    ) -> Statistics:
        """A number's statistics, but the mean only where every count of the repeat's
        entry-count questions (`analysis.presence`) over the same responses is shown.

        The mean times n is the number of entries, which is the sum of j * x_j over the
        choices of an entry question every entry answers: a relation the audit does not
        know (a statistic is no count). Where all x_j are shown it reveals nothing they do
        not; where one is hidden, it could pin it (as the entries themselves would, see
        `analysis.kinds.entries`). Median and quartiles give no such sum."""
        statistics = super().statistics(frame, dimension, counting)
        counted = [
            d
            for d in counting.dimensions.values()
            if d.question.appearance == ENTRY_COUNT
            and f"{PRESENCE_INFIX}{dimension.name}__" in d.name
        ]
        if not counted:
            return statistics
        numbers = counting.numbers

        def all_shown(keys: list[str]) -> bool:
            return all(numbers.get(key) is not None for key in keys)

        name = dimension.name
        overall = [f"count|{d.name}|{j}" for d in counted for j in d.categories]
        if not all_shown(overall):
            statistics[name] = statistics[name] | {"mean": None}
        for q, b in counting.pairs:
            if q != name:
                continue
            for column in (*counting.dimensions[b].categories, MISSING):
                cells = [f"cell|{d.name}|{b}|{j}|{column}" for d in counted for j in d.categories]
                key = f"{q}|{b}|{column}"
                if not all_shown(cells):
                    statistics[key] = statistics[key] | {"mean": None}
        return statistics

    def export_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        """The number of entries, as `frame_columns`."""
        from analysis.csv_export import csv_entry_counts

        return {header: csv_entry_counts(column)}

    def answer_values(
        self, frame: pd.DataFrame, questionnaire: Questionnaire, question: Question
    ) -> list[Any]:
        """As many (empty) entries as each response gave: the frame keeps only their
        number, enough for `count(${repeat})`."""
        import pandas as pd

        return [None if pd.isna(n) else [{} for _ in range(int(n))] for n in frame[question.name]]
