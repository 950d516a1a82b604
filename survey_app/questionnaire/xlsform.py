"""XLSForm in and out: import KoboToolbox/ODK workbooks as questionnaires, export them again.

Reading uses pyxform's own pieces: its workbook readers (`xlsx_to_dict`, `xls_to_dict`: `.xlsx`
and legacy `.xls`, cell types, blank rows kept so row numbers stay right), its header parser
(`process_header`: column aliases such as `list name`, `relevance`, `label:Arabic`,
`bind:jr:constraintMsg`) and its question type dictionary (legacy names such as `string`,
`int`, `select one from`, `trigger`). pyxform's `workbook_to_json` is not used: it stops at the
first problem and loses row numbers, while an import has to keep going, skip what a web survey
cannot collect and say which row it left out and why.

Everything the import drops or changes is reported as a warning at `FILE:SHEET:ROW`; the
result is checked with the same rules as a YAML file, so what comes out passes `check`.
The export writes the sheets a translator knows (`label::German (de)` columns, one per
language) plus the questionnaire fields XLSForm lacks as extra settings columns, so that
export followed by import gives the same questionnaire.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from io import BytesIO
from pathlib import Path as FilePath
from typing import Any, cast

import yaml
from babel import Locale, UnknownLocaleError
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import ValidationError
from pyxform import aliases
from pyxform import constants as pyxform_constants
from pyxform.errors import PyXFormError, PyXFormReadError
from pyxform.parsing.parameters import parse as parse_parameters
from pyxform.parsing.sheet_headers import clean_text_values, process_header
from pyxform.question import MultipleChoiceQuestion, Option
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.survey import Survey
from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL, RE_SELECT, dealias_types
from pyxform.xls2json_backends import xls_to_dict, xlsx_to_dict

from survey_app.questionnaire.errors import Problem, Severity, errors_only
from survey_app.questionnaire.expressions import ExpressionError, parse_expression
from survey_app.questionnaire.schema import NAME_PATTERN, Questionnaire, QuestionType, Text
from survey_app.questionnaire.validation import Path, check_questionnaire

__all__ = [
    "XlsformImport",
    "export_xlsform",
    "import_xlsform",
    "language_column",
    "questionnaire_yaml",
]

UNDETERMINED_LANGUAGE = "und"
"""BCP 47 'undetermined': the language of a form whose columns name none."""

Cells = dict[tuple[str, ...], str]

_VALID_NAME = re.compile(NAME_PATTERN)
_LANGUAGE_WITH_CODE = re.compile(
    r"^(?P<name>.*?)\s*\((?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)\)$"
)
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
# Lexes just enough of an expression to rename `${refs}` and string literals safely.
_EXPRESSION_TOKEN = re.compile(r"""\$\{[^}]*\}|'[^']*'|"[^"]*"|[^$'"]+|.""")
_OPERATOR_WORDS = frozenset({"and", "or", "div", "mod"})
_FUNCTION_CALL = re.compile(r"(?<![\w$.:-])([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*\(")

_YES = frozenset(key for key, value in aliases.yes_no.items() if value)
_NO = frozenset(key for key, value in aliases.yes_no.items() if not value)

# Our names for the columns, keyed by what pyxform's header parser makes of them.
_TRANSLATED_COLUMNS: dict[str, tuple[str, ...]] = {
    "label": ("label",),
    "hint": ("hint",),
    "constraint_message": ("bind", "jr:constraintMsg"),
}
_COLUMNS: dict[str, tuple[str, ...]] = {
    "type": ("type",),
    "name": ("name",),
    "required": ("bind", "required"),
    "relevant": ("bind", "relevant"),
    "constraint": ("bind", "constraint"),
    "calculation": ("bind", "calculate"),
    "readonly": ("bind", "readonly"),
    "appearance": ("control", "appearance"),
    "choice_filter": ("choice_filter",),
    "default": ("default",),
    "parameters": ("parameters",),
    "working_groups": ("working_groups",),
    "list_name": (pyxform_constants.LIST_NAME_S,),
    "form_id": (pyxform_constants.ID_STRING,),
    "form_title": (pyxform_constants.TITLE,),
    "translated_title": ("translated_title",),
    "version": ("version",),
    "default_language": (pyxform_constants.DEFAULT_LANGUAGE_KEY,),
    "min_cell": ("min_cell",),
    "audience": ("audience",),
    "retention": ("retention",),
}
_SETTINGS_TEXTS = ("description", "privacy_notice", "thank_you")
_TEXT_KEYS = frozenset({"title", "label", "hint", "constraint_message", *_SETTINGS_TEXTS})


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

    @property
    def errors(self) -> list[Problem]:
        return errors_only(self.problems)


class _Unreadable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- sheets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    number: int
    cells: Cells

    def get(self, column: str) -> str:
        return self.cells.get(_COLUMNS[column], "")

    def texts(self, prefix: tuple[str, ...]) -> Iterator[tuple[str | None, str]]:
        """(language name or None for a column without one, text) for a translated column."""
        for tokens, value in self.cells.items():
            if tokens[: len(prefix)] != prefix or not value:
                continue
            rest = tokens[len(prefix) :]
            if not rest:
                yield None, value
            elif len(rest) == 1:
                yield rest[0], value

    def has_content(self) -> bool:
        return any(self.cells.values())


