"""Moments (`time`, `datetime`): only how many answered.

A time of day or a moment can identify someone (the one who came at 7:40), so neither
is counted by value; the page says why nothing else is shown.
"""

from __future__ import annotations

from analysis.kinds.base import Kind
from survey_app.questionnaire.schema import QuestionType

__all__ = ["MomentKind"]


class MomentKind(Kind):
    name = "moment"
    types = (QuestionType.TIME, QuestionType.DATETIME)
