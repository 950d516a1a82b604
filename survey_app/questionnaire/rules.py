"""Answers checked against a questionnaire: relevance, required, types, choices, constraints.

One implementation for every path (survey pages, the submission API, demo data), so a
set of answers gets the same verdict wherever it comes from. Questions are processed in
questionnaire order, so a relevance or calculation sees the cleaned answers before it.

A repeat's answer is a list of entries, each an object of answers to the repeat's
questions, checked in order like the questions of a page; an entry's answers come before
those around it, and its errors are keyed by path: `members[2].age` (from 1, like
XPath's `position()`).
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from babel import UnknownLocaleError
from babel.numbers import NumberFormatError, get_decimal_symbol, parse_decimal

from survey_app.questionnaire.characters import CONTROL_CHARACTERS
from survey_app.questionnaire.expressions import EntryAnswers, to_boolean
from survey_app.questionnaire.schema import Choice, Question, Questionnaire, QuestionType, Text

Answer = str | int | float | list[str] | list["Entry"]
Entry = dict[str, Answer]
"""One entry of a repeat: its questions' cleaned answers by name."""
MAX_ENTRIES = 50
"""The most entries a repeat's answer may have (nested repeats: each list)."""
MAX_TEXT_LENGTH = 5_000
MAX_ABS_NUMBER = 2**53


class ErrorCode(StrEnum):
    REQUIRED = "required"
    CONSTRAINT = "constraint"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"
    TEXT = "text"
    TOO_LONG = "too_long"
    CHOICE = "choice"
    CHOICES = "choices"
    NOT_OFFERED = "not_offered"
    """A choice the question's choice filter does not offer for the earlier answers."""
    RANGE = "range"
    """A number outside the question's range (`start` to `end`)."""
    STEP = "step"
    """A number inside the question's range but between two of its steps."""
    RANK = "rank"
    """A ranking that names a choice twice."""
    UNKNOWN_QUESTION = "unknown_question"
    ENTRIES = "entries"
    """A repeat's answer that is not a list of objects (one per entry)."""
    ENTRY_COUNT = "entry_count"
    """More entries than `MAX_ENTRIES`, or another number than the repeat's `repeat_count`."""


@dataclass(frozen=True)
class AnswerError:
    """Why an answer was refused; `constraint_message` is the questionnaire's own text."""

    question: str
    code: ErrorCode
    constraint_message: Text | None = None
    values: Mapping[str, int | float] = field(default_factory=dict)
    """What the message names (a range's `start`, `end` and `step`)."""