@dataclass(frozen=True)
class _Sheet:
    title: str
    columns: tuple[tuple[str, ...], ...]
    rows: tuple[_Row, ...]


def _read_book(source: FilePath) -> dict[str, Any]:
    """The workbook as pyxform reads it: {sheet: [row dicts], sheet_header: [...], ...}."""
    try:
        content = source.read_bytes()
    except OSError as error:
        raise _Unreadable(f"cannot read: {error.strerror or error}") from None
    readers = [xlsx_to_dict, xls_to_dict]
    if source.suffix.lower() == ".xls":
        readers.reverse()
    for reader in readers:
        try:
            return cast(dict[str, Any], reader(BytesIO(content)))
        except PyXFormReadError:
            continue
        except PyXFormError as error:  # e.g. a duplicate column header
            raise _Unreadable(str(error)) from None
        except Exception as error:  # a damaged file may fail anywhere inside xlrd/openpyxl
            raise _Unreadable(f"cannot read the workbook: {error}") from None
    raise _Unreadable("not an Excel workbook (.xlsx or .xls)")


def _read_sheet(
    book: Mapping[str, Any],
    key: str,
    header_aliases: Mapping[str, Any],
    known_columns: Collection[str],
    warn: Callable[[str, str], None],
) -> _Sheet | None:
    if key not in book:
        return None
    header = book.get(f"{key}_header") or [{}]
    headers = [str(name) for name in header[0]]
    double_colon = any("::" in name for name in headers)
    tokens_of: dict[str, tuple[str, ...]] = {}
    seen: set[tuple[str, ...]] = set()
    title = next(
        (str(name) for name in book.get("sheet_names", []) if str(name).lower() == key), key
    )
    for name in headers:
        tokens = cast(
            tuple[str, ...], process_header(name, double_colon, header_aliases, known_columns)[1]
        )
        if tokens in seen:
            warn(f"{title}:1", f"column '{name}' repeats an earlier column and is ignored")
            continue
        seen.add(tokens)
        tokens_of[name] = tokens
    rows = tuple(
        _Row(
            number,
            {tokens_of[name]: str(value) for name, value in row.items() if name in tokens_of},
        )
        for number, row in enumerate(book.get(key) or [], start=2)
    )
    return _Sheet(title, tuple(tokens_of.values()), rows)


# -- languages -----------------------------------------------------------------------------


@cache
def _english_language_names() -> dict[str, str]:
    """'english' -> 'en', 'arabic' -> 'ar': for columns that give only a language's name."""
    codes: dict[str, str] = {}
    for code, name in Locale("en").languages.items():
        key = name.lower()
        if "_" not in code and (key not in codes or len(code) < len(codes[key])):
            codes[key] = code
    return codes


