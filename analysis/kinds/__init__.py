"""Question kinds: everything the results side knows of a question type, in one place.

`kind_of(question)` gives the `Kind` of a question (or of a `QuestionType`): its columns
in a frame of answers and in the row-level export, what a publication counts of its
answers, how a published result is read, its chart, its rows in the command line's
tables, and its partial on the results pages (`templates/results/kinds/<kind.name>.html`,
included by `results/_question.html`).

To add a question type: a module here with its `Kind` (the defaults count only how many
answered), its line in `KINDS` below, and its partial. Notes and calculations have no
kind: nobody answers them, so nothing of them is published.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from analysis.kinds.base import Kind
from analysis.kinds.choice import MultipleChoice, SingleChoice
from analysis.kinds.date import DateKind
from analysis.kinds.entries import EntryCountKind, EntryPresence
from analysis.kinds.moment import MomentKind
from analysis.kinds.number import NumberKind
from analysis.kinds.rank import Rank
from analysis.kinds.repeat import RepeatKind
from analysis.kinds.text import TextKind
from analysis.presence import ENTRY_COUNT, ENTRY_PRESENCE, PRESENCE_INFIX
from analysis.summaries import QuestionResult
from survey_app.questionnaire.schema import Question, QuestionType

__all__ = [
    "DERIVED",
    "KINDS",
    "Kind",
    "kind_of",
    "kind_of_result",
    "registered",
    "shown_apart",
]

KINDS: dict[QuestionType, Kind] = {
    type_: kind
    for kind in (
        SingleChoice(),
        MultipleChoice(),
        Rank(),
        NumberKind(),
        DateKind(),
        MomentKind(),
        TextKind(),
        RepeatKind(),
    )
    for type_ in kind.types
}
"""The kind of every question type a respondent answers."""

DERIVED: dict[str, Kind] = {ENTRY_PRESENCE: EntryPresence(), ENTRY_COUNT: EntryCountKind()}
"""Kinds of derived questions that nobody answers, by their `appearance`: what a
roster's entries answered (`analysis.presence`)."""


def kind_of(question: Question | QuestionType) -> Kind:
    """The kind of a question or question type; KeyError for notes and calculations."""
    if (
        isinstance(question, Question)
        and question.appearance in DERIVED
        and PRESENCE_INFIX in question.name
    ):
        return DERIVED[question.appearance]
    type_ = question.type if isinstance(question, Question) else question
    try:
        return KINDS[type_]
    except KeyError:
        raise KeyError(f"question type {type_!s} has no kind: nobody answers it") from None


def kind_of_result(result: QuestionResult) -> Kind:
    """The kind that read a published result, and so shows it: its type's, or the
    derived kind it names (`QuestionResult.kind`)."""
    for kind in DERIVED.values():
        if result.kind == kind.name:
            return kind
    return kind_of(result.type)


def shown_apart(
    questions: Sequence[QuestionResult],
) -> list[tuple[QuestionResult, list[QuestionResult]]]:
    """The results that get a sheet of the workbook and a slide of their own, in order,
    each with the results shown beside it (`Kind.shown_with`: a roster's entry-count
    questions with their presence question). A result whose question is not among
    `questions` gets its own."""
    names = {question.name for question in questions}
    parts: dict[str, list[QuestionResult]] = {}
    own = []
    for question in questions:
        host = kind_of_result(question).shown_with(question)
        if host in names:
            parts.setdefault(host, []).append(question)
        else:
            own.append(question)
    return [(question, parts.get(question.name, [])) for question in own]


@contextmanager
def registered(kind: Kind) -> Iterator[Kind]:
    """`kind` standing for its types while the block runs (a kind tried out in a test)."""
    before = {type_: KINDS.get(type_) for type_ in kind.types}
    KINDS.update(dict.fromkeys(kind.types, kind))
    try:
        yield kind
    finally:
        for type_, old in before.items():
            if old is None:
                del KINDS[type_]
            else:
                KINDS[type_] = old