@dataclass
class CheckedAnswers:
    """Cleaned answers (relevant, typed, calculated) and the errors found."""

    answers: dict[str, Answer] = field(default_factory=dict)
    errors: dict[str, AnswerError] = field(default_factory=dict)
    relevant: set[str] = field(default_factory=set)
    offered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The choices offered to relevant questions with a choice filter, by question."""

    @property
    def ok(self) -> bool:
        return not self.errors


class _Invalid(Exception):
    def __init__(self, code: ErrorCode) -> None:
        self.code = code


def is_empty(value: object) -> bool:
    return (
        value is None
        or value == ""
        or value == []
        or (isinstance(value, str) and not value.strip())
    )


def check_answers(
    questionnaire: Questionnaire,
    answers: Mapping[str, object],
    *,
    scope: Collection[str] | None = None,
    today: datetime.date | None = None,
) -> CheckedAnswers:
    """Check `answers` (JSON-like values) against `questionnaire`.

    Irrelevant answers are discarded, not refused. Errors are reported only for questions
    in `scope` (default: all), so a page can be checked while later pages are unanswered.
    """
    result = CheckedAnswers()
    for name in answers:
        if name not in questionnaire.questions and (scope is None or name in scope):
            result.errors[name] = AnswerError(name, ErrorCode.UNKNOWN_QUESTION)
    _Checker(questionnaire, result, today).check(
        questionnaire.iter_questions(), answers, result.answers, result.answers, "", scope
    )
    return result


@dataclass
class _Checker:
    """One pass over the questions, of the pages and then of each entry of a repeat."""

    questionnaire: Questionnaire
    result: CheckedAnswers
    today: datetime.date | None

    def check(
        self,
        questions: Iterable[Question],
        raw: Mapping[str, object],
        cleaned: dict[str, Answer],
        seen: Mapping[str, object],
        prefix: str,
        scope: Collection[str] | None,
    ) -> None:
        """Check `raw` (of the pages, or of one entry) into `cleaned`; expressions see
        `seen` (`cleaned` itself, or within an entry the answers around it too); errors
        are keyed `prefix` + name and kept for names in `scope` (None: all)."""
        questionnaire, result, today = self.questionnaire, self.result, self.today
        for question in questions:
            name = question.name
            if not _is_relevant(questionnaire, question, seen, today):
                continue
            key = prefix + name
            result.relevant.add(key)
            if question.type is QuestionType.CALCULATE:
                cleaned[name] = _calculate(questionnaire, question, seen, today, raw.get(name))
                continue
            if question.readonly:
                if question.computed:
                    cleaned[name] = _read_only_value(
                        questionnaire, question, seen, today, raw.get(name)
                    )
                continue
            if question.type is QuestionType.NOTE:
                continue
            if question.type is QuestionType.REPEAT:
                self.check_repeat(question, raw.get(name), cleaned, seen, key, scope)
                continue
            offered: tuple[str, ...] | None = None
            if (name, "choice_filter") in questionnaire.compiled:
                choices = offered_choices(questionnaire, question, seen, today)
                offered = result.offered[key] = tuple(choice.name for choice in choices)
            error = _check_one(
                questionnaire, question, raw.get(name), seen, cleaned, offered, today
            )
            if error is not None and (scope is None or name in scope):
                result.errors[key] = error if key == name else replace(error, question=key)

    def check_repeat(
        self,
        repeat: Question,
        raw: object,
        cleaned: dict[str, Answer],
        seen: Mapping[str, object],
        key: str,
        scope: Collection[str] | None,
    ) -> None:
        """A repeat's answer: a list of entries of the right number, each checked."""
        report = scope is None or repeat.name in scope
        # Outside `scope`, entries are still cleaned (later questions read them), their
        # errors not kept: () for the questions of the entries.
        scope = None if report else ()
        errors = self.result.errors
        error = _entries_error(self.questionnaire, repeat, raw, seen, self.today)
        if error is not None:
            if report:
                errors[key] = AnswerError(key, error)
            return
        raw_entries = raw if isinstance(raw, list) else []
        if not raw_entries:
            return
        names = self.questionnaire.entry_names[repeat.name]
        entries: list[Entry] = [{} for _ in raw_entries]
        # Stored before the entries are checked, so that `count(${members})` inside an
        # entry counts them all (answers of later entries are not known yet).
        cleaned[repeat.name] = entries
        for position, (raw_entry, entry) in enumerate(zip(raw_entries, entries, strict=True), 1):
            prefix = f"{key}[{position}]."
            for name in raw_entry:
                if name not in names and report:
                    errors[prefix + str(name)] = AnswerError(
                        prefix + str(name), ErrorCode.UNKNOWN_QUESTION
                    )
            inside = EntryAnswers(entry, names, seen, position)
            self.check(repeat.questions, raw_entry, entry, inside, prefix, scope)


def _entries_error(
    questionnaire: Questionnaire,
    repeat: Question,
    raw: object,
    seen: Mapping[str, object],
    today: datetime.date | None,
) -> ErrorCode | None:
    """What is wrong with a repeat's answer as a whole: its shape or number of entries."""
    if raw is None or raw == "":
        raw = []
    if not isinstance(raw, list) or not all(isinstance(entry, Mapping) for entry in raw):
        return ErrorCode.ENTRIES
    if len(raw) > MAX_ENTRIES:
        return ErrorCode.ENTRY_COUNT
    expected = expected_entries(questionnaire, repeat, seen, today)
    if expected is not None and len(raw) != expected:
        return ErrorCode.ENTRY_COUNT
    if not raw and is_required(questionnaire, repeat, seen, today):
        return ErrorCode.REQUIRED
    return None


def expected_entries(
    questionnaire: Questionnaire,
    repeat: Question,
    answers: Mapping[str, object],
    today: datetime.date | None = None,
) -> int | None:
    """The number of entries `repeat_count` asks for (None: any number); as in ODK, a
    count that is no number (an unanswered question) or below zero asks for none."""
    expression = questionnaire.compiled.get((repeat.name, "repeat_count"))
    if expression is None:
        return None
    value = expression.evaluate(answers, today=today)
    if isinstance(value, bool):
        return int(value)
    try:
        number = float(value) if isinstance(value, int | float | str) else math.nan
    except ValueError:
        number = math.nan
    return int(number) if math.isfinite(number) and number > 0 else 0


