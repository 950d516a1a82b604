"""Synthetic responses drawn from a questionnaire, for first runs and benchmarks.

Each question gets a profile drawn once from the seed: skewed choice probabilities
(a Dirichlet with a small concentration, so some choices are popular and others rare,
as in real surveys), a number distribution inside the bounds its constraint states, a
date distribution weighted towards recent months, and a chance to skip optional
questions. Values are drawn per question for all responses at once (numpy); each
response is then passed through `check_answers`, the same gate as real submissions:
it discards answers of irrelevant questions, computes calculations, and reports any
value that breaks a constraint, which is drawn again. Only responses that pass are
returned, so demo data is valid by construction and by check.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from survey_app.questionnaire.rules import Answer, check_answers
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = ["DemoError", "DemoResponse", "demo_responses"]

_ATTEMPTS = 20
_TEXTS = (
    "Mehr Kurse am Abend",
    "Kinderbetreuung während des Kurses",
    "More information in my language",
    "Hilfe bei der Wohnungssuche",
    "Danke",
    "Termine sind schwer zu bekommen",
)
_BOUND = re.compile(r"\.\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)")


class DemoError(RuntimeError):
    """The questionnaire's rules could not be satisfied by drawn values."""


@dataclass(frozen=True)
class DemoResponse:
    """One valid synthetic response: cleaned answers, language and age in days."""

    answers: dict[str, Answer]
    language: str
    days_ago: int


@dataclass(frozen=True)
class _Profile:
    question: Question
    skip: float
    choices: tuple[str, ...] = ()
    weights: np.ndarray[Any, Any] | None = None
    low: float = 0.0
    high: float = 100.0
    mode: float = 50.0


def demo_responses(
    questionnaire: Questionnaire,
    count: int,
    *,
    seed: int = 0,
    today: datetime.date | None = None,
    spread_days: int = 90,
) -> Iterator[DemoResponse]:
    """`count` valid responses, reproducible for a given seed and `today`."""
    today = today or datetime.date.today()
    rng = np.random.default_rng(seed)
    profiles = [
        _profile(questionnaire, q, rng) for q in questionnaire.iter_questions() if _answerable(q)
    ]
    language_weights = rng.dirichlet(np.full(len(questionnaire.languages), 0.7))
    batch = 10_000
    for start in range(0, count, batch):
        size = min(batch, count - start)
        columns = {p.question.name: _draw(p, size, rng, today) for p in profiles}
        languages = rng.choice(len(questionnaire.languages), size=size, p=language_weights)
        days = rng.integers(0, spread_days, size=size)
        for row in range(size):
            answers = {name: values[row] for name, values in columns.items()}
            answers = {name: value for name, value in answers.items() if value is not None}
            yield DemoResponse(
                answers=_valid(questionnaire, profiles, answers, rng, today),
                language=questionnaire.languages[int(languages[row])],
                days_ago=int(days[row]),
            )


def _answerable(question: Question) -> bool:
    return question.type.takes_answer


def _bounds(question: Question) -> tuple[float, float]:
    low, high = (16.0, 80.0) if question.type is QuestionType.INTEGER else (1.0, 40.0)
    for operator, number in _BOUND.findall(question.constraint or ""):
        value = float(number)
        if operator in (">=", ">"):
            low = value + (1 if operator == ">" and question.type is QuestionType.INTEGER else 0)
        else:
            high = value - (1 if operator == "<" and question.type is QuestionType.INTEGER else 0)
    return low, max(low, high)


def _profile(
    questionnaire: Questionnaire, question: Question, rng: np.random.Generator
) -> _Profile:
    skip = 0.0 if question.required else float(rng.uniform(0.03, 0.2))
    if question.type is QuestionType.TEXT:
        skip = 0.0 if question.required else float(rng.uniform(0.6, 0.9))
    names = tuple(choice.name for choice in questionnaire.choices_of(question))
    if question.type is QuestionType.SELECT_ONE:
        weights = rng.dirichlet(np.full(len(names), 0.8))
        return _Profile(question, skip, names, weights=weights)
    if question.type is QuestionType.SELECT_MULTIPLE:
        return _Profile(question, skip, names, weights=rng.beta(0.7, 1.5, size=len(names)))
    if question.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
        low, high = _bounds(question)
        # Real answers crowd at the low end of the allowed range (ages, hours, counts).
        mode = low + (high - low) * float(rng.uniform(0.1, 0.4))
        return _Profile(question, skip, low=low, high=high, mode=mode)
    return _Profile(question, skip)


def _draw(
    profile: _Profile, size: int, rng: np.random.Generator, today: datetime.date
) -> list[Any]:
    question = profile.question
    skipped = rng.random(size) < profile.skip
    values: list[Any]
    match question.type:
        case QuestionType.SELECT_ONE:
            names = profile.choices
            if not names:
                return [None] * size
            picks = rng.choice(len(names), size=size, p=profile.weights)
            values = [names[i] for i in picks]
        case QuestionType.SELECT_MULTIPLE:
            names = profile.choices
            if not names:
                return [None] * size
            assert profile.weights is not None
            ticked = rng.random((size, len(names))) < profile.weights
            # Somebody who answers ticks at least one choice: the most likely one.
            ticked[~ticked.any(axis=1), int(np.argmax(profile.weights))] = True
            values = [[names[j] for j in np.flatnonzero(row)] for row in ticked]
        case QuestionType.INTEGER | QuestionType.DECIMAL:
            drawn = rng.triangular(profile.low, profile.mode, profile.high, size=size)
            if question.type is QuestionType.INTEGER:
                values = [int(x) for x in np.clip(np.rint(drawn), profile.low, profile.high)]
            else:
                values = [round(float(x), 1) for x in drawn]
        case QuestionType.DATE:
            days = np.minimum(rng.exponential(500, size=size).astype(int), 3650)
            values = [(today - datetime.timedelta(days=int(d))).isoformat() for d in days]
        case _:
            values = [_TEXTS[i] for i in rng.integers(0, len(_TEXTS), size=size)]
    return [None if skip else value for value, skip in zip(values, skipped, strict=True)]


def _redraw(profile: _Profile, attempt: int, rng: np.random.Generator, today: datetime.date) -> Any:
    """Another answer after a refused one. Late attempts narrow down to what constraints
    on several choices almost always allow (at most N ticks, exclusive "none" choices):
    a single tick, and for an optional question, no answer."""
    question = profile.question
    if attempt < _ATTEMPTS // 2:
        return _draw(replace(profile, skip=0.0), 1, rng, today)[0]
    if question.type is QuestionType.SELECT_MULTIPLE and profile.choices:
        assert profile.weights is not None
        share = profile.weights / profile.weights.sum()
        return [profile.choices[int(rng.choice(len(profile.choices), p=share))]]
    if not question.required:
        return None
    return _draw(replace(profile, skip=0.0), 1, rng, today)[0]


def _valid(
    questionnaire: Questionnaire,
    profiles: list[_Profile],
    answers: dict[str, Any],
    rng: np.random.Generator,
    today: datetime.date,
) -> dict[str, Answer]:
    by_name = {p.question.name: p for p in profiles}
    for _attempt in range(_ATTEMPTS):
        checked = check_answers(questionnaire, answers, today=today)
        if checked.ok:
            return checked.answers
        for name in checked.errors:
            profile = by_name.get(name)
            if profile is None:
                answers.pop(name, None)
                continue
            answers[name] = _redraw(profile, _attempt, rng, today)
    raise DemoError(f"no valid answers found for: {', '.join(sorted(checked.errors))}")
