"""The questionnaire model: what a questionnaire file says, validated and immutable.

A `Questionnaire` is the definition file of a survey. It knows nothing of HTTP or the
database; the loader builds it from YAML, the XLSForm reader from a workbook, and the
service layer publishes it as a versioned survey.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from survey_app.questionnaire.expressions import Expression, RepeatStructure, parse_expression

Text = dict[str, str]
"""Every human-readable text: a mapping language code -> text."""

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
CHOICE_NAME_PATTERN = r"^[^\s\x00-\x1f\x7f]+$"
"""Choice names as forms write them ('1', '01', 'n/a', 'état'): anything without whitespace,
which separates the choices of a select_multiple in XForms (and in our CSV exports)."""
COLUMN_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z_][A-Za-z0-9_]*)*$"
"""Names of choice columns: what a choice filter can name bare (`state`, `filter_admin1`)."""
ColumnName = Annotated[str, StringConstraints(pattern=COLUMN_PATTERN, max_length=100)]
EXPRESSION_FIELDS = ("relevant", "constraint", "calculation", "required", "repeat_count")
"""The fields of a question that hold an expression (a choice filter is read apart)."""
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
"""`${name}` in a text: the answer to question `name` where the text is shown."""
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ckb", "prs"})
PRESENCE_INFIX = "__in_"
"""Between an entry question's name and its repeat's in the name of the question results
derive from it (`sex__in_members`, `analysis.presence`)."""
CATEGORIES_SUFFIX = "__categories"
"""Ends the name of the question results derive from a text question's categories
(`comment__categories`, `analysis.texts`)."""


def reserved_part(name: str) -> str | None:
    """The part of a question's name that only results' derived questions may have
    (`PRESENCE_INFIX`, `CATEGORIES_SUFFIX`), or None: a question of the questionnaire
    named so would take the name of a derived question, or be taken for one."""
    if PRESENCE_INFIX in name:
        return PRESENCE_INFIX
    if name.endswith(CATEGORIES_SUFFIX):
        return CATEGORIES_SUFFIX
    return None


class QuestionType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    SELECT_ONE = "select_one"
    SELECT_MULTIPLE = "select_multiple"
    DATE = "date"
    TIME = "time"
    """A time of day, `HH:MM` or `HH:MM:SS` (XLSForm's `time`)."""
    DATETIME = "datetime"
    """A date and a time of day, `YYYY-MM-DDTHH:MM[:SS]` (XLSForm's `dateTime`)."""
    RANK = "rank"
    """An ordered select (XLSForm's `rank`): the names of the choices ranked, the first
    ranked first (all of them, or the first few)."""
    NOTE = "note"
    CALCULATE = "calculate"
    REPEAT = "repeat"
    """A repeated section (XLSForm's `begin_repeat`, a roster): its `questions` are asked
    once per entry (each household member); the answer is a list of entries."""

    @property
    def is_select(self) -> bool:
        """Whether its answers are names of its choice list."""
        return self in (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE, QuestionType.RANK)

    @property
    def is_number(self) -> bool:
        return self in (QuestionType.INTEGER, QuestionType.DECIMAL)

    @property
    def takes_answer(self) -> bool:
        """Whether a respondent answers it (notes are shown, calculations computed)."""
        return self not in (QuestionType.NOTE, QuestionType.CALCULATE)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Choice(_Frozen):
    name: str = Field(pattern=CHOICE_NAME_PATTERN, max_length=200)
    label: Text = Field(default_factory=dict)
    columns: dict[ColumnName, Annotated[str, StringConstraints(max_length=1000)]] = Field(
        default_factory=dict
    )
    """Further columns of the choices sheet (`state: texas`), which choice filters read."""

    @property
    def filter_values(self) -> dict[str, str]:
        """What a choice filter sees of this choice: its columns, and `name`."""
        return {**self.columns, "name": self.name}


class NumberRange(_Frozen):
    """A bounded number (XLSForm's `range` with `parameters: start=1 end=10 step=1`): an
    answer lies between `start` and `end` (either may be the larger, as in ODK, where a
    slider can run backwards) on a step of `step` counted from `start`."""

    start: int | float
    end: int | float
    step: int | float = Field(default=1, gt=0)

    @property
    def low(self) -> int | float:
        return min(self.start, self.end)

    @property
    def high(self) -> int | float:
        return max(self.start, self.end)

    def within(self, value: int | float) -> bool:
        return self.low <= value <= self.high

    def on_step(self, value: int | float) -> bool:
        """Whether `value` is `start` plus a whole number of steps (in decimal, so that
        0.1 steps do not fail on binary fractions)."""
        steps = (Decimal(str(value)) - Decimal(str(self.start))) / Decimal(str(self.step))
        return steps == steps.to_integral_value()


class Question(_Frozen):
    name: str = Field(pattern=NAME_PATTERN)
    type: QuestionType
    label: Text = Field(default_factory=dict)
    hint: Text = Field(default_factory=dict)
    required: bool | str = False
    """True, or an expression: required while it is true (XLSForm's `required` column)."""
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Text = Field(default_factory=dict)
    calculation: str | None = None
    choices: str | None = None
    choice_filter: str | None = None
    """Which choices are offered, decided per choice (XLSForm's `choice_filter`): bare
    names are the choice's columns, `${q}` answers; only choices it keeps are offered."""
    appearance: str | None = None
    working_groups: tuple[str, ...] = ()
    default: str | None = Field(default=None, max_length=5000)
    """What the question's field shows before it is answered (XLSForm's `default`), as
    written there: the names of a select_multiple's or a rank's choices separated by
    spaces. It only pre-fills the page's form (the respondent sends it or changes it); an
    answer missing from the API stays missing. A read-only question shows it as its value."""
    readonly: bool = False
    """Shown as information, never asked (XLSForm's `readonly`): its label and its value,
    from its `calculation` or else its `default` (choice labels for a select)."""
    range: NumberRange | None = None
    """For integer and decimal questions: the bounds and step an answer must keep
    (XLSForm's `range`); pages show a slider with JavaScript, a number field without."""
    questions: tuple[Question, ...] = ()
    """A repeat's questions, asked once per entry, in order (other types have none)."""
    repeat_count: str | None = None
    """A repeat's number of entries (XLSForm's `repeat_count`): a whole number or an
    expression; when set, an answer has exactly that many entries."""

    @property
    def takes_answer(self) -> bool:
        """Whether a respondent answers it (notes and read-only questions are shown,
        calculations computed)."""
        return self.type.takes_answer and not self.readonly

    @property
    def computed(self) -> bool:
        """Whether its value comes from the questionnaire, not the respondent: a
        calculation, or a read-only question with a calculation or a default."""
        return self.type is QuestionType.CALCULATE or (
            self.readonly and (self.calculation is not None or self.default is not None)
        )


class Page(_Frozen):
    name: str = Field(pattern=NAME_PATTERN)
    title: Text = Field(default_factory=dict)
    questions: tuple[Question, ...]


class WorkingGroup(_Frozen):
    id: str = Field(pattern=NAME_PATTERN)
    name: Text


class Questionnaire(_Frozen):
    """A survey definition; build it with `loader.load_questionnaire`, which also checks it."""

    # As long as the database's `survey.id` and `survey_version.label` columns allow.
    id: str = Field(pattern=NAME_PATTERN, max_length=100)
    version: str = Field(default="1", max_length=100)
    title: Text
    description: Text = Field(default_factory=dict)
    languages: tuple[str, ...]
    default_language: str
    min_cell: int = Field(default=5, ge=1, le=100)
    audience: Literal["anonymous", "invitation"] = "anonymous"
    retention: datetime.date | None = None
    #: Waves of one survey (`newcomer-2026`, `newcomer-2027`) share a series (`newcomer`):
    #: results compare a survey only with the other waves of its series.
    series: str | None = Field(default=None, pattern=NAME_PATTERN, max_length=100)
    privacy_notice: Text = Field(default_factory=dict)
    thank_you: Text = Field(default_factory=dict)
    choices: dict[str, tuple[Choice, ...]] = Field(default_factory=dict)
    pages: tuple[Page, ...]

    # -- navigation -------------------------------------------------------------------

    def iter_questions(self) -> Iterator[Question]:
        for page in self.pages:
            yield from page.questions

    @cached_property
    def questions(self) -> dict[str, Question]:
        """The questions of the pages by name, in questionnaire order; a repeat is one
        question here (its own questions are in `all_questions`)."""
        return {question.name: question for question in self.iter_questions()}

    @cached_property
    def all_questions(self) -> dict[str, Question]:
        """Every question by name, the questions of repeats (nested ones included) right
        after their repeat. Names are unique across the whole questionnaire, as in XLSForm."""
        found: dict[str, Question] = {}

        def visit(questions: tuple[Question, ...]) -> None:
            for question in questions:
                found.setdefault(question.name, question)
                visit(question.questions)

        for page in self.pages:
            visit(page.questions)
        return found

    @cached_property
    def repeat_of(self) -> dict[str, str]:
        """The repeat each question of a repeat belongs to, by question name (questions
        of the pages are not in it)."""
        return {
            child.name: question.name
            for question in self.all_questions.values()
            for child in question.questions
        }

    def repeats_around(self, name: str) -> tuple[str, ...]:
        """The repeats that enclose question `name`, the outermost first (() for a
        question of a page)."""
        chain: list[str] = []
        while name in self.repeat_of:
            name = self.repeat_of[name]
            chain.append(name)
        return tuple(reversed(chain))

    @cached_property
    def entry_names(self) -> dict[str, frozenset[str]]:
        """The names of an entry's questions, by repeat."""
        return {
            question.name: frozenset(child.name for child in question.questions)
            for question in self.all_questions.values()
            if question.type is QuestionType.REPEAT
        }

    def choices_of(self, question: Question) -> tuple[Choice, ...]:
        return self.choices.get(question.choices or "", ())

    def questions_of_group(self, group: str | None) -> list[Question]:
        """Questions shown to a working group (every question when `group` is None)."""
        return [
            question
            for question in self.iter_questions()
            if group is None or group in question.working_groups
        ]

    # -- texts ------------------------------------------------------------------------

    def text(self, text: Text, language: str) -> str:
        """The text in `language`, falling back to the default language, then any."""
        if language in text:
            return text[language]
        if self.default_language in text:
            return text[self.default_language]
        return next(iter(text.values()), "")

    def text_for_results(self, text: Text, language: str) -> str:
        """The text in `language` for readers of results, who see nobody's answers: each
        `${name}` (a label showing an answer, "Does ${member_name} work?") becomes the
        named question's label in brackets ("Does [First name] work?")."""
        shown = self.text(text, language)
        if "${" not in shown:
            return shown
        questions = self.all_questions

        def named(match: re.Match[str]) -> str:
            question = questions.get(match[1])
            label = self.text(question.label, language) if question is not None else ""
            return f"[{label or match[1]}]"

        return _REFERENCE.sub(named, shown)

    def language_or_default(self, language: str | None) -> str:
        return language if language in self.languages else self.default_language

    # -- rules ------------------------------------------------------------------------

    @cached_property
    def compiled(self) -> dict[tuple[str, str], Expression]:
        """Expressions parsed once: (question name, 'relevant'|'constraint'|'calculation'|
        'required'|'repeat_count'|'choice_filter'), 'required' for a question required
        only while its expression is true; the questions of repeats included."""
        compiled: dict[tuple[str, str], Expression] = {}
        # jr:choice-name() gives labels in the default language: a stored calculation
        # must not depend on the language a respondent chose.
        labels = {
            question.name: {
                choice.name: self.text(choice.label, self.default_language)
                for choice in self.choices_of(question)
            }
            for question in self.all_questions.values()
            if question.type.is_select
        }
        repeats = self.repeat_structure
        for question in self.all_questions.values():
            for kind in EXPRESSION_FIELDS:
                source = getattr(question, kind)
                if isinstance(source, str) and source:
                    own = question.name if kind == "constraint" else None
                    compiled[(question.name, kind)] = parse_expression(
                        source, current=own, choice_labels=labels, repeats=repeats
                    )
            if question.choice_filter and question.type.is_select:
                compiled[(question.name, "choice_filter")] = parse_expression(
                    question.choice_filter,
                    choice_labels=labels,
                    choice_filter=True,
                    repeats=repeats,
                )
        return compiled

    @cached_property
    def repeat_structure(self) -> RepeatStructure:
        """What expressions need to know of the repeats (see `RepeatStructure`)."""
        return RepeatStructure(
            around={name: self.repeats_around(name) for name in self.repeat_of},
            repeats=frozenset(self.entry_names),
        )

    @cached_property
    def answerable(self) -> tuple[str, ...]:
        """The questions a respondent answers (no notes, calculations or read-only
        questions), in questionnaire order."""
        return tuple(q.name for q in self.iter_questions() if q.takes_answer)

    @cached_property
    def rating_positions(self) -> dict[str, dict[str, int]]:
        """Rating scales (`select_one` with `appearance: likert`): each choice's position."""
        return {
            question.name: {choice.name: i for i, choice in enumerate(self.choices_of(question))}
            for question in self.iter_questions()
            if question.type is QuestionType.SELECT_ONE
            and "likert" in (question.appearance or "").split()
        }

    @cached_property
    def offer_cache(self) -> dict[tuple[object, ...], tuple[Choice, ...]]:
        """The choices choice filters kept, by question and the answers they read (a
        long list of villages is filtered once per district, not on every check)."""
        return {}

    # -- identity ---------------------------------------------------------------------

    def to_definition(self) -> dict[str, Any]:
        """The questionnaire as plain JSON data (what is published and served)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    @cached_property
    def content_hash(self) -> str:
        """Identifies a published version: equal definitions have equal hashes."""
        canonical = json.dumps(self.to_definition(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def direction(language: str) -> Literal["rtl", "ltr"]:
    """Writing direction of a language code ('ar', 'fa-AF', ...)."""
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"
