"""Synthetic responses drawn from a questionnaire, for first runs and benchmarks.

Each question gets a profile drawn once from the seed: skewed choice probabilities
(a Dirichlet, so some choices are popular and others rare, as in real surveys, but no
band takes three quarters of everybody), with the residual answers ("I don't know",
"prefer not to answer", "other", "none of these") rare, a number distribution inside
the bounds its constraint states, a date distribution weighted towards recent months,
and a chance to skip optional questions. Respondents belong to a few latent groups
(personas) whose choice probabilities differ around the question's profile, so answers
go together as in real data (who has children, who looks for a flat) instead of being
independent. Priors (`demo.yaml`) fix a question's weights and may make them depend
on other answers (`Prior`): who lives with children depends on age, a work-time
barrier needs work, the services used are among those known. A choice that a
constraint makes exclusive ("none of these") is drawn as the only answer with its own
chance instead of being refused and redrawn. Values are drawn per question for all
responses at once (numpy), in questionnaire order except that a question comes after
those its prior looks at; each
response is then passed through `check_answers`, the same gate as real submissions:
it discards answers of irrelevant questions, computes calculations, and reports any
value that breaks a constraint, which is drawn again. Only responses that pass are
returned, with the check's result, so demo data is valid by construction and by check,
and is stored from that result as a respondent's answers are
(`services.submissions.NewSubmission.from_checked`) without being checked twice.

A repeat (a household roster) gets entries: as many as its `repeat_count` asks for,
else 1 to 6 (a nested repeat: none to 2, e.g. jobs per member), each entry's answers
drawn as a response's from profiles of the entry's questions. An entry's answer that
the check refuses (`members[2].relation`) is drawn again on its own. Questionnaires
without repeats draw exactly what they drew before (the seed's stream is unchanged).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from survey_app.questionnaire.rules import (
    Answer,
    CheckedAnswers,
    check_answers,
    expected_entries,
)
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = [
    "Case",
    "DemoError",
    "DemoResponse",
    "Prior",
    "Priors",
    "demo_responses",
    "drifted_priors",
    "read_demo_priors",
]


@dataclass(frozen=True)
class Case:
    """Weights for the responses whose other answers match `when` (every question
    named has one of the values named; for a question with several choices, one of
    them ticked). For one choice they are the whole distribution (a choice not named
    gets 0); for several, they replace the chances of the choices they name."""

    when: Mapping[str, frozenset[str]]
    weights: Mapping[str, float]


@dataclass(frozen=True)
class Prior:
    """The demo weights of one question's choices: relative weights (one choice), or
    how often each is ticked, 0 to 1 (several choices; an exclusive choice such as
    "none of these": how often it is the only answer). Without `weights`, the seed
    draws them. Every matching case applies, in order. With `within`, a question of
    several choices ticks only choices the response ticked in that other question (its
    weights: how often, of those who ticked it there); a response left with none
    answers with the exclusive choice."""

    weights: Mapping[str, float] = field(default_factory=dict)
    cases: tuple[Case, ...] = ()
    within: str | None = None

    def highest(self, choice: str) -> float:
        """The highest weight the prior gives `choice` in any case (0 if none)."""
        named = [self.weights] + [case.weights for case in self.cases]
        return max((float(weights.get(choice, 0.0)) for weights in named), default=0.0)


#: The priors of a survey's questions, per question name.
Priors = Mapping[str, Prior]

_ATTEMPTS = 20
_PERSONAS = 3
#: Chances of 1 to 6 entries of a repeat (household members), and of 0 to 2 entries of
#: a repeat inside an entry (jobs of a member).
_ENTRIES = (0.22, 0.27, 0.2, 0.16, 0.09, 0.06)
_NESTED_ENTRIES = (0.35, 0.5, 0.15)
#: An answer inside entries, by path: `members[2].jobs[1].job_title`.
_QUESTION_ONLY = re.compile(r"\$\{([^}]+)\}")
_ENTRY_PATH = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")
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
_SELECTED_HERE = re.compile(r"selected\(\s*\.\s*,\s*'([^']+)'\s*\)")
_ALONE = re.compile(r"count-selected\(\s*\.\s*\)\s*>\s*1")
#: Keys of a prior written as a mapping with cases (otherwise: choice -> weight).
_PRIOR_KEYS = frozenset({"weights", "cases", "within"})


class DemoError(RuntimeError):
    """The questionnaire's rules could not be satisfied by drawn values."""


