"""Synthetic responses drawn from a questionnaire, for first runs and benchmarks.

Each question gets a profile drawn once from the seed: skewed choice probabilities
(a Dirichlet, so some choices are popular and others rare, as in real surveys, but no
band takes three quarters of everybody), with the residual answers ("I don't know",
"prefer not to answer", "other", "none of these") rare, a number distribution inside
the bounds its constraint states, a date distribution weighted towards recent months,
and a chance to skip optional questions. Respondents belong to a few latent groups
(personas) whose choice probabilities differ around the question's profile, so answers
go together as in real data (who has children, who looks for a flat) instead of being
independent. Values are drawn per question for all responses at once (numpy); each
response is then passed through `check_answers`, the same gate as real submissions:
it discards answers of irrelevant questions, computes calculations, and reports any
value that breaks a constraint, which is drawn again. Only responses that pass are
returned, so demo data is valid by construction and by check.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from survey_app.questionnaire.rules import Answer, check_answers
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = [
    "DemoError",
    "DemoResponse",
    "Priors",
    "demo_responses",
    "drifted_priors",
    "read_demo_priors",
]

#: Relative weights of the choices of a question, per question name.
Priors = Mapping[str, Mapping[str, float]]

_ATTEMPTS = 20
_PERSONAS = 3
#: Choices most people do not pick: rarer in demo data than the substantive ones.
_RESIDUAL = frozenset(
    {"no_answer", "dont_know", "unsure", "other", "cant_say", "none", "nothing", "no_need",
     "not_applicable", "not_looking", "no_course", "depends"}
)  # fmt: skip
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
    #: Choice weights per persona (rows), around `weights`.
    persona_weights: np.ndarray[Any, Any] | None = None
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
    priors: Priors | None = None,
) -> Iterator[DemoResponse]:
    """`count` valid responses, reproducible for a given seed and `today`; `priors` fix
    the choice weights of the questions they name (for several choices: how often each
    is ticked, 0 to 1)."""
    today = today or datetime.date.today()
    rng = np.random.default_rng(seed)
    profiles = [
        _profile(questionnaire, q, rng, (priors or {}).get(q.name))
        for q in questionnaire.iter_questions()
        if _answerable(q)
    ]
    language_weights = rng.dirichlet(np.full(len(questionnaire.languages), 0.7))
    persona_shares = rng.dirichlet(np.full(_PERSONAS, 4.0))
    batch = 10_000
    for start in range(0, count, batch):
        size = min(batch, count - start)
        personas = rng.choice(_PERSONAS, size=size, p=persona_shares)
        columns = {p.question.name: _draw(p, size, rng, today, personas) for p in profiles}
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
    return question.takes_answer


def _bounds(question: Question) -> tuple[float, float]:
    if question.range is not None:
        return float(question.range.low), float(question.range.high)
    low, high = (16.0, 80.0) if question.type is QuestionType.INTEGER else (1.0, 40.0)
    for operator, number in _BOUND.findall(question.constraint or ""):
        value = float(number)
        if operator in (">=", ">"):
            low = value + (1 if operator == ">" and question.type is QuestionType.INTEGER else 0)
        else:
            high = value - (1 if operator == "<" and question.type is QuestionType.INTEGER else 0)
    return low, max(low, high)


def read_demo_priors(path: Path, survey_id: str) -> dict[str, dict[str, float]]:
    """The priors of one survey in a `demo.yaml` (`{survey: {question: {choice: weight}}}`);
    none when the file or the survey is missing."""
    if not path.exists():
        return {}
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    survey = document.get(survey_id) or {}
    return {
        str(question): {str(choice): float(weight) for choice, weight in weights.items()}
        for question, weights in survey.items()
    }


def drifted_priors(
    questionnaire: Questionnaire, priors: Priors, *, seed: int, spread: float = 0.3
) -> dict[str, dict[str, float]]:
    """Priors of an earlier wave for the demo: the weights of every select question the
    priors name, each multiplied by a random factor around 1 (log-normal, `spread`), so
    the two waves differ as real rounds do, some shares up, some down. Questions the
    priors do not name keep the weights the seed draws for them (the same in both waves
    with the same seed). Ticking rates of several-choice questions stay in 0.02–0.95."""
    rng = np.random.default_rng([seed, 2])
    drifted: dict[str, dict[str, float]] = {}
    for question in questionnaire.iter_questions():
        prior = priors.get(question.name)
        if prior is None or not question.type.is_select:
            continue
        several = question.type is QuestionType.SELECT_MULTIPLE
        factors = rng.lognormal(0.0, spread, size=len(prior))
        weights = {
            name: float(weight) * float(factor)
            for (name, weight), factor in zip(prior.items(), factors, strict=True)
        }
        if several:
            weights = {name: min(max(w, 0.02), 0.95) if w else 0.0 for name, w in weights.items()}
        drifted[question.name] = weights
    return drifted


def _prior_weights(
    names: tuple[str, ...], prior: Mapping[str, float] | None, drawn: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """The drawn weights, or the prior's for the choices it names (0 for the others)."""
    if prior is None:
        return drawn
    return np.array([float(prior.get(name, 0.0)) for name in names])