def offered_choices(
    questionnaire: Questionnaire,
    question: Question,
    answers: Mapping[str, object],
    today: datetime.date | None = None,
) -> tuple[Choice, ...]:
    """The choices of `question` its choice filter keeps for `answers` (all without one).

    As in XLSForm, the filter is evaluated once per choice: bare names are that choice's
    columns (`name` its name), `${q}` the answers.
    """
    choices = questionnaire.choices_of(question)
    expression = questionnaire.compiled.get((question.name, "choice_filter"))
    if expression is None:
        return choices
    read = tuple(_read(questionnaire, answers, name) for name in sorted(expression.references))
    key = (question.name, today, read, _positions(answers))
    cache = questionnaire.offer_cache
    offered = cache.get(key)
    if offered is None:
        offered = tuple(
            choice
            for choice in choices
            if expression.is_true(answers, today=today, choice=choice.filter_values)
        )
        if len(cache) >= _OFFER_CACHE_SIZE:
            cache.clear()
        cache[key] = offered
    return offered


_OFFER_CACHE_SIZE = 2_000
_UNSEEN = object()


def _read(questionnaire: Questionnaire, answers: Mapping[str, object], name: str) -> object:
    """What an expression reads of question `name`, as a cache key: a question of a repeat
    read from outside its entries is read from its outermost repeat's answer."""
    value = answers.get(name, _UNSEEN)
    if value is _UNSEEN:
        around = questionnaire.repeats_around(name)
        value = answers.get(around[0]) if around else None
    return _hashable(value)


def _positions(answers: Mapping[str, object]) -> tuple[int, ...]:
    """The positions of the entries `answers` are in (`position(..)`), innermost first."""
    positions: list[int] = []
    while isinstance(answers, EntryAnswers):
        positions.append(answers.position)
        answers = answers.outer
    return tuple(positions)


def _hashable(value: object) -> object:
    """An answer as a cache key: lists (select_multiple) as tuples, with their type so
    that 1 and '1' stay apart."""
    if isinstance(value, list | tuple):
        return (type(value).__name__, *map(str, value))
    return (
        (type(value).__name__, value)
        if isinstance(value, str | int | float | bool)
        else repr(value)
    )


def is_required(
    questionnaire: Questionnaire,
    question: Question,
    answers: Mapping[str, object],
    today: datetime.date | None = None,
) -> bool:
    """Whether `question` must be answered, given the answers so far."""
    expression = questionnaire.compiled.get((question.name, "required"))
    if expression is not None:
        return expression.is_true(answers, today=today)
    return question.required is True


def _is_relevant(
    questionnaire: Questionnaire,
    question: Question,
    answers: Mapping[str, object],
    today: datetime.date | None,
) -> bool:
    expression = questionnaire.compiled.get((question.name, "relevant"))
    return expression is None or expression.is_true(answers, today=today)


def _calculate(
    questionnaire: Questionnaire,
    question: Question,
    answers: Mapping[str, object],
    today: datetime.date | None,
    previous: object,
) -> Answer:
    """The calculation's value; `.` (and so `once()`) is the value it had before."""
    expression = questionnaire.compiled[(question.name, "calculation")]
    value = expression.evaluate(answers, current=previous, today=today)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, int | float | str):
        return value
    return str(value)


def _read_only_value(
    questionnaire: Questionnaire,
    question: Question,
    answers: Mapping[str, object],
    today: datetime.date | None,
    previous: object,
) -> Answer:
    """A read-only question's value: its calculation's, or else its default."""
    if (question.name, "calculation") in questionnaire.compiled:
        return _calculate(questionnaire, question, answers, today, previous)
    return default_answer(questionnaire, question)


def default_answer(questionnaire: Questionnaire, question: Question) -> Answer:
    """The question's `default` as an answer of its type (select_multiple and rank
    choices separated by spaces); raises `InvalidDefault` when it is not one."""
    written = (question.default or "").strip()
    if not written or not question.type.takes_answer:
        raise InvalidDefault(written)
    raw: object = written
    if question.type in (QuestionType.SELECT_MULTIPLE, QuestionType.RANK):
        raw = written.split()
    elif question.type is QuestionType.INTEGER and re.fullmatch(r"[+-]?\d+", written):
        raw = int(written)
    elif question.type is QuestionType.DECIMAL:
        try:
            raw = float(written)
        except ValueError:
            raw = written
    try:
        value = coerce(questionnaire, question, raw)
        _check_range(question, value)
    except _Invalid:
        raise InvalidDefault(written) from None
    return value


class InvalidDefault(ValueError):
    """A `default` that is no answer its question could take."""