@dataclass(frozen=True)
class DemoResponse:
    """One valid synthetic response: what `check_answers` made of it (no errors), its
    language and its age in days."""

    checked: CheckedAnswers
    language: str
    days_ago: int

    @property
    def answers(self) -> dict[str, Answer]:
        """The cleaned answers (relevant, typed, calculated)."""
        return self.checked.answers


@dataclass(frozen=True)
class _Profile:
    question: Question
    skip: float
    choices: tuple[str, ...] = ()
    #: The choices' weights where no case of the prior applies.
    weights: np.ndarray[Any, Any] | None = None
    #: Per persona (rows), a factor on each choice's weight.
    tilt: np.ndarray[Any, Any] | None = None
    cases: tuple[Case, ...] = ()
    within: str | None = None
    #: Choices a constraint lets stand only alone ("none of these").
    exclusive: frozenset[str] = frozenset()
    low: float = 0.0
    high: float = 100.0
    mode: float = 50.0
    #: A repeat's: the profiles of its entries' questions.
    entries: tuple[_Profile, ...] = ()
    #: A whole number that is a repeat's `repeat_count` (the household's size): drawn
    #: as a number of entries is.
    counts_entries: bool = False

    @property
    def repeat(self) -> bool:
        """Whether its answers are entries (a repeat's)."""
        return self.question.type is QuestionType.REPEAT

    @property
    def parents(self) -> frozenset[str]:
        """The questions this one's answers depend on (drawn before it)."""
        named = {name for case in self.cases for name in case.when}
        return frozenset(named | ({self.within} if self.within else set()))


