"""Key figures: the one-page summary a working group puts first in its report and slides.

For each question with answer choices, its most frequent shown answer and that answer's
share; the questions whose top answer is most common come first ("what most people
said"), and with a comparison the change since the earlier wave. Only shown values are
used: a hidden count is never a key figure, and a question whose shares are all hidden
has none. A result shown beside another in the workbook and the slides (`Kind.shown_with`:
a roster's households by number of such persons) is no question of its own here either:
"0 such persons: 100 %" would push real answers off the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.kinds import shown_apart
from analysis.results import Results
from analysis.summaries import QuestionResult

__all__ = ["KeyFigure", "key_figures"]


@dataclass(frozen=True)
class KeyFigure:
    """The most frequent answer of one question."""

    question: str
    """The question's label."""
    answer: str
    """The answer's label."""
    percent: float
    change: float | None = None
    """Percentage points since the compared wave (None: no comparison or not shown)."""


def _top(question: QuestionResult) -> KeyFigure | None:
    shown = {choice: share for choice, share in question.percent.items() if share is not None}
    if not shown:
        return None
    # The first of equal shares in the questionnaire's order of choices.
    choice = max(question.choices, key=lambda c: shown.get(c, -1.0))
    change = None if question.compare is None else question.compare.change.get(choice)
    return KeyFigure(question.label, question.choices[choice], shown[choice], change)


def key_figures(results: Results, limit: int = 8) -> tuple[KeyFigure, ...]:
    """At most `limit` key figures, the largest shares first (ties in questionnaire order)."""
    questions = [question for question, _parts in shown_apart(results.questions)]
    found = [figure for q in questions if q.counts and (figure := _top(q)) is not None]
    ranked = sorted(enumerate(found), key=lambda item: (-item[1].percent, item[0]))
    return tuple(figure for _index, figure in ranked[:limit])