def _check_range(question: Question, value: Answer) -> None:
    bounds = question.range
    if bounds is None or not isinstance(value, int | float):
        return
    if not bounds.within(value):
        raise _Invalid(ErrorCode.RANGE)
    if not bounds.on_step(value):
        raise _Invalid(ErrorCode.STEP)


def _check_one(
    questionnaire: Questionnaire,
    question: Question,
    raw: object,
    seen: Mapping[str, object],
    cleaned: dict[str, Answer],
    offered: tuple[str, ...] | None,
    today: datetime.date | None,
) -> AnswerError | None:
    """Check one answer against `seen` (the answers so far) and store it in `cleaned`."""
    if is_empty(raw):
        required = is_required(questionnaire, question, seen, today)
        return AnswerError(question.name, ErrorCode.REQUIRED) if required else None
    try:
        value = coerce(questionnaire, question, raw)
        _check_range(question, value)
    except _Invalid as invalid:
        bounds = question.range
        values = {} if bounds is None else dict(bounds.model_dump())
        return AnswerError(question.name, invalid.code, values=values)
    if offered is not None:
        chosen = value if isinstance(value, list) else [value]
        if not set(chosen) <= set(offered):
            return AnswerError(question.name, ErrorCode.NOT_OFFERED)
    constraint = questionnaire.compiled.get((question.name, "constraint"))
    if constraint is not None and not to_boolean(
        constraint.evaluate(seen, current=value, today=today)
    ):
        return AnswerError(question.name, ErrorCode.CONSTRAINT, question.constraint_message or None)
    cleaned[question.name] = value
    return None


def coerce(questionnaire: Questionnaire, question: Question, raw: object) -> Answer:
    """A JSON-like value as the answer type of `question`; raises `_Invalid`."""
    match question.type:
        case QuestionType.INTEGER:
            return _integer(raw)
        case QuestionType.DECIMAL:
            return _decimal(raw)
        case QuestionType.DATE:
            return _date(raw)
        case QuestionType.TIME:
            return _time(raw)
        case QuestionType.DATETIME:
            return _datetime(raw)
        case QuestionType.SELECT_ONE:
            if not isinstance(raw, str) or raw not in _choice_names(questionnaire, question):
                raise _Invalid(ErrorCode.CHOICE)
            return raw
        case QuestionType.SELECT_MULTIPLE:
            return _choice_list(questionnaire, question, raw)
        case QuestionType.RANK:
            return _ranking(questionnaire, question, raw)
        case _:
            if not isinstance(raw, str):
                raise _Invalid(ErrorCode.TEXT)
            if len(raw) > MAX_TEXT_LENGTH:
                raise _Invalid(ErrorCode.TOO_LONG)
            if CONTROL_CHARACTERS.search(raw):
                raise _Invalid(ErrorCode.TEXT)
            return raw.strip()


def _integer(raw: object) -> int:
    if isinstance(raw, bool):
        raise _Invalid(ErrorCode.INTEGER)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not isinstance(raw, int) or abs(raw) > MAX_ABS_NUMBER:
        raise _Invalid(ErrorCode.INTEGER)
    return raw


def _decimal(raw: object) -> float | int:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _Invalid(ErrorCode.DECIMAL)
    if not math.isfinite(raw) or abs(raw) > MAX_ABS_NUMBER:
        raise _Invalid(ErrorCode.DECIMAL)
    return raw


def _date(raw: object) -> str:
    if not isinstance(raw, str):
        raise _Invalid(ErrorCode.DATE)
    try:
        return datetime.date.fromisoformat(raw.strip()).isoformat()
    except ValueError:
        raise _Invalid(ErrorCode.DATE) from None


# ISO 8601 extended format only (`14:30`, `14:30:15.250+01:00`): Python would also read the
# basic format (`1430`), which no form sends and people would not mean.
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?"
_TIME_PATTERN = re.compile(_TIME, re.ASCII)
_DATETIME_PATTERN = re.compile(rf"\d{{4}}-\d\d-\d\d[T ]{_TIME}", re.ASCII)


def _time(raw: object) -> str:
    """A time of day as `HH:MM`, or `HH:MM:SS` when it has seconds; an offset (ODK
    clients send one) is kept, fractions of a second are not."""
    if not isinstance(raw, str) or not _TIME_PATTERN.fullmatch(raw.strip()):
        raise _Invalid(ErrorCode.TIME)
    return _iso_time(datetime.time.fromisoformat(raw.strip()))