#: Drawn values per question name, one per response (None: not answered).
_Columns = Mapping[str, list[Any]]


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
    the choice weights of the questions they name, and how they depend on other
    answers (`Prior`)."""
    today = today or datetime.date.today()
    rng = np.random.default_rng(seed)
    profiles = _parents_first(
        [
            _profile(questionnaire, q, rng, (priors or {}).get(q.name))
            for q in questionnaire.iter_questions()
            if _answerable(q)
        ]
    )
    language_weights = rng.dirichlet(np.full(len(questionnaire.languages), 0.7))
    persona_shares = rng.dirichlet(np.full(_PERSONAS, 4.0))
    batch = 10_000
    for start in range(0, count, batch):
        size = min(batch, count - start)
        personas = rng.choice(_PERSONAS, size=size, p=persona_shares)
        columns: dict[str, list[Any]] = {}
        for profile in profiles:  # parents first: an answer may depend on those drawn before
            if profile.repeat:
                drawn = _draw_entries(questionnaire, profile, size, rng, today, columns)
            else:
                drawn = _draw(profile, size, rng, today, personas, columns)
            columns[profile.question.name] = drawn
        languages = rng.choice(len(questionnaire.languages), size=size, p=language_weights)
        days = rng.integers(0, spread_days, size=size)
        for row in range(size):
            answers = {name: values[row] for name, values in columns.items()}
            answers = {name: value for name, value in answers.items() if value is not None}
            yield DemoResponse(
                checked=_valid(questionnaire, profiles, answers, rng, today),
                language=questionnaire.languages[int(languages[row])],
                days_ago=int(days[row]),
            )


def _parents_first(profiles: list[_Profile]) -> list[_Profile]:
    """The profiles in questionnaire order, except that each comes after the questions
    its prior looks at (a course barrier drawn after the main activity asked later)."""
    names = {profile.question.name for profile in profiles}
    ordered: list[_Profile] = []
    placed: set[str] = set()
    waiting = list(profiles)
    while waiting:
        ready = [p for p in waiting if (p.parents & names) <= placed]
        if not ready:
            circle = ", ".join(p.question.name for p in waiting)
            raise DemoError(f"the demo priors of these questions look at each other: {circle}")
        ordered.append(ready[0])
        placed.add(ready[0].question.name)
        waiting.remove(ready[0])
    return ordered


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


def _entry_counts(questionnaire: Questionnaire) -> frozenset[str]:
    """The questions whose answer is a repeat's number of entries (`repeat_count:
    ${household_size}`)."""
    return frozenset(
        match.group(1)
        for question in questionnaire.all_questions.values()
        if question.repeat_count is not None
        and (match := _QUESTION_ONLY.fullmatch(question.repeat_count.strip()))
    )


def _exclusive(question: Question) -> frozenset[str]:
    """Choices the constraint allows only alone: `not(selected(., 'none') and
    count-selected(.) > 1)`."""
    constraint = question.constraint or ""
    if not _ALONE.search(constraint):
        return frozenset()
    return frozenset(_SELECTED_HERE.findall(constraint))


def read_demo_priors(path: Path, survey_id: str) -> dict[str, Prior]:
    """The priors of one survey in a `demo.yaml`: `{survey: {question: prior}}`, where a
    prior is `{choice: weight}` or `{weights: {choice: weight}, cases: [{when: {question:
    value or [values]}, weights: {...}}], within: question}` (see `Prior`); none when the
    file or the survey is missing."""
    if not path.exists():
        return {}
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    survey = document.get(survey_id) or {}
    return {str(question): _read_prior(value) for question, value in survey.items()}


def _read_prior(value: Mapping[str, Any]) -> Prior:
    if not _PRIOR_KEYS & set(value):
        return Prior(weights=_read_weights(value))
    cases = tuple(
        Case(
            when={str(name): _read_values(values) for name, values in case["when"].items()},
            weights=_read_weights(case["weights"]),
        )
        for case in value.get("cases") or ()
    )
    within = value.get("within")
    return Prior(
        weights=_read_weights(value.get("weights") or {}),
        cases=cases,
        within=None if within is None else str(within),
    )


def _read_weights(weights: Mapping[str, Any]) -> dict[str, float]:
    return {str(choice): float(weight) for choice, weight in weights.items()}


def _read_values(values: Any) -> frozenset[str]:
    return (
        frozenset(str(v) for v in values) if isinstance(values, list) else frozenset({str(values)})
    )


def drifted_priors(
    questionnaire: Questionnaire, priors: Priors, *, seed: int, spread: float = 0.3
) -> dict[str, Prior]:
    """Priors of an earlier wave for the demo: the weights of every select question the
    priors name, each choice's multiplied by a random factor around 1 (log-normal,
    `spread`; the same factor in every case of the prior), so the two waves differ as
    real rounds do, some shares up, some down. Questions the priors do not name keep
    the weights the seed draws for them (the same in both waves with the same seed).
    Ticking rates of several-choice questions stay in 0.02–0.95."""
    rng = np.random.default_rng([seed, 2])
    drifted: dict[str, Prior] = {}
    for question in questionnaire.iter_questions():
        prior = priors.get(question.name)
        if prior is None or not question.type.is_select:
            continue
        several = question.type is QuestionType.SELECT_MULTIPLE
        named = [prior.weights, *(case.weights for case in prior.cases)]
        choices = list(dict.fromkeys(choice for weights in named for choice in weights))
        factors = dict(zip(choices, rng.lognormal(0.0, spread, size=len(choices)), strict=True))

        drifted[question.name] = Prior(
            weights=_drift(prior.weights, factors, several=several),
            cases=tuple(
                Case(when=case.when, weights=_drift(case.weights, factors, several=several))
                for case in prior.cases
            ),
            within=prior.within,
        )
    return drifted


def _drift(
    weights: Mapping[str, float], factors: Mapping[str, float], *, several: bool
) -> dict[str, float]:
    moved = {name: float(weight) * float(factors[name]) for name, weight in weights.items()}
    if several:
        moved = {name: min(max(w, 0.02), 0.95) if w else 0.0 for name, w in moved.items()}
    return moved


def _prior_weights(
    names: tuple[str, ...], prior: Prior | None, drawn: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """The drawn weights, or the prior's for the choices it names (0 for the others)."""
    if prior is None or not prior.weights:
        return drawn
    return np.array([float(prior.weights.get(name, 0.0)) for name in names])


def _profile(
    questionnaire: Questionnaire,
    question: Question,
    rng: np.random.Generator,
    prior: Prior | None = None,
) -> _Profile:
    skip = 0.0 if question.required else float(rng.uniform(0.03, 0.2))
    if question.type is QuestionType.REPEAT:
        entries = tuple(
            _profile(questionnaire, child, rng)
            for child in question.questions
            if _answerable(child)
        )
        return _Profile(question, skip, entries=entries)
    if question.type is QuestionType.INTEGER and question.name in _entry_counts(questionnaire):
        low, high = _bounds(question)
        return _Profile(question, skip, low=low, high=high, counts_entries=True)
    if question.type is QuestionType.TEXT:
        skip = 0.0 if question.required else float(rng.uniform(0.6, 0.9))
    names = tuple(choice.name for choice in questionnaire.choices_of(question))
    residual = np.array([0.12 if name in _RESIDUAL else 1.0 for name in names])
    cases = prior.cases if prior is not None else ()
    if question.type in (QuestionType.SELECT_ONE, QuestionType.RANK):
        drawn = rng.dirichlet(np.full(len(names), 2.0)) * residual
        weights = _prior_weights(names, prior, drawn)
        weights = weights / weights.sum()
        # Each persona's distribution is a Dirichlet around the weights; kept as factors
        # on them, so that it tilts a case's weights the same way. A choice the weights
        # leave at 0 stays at 0.
        tilt = np.array(
            [
                np.where(weights > 0, rng.dirichlet(weights * 40 + 1e-3) / weights.clip(1e-12), 1.0)
                for _ in range(_PERSONAS)
            ]
        )
        return _Profile(question, skip, names, weights=weights, tilt=tilt, cases=cases)
    if question.type is QuestionType.SELECT_MULTIPLE:
        # Drawn chances stay at most 0.55: no choice ticked by nearly everybody.
        drawn = np.minimum(rng.beta(0.7, 2.0, size=len(names)), 0.55) * residual
        weights = _prior_weights(names, prior, drawn)
        tilt = rng.uniform(0.5, 1.5, size=(_PERSONAS, len(names)))
        return _Profile(
            question,
            skip,
            names,
            weights=weights,
            tilt=tilt,
            cases=cases,
            within=prior.within if prior is not None else None,
            exclusive=_exclusive(question),
        )
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
    columns: _Columns | None = None,
) -> list[Any]:
    """Values for `size` responses; choices follow each response's persona if given and
    the prior's cases that its answers drawn before (`columns`) match."""
    question = profile.question
    columns = columns or {}
    skipped = rng.random(size) < profile.skip
    values: list[Any]
    match question.type:
        case QuestionType.SELECT_ONE:
            names = profile.choices
            if not names:
                return [None] * size
            picks = np.empty(size, dtype=int)
            for rows, weights in _groups(profile, size, personas, columns):
                picks[rows] = rng.choice(len(names), size=len(rows), p=weights)
            values = [names[i] for i in picks]
        case QuestionType.SELECT_MULTIPLE:
            names = profile.choices
            if not names:
                return [None] * size
            allowed = _allowed(profile, size, columns)
            ticked = np.zeros((size, len(names)), dtype=bool)
            for rows, chances in _groups(profile, size, personas, columns):
                ticked[rows] = _ticks(profile, chances, allowed[rows], rng)
            values = [[names[j] for j in np.flatnonzero(row)] for row in ticked]
        case QuestionType.RANK:
            names = profile.choices
            if not names:
                return [None] * size
            values = [None] * size
            for rows, share in _groups(profile, size, personas, columns):
                for row in rows:
                    order = rng.choice(len(names), size=len(names), replace=False, p=share)
                    values[row] = [names[i] for i in order]
        case QuestionType.INTEGER if profile.counts_entries:
            entries = rng.choice(len(_ENTRIES), size=size, p=_ENTRIES) + 1
            values = [int(x) for x in np.clip(entries, profile.low, profile.high)]
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


def _draw_entries(
    questionnaire: Questionnaire,
    profile: _Profile,
    size: int,
    rng: np.random.Generator,
    today: datetime.date,
    columns: _Columns,
    *,
    nested: bool = False,
) -> list[Any]:
    """A repeat's entries for `size` responses (or enclosing entries, `nested`), None
    where it gets none: as many as its `repeat_count` asks for given the answers drawn
    before (`columns`), else a household's number of members (`_ENTRIES`) or a member's
    number of jobs (`_NESTED_ENTRIES`)."""
    repeat = profile.question
    skipped = rng.random(size) < profile.skip
    shares = _NESTED_ENTRIES if nested else _ENTRIES
    counts = rng.choice(len(shares), size=size, p=shares) + (0 if nested else 1)
    values: list[Any] = []
    for row in range(size):
        count = int(counts[row])
        if repeat.repeat_count is not None and not nested:
            answers = {name: drawn[row] for name, drawn in columns.items()}
            count = expected_entries(questionnaire, repeat, answers, today) or 0
        if repeat.required and count == 0:
            count = 1
        if skipped[row] or count == 0:
            values.append(None)
            continue
        values.append(_entries(questionnaire, profile, count, rng, today))
    return values


def _entries(
    questionnaire: Questionnaire,
    profile: _Profile,
    count: int,
    rng: np.random.Generator,
    today: datetime.date,
) -> list[dict[str, Any]]:
    """`count` entries of a repeat, each question drawn for all of them at once."""
    drawn: dict[str, list[Any]] = {}
    for child in profile.entries:
        if child.repeat:
            drawn[child.question.name] = _draw_entries(
                questionnaire, child, count, rng, today, drawn, nested=True
            )
        else:
            drawn[child.question.name] = _draw(child, count, rng, today)
    return [
        {name: values[row] for name, values in drawn.items() if values[row] is not None}
        for row in range(count)
    ]


def _redraw_in_entry(
    questionnaire: Questionnaire,
    profiles: Mapping[str, _Profile],
    answers: dict[str, Any],
    path: str,
    attempt: int,
    rng: np.random.Generator,
    today: datetime.date,
) -> None:
    """Draw again the answer at `path` (`members[2].relation`, or a nested repeat's
    entries `members[2].jobs`) inside the entries of `answers`; the whole repeat's
    entries when the path does not lead to an entry (they changed in between)."""
    steps = _ENTRY_PATH.findall(path)
    top = steps[0][0]
    holder: Any = answers
    profile = profiles[top]
    for name, position in steps[:-1]:
        entries = holder.get(name) if isinstance(holder, dict) else None
        index = int(position) - 1 if position else -1
        if not isinstance(entries, list) or not 0 <= index < len(entries):
            answers[top] = _draw_entries(questionnaire, profiles[top], 1, rng, today, {})[0]
            return
        holder = entries[index]
        if name != top:
            profile = next(p for p in profile.entries if p.question.name == name)
    name = steps[-1][0]
    child = next((p for p in profile.entries if p.question.name == name), None)
    if child is None:
        holder.pop(name, None)
    elif child.repeat:
        holder[name] = _draw_entries(
            questionnaire, replace(child, skip=0.0), 1, rng, today, {}, nested=True
        )[0]
    elif child.question.type is QuestionType.SELECT_ONE and attempt >= _ATTEMPTS // 2:
        # Late attempts go through the choices in turn: a constraint of an entry often
        # allows one choice only there (the first member is the head of household).
        holder[name] = child.choices[attempt % len(child.choices)] if child.choices else None
    else:
        holder[name] = _redraw(child, attempt, rng, today, holder)


def _matches(
    when: Mapping[str, frozenset[str]], size: int, columns: _Columns
) -> np.ndarray[Any, Any]:
    """Which responses' answers drawn before match a case's `when` (a mask)."""
    mask = np.ones(size, dtype=bool)
    for name, values in when.items():
        column = columns.get(name, [None] * size)
        mask &= np.array(
            [bool(values.intersection(v)) if isinstance(v, list) else v in values for v in column],
            dtype=bool,
        )
    return mask


def _groups(
    profile: _Profile, size: int, personas: np.ndarray[Any, Any] | None, columns: _Columns
) -> Iterator[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """(rows, their choice weights) for every combination of matching cases and persona
    drawn: a distribution for one choice, chances of being ticked for several."""
    assert profile.weights is not None
    several = profile.question.type is QuestionType.SELECT_MULTIPLE
    matched = np.zeros(size, dtype=np.int64)
    for number, case in enumerate(profile.cases):
        matched |= _matches(case.when, size, columns).astype(np.int64) << number
    tilted = personas is not None and profile.tilt is not None
    persona_of = personas if tilted else np.zeros(size, dtype=int)
    assert persona_of is not None
    for key in np.unique(matched):
        weights = profile.weights
        for number, case in enumerate(profile.cases):
            if key >> number & 1:
                # A case gives one choice's whole distribution; for several choices,
                # it changes the chances of those it names.
                fallback = weights if several else np.zeros(len(weights))
                weights = np.array(
                    [
                        float(case.weights.get(name, before))
                        for name, before in zip(profile.choices, fallback, strict=True)
                    ]
                )
        for persona in np.unique(persona_of[matched == key]):
            rows = np.flatnonzero((matched == key) & (persona_of == persona))
            yield rows, _persona_weights(profile, weights, int(persona) if tilted else None)


def _persona_weights(
    profile: _Profile, weights: np.ndarray[Any, Any], persona: int | None
) -> np.ndarray[Any, Any]:
    if persona is not None:
        assert profile.tilt is not None
        weights = weights * profile.tilt[persona]
    result: np.ndarray[Any, Any]
    if profile.question.type is QuestionType.SELECT_MULTIPLE:
        result = np.clip(weights, 0.0, 0.95)
    elif weights.sum() <= 0:
        result = np.full(len(weights), 1.0 / len(weights))
    else:
        result = weights / weights.sum()
    return result


def _allowed(profile: _Profile, size: int, columns: _Columns) -> np.ndarray[Any, Any]:
    """Which choices each response may tick: with `within`, those it ticked in that
    question (and the exclusive ones); all where it ticked nothing there."""
    allowed = np.ones((size, len(profile.choices)), dtype=bool)
    if profile.within is None:
        return allowed
    exclusive = np.array([name in profile.exclusive for name in profile.choices])
    for row, earlier in enumerate(columns.get(profile.within, [None] * size)):
        if isinstance(earlier, list) and earlier:
            allowed[row] = exclusive | np.array([name in earlier for name in profile.choices])
    return allowed


def _ticks(
    profile: _Profile,
    chances: np.ndarray[Any, Any],
    allowed: np.ndarray[Any, Any],
    rng: np.random.Generator,
) -> np.ndarray[Any, Any]:
    """Ticks of several choices: an exclusive choice alone with its chance; otherwise
    each allowed choice with its chance among those who tick no exclusive one."""
    rows, width = allowed.shape
    exclusive = np.array([name in profile.exclusive for name in profile.choices])
    alone = np.where(exclusive, chances, 0.0)
    total = min(float(alone.sum()), 0.95)
    draw = rng.random(rows)
    which = np.minimum(np.searchsorted(np.cumsum(alone), draw, side="right"), width - 1)
    others = np.where(exclusive, 0.0, np.clip(chances / (1.0 - total), 0.0, 0.95))
    ticked: np.ndarray[Any, Any] = (rng.random((rows, width)) < others) & allowed
    by_itself = np.flatnonzero(draw < total)
    ticked[by_itself] = False
    ticked[by_itself, which[by_itself]] = True
    # Somebody who answers ticks at least one choice.
    for row in np.flatnonzero(~ticked.any(axis=1)):
        ticked[row, _one_tick(profile, chances, allowed[row], exclusive, rng)] = True
    return ticked


def _one_tick(
    profile: _Profile,
    chances: np.ndarray[Any, Any],
    allowed: np.ndarray[Any, Any],
    exclusive: np.ndarray[Any, Any],
    rng: np.random.Generator,
) -> int:
    """The choice of a response that ticked none: with `within`, the exclusive choice
    ("used none of those I know"); otherwise one drawn by the chances among the
    allowed (not always the likeliest, which made it the answer of most)."""
    if profile.within is not None and exclusive.any():
        return int(np.argmax(np.where(exclusive, chances + 1.0, 0.0)))
    open_choices = allowed & ~exclusive
    share = np.where(open_choices, chances, 0.0)
    if share.sum() <= 0:
        share = open_choices.astype(float)
    if share.sum() <= 0:
        return int(np.argmax(np.where(exclusive, chances + 1.0, chances)))
    return int(rng.choice(len(share), p=share / share.sum()))


def _redraw(
    profile: _Profile,
    attempt: int,
    rng: np.random.Generator,
    today: datetime.date,
    answers: Mapping[str, Any],
) -> Any:
    """Another answer after a refused one, following the cases that the response's
    other `answers` match. Late attempts narrow down to what constraints on several
    choices almost always allow (at most N ticks): a single tick, and for an optional
    question, no answer."""
    question = profile.question
    columns = {name: [value] for name, value in answers.items()}
    if attempt < _ATTEMPTS // 2:
        return _draw(replace(profile, skip=0.0), 1, rng, today, None, columns)[0]
    if question.type is QuestionType.SELECT_MULTIPLE and profile.choices:
        _rows, chances = next(_groups(profile, 1, None, columns))
        share = np.where(_allowed(profile, 1, columns)[0], chances, 0.0)
        if share.sum() <= 0:
            share = np.ones(len(share))
        return [profile.choices[int(rng.choice(len(share), p=share / share.sum()))]]
    if not question.required:
        return None
    return _draw(replace(profile, skip=0.0), 1, rng, today, None, columns)[0]


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
) -> CheckedAnswers:
    by_name = {p.question.name: p for p in profiles}
    for _attempt in range(_ATTEMPTS):
        checked = check_answers(questionnaire, answers, today=today)
        if checked.ok:
            return checked
        redrawn: set[str] = set()
        for name in checked.errors:
            if "[" in name:  # an answer inside a repeat's entries
                _redraw_in_entry(questionnaire, by_name, answers, name, _attempt, rng, today)
                continue
            profile = by_name.get(name)
            if profile is None:
                answers.pop(name, None)
                continue
            offered = checked.offered.get(name)
            if offered is not None:
                # A choice filter keeps only some choices: draw among those it offers.
                profile = replace(
                    profile,
                    choices=offered,
                    weights=_offered_weights(profile, offered),
                    tilt=None,
                    cases=(),
                    within=None,
                )
            if profile.repeat:
                columns = {other: [value] for other, value in answers.items()}
                repeat = replace(profile, skip=0.0)
                answers[name] = _draw_entries(questionnaire, repeat, 1, rng, today, columns)[0]
            else:
                answers[name] = (
                    _redraw(profile, _attempt, rng, today, answers) if profile.choices else None
                )
            redrawn.add(name)
        # Answers drawn from a redrawn one follow it (parents first, so that their own
        # followers do too).
        for profile in profiles:
            name = profile.question.name
            if profile.parents & redrawn and answers.get(name) is not None:
                answers[name] = _redraw(profile, 0, rng, today, answers)
                redrawn.add(name)
    raise DemoError(f"no valid answers found for: {', '.join(sorted(checked.errors))}")