def language_column(code: str) -> str:
    """The XLSForm column suffix for a language code: 'German (de)', as KoboToolbox writes."""
    name: str | None = None
    try:
        locale = Locale.parse(code, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        locale = None
    # Babel maps unknown tags such as 'und' to a default locale; only trust an exact language.
    if locale is not None and locale.language == code.split("-")[0].lower():
        name = locale.get_display_name("en")
    else:
        name = Locale("en").languages.get(code)
    return f"{name} ({code})" if name else code


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


class _Languages:
    """Turns column language names ('Deutsch (de)', 'english', None) into language codes."""

    def __init__(self, warn: Callable[[str, str], None]) -> None:
        self._warn = warn
        self._codes: dict[str, str] = {}
        self.default = UNDETERMINED_LANGUAGE
        self.order: list[str] = []

    def resolve(self, name: str, where: str) -> str:
        if name in self._codes:
            return self._codes[name]
        match = _LANGUAGE_WITH_CODE.match(name.strip())
        if match:
            primary, *rest = match.group("code").replace("_", "-").split("-")
            code = "-".join([primary.lower(), *rest])
        elif name.strip().lower() in _english_language_names():
            code = _english_language_names()[name.strip().lower()]
            self._warn(
                where,
                f"language '{name}' has no code; taken as '{code}' "
                f"(write '{language_column(code)}')",
            )
        else:
            code = _slug(name) or UNDETERMINED_LANGUAGE
            self._warn(
                where,
                f"language '{name}' has no code such as 'German (de)'; it is called '{code}'",
            )
        self._codes[name] = code
        if code not in self.order:
            self.order.append(code)
        return code

    def code(self, name: str | None) -> str:
        return self.default if name is None else self._codes.get(name) or self.resolve(name, "1")

    def text(self, pairs: Iterator[tuple[str | None, str]]) -> Text:
        """A text from a row's translated columns; a column without a language fills in
        the default language only where no column names it (as in pyxform)."""
        found: Text = {}
        plain: str | None = None
        for name, value in pairs:
            if name is None:
                plain = value
            else:
                found.setdefault(self.code(name), value)
        if plain is not None:
            found.setdefault(self.default, plain)
        return found


# -- survey sheet --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    """What a survey-sheet type becomes: a question type, or a reason to skip the row."""

    type: QuestionType | None
    reason: str = ""
    list_name: str | None = None
    warning: str = ""
    constraint: str | None = None


def _skip(reason: str) -> _Kind:
    return _Kind(None, reason)


_BIND_TYPES = {
    "string": QuestionType.TEXT,
    "int": QuestionType.INTEGER,
    "decimal": QuestionType.DECIMAL,
    "date": QuestionType.DATE,
}
_UNSUPPORTED_BIND_TYPES = {
    "geopoint": "a location (geopoint) cannot be collected by a web survey",
    "geotrace": "a location (geotrace) cannot be collected by a web survey",
    "geoshape": "a location (geoshape) cannot be collected by a web survey",
    "barcode": "barcode scanning is not available in a web survey",
    "time": "time answers are not supported (only dates)",
    "dateTime": "date-time answers are not supported (only dates)",
}


def _kind_of(type_text: str, row: _Row) -> _Kind:
    select = RE_SELECT.search(type_text)
    if select:
        command, list_name = select.group("select_command"), select.group("list_name")
        if command in aliases.select_from_file:
            return _skip(f"choices from an external file ('{list_name}') cannot be loaded")
        meaning = aliases.select[command]
        if meaning == pyxform_constants.SELECT_ONE_EXTERNAL:
            return _skip("external choice lists (select_one_external) are not supported")
        if meaning == pyxform_constants.RANK:
            return _skip("ranking questions are not supported")
        question_type = (
            QuestionType.SELECT_ONE
            if meaning == pyxform_constants.SELECT_ONE
            else QuestionType.SELECT_MULTIPLE
        )
        warning = ""
        if select.group("specify_other"):
            warning = "'or_other' dropped: add an 'other' choice and a text question instead"
        return _Kind(question_type, list_name=list_name, warning=warning)
    entry = QUESTION_TYPE_DICT.get(type_text) or QUESTION_TYPE_DICT.get(type_text.lower())
    if entry is None:
        return _skip(f"unknown type '{type_text}'")
    bind: dict[str, str] = entry.get("bind", {})
    control: dict[str, str] = entry.get("control", {})
    tag, bind_type = control.get("tag"), bind.get("type", "")
    if "jr:preload" in bind or type_text == "audit" or tag == "action":
        return _skip(f"metadata ('{type_text}') is recorded by ODK devices, not asked")
    if tag is None:
        if bind_type == "string":
            return _Kind(QuestionType.CALCULATE)
        return _skip(f"'{type_text}' (external data) is not supported")
    if tag == "trigger":
        return _skip("acknowledge/trigger questions are not supported")
    if tag == "upload":
        kind = control.get("mediatype", "file").split("/")[0]
        return _skip(f"file uploads ({kind}) are not supported")
    if tag == "odk:rank":
        return _skip("ranking questions are not supported")
    if tag == "range":
        return _range_kind(row, cast(dict[str, str], entry.get("parameters", {})))
    if bind_type in _UNSUPPORTED_BIND_TYPES:
        return _skip(_UNSUPPORTED_BIND_TYPES[bind_type])
    if bind.get("readonly") == "true()":
        return _Kind(QuestionType.NOTE)
    if bind_type not in _BIND_TYPES:
        return _skip(f"type '{type_text}' is not supported")
    return _Kind(_BIND_TYPES[bind_type], constraint=bind.get("constraint"))


def _range_kind(row: _Row, defaults: Mapping[str, str]) -> _Kind:
    try:
        parameters = {**defaults, **parse_parameters(row.get("parameters"), row.number)}
        start, end = Decimal(parameters["start"]), Decimal(parameters["end"])
        step = Decimal(parameters["step"])
    except (PyXFormError, InvalidOperation, KeyError):
        return _skip("a range with unreadable parameters")
    whole = all(value == value.to_integral_value() for value in (start, end, step))
    low, high = sorted((start, end))
    return _Kind(
        QuestionType.INTEGER if whole else QuestionType.DECIMAL,
        constraint=f". >= {low} and . <= {high}",
        warning=f"range shown as a number field from {low} to {high}",
    )


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
    required: bool
    relevant: list[_Condition]
    constraint: _Condition | None
    calculation: _Condition | None
    list_name: str | None
    appearance: str | None
    working_groups: tuple[str, ...]


@dataclass
class _PageDraft:
    name: str
    title: Text
    row: int
    from_group: bool
    questions: list[_QuestionDraft] = field(default_factory=list)


@dataclass
class _Group:
    is_repeat: bool
    name: str
    row: int
    relevant: _Condition | None
    skipped_questions: int = 0


# -- the importer --------------------------------------------------------------------------


class _Importer:
    def __init__(self, source: FilePath, working_groups: Collection[str]) -> None:
        self.source = source
        self.working_groups = working_groups
        self.problems: list[Problem] = []
        self._reported: set[tuple[str, str]] = set()
        self.languages = _Languages(self.warn)
        self.pages: list[_PageDraft] = []
        self.skipped: dict[str, str] = {}  # question name as written -> why
        self.skipped_rows = 0
        self.renamed: dict[str, str] = {}  # question name as written -> name used
        self.used_names: set[str] = set()
        self.choice_renames: dict[str, dict[str, str]] = {}  # list -> written -> used
        self.choice_rows: dict[tuple[str, int], int] = {}
        self.list_rows: dict[str, int] = {}
        self.survey_title = pyxform_constants.SURVEY
        self.choices_title = pyxform_constants.CHOICES
        self.settings_where = "1"

    # -- reporting

    def warn(self, where: str, message: str) -> None:
        """A warning at `SHEET:ROW` of the file (`1` for the file as a whole)."""
        location = f"{self.source}:{where}"
        if (location, message) not in self._reported:
            self._reported.add((location, message))
            self.problems.append(Problem(location, message, Severity.WARNING))

    # -- the whole import

    def run(self) -> XlsformImport:
        try:
            book = _read_book(self.source)
        except _Unreadable as error:
            return self._failed(error.message)
        survey = _read_sheet(
            book,
            pyxform_constants.SURVEY,
            aliases.survey_header,
            set(MultipleChoiceQuestion.get_slot_names()),
            self.warn,
        )
        if survey is None:
            names = ", ".join(str(name) for name in book.get("sheet_names", [])) or "none"
            return self._failed(f"no 'survey' sheet (sheets: {names})")
        if ("type",) not in survey.columns:
            return self._failed(f"the '{survey.title}' sheet has no 'type' column")
        self.survey_title = survey.title
        choices = _read_sheet(
            book,
            pyxform_constants.CHOICES,
            aliases.list_header,
            set(Option.get_slot_names()),
            self.warn,
        )
        settings = _read_sheet(
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
        return self._build(settings_row, choice_lists)

    def _failed(self, message: str) -> XlsformImport:
        self.problems.append(Problem(f"{self.source}:1", message))
        return XlsformImport(self.source, None, self.problems)

    # -- languages

    def _resolve_languages(
        self, survey: _Sheet, choices: _Sheet | None, settings: _Sheet | None, declared: str
    ) -> None:
        """Codes for every language column, in column order, and the default language."""
        settings_texts = [
            _COLUMNS["form_title"],
            _COLUMNS["translated_title"],
            *((name,) for name in _SETTINGS_TEXTS),
        ]
        sheets = (
            (survey, list(_TRANSLATED_COLUMNS.values())),
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
                    "columns without a language (such as 'label' or 'hint') are taken as "
                    f"'{self.languages.default}'; set default_language in the settings sheet "
                    "to choose another",
                )
        elif has_plain:
            self.warn(
                f"{survey.title}:1",
                f"the form names no language; its texts are stored as '{UNDETERMINED_LANGUAGE}' "
                "(undetermined): rename the columns, e.g. 'label::English (en)', and import "
                "again",
            )

    # -- the survey sheet

    def _walk_survey(self, sheet: _Sheet) -> None:
        """Top-level groups become pages; nested groups are flattened into their page,
        their `relevant` added to each question's; repeats are left out whole."""
        stack: list[_Group] = []
        if any(tokens[0] == "media" for tokens in sheet.columns):
            self.warn(f"{sheet.title}:1", "media columns (image, audio, video) are ignored")
        for row in sheet.rows:
            where = f"{sheet.title}:{row.number}"
            type_text = " ".join(row.get("type").split())
            if not type_text:
                if row.has_content():
                    self.warn(where, "row without a type ignored")
                continue
            type_text = cast(str, dealias_types([{"type": type_text}])[0]["type"])
            begin = RE_BEGIN_CONTROL.search(type_text)
            repeat = next((group for group in stack if group.is_repeat), None)
            if begin:
                self._begin(stack, row, where, aliases.control[begin.group("type")])
            elif RE_END_CONTROL.search(type_text):
                self._end(stack, where)
            elif repeat is not None:
                repeat.skipped_questions += 1
                self._record_skip(row, f"it is inside repeat '{repeat.name}'")
            else:
                self._question(stack, row, where, type_text)
        for group in reversed(stack):
            self.warn(f"{sheet.title}:{group.row}", f"group '{group.name}' is never closed")
            if group.is_repeat and not any(other.is_repeat for other in stack[:-1]):
                self._repeat_warning(group)
            stack.pop()

    def _begin(self, stack: list[_Group], row: _Row, where: str, control: str) -> None:
        name = row.get("name") or f"group_{row.number}"
        relevant = row.get("relevant")
        condition = _Condition(relevant, row.number) if relevant else None
        is_repeat = control != pyxform_constants.GROUP
        if not stack and not is_repeat:
            page_name = self._unique_page_name(name, where)
            title = self.languages.text(row.texts(("label",)))
            self.pages.append(_PageDraft(page_name, title, row.number, from_group=True))
        stack.append(_Group(is_repeat, name, row.number, condition))

    def _end(self, stack: list[_Group], where: str) -> None:
        if not stack:
            self.warn(where, "end of a group that was never begun; ignored")
            return
        group = stack.pop()
        if group.is_repeat and not any(other.is_repeat for other in stack):
            self._repeat_warning(group)

    def _repeat_warning(self, group: _Group) -> None:
        self.warn(
            f"{self.survey_title}:{group.row}",
            f"repeat '{group.name}' skipped with its {group.skipped_questions} question row(s): "
            "repeated questions are not supported",
        )

    def _page_for(self, stack: list[_Group], row: _Row, where: str) -> _PageDraft:
        """The open group's page, or a page for questions outside any group."""
        if stack or (self.pages and not self.pages[-1].from_group):
            return self.pages[-1]
        page = _PageDraft(self._unique_page_name("", where), {}, row.number, from_group=False)
        self.pages.append(page)
        return page

    def _record_skip(self, row: _Row, reason: str) -> None:
        self.skipped_rows += 1
        name = row.get("name")
        if name:
            self.skipped[name] = reason

    def _question(self, stack: list[_Group], row: _Row, where: str, type_text: str) -> None:
        kind = _kind_of(type_text, row)
        written_name = row.get("name")
        if kind.type is None:
            self._record_skip(row, kind.reason)
            self.warn(where, f"'{written_name or type_text}' skipped: {kind.reason}")
            return
        if kind.warning:
            self.warn(where, kind.warning)
        question_type = kind.type
        readonly = row.get("readonly")
        if readonly and readonly in _YES and question_type.takes_answer:
            self.warn(where, "a read-only question is shown as a note")
            question_type = QuestionType.NOTE
        label = self.languages.text(row.texts(("label",)))
        calculation = row.get("calculation")
        unusable = ""
        if question_type is QuestionType.NOTE and not any(label.values()):
            unusable = "a note without text"
        elif question_type is QuestionType.CALCULATE and not calculation:
            unusable = "a calculate question without calculation"
        if unusable:
            self._record_skip(row, unusable)
            self.warn(where, f"'{written_name}' skipped: {unusable}")
            return
        name = self._question_name(written_name, row.number, where)
        if question_type is not QuestionType.CALCULATE and not any(label.values()):
            label = {self.languages.default: name}
            self.warn(where, f"'{name}' has no label; its name is used as label")
        relevant = [group.relevant for group in stack if group.relevant is not None]
        if row.get("relevant"):
            relevant.append(_Condition(row.get("relevant"), row.number))
        constraint = row.get("constraint") or kind.constraint
        if calculation and question_type is not QuestionType.CALCULATE:
            self.warn(where, "calculation dropped: only calculate questions compute values")
            calculation = ""
        if row.get("default"):
            self.warn(where, f"default '{row.get('default')}' ignored: answers start empty")
        if row.get("choice_filter"):
            message = f"choice_filter '{row.get('choice_filter')}' ignored: all choices are offered"
            self.warn(where, message)
        appearance = row.get("appearance") or None
        if appearance and appearance.startswith("ex:"):
            self.warn(where, f"appearance '{appearance}' (an external app) dropped")
            appearance = None
        draft = _QuestionDraft(
            row=row.number,
            name=name,
            type=question_type,
            label=label,
            hint=self.languages.text(row.texts(("hint",))),
            constraint_message=self.languages.text(
                row.texts(_TRANSLATED_COLUMNS["constraint_message"])
            ),
            required=self._required(row, question_type, where),
            relevant=relevant,
            constraint=_Condition(constraint, row.number) if constraint else None,
            calculation=_Condition(calculation, row.number) if calculation else None,
            list_name=kind.list_name,
            appearance=appearance,
            working_groups=self._working_groups(row, where),
        )
        self._page_for(stack, row, where).questions.append(draft)

    def _required(self, row: _Row, question_type: QuestionType, where: str) -> bool:
        value = row.get("required").strip()
        if not value or value in _NO:
            return False
        if value not in _YES:
            self.warn(where, f"required only when '{value}' is not supported; it is optional")
            return False
        if not question_type.takes_answer:
            self.warn(where, f"a {question_type} cannot be required; 'required' dropped")
            return False
        return True

    def _working_groups(self, row: _Row, where: str) -> tuple[str, ...]:
        groups: list[str] = []
        for group in re.split(r"[\s,;]+", row.get("working_groups").strip()):
            if not group:
                continue
            if group not in self.working_groups:
                self.warn(where, f"unknown working group '{group}' dropped")
            elif group not in groups:
                groups.append(group)
        return tuple(groups)

    # -- names

    def _question_name(self, written: str, row_number: int, where: str) -> str:
        name = _sanitize(written) or f"q_{row_number}"
        if not written:
            self.warn(where, f"question without a name; called '{name}'")
        elif name != written:
            self.warn(where, f"name '{written}' is not allowed here; renamed to '{name}'")
        unique = _unique(name, self.used_names)
        if unique != name:
            self.warn(where, f"name '{name}' is used twice; this one is called '{unique}'")
        self.used_names.add(unique)
        if written and written not in self.renamed:
            self.renamed[written] = unique
        return unique

    def _unique_page_name(self, written: str, where: str) -> str:
        taken = {page.name for page in self.pages}
        name = _sanitize(written) or f"page_{len(self.pages) + 1}"
        if written and name != written:
            self.warn(where, f"group name '{written}' is not allowed here; renamed to '{name}'")
        return _unique(name, taken)

    # -- choices

    def _choice_lists(self, sheet: _Sheet | None) -> dict[str, list[dict[str, Any]]]:
        used: dict[str, list[_QuestionDraft]] = {}
        for page in self.pages:
            for question in page.questions:
                if question.list_name:
                    used.setdefault(question.list_name, []).append(question)
        lists: dict[str, list[dict[str, Any]]] = {}
        for row in sheet.rows if sheet else ():
            list_name = row.get("list_name")
            if list_name not in used:
                continue
            where = f"{self.choices_title}:{row.number}"
            written = row.get("name")
            if not written:
                self.warn(where, f"choice without a name in list '{list_name}' ignored")
                continue
            entries = lists.setdefault(list_name, [])
            self.list_rows.setdefault(list_name, row.number)
            renames = self.choice_renames.setdefault(list_name, {})
            if written in renames:
                self.warn(where, f"duplicate choice '{written}' in list '{list_name}' ignored")
                continue
            name = _sanitize(written) or f"c{len(entries) + 1}"
            name = _unique(name, {str(entry["name"]) for entry in entries})
            if name != written:
                self.warn(
                    where, f"choice name '{written}' is not allowed here; renamed to '{name}'"
                )
            renames[written] = name
            label = self.languages.text(row.texts(("label",)))
            if not any(label.values()):
                label = {self.languages.default: written}
                self.warn(where, f"choice '{written}' has no label; its name is used as label")
            self.choice_rows[(list_name, len(entries))] = row.number
            entries.append({"name": name, "label": label})
        for list_name, questions in used.items():
            if list_name in lists:
                continue
            for question in questions:
                self._drop_question(question, f"choice list '{list_name}' is missing or empty")
        return lists

    def _drop_question(self, question: _QuestionDraft, reason: str) -> None:
        for page in self.pages:
            if question in page.questions:
                page.questions.remove(question)
        self.skipped_rows += 1
        self.skipped[question.name] = reason
        self.used_names.discard(question.name)
        self.warn(f"{self.survey_title}:{question.row}", f"'{question.name}' skipped: {reason}")

    # -- expressions

    def _check_expressions(self) -> None:
        """Drop expressions we cannot evaluate, and then those referring to dropped
        questions, until nothing changes (a dropped calculation drops its question)."""
        while True:
            names = {q.name for page in self.pages for q in page.questions}
            changed = False
            for question in [q for page in self.pages for q in page.questions]:
                kept = [
                    c for c in question.relevant if self._usable(c, "relevant", question, names)
                ]
                changed |= len(kept) != len(question.relevant)
                question.relevant = kept
                for kind in ("constraint", "calculation"):
                    condition = getattr(question, kind)
                    if condition and not self._usable(condition, kind, question, names):
                        setattr(question, kind, None)
                        changed = True
                if question.type is QuestionType.CALCULATE and question.calculation is None:
                    self._drop_question(question, "its calculation was dropped")
                    changed = True
            if not changed:
                return

    def _usable(
        self, condition: _Condition, kind: str, question: _QuestionDraft, names: set[str]
    ) -> bool:
        source = self._rewrite(condition.source, question)
        where = f"{self.survey_title}:{condition.row}"
        own = question.name if kind == "constraint" else None
        try:
            expression = parse_expression(source, current=own)
        except ExpressionError as error:
            self.warn(
                where, f"{kind} '{condition.source}' dropped: {_why_unparsable(source, error)}"
            )
            return False
        missing = sorted(expression.references - names)
        if missing:
            described = ", ".join(
                f"'{name}' (skipped: {self.skipped[name]})"
                if name in self.skipped
                else f"'{name}' (no such question)"
                for name in missing
            )
            self.warn(where, f"{kind} '{condition.source}' dropped: it refers to {described}")
            return False
        return True

    def _rewrite(self, source: str, question: _QuestionDraft | None) -> str:
        """The expression with typographic quotes straightened (Excel inserts them) and
        renamed questions and choices written as they are called now."""
        source = cast(str, clean_text_values(source.strip()))
        referenced = {self.renamed.get(name, name) for name in _REFERENCE.findall(source)}
        if question is not None:
            referenced.add(question.name)
        choice_renames: dict[str, str] = {}
        for page in self.pages:
            for other in page.questions:
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
        self, settings: _Row | None, choice_lists: dict[str, list[dict[str, Any]]]
    ) -> XlsformImport:
        pages = [page for page in self.pages if page.questions]
        for page in self.pages:
            if not page.questions and page.from_group:
                where = f"{self.survey_title}:{page.row}"
                self.warn(where, f"group '{page.name}' left out: none of its questions is left")
        if not pages:
            self.problems.append(Problem(f"{self.source}:1", "no question could be imported"))
            return self._result(None)
        definition = self._settings(settings)
        definition["choices"] = {
            name: entries
            for name, entries in choice_lists.items()
            if any(q.list_name == name for page in pages for q in page.questions)
        }
        definition["pages"] = [
            {
                "name": page.name,
                "title": page.title,
                "questions": [self._question_definition(q) for q in page.questions],
            }
            for page in pages
        ]
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
                    Problem(locate(tuple(detail["loc"])), f"{where}: {detail['msg']}")
                )
            return self._result(None)
        self.problems.extend(
            check_questionnaire(questionnaire, working_groups=self.working_groups, locate=locate)
        )
        return self._result(None if errors_only(self.problems) else questionnaire)

    def _result(self, questionnaire: Questionnaire | None) -> XlsformImport:
        imported = sum(len(page.questions) for page in self.pages) if questionnaire else 0
        return XlsformImport(self.source, questionnaire, self.problems, imported, self.skipped_rows)

    def _settings(self, row: _Row | None) -> dict[str, Any]:
        where = self.settings_where
        written_id = row.get("form_id") if row else ""
        survey_id = _sanitize(written_id or self.source.stem) or "form"
        if written_id and survey_id != written_id:
            self.warn(
                where, f"form_id '{written_id}' is not allowed here; renamed to '{survey_id}'"
            )
        elif not written_id:
            self.warn(where, f"no form_id in a settings sheet; the survey id is '{survey_id}'")
        if survey_id == "working_groups":
            survey_id = "working_groups_survey"
            self.warn(where, f"the id 'working_groups' is reserved; the survey id is '{survey_id}'")
        definition: dict[str, Any] = {"id": survey_id}
        if row and row.get("version"):
            definition["version"] = row.get("version")
        title: Text = {}
        if row:
            title = self.languages.text(row.texts(_COLUMNS["translated_title"]))
            title.update(self.languages.text(row.texts(_COLUMNS["form_title"])))
        if title:
            definition["title"] = title
        else:
            self.warn(where, "no form_title; the survey id is used as title")
        definition["default_language"] = self.languages.default
        for key in _SETTINGS_TEXTS:
            text = self.languages.text(row.texts((key,))) if row else {}
            if text:
                definition[key] = text
        if "privacy_notice" not in definition:
            self.warn(
                where,
                "no privacy notice: add a privacy_notice (controller, purpose, legal basis, "
                "retention, contact) before publishing",
            )
        if row:
            self._extra_settings(row, definition)
        return definition

    def _extra_settings(self, row: _Row, definition: dict[str, Any]) -> None:
        where = self.settings_where
        min_cell = row.get("min_cell")
        if min_cell:
            if min_cell.isdigit() and 1 <= int(min_cell) <= 100:
                definition["min_cell"] = int(min_cell)
            else:
                self.warn(where, f"min_cell '{min_cell}' is not a number from 1 to 100; ignored")
        audience = row.get("audience")
        if audience:
            if audience in ("anonymous", "invitation"):
                definition["audience"] = audience
            else:
                self.warn(where, f"audience '{audience}' is not anonymous or invitation; ignored")
        retention = row.get("retention")
        if retention:
            try:
                definition["retention"] = datetime.date.fromisoformat(retention[:10])
            except ValueError:
                self.warn(where, f"retention '{retention}' is not a date (YYYY-MM-DD); ignored")

    def _question_definition(self, question: _QuestionDraft) -> dict[str, Any]:
        definition: dict[str, Any] = {
            "name": question.name,
            "type": question.type.value,
            "label": question.label,
            "hint": question.hint,
            "required": question.required,
            "relevant": self._expression(question.relevant, question),
            "constraint": self._expression(
                [question.constraint] if question.constraint else [], question
            ),
            "constraint_message": question.constraint_message,
            "calculation": self._expression(
                [question.calculation] if question.calculation else [], question
            ),
            "choices": question.list_name,
            "appearance": question.appearance,
            "working_groups": question.working_groups,
        }
        return {key: value for key, value in definition.items() if value not in (None, {}, ())}

    def _used_languages(self, definition: dict[str, Any]) -> list[str]:
        used: set[str] = set()

        def collect(value: object) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if key in _TEXT_KEYS and isinstance(item, dict):
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
                self.warn("1", f"language '{code}' has no text in the imported questions")
        return languages or [self.languages.default]

    def _locator(self, pages: list[_PageDraft]) -> Callable[[Path], str]:
        survey_rows = {
            (page_index, question_index): question.row
            for page_index, page in enumerate(pages)
            for question_index, question in enumerate(page.questions)
        }

        def locate(path: Path) -> str:
            if len(path) >= 4 and path[0] == "pages" and path[2] == "questions":
                row = survey_rows.get((cast(int, path[1]), cast(int, path[3])))
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
            if key in _TEXT_KEYS and isinstance(item, dict):
                value[key] = {code: item[code] for code in languages if code in item}
            else:
                _order_texts(item, languages)
    elif isinstance(value, list):
        for item in value:
            _order_texts(item, languages)


