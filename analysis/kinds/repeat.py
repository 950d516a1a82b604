"""Repeats (`repeat`, a roster): how many respondents gave entries, and the number of
entries per response as a number is shown (mean, median, quartiles: `NumberKind`, the
same rules).

In a frame of answers a repeat is one column, its number of entries (missing where it
was not answered); its entries have frames of their own, one row per entry
(`analysis.frames.Responses.entries`). What the entries answered is not counted for
the working groups yet: a count of entries could come from a single household.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from analysis.kinds.number import NumberKind
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

    def csv_columns(
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
