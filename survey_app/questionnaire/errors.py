"""Problems found in a questionnaire file, each pointing at a place a person can open."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProblemCode(StrEnum):
    """What kind of problem: stable names that tests and tools can rely on (messages change)."""

    # reading a file
    UNREADABLE = "unreadable"
    INVALID_YAML = "invalid-yaml"
    SCHEMA = "schema"
    NO_SURVEY_SHEET = "no-survey-sheet"
    NO_TYPE_COLUMN = "no-type-column"
    DUPLICATE_COLUMN = "duplicate-column"
    IGNORED_COLUMN = "ignored-column"
    ROW_WITHOUT_TYPE = "row-without-type"
    UNBALANCED_GROUP = "unbalanced-group"
    LIBRARY_WARNING = "library-warning"
    # languages
    LANGUAGE_WITHOUT_CODE = "language-without-code"
    UNKNOWN_LANGUAGE = "unknown-language"
    UNNAMED_LANGUAGE = "unnamed-language"
    UNUSED_LANGUAGE = "unused-language"
    UNDECLARED_LANGUAGE = "undeclared-language"
    DUPLICATE_LANGUAGE = "duplicate-language"
    MISSING_TRANSLATION = "missing-translation"
    # what an import leaves out or changes
    UNSUPPORTED_TYPE = "unsupported-type"
    REPEAT_SKIPPED = "repeat-skipped"
    QUESTION_SKIPPED = "question-skipped"
    GROUP_LEFT_OUT = "group-left-out"
    NOTHING_IMPORTED = "nothing-imported"
    COLUMN_DROPPED = "column-dropped"
    OR_OTHER_ADDED = "or-other-added"
    TYPE_CHANGED = "type-changed"
    EXPRESSION_DROPPED = "expression-dropped"
    UNKNOWN_FUNCTION = "unknown-function"
    RENAMED = "renamed"
    NAME_MISSING = "name-missing"
    LABEL_MISSING = "label-missing"
    SETTING_IGNORED = "setting-ignored"
    NO_FORM_ID = "no-form-id"
    NO_TITLE = "no-title"
    NO_PRIVACY_NOTICE = "no-privacy-notice"
    # the questionnaire itself
    NO_PAGES = "no-pages"
    EMPTY_PAGE = "empty-page"
    DUPLICATE_NAME = "duplicate-name"
    DUPLICATE_CHOICE = "duplicate-choice"
    CHOICE_LIST_MISSING = "choice-list-missing"
    CHOICES_NOT_ALLOWED = "choices-not-allowed"
    EMPTY_CHOICE_LIST = "empty-choice-list"
    UNUSED_CHOICE_LIST = "unused-choice-list"
    CALCULATION_MISMATCH = "calculation-mismatch"
    NOT_REQUIRABLE = "not-requirable"
    UNKNOWN_WORKING_GROUP = "unknown-working-group"
    INVALID_EXPRESSION = "invalid-expression"
    UNKNOWN_REFERENCE = "unknown-reference"
    UNKNOWN_CHOICE_COLUMN = "unknown-choice-column"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding: `location` is `FILE:LINE` for YAML and `FILE:SHEET:ROW` for XLSForms."""

    location: str
    message: str
    severity: Severity = Severity.ERROR
    code: ProblemCode | None = None

    def __str__(self) -> str:
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{self.location}: {prefix}{self.message}"


def errors_only(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.severity is Severity.ERROR]
