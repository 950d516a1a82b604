"""Quality signals of one response, from its checked answers alone.

Two signals need nothing but the answers and the questionnaire, so they are computed
when a response arrives and stored with it (flags are derived later, with the office's
thresholds, in `analysis.quality`):

- *unanswered*: the share of the questions that were asked (relevant, answerable) and
  left empty, in percent; a response that skips most questions says little.
- *likert_same*: straight-lining. Rating scales (`appearance: likert`, as in XLSForm)
  answered all at the same position (say, always the first option) suggest clicking
  through without reading. The value is how many such answers there are when they all
  sit at the same position, else 0, so one or two ratings never look suspicious by
  themselves; the office chooses from how many on.
"""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.questionnaire.rules import CheckedAnswers, is_empty
from survey_app.questionnaire.schema import Questionnaire

__all__ = ["AnswerQuality", "answer_quality"]


@dataclass(frozen=True)
class AnswerQuality:
    unanswered: int
    """Percent (0-100) of the asked questions that were left empty."""
    likert_same: int
    """Rating-scale answers, when all of them chose the same position; else 0."""


def answer_quality(questionnaire: Questionnaire, checked: CheckedAnswers) -> AnswerQuality:
    """The signals of a checked response (`rules.check_answers`)."""
    # Which questions are answerable and which are rating scales is worked out once per
    # questionnaire (`Questionnaire.answerable`, `.rating_positions`), not per response.
    asked = [name for name in questionnaire.answerable if name in checked.relevant]
    empty = sum(1 for name in asked if is_empty(checked.answers.get(name)))
    unanswered = round(100 * empty / len(asked)) if asked else 0
    scales = questionnaire.rating_positions
    positions: set[int] = set()
    ratings = 0
    for name in asked:
        answer = checked.answers.get(name)
        position = scales[name].get(answer) if name in scales and isinstance(answer, str) else None
        if position is not None:
            positions.add(position)
            ratings += 1
    return AnswerQuality(unanswered=unanswered, likert_same=ratings if len(positions) == 1 else 0)
