"""The staged import: survey sheet, choices, expressions, settings, then the same
checks as a YAML file."""

from __future__ import annotations

import dataclasses
import datetime
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any, cast

from pydantic import ValidationError
from pyxform import aliases
from pyxform import constants as pyxform_constants
from pyxform.parsing.sheet_headers import clean_text_values
from pyxform.question import MultipleChoiceQuestion, Option
from pyxform.survey import Survey
from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL, dealias_types

from survey_app.questionnaire.errors import Problem, ProblemCode, Severity, errors_only
from survey_app.questionnaire.expressions import (
    ExpressionError,
    RepeatStructure,
    parse_expression,
)
from survey_app.questionnaire.rules import InvalidDefault, default_answer
from survey_app.questionnaire.schema import (
    CATEGORIES_SUFFIX,
    NAME_PATTERN,
    Choice,
    Question,
    Questionnaire,
    QuestionType,
    Text,
    reserved_part,
)
from survey_app.questionnaire.validation import Path, check_questionnaire
from survey_app.questionnaire.xlsform.languages import UNDETERMINED_LANGUAGE, Languages
from survey_app.questionnaire.xlsform.question_types import NO, YES, kind_of
from survey_app.questionnaire.xlsform.workbook import (
    COLUMNS,
    SETTINGS_TEXTS,
    TEXT_KEYS,
    TRANSLATED_COLUMNS,
    Row,
    Sheet,
    Unreadable,
    read_book,
    read_sheet,
)

_VALID_NAME = re.compile(NAME_PATTERN)
OTHER_CHOICE = "other"
"""The choice `or_other` adds, named as pyxform and KoboToolbox name it."""
OTHER_LABEL = "Other"
SPECIFY_OTHER_LABEL = "Specify other."
"""The labels `or_other` adds to the choice and its text question, as KoboToolbox's; the
respondents' catalogues translate them (`survey_app.i18n.OR_OTHER_LABELS`)."""
Translate = Callable[[str, str], str]
"""`translate(language, text)`: a text the importer adds, in `language` (or as it is)."""
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
# Lexes just enough of an expression to rename `${refs}` and string literals safely.
_EXPRESSION_TOKEN = re.compile(r"""\$\{[^}]*\}|'[^']*'|"[^"]*"|[^$'"]+|.""")
_OPERATOR_WORDS = frozenset({"and", "or", "div", "mod"})
_FUNCTION_CALL = re.compile(r"(?<![\w$.:-])([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*\(")
# The question a relative path names (`../age`, `current()/../../x`).
_RELATIVE_PATH = re.compile(r"\.\./([A-Za-z_][\w.-]*)")
_AGGREGATES = "count(), sum(), min(), max(), join() or indexed-repeat()"


# -- results -------------------------------------------------------------------------------


@dataclass
class XlsformImport:
    """An XLSForm read as a questionnaire; `questionnaire` is None when it has errors."""

    source: FilePath
    questionnaire: Questionnaire | None
    problems: list[Problem] = field(default_factory=list)
    imported: int = 0
    """Questions in the questionnaire."""
    skipped: int = 0
    """Survey-sheet rows with a question that the questionnaire leaves out."""
    settings_row: str = "1"
    """`SHEET:ROW` of the settings row the form's own texts (title, notices) came from."""

    @property
    def errors(self) -> list[Problem]:
        return errors_only(self.problems)


@dataclass(frozen=True)
class _Condition:
    """An expression as written in a row (a group's relevant applies to all its questions)."""

    source: str
    row: int


@dataclass
class _QuestionDraft:
    row: int
    name: str
    type: QuestionType
    label: Text
    hint: Text
    constraint_message: Text
    required: bool | _Condition
    relevant: list[_Condition]
    constraint: _Condition | None
    calculation: _Condition | None
    list_name: str | None
    appearance: str | None
    working_groups: tuple[str, ...]
    choice_filter: _Condition | None = None
    default: str | None = None
    readonly: bool = False
    range: dict[str, int | float] | None = None
    questions: list[_QuestionDraft] = field(default_factory=list)
    """A repeat's questions."""
    repeat_count: _Condition | None = None
    repeats: tuple[str, ...] = ()
    """The repeats around the question, the outermost first."""


@dataclass
class _PageDraft:
    name: str
    title: Text
    row: int
    from_group: bool
    questions: list[_QuestionDraft] = field(default_factory=list)
    of_repeat: bool = False
    """The page of a repeat outside any group (it holds the repeat alone)."""


@dataclass
class _Group:
    name: str
    row: int
    relevant: _Condition | None
    repeat: _QuestionDraft | None = None
    """The repeat this begins (None: a group)."""
    loop: bool = False
    """A loop over a choice list (`begin loop over fruits`), or a group inside one."""
    skipped_questions: int = 0


# -- the importer --------------------------------------------------------------------------


