"""Free text (`text`): how many answered, and the answers the office reviewed and
released (`analysis.texts`; never an answer as given). The released answers come with
the release, not from the publication (`results_from_publication(answers=...)`); a text
question's categories are a derived `select_multiple` (`analysis.texts`), a choice.
"""

from __future__ import annotations

from analysis.kinds.base import Kind
from survey_app.questionnaire.schema import QuestionType

__all__ = ["TextKind"]


class TextKind(Kind):
    name = "text"
    types = (QuestionType.TEXT,)