def _profile(
    questionnaire: Questionnaire,
    question: Question,
    rng: np.random.Generator,
    prior: Mapping[str, float] | None = None,
) -> _Profile:
    skip = 0.0 if question.required else float(rng.uniform(0.03, 0.2))
    if question.type is QuestionType.TEXT:
        skip = 0.0 if question.required else float(rng.uniform(0.6, 0.9))
    names = tuple(choice.name for choice in questionnaire.choices_of(question))
    residual = np.array([0.12 if name in _RESIDUAL else 1.0 for name in names])
    if question.type in (QuestionType.SELECT_ONE, QuestionType.RANK):
        drawn = rng.dirichlet(np.full(len(names), 2.0)) * residual
        weights = _prior_weights(names, prior, drawn)
        weights = weights / weights.sum()
        personas = np.array([rng.dirichlet(weights * 40 + 1e-3) for _ in range(_PERSONAS)])
        return _Profile(question, skip, names, weights=weights, persona_weights=personas)
    if question.type is QuestionType.SELECT_MULTIPLE:
        weights = _prior_weights(names, prior, rng.beta(0.7, 2.0, size=len(names)) * residual)
        spread = rng.uniform(0.5, 1.5, size=(_PERSONAS, len(names)))
        personas = np.clip(weights * spread, 0.0, 0.95)
        return _Profile(question, skip, names, weights=weights, persona_weights=personas)
    if question.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
        low, high = _bounds(question)
        # Real answers crowd at the low end of the allowed range (ages, hours, counts).
        mode = low + (high - low) * float(rng.uniform(0.1, 0.4))
        return _Profile(question, skip, low=low, high=high, mode=mode)
    return _Profile(question, skip)