class _Importer:
    def __init__(
        self, source: FilePath, working_groups: Collection[str], translate: Translate | None
    ) -> None:
        self.source = source
        self.working_groups = working_groups
        self.translate = translate or _as_written
        self.problems: list[Problem] = []
        self._reported: set[tuple[str, str]] = set()
        self.languages = Languages(self.warn)
        self.pages: list[_PageDraft] = []
        self.skipped: dict[str, str] = {}  # question name as written -> why
        self.skipped_rows = 0
        self.renamed: dict[str, str] = {}  # question name as written -> name used
        self.used_names: set[str] = set()
        self.choice_renames: dict[str, dict[str, str]] = {}  # list -> written -> used
        self.or_other_lists: dict[str, str] = {}  # list with 'other' -> the form's list
        self.choice_rows: dict[tuple[str, int], int] = {}
        self.choice_columns: dict[str, set[str]] = {}  # list -> columns its choices have
        self.list_rows: dict[str, int] = {}
        self.survey_title = pyxform_constants.SURVEY
        self.choices_title = pyxform_constants.CHOICES
        self.settings_where = "1"
        self._structure = RepeatStructure()

    # -- reporting

    def warn(self, where: str, code: ProblemCode, message: str) -> None:
        """A warning at `SHEET:ROW` of the file (`1` for the file as a whole)."""
        location = f"{self.source}:{where}"
        if (location, message) not in self._reported:
            self._reported.add((location, message))
            self.problems.append(Problem(location, message, Severity.WARNING, code))

    # -- the whole import

    def run(self) -> XlsformImport:
        try:
            book = read_book(self.source, self.warn)
        except Unreadable as error:
            return self._failed(ProblemCode.UNREADABLE, error.message)
        survey = read_sheet(
            book,
            pyxform_constants.SURVEY,
            aliases.survey_header,
            set(MultipleChoiceQuestion.get_slot_names()),
            self.warn,
        )
        if survey is None:
            names = ", ".join(str(name) for name in book.get("sheet_names", [])) or "none"
            return self._failed(ProblemCode.NO_SURVEY_SHEET, f"no 'survey' sheet (sheets: {names})")
        if ("type",) not in survey.columns:
            return self._failed(
                ProblemCode.NO_TYPE_COLUMN, f"the '{survey.title}' sheet has no 'type' column"
            )
        self.survey_title = survey.title
        choices = read_sheet(
            book,
            pyxform_constants.CHOICES,
            aliases.list_header,
            set(Option.get_slot_names()),
            self.warn,
        )
        settings = read_sheet(
            book,
            pyxform_constants.SETTINGS,
            aliases.settings_header,
            set(Survey.get_slot_names()),
            self.warn,
        )
        if choices is not None:
            self.choices_title = choices.title
        settings_row = None
        if settings is not None:
            settings_row = next((row for row in settings.rows if row.has_content()), None)
            if settings_row is not None:
                self.settings_where = f"{settings.title}:{settings_row.number}"
        declared = settings_row.get("default_language") if settings_row else ""
        self._resolve_languages(survey, choices, settings, declared)
        self._walk_survey(survey)
        choice_lists = self._choice_lists(choices)
        self._check_expressions()
        self._keep_read_columns(choice_lists)
        return self._build(settings_row, choice_lists)

    def _failed(self, code: ProblemCode, message: str) -> XlsformImport:
        self.problems.append(Problem(f"{self.source}:1", message, code=code))
        return XlsformImport(self.source, None, self.problems)

    # -- languages

    def _resolve_languages(
        self, survey: Sheet, choices: Sheet | None, settings: Sheet | None, declared: str
    ) -> None:
        """Codes for every language column, in column order, and the default language."""
        settings_texts = [
            COLUMNS["form_title"],
            COLUMNS["translated_title"],
            *((name,) for name in SETTINGS_TEXTS),
        ]
        sheets = (
            (survey, list(TRANSLATED_COLUMNS.values())),
            (choices, [("label",)]),
            (settings, settings_texts),
        )
        has_plain = False
        label_languages: list[str] = []
        for sheet, translated in sheets:
            if sheet is None:
                continue
            for tokens in sheet.columns:
                for prefix in translated:
                    if tokens[: len(prefix)] != prefix:
                        continue
                    if len(tokens) == len(prefix):
                        has_plain = True
                    elif len(tokens) == len(prefix) + 1:
                        code = self.languages.resolve(tokens[-1], f"{sheet.title}:1")
                        if prefix == ("label",) and sheet is survey:
                            label_languages.append(code)
        if declared:
            self.languages.default = self.languages.resolve(declared, self.settings_where)
        elif label_languages or self.languages.order:
            self.languages.default = (label_languages or self.languages.order)[0]
            if has_plain:
                self.warn(
                    f"{survey.title}:1",
                    ProblemCode.UNNAMED_LANGUAGE,
                    "columns without a language (such as 'label' or 'hint') are taken as "
                    f"'{self.languages.default}'; set default_language in the settings sheet "
                    "to choose another",
                )
        elif has_plain:
            self.warn(
                f"{survey.title}:1",
                ProblemCode.UNNAMED_LANGUAGE,
                f"the form names no language; its texts are stored as '{UNDETERMINED_LANGUAGE}' "
                "(undetermined): rename the columns, e.g. 'label::English (en)', and import "
                "again",
            )

    # -- the survey sheet

    def _walk_survey(self, sheet: Sheet) -> None:
        """Top-level groups become pages; nested groups are flattened into their page (or
        their repeat's entries), their `relevant` added to each question's; a repeat is
        a question holding its own questions, on its group's page or a page of its own."""
        stack: list[_Group] = []
        if any(tokens[0] == "media" for tokens in sheet.columns):
            self.warn(
                f"{sheet.title}:1",
                ProblemCode.IGNORED_COLUMN,
                "media columns (image, audio, video) are ignored",
            )
        for row in sheet.rows:
            where = f"{sheet.title}:{row.number}"
            type_text = " ".join(row.get("type").split())
            if not type_text:
                if row.has_content():
                    self.warn(where, ProblemCode.ROW_WITHOUT_TYPE, "row without a type ignored")
                continue
            type_text = cast(str, dealias_types([{"type": type_text}])[0]["type"])
            begin = RE_BEGIN_CONTROL.search(type_text)
            loop = next((group for group in stack if group.loop), None)
            if begin:
                control = aliases.control[begin.group("type")]
                if loop is not None or control == "loop":
                    stack.append(_Group(row.get("name"), row.number, None, loop=True))
                elif control == pyxform_constants.GROUP:
                    self._begin_group(stack, row, where)
                else:
                    self._begin_repeat(stack, row, where)
            elif RE_END_CONTROL.search(type_text):
                self._end(stack, where)
            elif loop is not None:
                loop.skipped_questions += 1
                self._record_skip(row, f"it is inside loop '{loop.name}'")
            else:
                self._question(stack, row, where, type_text)
        while stack:  # closed here, so that a loop left open is still reported
            group = stack[-1]
            what = "group" if group.repeat is None else "repeat"
            where = f"{sheet.title}:{group.row}"
            self.warn(where, ProblemCode.UNBALANCED_GROUP, f"{what} '{group.name}' is never closed")
            self._end(stack, where)

    def _begin_group(self, stack: list[_Group], row: Row, where: str) -> None:
        name = row.get("name") or f"group_{row.number}"
        relevant = row.get("relevant")
        condition = _Condition(relevant, row.number) if relevant else None
        if not stack:
            page_name = self._unique_page_name(name, where)
            title = self.languages.text(row.texts(("label",)))
            self.pages.append(_PageDraft(page_name, title, row.number, from_group=True))
        stack.append(_Group(name, row.number, condition))

    def _begin_repeat(self, stack: list[_Group], row: Row, where: str) -> None:
        """A repeat: a question whose questions are the rows up to its end; its
        `relevant` and `repeat_count` are its own, its groups' relevant its questions'."""
        name = self._question_name(row.get("name"), row.number, where)
        label = self.languages.text(row.texts(("label",)))
        if not any(label.values()):
            label = {self.languages.default: name}
            self.warn(
                where,
                ProblemCode.LABEL_MISSING,
                f"repeat '{name}' has no label; its name is used as label",
            )
        relevant = self._group_relevants(stack)
        if row.get("relevant"):
            relevant.append(_Condition(row.get("relevant"), row.number))
        count = " ".join(row.get("repeat_count").split())
        if re.fullmatch(r"\d+\.0*", count):
            count = str(int(float(count)))  # a number cell read as 2.0
        repeat = _QuestionDraft(
            row=row.number,
            name=name,
            type=QuestionType.REPEAT,
            label=label,
            hint=self.languages.text(row.texts(("hint",))),
            constraint_message={},
            # XLSForm has no required repeat; our exports write it (at least one entry).
            required=self._required(row, QuestionType.REPEAT, where, readonly=False),
            relevant=relevant,
            constraint=None,
            calculation=None,
            list_name=None,
            appearance=None,
            working_groups=self._working_groups(row, where),
            repeat_count=_Condition(count, row.number) if count else None,
            repeats=self._repeats_of(stack),
        )
        if stack:
            self._container(stack, row, where).append(repeat)
        else:
            # Not named as the repeat: XLSForm wants a group's name unique as well.
            page_name = self._unique_page_name("", where)
            page = _PageDraft(page_name, label, row.number, from_group=True, of_repeat=True)
            page.questions.append(repeat)
            self.pages.append(page)
        stack.append(_Group(name, row.number, None, repeat))

    def _end(self, stack: list[_Group], where: str) -> None:
        if not stack:
            self.warn(
                where, ProblemCode.UNBALANCED_GROUP, "end of a group that was never begun; ignored"
            )
            return
        group = stack.pop()
        if group.loop and not any(other.loop for other in stack):
            self.warn(
                f"{self.survey_title}:{group.row}",
                ProblemCode.REPEAT_SKIPPED,
                f"loop '{group.name}' skipped with its {group.skipped_questions} question "
                "row(s): loops over a choice list are not supported (a repeat is)",
            )

    @staticmethod
    def _group_relevants(stack: list[_Group]) -> list[_Condition]:
        """The relevant of the open groups inside the innermost repeat (a repeat's own
        applies to it, not to each of its questions)."""
        inner = stack
        for index, group in enumerate(stack):
            if group.repeat is not None:
                inner = stack[index + 1 :]
        return [group.relevant for group in inner if group.relevant is not None]

    @staticmethod
    def _repeats_of(stack: list[_Group]) -> tuple[str, ...]:
        return tuple(group.repeat.name for group in stack if group.repeat is not None)

    def _container(self, stack: list[_Group], row: Row, where: str) -> list[_QuestionDraft]:
        """Where a question goes: the innermost repeat's questions, or a page's."""
        for group in reversed(stack):
            if group.repeat is not None:
                return group.repeat.questions
        return self._page_for(stack, row, where).questions

    def _page_for(self, stack: list[_Group], row: Row, where: str) -> _PageDraft:
        """The open group's page, or a page for questions outside any group."""
        if stack or (self.pages and not self.pages[-1].from_group):
            return self.pages[-1]
        page = _PageDraft(self._unique_page_name("", where), {}, row.number, from_group=False)
        self.pages.append(page)
        return page

    def _containers(self) -> Iterator[list[_QuestionDraft]]:
        """The question lists of the pages and of every repeat, in file order."""

        def visit(questions: list[_QuestionDraft]) -> Iterator[list[_QuestionDraft]]:
            yield questions
            for question in questions:
                if question.type is QuestionType.REPEAT:
                    yield from visit(question.questions)

        for page in self.pages:
            yield from visit(page.questions)

    def _drafts(self) -> list[_QuestionDraft]:
        """Every question, a repeat's questions right after the repeat."""

        def visit(questions: list[_QuestionDraft]) -> Iterator[_QuestionDraft]:
            for question in questions:
                yield question
                yield from visit(question.questions)

        return [draft for page in self.pages for draft in visit(page.questions)]

    def _record_skip(self, row: Row, reason: str) -> None:
        self.skipped_rows += 1
        name = row.get("name")
        if name:
            self.skipped[name] = reason

    def _question(self, stack: list[_Group], row: Row, where: str, type_text: str) -> None:
        kind = kind_of(type_text, row)
        written_name = row.get("name")
        if kind.type is None:
            self._record_skip(row, kind.reason)
            self.warn(
                where,
                ProblemCode.UNSUPPORTED_TYPE,
                f"'{written_name or type_text}' skipped: {kind.reason}",
            )
            return
        if kind.warning:
            self.warn(where, kind.warning_code, kind.warning)
        question_type, list_name = kind.type, kind.list_name
        # A read-only question keeps its type (and choices, for their labels): it shows
        # its value, from its calculation or default, and is never asked.
        readonly = row.get("readonly").strip() in YES and question_type.takes_answer
        label = self.languages.text(row.texts(("label",)))
        calculation = row.get("calculation")
        unusable = ""
        if question_type is QuestionType.NOTE and not any(label.values()):
            unusable = "a note without text"
        elif question_type is QuestionType.CALCULATE and not calculation:
            unusable = "a calculate question without calculation"
        if unusable:
            self._record_skip(row, unusable)
            self.warn(where, ProblemCode.QUESTION_SKIPPED, f"'{written_name}' skipped: {unusable}")
            return
        name = self._question_name(written_name, row.number, where)
        if question_type is not QuestionType.CALCULATE and not any(label.values()):
            label = {self.languages.default: name}
            self.warn(
                where,
                ProblemCode.LABEL_MISSING,
                f"'{name}' has no label; its name is used as label",
            )
        relevant = self._group_relevants(stack)
        if row.get("relevant"):
            relevant.append(_Condition(row.get("relevant"), row.number))
        constraint = row.get("constraint") or kind.constraint
        if calculation and question_type is not QuestionType.CALCULATE and not readonly:
            self.warn(
                where,
                ProblemCode.COLUMN_DROPPED,
                "calculation dropped: only calculate and read-only questions compute values",
            )
            calculation = ""
        default = self._default(row, question_type, where)
        choice_filter = row.get("choice_filter")
        if choice_filter and not list_name:
            message = f"choice_filter '{choice_filter}' dropped: the question has no choices"
            self.warn(where, ProblemCode.COLUMN_DROPPED, message)
            choice_filter = ""
        appearance = row.get("appearance") or None
        if appearance and appearance.startswith("ex:"):
            self.warn(
                where,
                ProblemCode.COLUMN_DROPPED,
                f"appearance '{appearance}' (an external app) dropped",
            )
            appearance = None
        draft = _QuestionDraft(
            row=row.number,
            name=name,
            type=question_type,
            label=label,
            hint=self.languages.text(row.texts(("hint",))),
            constraint_message=self.languages.text(
                row.texts(TRANSLATED_COLUMNS["constraint_message"])
            ),
            required=self._required(row, question_type, where, readonly=readonly),
            relevant=relevant,
            constraint=_Condition(constraint, row.number) if constraint else None,
            calculation=_Condition(calculation, row.number) if calculation else None,
            list_name=list_name,
            appearance=appearance,
            working_groups=self._working_groups(row, where),
            choice_filter=_Condition(choice_filter, row.number) if choice_filter else None,
            default=default,
            readonly=readonly,
            range=kind.range,
            repeats=self._repeats_of(stack),
        )
        container = self._container(stack, row, where)
        container.append(draft)
        if kind.or_other and list_name and not readonly:
            container.append(self._or_other(draft, list_name, where))

    def _or_other(self, question: _QuestionDraft, list_name: str, where: str) -> _QuestionDraft:
        """As pyxform does: the question's list plus an 'other' choice, and a text question
        `<name>_other` shown when 'other' is chosen."""
        question.list_name = f"{list_name}_or_other"
        self.or_other_lists[question.list_name] = list_name
        name = _unique(f"{question.name}_other", self.used_names | set(self.renamed))
        self.used_names.add(name)
        self.warn(
            where,
            ProblemCode.OR_OTHER_ADDED,
            f"'or_other': choice 'other' and question '{name}' added (labels 'Other' and "
            "'Specify other.' as in KoboToolbox, translated for the languages of the survey "
            "pages; check them in the questionnaire file)",
        )
        chosen = _Condition(f"selected(${{{question.name}}}, '{OTHER_CHOICE}')", question.row)
        return dataclasses.replace(
            question,
            name=name,
            type=QuestionType.TEXT,
            label={code: self.translate(code, SPECIFY_OTHER_LABEL) for code in question.label},
            hint={},
            constraint_message={},
            required=False,
            relevant=[*question.relevant, chosen],
            constraint=None,
            calculation=None,
            list_name=None,
            appearance=None,
            choice_filter=None,
            default=None,
            questions=[],
        )

    def _default(self, row: Row, question_type: QuestionType, where: str) -> str | None:
        """The `default` as written, when it can be one: ODK's dynamic defaults (an
        expression such as `today()` or `${other}`) are not evaluated here."""
        written = row.get("default").strip()
        if not written:
            return None
        if not question_type.takes_answer:
            message = f"default '{written}' of a {question_type} dropped"
            self.warn(where, ProblemCode.COLUMN_DROPPED, message)
            return None
        if "${" in written or "(" in written:
            self.warn(
                where,
                ProblemCode.INVALID_DEFAULT,
                f"default '{written}' dropped: a default calculated from an expression is "
                "not supported; the field starts empty",
            )
            return None
        return written

    def _required(
        self, row: Row, question_type: QuestionType, where: str, *, readonly: bool
    ) -> bool | _Condition:
        value = row.get("required").strip()
        if not value or value in NO:
            return False
        if not question_type.takes_answer or readonly:
            what = "read-only question" if readonly else question_type
            self.warn(
                where,
                ProblemCode.NOT_REQUIRABLE,
                f"a {what} cannot be required; 'required' dropped",
            )
            return False
        # Anything but yes/no is an expression: required only while it is true.
        return True if value in YES else _Condition(value, row.number)

    def _working_groups(self, row: Row, where: str) -> tuple[str, ...]:
        groups: list[str] = []
        for group in re.split(r"[\s,;]+", row.get("working_groups").strip()):
            if not group:
                continue
            if group not in self.working_groups:
                self.warn(
                    where,
                    ProblemCode.UNKNOWN_WORKING_GROUP,
                    f"unknown working group '{group}' dropped",
                )
            elif group not in groups:
                groups.append(group)
        return tuple(groups)

    # -- names

    def _question_name(self, written: str, row_number: int, where: str) -> str:
        name = _sanitize(written) or f"q_{row_number}"
        if not written:
            self.warn(where, ProblemCode.NAME_MISSING, f"question without a name; called '{name}'")
        elif name != written:
            self.warn(
                where,
                ProblemCode.RENAMED,
                f"name '{written}' is not allowed here; renamed to '{name}'",
            )
        part = reserved_part(name)
        if part is not None:
            kept = _unreserved(name)
            self.warn(
                where,
                ProblemCode.RESERVED_NAME,
                f"name '{name}' has '{part}', which results use for the questions they "
                f"derive; renamed to '{kept}'",
            )
            name = kept
        unique = _unique(name, self.used_names)
        if unique != name:
            self.warn(
                where,
                ProblemCode.DUPLICATE_NAME,
                f"name '{name}' is used twice; this one is called '{unique}'",
            )
        self.used_names.add(unique)
        if written and written not in self.renamed:
            self.renamed[written] = unique
        return unique

    def _unique_page_name(self, written: str, where: str) -> str:
        taken = {page.name for page in self.pages}
        name = _sanitize(written) or f"page_{len(self.pages) + 1}"
        if written and name != written:
            self.warn(
                where,
                ProblemCode.RENAMED,
                f"group name '{written}' is not allowed here; renamed to '{name}'",
            )
        return _unique(name, taken)

    # -- choices

    def _choice_lists(self, sheet: Sheet | None) -> dict[str, list[dict[str, Any]]]:
        used: dict[str, list[_QuestionDraft]] = {}
        for question in self._drafts():
            if question.list_name:
                used.setdefault(question.list_name, []).append(question)
        wanted = set(used) | set(self.or_other_lists.values())
        filtered = self._filter_columns(used)
        lists: dict[str, list[dict[str, Any]]] = {}
        for row in sheet.rows if sheet else ():
            list_name = row.get("list_name")
            if list_name not in wanted:
                continue
            where = f"{self.choices_title}:{row.number}"
            written = row.get("name")
            if not written:
                self.warn(
                    where,
                    ProblemCode.NAME_MISSING,
                    f"choice without a name in list '{list_name}' ignored",
                )
                continue
            entries = lists.setdefault(list_name, [])
            self.list_rows.setdefault(list_name, row.number)
            renames = self.choice_renames.setdefault(list_name, {})
            if written in renames:
                self.warn(
                    where,
                    ProblemCode.DUPLICATE_CHOICE,
                    f"duplicate choice '{written}' in list '{list_name}' ignored",
                )
                continue
            name = _choice_name(written) or f"c{len(entries) + 1}"
            name = _unique(name, {str(entry["name"]) for entry in entries})
            if name != written:
                self.warn(
                    where,
                    ProblemCode.RENAMED,
                    f"choice name '{written}' is not allowed here; renamed to '{name}'",
                )
            renames[written] = name
            label = self.languages.text(row.texts(("label",)))
            if not any(label.values()):
                label = {self.languages.default: written}
                self.warn(
                    where,
                    ProblemCode.LABEL_MISSING,
                    f"choice '{written}' has no label; its name is used as label",
                )
            self.choice_rows[(list_name, len(entries))] = row.number
            entry: dict[str, Any] = {"name": name, "label": label}
            columns = {
                column: row.cells[(column,)]
                for column in sorted(filtered.get(list_name, ()))
                if row.cells.get((column,))
            }
            if columns:
                entry["columns"] = columns
                self.choice_columns.setdefault(list_name, set()).update(columns)
            entries.append(entry)
        self._follow_renamed_choices(lists)
        for derived, original in self.or_other_lists.items():
            if original in lists:
                lists[derived] = self._with_other(lists[original])
                self.choice_columns[derived] = self.choice_columns.get(original, set())
                self.choice_renames[derived] = self.choice_renames[original]
                self.list_rows[derived] = self.list_rows[original]
                for index in range(len(lists[original])):
                    self.choice_rows[(derived, index)] = self.choice_rows[(original, index)]
        for list_name, questions in used.items():
            if list_name in lists:
                continue
            for question in questions:
                self._drop_question(question, f"choice list '{list_name}' is missing or empty")
        return lists

    def _follow_renamed_choices(self, lists: dict[str, list[dict[str, Any]]]) -> None:
        """A choice column naming a choice of another list (`state: new york`) names it as
        it is called now (`new_york`), so the filter still finds it."""
        renamed = {
            written: name
            for renames in self.choice_renames.values()
            for written, name in renames.items()
            if written != name
        }
        for entries in lists.values():
            for entry in entries:
                if "columns" in entry:
                    entry["columns"] = {
                        column: renamed.get(value, value)
                        for column, value in entry["columns"].items()
                    }

    def _filter_columns(self, used: dict[str, list[_QuestionDraft]]) -> dict[str, set[str]]:
        """The columns of the choices sheet that the choice filters of each list's
        questions name (the others are not kept); filters that do not parse name none
        (they are dropped with a warning later)."""
        wanted: dict[str, set[str]] = {}
        for list_name, questions in used.items():
            original = self.or_other_lists.get(list_name, list_name)
            for question in questions:
                if question.choice_filter is None:
                    continue
                source = self._rewrite(question.choice_filter.source, question)
                try:
                    expression = parse_expression(source, choice_filter=True)
                except ExpressionError:
                    continue
                wanted.setdefault(original, set()).update(expression.columns - {"name"})
        return wanted

    def _keep_read_columns(self, lists: dict[str, list[dict[str, Any]]]) -> None:
        """Drop the choice columns that only a dropped choice filter read: no filter kept
        reads them, and a questionnaire written back to XLSForm would lose them anyway."""
        used: dict[str, list[_QuestionDraft]] = {}
        for question in self._drafts():
            if question.list_name:
                used.setdefault(question.list_name, []).append(question)
        read = self._filter_columns(used)
        for list_name, entries in lists.items():
            kept = read.get(self.or_other_lists.get(list_name, list_name), set())
            for entry in entries:
                columns = {
                    column: value
                    for column, value in entry.pop("columns", {}).items()
                    if column in kept
                }
                if columns:
                    entry["columns"] = columns

    def _with_other(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if any(entry["name"] == OTHER_CHOICE for entry in entries):
            return entries
        languages = sorted({code for entry in entries for code in entry["label"]})
        label = {code: self.translate(code, OTHER_LABEL) for code in languages}
        return [*entries, {"name": OTHER_CHOICE, "label": label}]

    def _drop_question(
        self,
        question: _QuestionDraft,
        reason: str,
        code: ProblemCode = ProblemCode.QUESTION_SKIPPED,
    ) -> None:
        for container in self._containers():
            if any(other is question for other in container):
                container.remove(question)
                break
        self.skipped_rows += 1
        self.skipped[question.name] = reason
        self.used_names.discard(question.name)
        what = "repeat " if question.type is QuestionType.REPEAT else ""
        self.warn(
            f"{self.survey_title}:{question.row}",
            code,
            f"{what}'{question.name}' skipped: {reason}",
        )

    # -- expressions

    def _check_expressions(self) -> None:
        """Drop expressions we cannot evaluate, and then those referring to dropped
        questions, until nothing changes (a dropped calculation drops its question)."""
        while True:
            drafts = self._drafts()
            names = {q.name for q in drafts}
            self._structure = RepeatStructure(
                around={q.name: q.repeats for q in drafts if q.repeats},
                repeats=frozenset(q.name for q in drafts if q.type is QuestionType.REPEAT),
            )
            changed = False
            for question in drafts:
                if question.type is QuestionType.REPEAT and not question.questions:
                    self._drop_question(
                        question, "none of its questions is left", ProblemCode.REPEAT_SKIPPED
                    )
                    changed = True
                    continue
                kept = [
                    c for c in question.relevant if self._usable(c, "relevant", question, names)
                ]
                changed |= len(kept) != len(question.relevant)
                question.relevant = kept
                for kind in ("constraint", "calculation", "repeat_count"):
                    condition = getattr(question, kind)
                    if condition and not self._usable(condition, kind, question, names):
                        setattr(question, kind, None)
                        changed = True
                required = question.required
                usable = not isinstance(required, _Condition) or self._usable(
                    required, "required", question, names
                )
                if not usable:
                    question.required = False
                    changed = True
                choice_filter = question.choice_filter
                if choice_filter and not self._usable_filter(choice_filter, question, names):
                    question.choice_filter = None
                    changed = True
                if question.type is QuestionType.CALCULATE and question.calculation is None:
                    self._drop_question(question, "its calculation was dropped")
                    changed = True
            if not changed:
                return

    def _usable_filter(
        self, condition: _Condition, question: _QuestionDraft, names: set[str]
    ) -> bool:
        """A choice filter is kept when it parses, names existing questions and only
        columns its list's choices have; otherwise all choices are offered, as before."""
        if not self._usable(condition, "choice_filter", question, names):
            return False
        expression = parse_expression(self._rewrite(condition.source, question), choice_filter=True)
        list_name = question.list_name or ""
        missing = sorted(expression.columns - {"name"} - self.choice_columns.get(list_name, set()))
        if missing:
            columns = ", ".join(f"'{column}'" for column in missing)
            self.warn(
                f"{self.survey_title}:{condition.row}",
                ProblemCode.EXPRESSION_DROPPED,
                f"choice_filter '{condition.source}' dropped: no choice of list "
                f"'{list_name}' has a value in column {columns}; all choices are offered",
            )
            return False
        return True

    def _usable(
        self, condition: _Condition, kind: str, question: _QuestionDraft, names: set[str]
    ) -> bool:
        source = self._rewrite(condition.source, question)
        where = f"{self.survey_title}:{condition.row}"
        own = question.name if kind == "constraint" else None
        try:
            expression = parse_expression(
                source,
                current=own,
                choice_filter=kind == "choice_filter",
                repeats=self._structure,
            )
        except ExpressionError as error:
            code, why = _why_unparsable(source, error)
            self.warn(where, code, f"{kind} '{condition.source}' dropped: {why}")
            return False
        missing = sorted(expression.references - names)
        if missing:
            described = ", ".join(
                f"'{name}' (skipped: {self.skipped[name]})"
                if name in self.skipped
                else f"'{name}' (no such question)"
                for name in missing
            )
            self.warn(
                where,
                ProblemCode.EXPRESSION_DROPPED,
                f"{kind} '{condition.source}' dropped: it refers to {described}",
            )
            return False
        outside = self._read_outside_its_repeat(expression.bare_references, question)
        if outside:
            reference, repeat = outside
            self.warn(
                where,
                ProblemCode.EXPRESSION_DROPPED,
                f"{kind} '{condition.source}' dropped: it uses '{reference}' of repeat "
                f"'{repeat}' outside it, where it has one answer per entry; this service "
                f"reads it there only inside {_AGGREGATES}",
            )
            return False
        return True

    def _read_outside_its_repeat(
        self, references: Collection[str], question: _QuestionDraft
    ) -> tuple[str, str] | None:
        """A question of a repeat named bare outside its entries (ODK would take the first
        entry's answer; the questionnaire check refuses it), with its repeat."""
        for reference in sorted(references):
            around = self._structure.around.get(reference, ())
            if reference in self._structure.repeats:
                around = (*around, reference)
            if around and question.repeats[: len(around)] != around:
                return reference, around[-1]
        return None

    def _rewrite(self, source: str, question: _QuestionDraft | None) -> str:
        """The expression with typographic quotes straightened (Excel inserts them) and
        renamed questions and choices written as they are called now."""
        source = cast(str, clean_text_values(source.strip()))
        referenced = {self.renamed.get(name, name) for name in _REFERENCE.findall(source)}
        if question is not None:
            referenced.add(question.name)
        # `../age`: names a relative path can hold are never renamed.
        referenced.update(_RELATIVE_PATH.findall(source))
        choice_renames: dict[str, str] = {}
        for other in self._drafts():
            if other.name in referenced and other.list_name:
                renames = self.choice_renames.get(other.list_name, {})
                choice_renames.update({k: v for k, v in renames.items() if k != v})
        parts: list[str] = []
        for token in _EXPRESSION_TOKEN.findall(source):
            if token.startswith("${"):
                name = token[2:-1].strip()
                token = "${" + self.renamed.get(name, name) + "}"
            elif token[:1] in ("'", '"') and len(token) > 1 and token[1:-1] in choice_renames:
                token = token[0] + choice_renames[token[1:-1]] + token[0]
            parts.append(token)
        return "".join(parts)

    def _expression(self, conditions: list[_Condition], question: _QuestionDraft) -> str | None:
        sources = [self._rewrite(condition.source, question) for condition in conditions]
        if not sources:
            return None
        if len(sources) == 1:
            return sources[0]
        return " and ".join(f"({source})" for source in sources)

    # -- the questionnaire

    def _build(
        self, settings: Row | None, choice_lists: dict[str, list[dict[str, Any]]]
    ) -> XlsformImport:
        pages = [page for page in self.pages if page.questions]
        for page in self.pages:
            if not page.questions and page.from_group and not page.of_repeat:
                where = f"{self.survey_title}:{page.row}"
                self.warn(
                    where,
                    ProblemCode.GROUP_LEFT_OUT,
                    f"group '{page.name}' left out: none of its questions is left",
                )
        if not pages:
            self.problems.append(
                Problem(
                    f"{self.source}:1",
                    "no question could be imported",
                    code=ProblemCode.NOTHING_IMPORTED,
                )
            )
            return self._result(None)
        definition = self._settings(settings)
        definition["choices"] = {
            name: entries
            for name, entries in choice_lists.items()
            if any(q.list_name == name for q in self._drafts())
        }
        definition["pages"] = [
            {
                "name": page.name,
                "title": page.title,
                "questions": [self._question_definition(q) for q in page.questions],
            }
            for page in pages
        ]
        self._drop_impossible_defaults(definition)
        definition["languages"] = self._used_languages(definition)
        _order_texts(definition, definition["languages"])
        # An id is no translation: without a form_title it stands in every language.
        definition.setdefault("title", dict.fromkeys(definition["languages"], definition["id"]))
        locate = self._locator(pages)
        try:
            questionnaire = Questionnaire.model_validate(definition)
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                where = ".".join(str(part) for part in detail["loc"])
                self.problems.append(
                    Problem(
                        locate(tuple(detail["loc"])),
                        f"{where}: {detail['msg']}",
                        code=ProblemCode.SCHEMA,
                    )
                )
            return self._result(None)
        self.problems.extend(
            check_questionnaire(questionnaire, working_groups=self.working_groups, locate=locate)
        )
        return self._result(None if errors_only(self.problems) else questionnaire)

    def _drop_impossible_defaults(self, definition: dict[str, Any]) -> None:
        """A default that is no possible answer (a choice the list lacks, a number outside
        the range) is dropped with a warning, so the form still imports."""
        try:
            # Only the choice lists: what a default is checked against.
            lists = Questionnaire.model_construct(
                id="lists",
                title={},
                languages=(),
                default_language="",
                pages=(),
                choices={
                    name: tuple(Choice.model_validate(entry) for entry in entries)
                    for name, entries in definition["choices"].items()
                },
            )
        except ValidationError:
            return  # the whole questionnaire's validation reports it
        rows = {q.name: q.row for q in self._drafts()}
        for page in definition["pages"]:
            for entry in _with_entry_questions(page["questions"]):
                if "default" not in entry:
                    continue
                try:
                    default_answer(lists, Question.model_validate(entry))
                except ValidationError:
                    continue
                except InvalidDefault:
                    self.warn(
                        f"{self.survey_title}:{rows.get(entry['name'], 1)}",
                        ProblemCode.INVALID_DEFAULT,
                        f"default '{entry['default']}' dropped: it is not a possible answer "
                        f"to this {entry['type']} question; the field starts empty",
                    )
                    del entry["default"]

    def _result(self, questionnaire: Questionnaire | None) -> XlsformImport:
        imported = len(self._drafts()) if questionnaire else 0
        return XlsformImport(
            self.source,
            questionnaire,
            self.problems,
            imported,
            self.skipped_rows,
            self.settings_where,
        )

    def _settings(self, row: Row | None) -> dict[str, Any]:
        where = self.settings_where
        written_id = row.get("form_id") if row else ""
        survey_id = _sanitize(written_id or self.source.stem) or "form"
        if written_id and survey_id != written_id:
            self.warn(
                where,
                ProblemCode.RENAMED,
                f"form_id '{written_id}' is not allowed here; renamed to '{survey_id}'",
            )
        elif not written_id:
            self.warn(
                where,
                ProblemCode.NO_FORM_ID,
                f"no form_id in a settings sheet; the survey id is '{survey_id}'",
            )
        if survey_id == "working_groups":
            survey_id = "working_groups_survey"
            self.warn(
                where,
                ProblemCode.RENAMED,
                f"the id 'working_groups' is reserved; the survey id is '{survey_id}'",
            )
        definition: dict[str, Any] = {"id": survey_id}
        if row and row.get("version"):
            definition["version"] = row.get("version")
        title: Text = {}
        if row:
            title = self.languages.text(row.texts(COLUMNS["translated_title"]))
            title.update(self.languages.text(row.texts(COLUMNS["form_title"])))
        if title:
            definition["title"] = title
        else:
            self.warn(where, ProblemCode.NO_TITLE, "no form_title; the survey id is used as title")
        definition["default_language"] = self.languages.default
        for key in SETTINGS_TEXTS:
            text = self.languages.text(row.texts((key,))) if row else {}
            if text:
                definition[key] = text
        if "privacy_notice" not in definition:
            self.warn(
                where,
                ProblemCode.NO_PRIVACY_NOTICE,
                "no privacy notice: add a privacy_notice (controller, purpose, legal basis, "
                "retention, contact) before publishing",
            )
        if row:
            self._extra_settings(row, definition)
        return definition

    def _extra_settings(self, row: Row, definition: dict[str, Any]) -> None:
        where = self.settings_where
        min_cell = row.get("min_cell")
        if min_cell:
            if min_cell.isdigit() and 1 <= int(min_cell) <= 100:
                definition["min_cell"] = int(min_cell)
            else:
                self.warn(
                    where,
                    ProblemCode.SETTING_IGNORED,
                    f"min_cell '{min_cell}' is not a number from 1 to 100; ignored",
                )
        audience = row.get("audience")
        if audience:
            if audience in ("anonymous", "invitation"):
                definition["audience"] = audience
            else:
                self.warn(
                    where,
                    ProblemCode.SETTING_IGNORED,
                    f"audience '{audience}' is not anonymous or invitation; ignored",
                )
        series = row.get("series")
        if series:
            if _VALID_NAME.match(series) and len(series) <= 100:
                definition["series"] = series
            else:
                self.warn(
                    where,
                    ProblemCode.SETTING_IGNORED,
                    f"series '{series}' is not a name (letters, digits, _ and -); ignored",
                )
        retention = row.get("retention")
        if retention:
            try:
                definition["retention"] = datetime.date.fromisoformat(retention[:10])
            except ValueError:
                self.warn(
                    where,
                    ProblemCode.SETTING_IGNORED,
                    f"retention '{retention}' is not a date (YYYY-MM-DD); ignored",
                )

    def _question_definition(self, question: _QuestionDraft) -> dict[str, Any]:
        definition: dict[str, Any] = {
            "name": question.name,
            "type": question.type.value,
            "label": question.label,
            "hint": question.hint,
            "required": self._expression([question.required], question)
            if isinstance(question.required, _Condition)
            else question.required,
            "relevant": self._expression(question.relevant, question),
            "constraint": self._expression(
                [question.constraint] if question.constraint else [], question
            ),
            "constraint_message": question.constraint_message,
            "calculation": self._expression(
                [question.calculation] if question.calculation else [], question
            ),
            "choices": question.list_name,
            "choice_filter": self._expression(
                [question.choice_filter] if question.choice_filter else [], question
            ),
            "appearance": question.appearance,
            "working_groups": question.working_groups,
            "default": self._default_as_named(question),
            "readonly": question.readonly or None,
            "range": question.range,
            "questions": [self._question_definition(q) for q in question.questions] or None,
            "repeat_count": self._expression(
                [question.repeat_count] if question.repeat_count else [], question
            ),
        }
        return {key: value for key, value in definition.items() if value not in (None, {}, ())}

    def _default_as_named(self, question: _QuestionDraft) -> str | None:
        """A select's default with its choices as they are called now."""
        if question.default is None or not question.list_name:
            return question.default
        renames = self.choice_renames.get(question.list_name, {})
        if question.type is QuestionType.SELECT_ONE:
            return renames.get(question.default, question.default)
        return " ".join(renames.get(name, name) for name in question.default.split())

    def _used_languages(self, definition: dict[str, Any]) -> list[str]:
        used: set[str] = set()

        def collect(value: object) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if key in TEXT_KEYS and isinstance(item, dict):
                        used.update(item)
                    collect(item)
            elif isinstance(value, list):
                for item in value:
                    collect(item)

        collect(definition)
        # Column order, so that export and import keep the order of `languages`; texts in
        # columns without a language (the default language) come first.
        order = list(self.languages.order)
        if self.languages.default not in order:
            order.insert(0, self.languages.default)
        languages = [code for code in order if code in used]
        for code in self.languages.order:
            if code not in used:
                self.warn(
                    "1",
                    ProblemCode.UNUSED_LANGUAGE,
                    f"language '{code}' has no text in the imported questions",
                )
        return languages or [self.languages.default]

    def _locator(self, pages: list[_PageDraft]) -> Callable[[Path], str]:
        survey_rows: dict[Path, int] = {}

        def visit(path: Path, questions: list[_QuestionDraft]) -> None:
            for index, question in enumerate(questions):
                survey_rows[(*path, index)] = question.row
                visit((*path, index, "questions"), question.questions)

        for page_index, page in enumerate(pages):
            visit(("pages", page_index, "questions"), page.questions)

        def locate(path: Path) -> str:
            # The innermost question on the path (a repeat's question, or the repeat).
            for end in range(len(path), 3, -1):
                row = survey_rows.get(path[:end])
                if row:
                    return f"{self.source}:{self.survey_title}:{row}"
            page = path[1] if len(path) >= 2 and path[0] == "pages" else None
            if isinstance(page, int) and page < len(pages):
                return f"{self.source}:{self.survey_title}:{pages[page].row}"
            if len(path) >= 2 and path[0] == "choices":
                list_name = str(path[1])
                row = self.list_rows.get(list_name)
                if len(path) >= 3 and isinstance(path[2], int):
                    row = self.choice_rows.get((list_name, path[2]), row)
                if row:
                    return f"{self.source}:{self.choices_title}:{row}"
            return f"{self.source}:{self.settings_where}"

        return locate


def _order_texts(value: object, languages: list[str]) -> None:
    """Put the languages of every text in the order of `languages` (for people reading)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in TEXT_KEYS and isinstance(item, dict):
                value[key] = {code: item[code] for code in languages if code in item}
            else:
                _order_texts(item, languages)
    elif isinstance(value, list):
        for item in value:
            _order_texts(item, languages)


def _with_entry_questions(questions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Question definitions with those of repeats (nested ones too) after their repeat."""
    for question in questions:
        yield question
        yield from _with_entry_questions(question.get("questions", []))


def _why_unparsable(source: str, error: ExpressionError) -> tuple[ProblemCode, str]:
    """Name the function we lack when there is one; the parser's message otherwise."""
    lacking = (ProblemCode.UNKNOWN_FUNCTION, "uses {}(), which this service cannot evaluate")
    for function in _FUNCTION_CALL.findall(source):
        if function in _OPERATOR_WORDS:
            continue
        try:
            parse_expression(f"{function}()")
        except ExpressionError as probe:
            if probe.message.startswith("unknown function"):
                return lacking[0], lacking[1].format(function)
    return ProblemCode.INVALID_EXPRESSION, error.message


def _choice_name(written: str) -> str:
    """A choice name as written; whitespace (which XForms cannot keep) becomes '_'."""
    return "_".join(re.split(r"[\s\x00-\x1f\x7f]+", written.strip()))[:200]


def _sanitize(written: str) -> str:
    """A name our schema accepts: ASCII letters, digits, `_ . -`, not starting with a digit."""
    if _VALID_NAME.match(written):
        return written
    ascii_name = unicodedata.normalize("NFKD", written).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_name.strip())
    if not name.strip("_"):
        return ""
    return name if _VALID_NAME.match(name) else f"_{name}"


def _unreserved(name: str) -> str:
    """`name` without what results' derived questions are named with (`reserved_part`):
    `sex__in_members` becomes `sex_in_members`, `comment__categories` `comment_categories`."""
    while (part := reserved_part(name)) is not None:
        if part == CATEGORIES_SUFFIX:
            name = name.removesuffix(part) + part[1:]
        else:
            name = name.replace(part, part[1:], 1)
    return name


def _unique(name: str, taken: Collection[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    return candidate


def import_xlsform(
    source: FilePath, *, working_groups: Collection[str], translate: Translate | None = None
) -> XlsformImport:
    """Read an XLSForm (.xlsx or .xls) as a questionnaire; never raises for bad content.

    What a web survey cannot collect (locations, media, metadata, ...) is left out with
    a warning naming the sheet row and why; repeats (`begin_repeat`) become questions of
    type repeat holding their questions. Expressions this service cannot
    evaluate, or that refer to left-out questions, are dropped with a warning. Errors
    (an unreadable file, no survey sheet) leave `questionnaire` None. `translate` gives
    the texts the importer adds (the 'Other' of `or_other`) in the form's languages.
    """
    return _Importer(source, working_groups, translate).run()


def _as_written(_language: str, text: str) -> str:
    return text