def _datetime(raw: object) -> str:
    """A date and time as `YYYY-MM-DDTHH:MM[:SS]` (as `_time`); a bare date is refused."""
    if not isinstance(raw, str) or not _DATETIME_PATTERN.fullmatch(raw.strip()):
        raise _Invalid(ErrorCode.DATETIME)
    try:
        value = datetime.datetime.fromisoformat(raw.strip())
    except ValueError:  # 2024-02-30T10:00
        raise _Invalid(ErrorCode.DATETIME) from None
    return f"{value.date().isoformat()}T{_iso_time(value.timetz())}"


def _iso_time(value: datetime.time) -> str:
    value = value.replace(microsecond=0)
    return value.isoformat(timespec="seconds" if value.second else "minutes")


def _choice_names(questionnaire: Questionnaire, question: Question) -> list[str]:
    return [choice.name for choice in questionnaire.choices_of(question)]


def _choice_list(questionnaire: Questionnaire, question: Question, raw: object) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise _Invalid(ErrorCode.CHOICES)
    names = _choice_names(questionnaire, question)
    chosen = set(raw)
    if not chosen <= set(names):
        raise _Invalid(ErrorCode.CHOICES)
    return [name for name in names if name in chosen]


def _ranking(questionnaire: Questionnaire, question: Question, raw: object) -> list[str]:
    """Choice names in the order ranked (a JSON list; a string of names separated by
    spaces, as Kobo exports and XForms send it): each a choice, none twice."""
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise _Invalid(ErrorCode.CHOICES)
    if not set(raw) <= set(_choice_names(questionnaire, question)):
        raise _Invalid(ErrorCode.CHOICES)
    if len(set(raw)) != len(raw):
        raise _Invalid(ErrorCode.RANK)
    return list(raw)


def parse_form_value(question: Question, values: list[str], language: str = "en") -> object:
    """What an HTML form sent for `question` (always strings) as a JSON-like value.

    Numbers are read as people write them in `language` (`parse_number`); numbers that
    do not parse are passed on as strings so `check_answers` reports them.
    """
    if question.type is QuestionType.SELECT_MULTIPLE:
        return [value for value in values if value]
    if question.type is QuestionType.RANK:
        # One select per position, in page order: positions left empty close up.
        return [value for value in values if value]
    value = values[-1].strip() if values else ""
    if value == "":
        return None
    if question.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
        if question.range is not None:
            # Its field is an `<input type=number>`: browsers send a point as the decimal
            # sign whatever the page's language ("1.250" is one and a quarter, not 1250).
            language = "en"
        number = parse_number(value, language, whole=question.type is QuestionType.INTEGER)
        return value if number is None else number
    return value


# The decimal and group signs of Arabic-script locales, whatever the locale's own are.
_ARABIC_DECIMAL_SIGN = "\u066b"
_ARABIC_GROUP_SIGN = "\u066c"


def parse_number(text: str, language: str, *, whole: bool) -> int | float | None:
    """A number typed in a form, read as people write it in `language`; None when it is
    not one, or (`whole`) when it has a decimal sign.

    Babel reads the locale's signs strictly ("1.000" is a thousand in German, "1,5" one
    and a half; a misplaced separator is refused, not read as another number). Digits of
    any script count (Persian ۱۲, Arabic-Indic ١٢), so do the Arabic decimal and group
    signs, and spaces only ever group digits ("1 000" in Ukrainian). A decimal that the
    locale's rules refuse is read as before, with either sign ("1.5" in a German form is
    one and a half).
    """
    written = _latin_digits(text)
    if any(char.isalpha() for char in written):
        return None  # no "1e3", "NaN" or "Infinity": people type digits
    try:
        decimal_sign = get_decimal_symbol(language)
        written = written.replace(_ARABIC_DECIMAL_SIGN, decimal_sign)
        number: Decimal | None = parse_decimal(written, locale=language, strict=True)
    except (NumberFormatError, UnknownLocaleError, ValueError, ArithmeticError):
        decimal_sign, number = ".", None
    if number is not None and not number.is_finite():
        number = None
    if whole:
        if number is None or decimal_sign in written or number != number.to_integral_value():
            return None
        return int(number)
    if number is not None:
        return float(number)
    return _simple_decimal(written)


def _latin_digits(text: str) -> str:
    """`text` with digits of any script as 0-9, without spaces or Arabic group signs."""
    kept: list[str] = []
    for char in text:
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            kept.append(str(digit))
        elif not char.isspace() and char != _ARABIC_GROUP_SIGN:
            kept.append(char)
    return "".join(kept)


def _simple_decimal(written: str) -> float | None:
    if written.count(",") + written.count(".") > 1:
        return None
    try:
        number = float(written.replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None