def _why_unparsable(source: str, error: ExpressionError) -> str:
    """Name the function we lack when there is one; the parser's message otherwise."""
    for function in _FUNCTION_CALL.findall(source):
        if function in _OPERATOR_WORDS:
            continue
        if ":" in function:
            return f"uses {function}(), which this service cannot evaluate"
        try:
            parse_expression(f"{function}()")
        except ExpressionError as probe:
            if probe.message.startswith("unknown function"):
                return f"uses {function}(), which this service cannot evaluate"
    return error.message


def _sanitize(written: str) -> str:
    """A name our schema accepts: ASCII letters, digits, `_ . -`, not starting with a digit."""
    if _VALID_NAME.match(written):
        return written
    ascii_name = unicodedata.normalize("NFKD", written).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_name.strip())
    if not name.strip("_"):
        return ""
    return name if _VALID_NAME.match(name) else f"_{name}"


def _unique(name: str, taken: Collection[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    return candidate


def import_xlsform(source: FilePath, *, working_groups: Collection[str]) -> XlsformImport:
    """Read an XLSForm (.xlsx or .xls) as a questionnaire; never raises for bad content.

    What a web survey cannot collect (locations, media, metadata, repeats, ...) is left
    out with a warning naming the sheet row and why; expressions this service cannot
    evaluate, or that refer to left-out questions, are dropped with a warning. Errors
    (an unreadable file, no survey sheet) leave `questionnaire` None.
    """
    return _Importer(source, working_groups).run()


# -- YAML ------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists; texts with line breaks as `|` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)

# Shown even at their defaults, because people deciding on a survey look for them.
_ALWAYS_WRITTEN = ("version", "min_cell", "audience")


def questionnaire_yaml(questionnaire: Questionnaire, *, comment: str = "") -> str:
    """The questionnaire as a YAML file in the format of questionnaires/README.md."""
    definition = questionnaire.to_definition()
    full = questionnaire.model_dump(mode="json")
    ordered = {
        key: definition[key] if key in definition else full[key]
        for key in Questionnaire.model_fields
        if key in definition or key in _ALWAYS_WRITTEN
    }
    if questionnaire.retention:
        ordered["retention"] = questionnaire.retention  # written as a date, not a string
    text = yaml.dump(
        ordered,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=10_000,
    )
    header = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    return header + text


# -- export ----------------------------------------------------------------------------------


def export_xlsform(questionnaire: Questionnaire) -> Workbook:
    """The questionnaire as an XLSForm workbook (sheets survey, choices, settings).

    Every text has one `column::Language (code)` column per language, so a translator can
    fill a column (or add one for a new language) and import the file again.
    """
    languages = {code: language_column(code) for code in questionnaire.languages}
    workbook = Workbook()
    survey = cast(Worksheet, workbook.active)
    survey.title = pyxform_constants.SURVEY
    translated = {
        column: [f"{column}::{name}" for name in languages.values()]
        for column in ("label", "hint", "constraint_message")
    }
    columns = [
        "type",
        "name",
        *translated["label"],
        *translated["hint"],
        "required",
        "relevant",
        "constraint",
        *translated["constraint_message"],
        "calculation",
        "appearance",
        "working_groups",
    ]

    def texts(column: str, text: Text) -> dict[str, str]:
        return {f"{column}::{name}": text.get(code, "") for code, name in languages.items()}

    rows: list[dict[str, str]] = []
    for page in questionnaire.pages:
        rows.append({"type": "begin_group", "name": page.name, **texts("label", page.title)})
        for question in page.questions:
            type_text = question.type.value
            if question.type.is_select:
                type_text = f"{type_text} {question.choices}"
            rows.append(
                {
                    "type": type_text,
                    "name": question.name,
                    **texts("label", question.label),
                    **texts("hint", question.hint),
                    "required": "yes" if question.required else "",
                    "relevant": question.relevant or "",
                    "constraint": question.constraint or "",
                    **texts("constraint_message", question.constraint_message),
                    "calculation": question.calculation or "",
                    "appearance": question.appearance or "",
                    "working_groups": " ".join(question.working_groups),
                }
            )
        rows.append({"type": "end_group", "name": page.name})
    _write_sheet(survey, columns, rows)

    choices = workbook.create_sheet(pyxform_constants.CHOICES)
    choice_rows = [
        {"list_name": list_name, "name": choice.name, **texts("label", choice.label)}
        for list_name, entries in questionnaire.choices.items()
        for choice in entries
    ]
    _write_sheet(choices, ["list_name", "name", *translated["label"]], choice_rows)

    settings = workbook.create_sheet(pyxform_constants.SETTINGS)
    default = questionnaire.default_language
    setting: dict[str, str] = {
        "form_id": questionnaire.id,
        "version": questionnaire.version,
        "form_title": questionnaire.title.get(default, ""),
        "default_language": languages[default],
    }
    for code, name in languages.items():
        if code != default:
            # Not `form_title::...`: pyxform (KoboToolbox, ODK) wants one plain form_title.
            setting[f"translated_title::{name}"] = questionnaire.title.get(code, "")
    setting["min_cell"] = str(questionnaire.min_cell)
    setting["audience"] = questionnaire.audience
    if questionnaire.retention:
        setting["retention"] = questionnaire.retention.isoformat()
    for key in _SETTINGS_TEXTS:
        text: Text = getattr(questionnaire, key)
        if text:
            setting.update(texts(key, text))
    _write_sheet(settings, list(setting), [setting])
    return workbook


def _write_sheet(sheet: Worksheet, columns: list[str], rows: list[dict[str, str]]) -> None:
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell_text(row.get(column, "")) for column in columns])
    # Text starting with '=' would otherwise be stored as a formula.
    for sheet_row in sheet.iter_rows(min_row=2):
        for cell in sheet_row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = min(60, max(12, len(column) + 2))


def _cell_text(value: str) -> str | None:
    # Control characters cannot be stored in a workbook; nobody means them in a text.
    return ILLEGAL_CHARACTERS_RE.sub("", value) or None