def _draw(
    profile: _Profile,
    size: int,
    rng: np.random.Generator,
    today: datetime.date,
    personas: np.ndarray[Any, Any] | None = None,
) -> list[Any]:
    """Values for `size` responses; choices follow each response's persona if given."""
    question = profile.question
    skipped = rng.random(size) < profile.skip
    values: list[Any]
    match question.type:
        case QuestionType.SELECT_ONE:
            names = profile.choices
            if not names:
                return [None] * size
            picks = np.empty(size, dtype=int)
            for persona, weights in _persona_rows(profile, personas, size):
                rows = np.flatnonzero(persona)
                picks[rows] = rng.choice(len(names), size=len(rows), p=weights)
            values = [names[i] for i in picks]
        case QuestionType.SELECT_MULTIPLE:
            names = profile.choices
            if not names:
                return [None] * size
            assert profile.weights is not None
            ticked = np.zeros((size, len(names)), dtype=bool)
            for persona, weights in _persona_rows(profile, personas, size):
                rows = np.flatnonzero(persona)
                ticked[rows] = rng.random((len(rows), len(names))) < weights
            # Somebody who answers ticks at least one choice: the most likely one.
            ticked[~ticked.any(axis=1), int(np.argmax(profile.weights))] = True
            values = [[names[j] for j in np.flatnonzero(row)] for row in ticked]
        case QuestionType.RANK:
            names = profile.choices
            if not names:
                return [None] * size
            values = [None] * size
            for persona, weights in _persona_rows(profile, personas, size):
                share = weights / weights.sum()
                for row in np.flatnonzero(persona):
                    order = rng.choice(len(names), size=len(names), replace=False, p=share)
                    values[row] = [names[i] for i in order]
        case QuestionType.INTEGER | QuestionType.DECIMAL if question.range is not None:
            bounds = question.range
            drawn = rng.triangular(profile.low, profile.mode, profile.high, size=size)
            steps = np.rint((drawn - bounds.start) / bounds.step)
            values = [float(bounds.start) + float(n) * float(bounds.step) for n in steps]
            if question.type is QuestionType.INTEGER:
                values = [round(v) for v in values]
            else:
                values = [round(v, 6) for v in values]
        case QuestionType.INTEGER | QuestionType.DECIMAL:
            drawn = rng.triangular(profile.low, profile.mode, profile.high, size=size)
            if question.type is QuestionType.INTEGER:
                values = [int(x) for x in np.clip(np.rint(drawn), profile.low, profile.high)]
            else:
                values = [round(float(x), 1) for x in drawn]
        case QuestionType.DATE:
            days = np.minimum(rng.exponential(500, size=size).astype(int), 3650)
            values = [(today - datetime.timedelta(days=int(d))).isoformat() for d in days]
        case QuestionType.TIME:
            minutes = rng.integers(6 * 60, 22 * 60, size=size) // 15 * 15
            values = [f"{m // 60:02d}:{m % 60:02d}" for m in minutes]
        case QuestionType.DATETIME:
            minutes = rng.integers(0, 90 * 24 * 60, size=size) // 15 * 15
            start = datetime.datetime.combine(today, datetime.time()) - datetime.timedelta(days=90)
            values = [
                (start + datetime.timedelta(minutes=int(m))).isoformat(timespec="minutes")
                for m in minutes
            ]
        case _:
            values = [_TEXTS[i] for i in rng.integers(0, len(_TEXTS), size=size)]
    return [None if skip else value for value, skip in zip(values, skipped, strict=True)]


def _persona_rows(
    profile: _Profile, personas: np.ndarray[Any, Any] | None, size: int
) -> Iterator[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """(rows of a persona as a mask, its choice weights), for every persona drawn."""
    assert profile.weights is not None
    if personas is None or profile.persona_weights is None:
        yield np.ones(size, dtype=bool), profile.weights
        return
    for number, weights in enumerate(profile.persona_weights):
        yield personas == number, weights


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


def _offered_weights(profile: _Profile, offered: tuple[str, ...]) -> np.ndarray[Any, Any]:
    """The profile's weights of the `offered` choices (even when it has none for them)."""
    assert profile.weights is not None
    weights = dict(zip(profile.choices, profile.weights, strict=True))
    found = np.array([float(weights.get(name, 0.0)) for name in offered])
    if found.sum() <= 0:
        found = np.ones(len(offered))
    if profile.question.type is QuestionType.SELECT_ONE:
        found = found / float(found.sum())  # a distribution; a multiple select's are chances
    return found


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
            offered = checked.offered.get(name)
            if offered is not None:
                # A choice filter keeps only some choices: draw among those it offers.
                profile = replace(
                    profile, choices=offered, weights=_offered_weights(profile, offered)
                )
            answers[name] = _redraw(profile, _attempt, rng, today) if profile.choices else None
    raise DemoError(f"no valid answers found for: {', '.join(sorted(checked.errors))}")
