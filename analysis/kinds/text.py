"""Free text (`text`): how many answered, and the answers the office reviewed and
released (`analysis.texts`; never an answer as given). The released answers come with
the release, not from the publication (`results_from_publication(answers=...)`); a text
question's categories are a derived `select_multiple` (`analysis.texts`), a choice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.kinds.base import Kind
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["TextKind"]


class TextKind(Kind):
    name = "text"
    types = (QuestionType.TEXT,)

    def export_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        from analysis.answers_arrow import answer_strings
        from analysis.csv_export import csv_neutralized

        return {header: csv_neutralized(answer_strings(column))}
