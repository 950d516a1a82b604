"""Problems found in a questionnaire file, each pointing at a place a person can open."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from survey_app.i18n import S_


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
    RESERVED_NAME = "reserved-name"
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
    INVALID_DEFAULT = "invalid-default"
    INVALID_RANGE = "invalid-range"
    # repeats (rosters)
    REPEAT_FIELD = "repeat-field"
    EMPTY_REPEAT = "empty-repeat"
    REPEAT_REFERENCE = "repeat-reference"


#: Each kind of problem in plain words for the office's check report. The message beside
#: it names the questions, columns and values from the file, in the language the checks
#: and `survey-app check` write (English); this sentence is what is translated.
EXPLANATIONS: Mapping[ProblemCode, str] = {
    ProblemCode.UNREADABLE: S_("The file cannot be read."),
    ProblemCode.INVALID_YAML: S_("The YAML file is not well-formed."),
    ProblemCode.SCHEMA: S_("A field of the questionnaire is missing or has a wrong value."),
    ProblemCode.NO_SURVEY_SHEET: S_("The workbook has no “survey” sheet."),
    ProblemCode.NO_TYPE_COLUMN: S_("The “survey” sheet has no “type” column."),
    ProblemCode.DUPLICATE_COLUMN: S_("A column appears twice; only the first is read."),
    ProblemCode.IGNORED_COLUMN: S_("A column this platform does not use was ignored."),
    ProblemCode.ROW_WITHOUT_TYPE: S_("A row without a type was ignored."),
    ProblemCode.UNBALANCED_GROUP: S_("A group or repeat is not closed, or closed twice."),
    ProblemCode.LIBRARY_WARNING: S_("The XLSForm reader (pyxform) warns about this."),
    ProblemCode.LANGUAGE_WITHOUT_CODE: S_(
        "A language column has no language code, e.g. “label::Deutsch (de)”."
    ),
    ProblemCode.UNKNOWN_LANGUAGE: S_("A language is not known."),
    ProblemCode.UNNAMED_LANGUAGE: S_("A language has no name to show respondents."),
    ProblemCode.UNUSED_LANGUAGE: S_("A declared language has no texts."),
    ProblemCode.UNDECLARED_LANGUAGE: S_("Texts are in a language the questionnaire does not list."),
    ProblemCode.DUPLICATE_LANGUAGE: S_("The same language appears under two names."),
    ProblemCode.MISSING_TRANSLATION: S_(
        "Texts are missing in a language; respondents see the default language there."
    ),
    ProblemCode.UNSUPPORTED_TYPE: S_("This type of question is not supported; it was left out."),
    ProblemCode.REPEAT_SKIPPED: S_(
        "A repeated section was left out (a loop over a choice list, or a repeat with no "
        "question left)."
    ),
    ProblemCode.QUESTION_SKIPPED: S_("This question was left out."),
    ProblemCode.GROUP_LEFT_OUT: S_("This group was left out."),
    ProblemCode.NOTHING_IMPORTED: S_("Nothing of the form could be imported."),
    ProblemCode.COLUMN_DROPPED: S_("A column of this row was not taken over."),
    ProblemCode.OR_OTHER_ADDED: S_(
        "An “Other” choice with a text question for the details was added."
    ),
    ProblemCode.TYPE_CHANGED: S_("The question is shown as another type."),
    ProblemCode.EXPRESSION_DROPPED: S_("A condition or calculation was not taken over."),
    ProblemCode.UNKNOWN_FUNCTION: S_("An expression uses a function this platform does not know."),
    ProblemCode.RENAMED: S_("A name was changed to make it valid or unique."),
    ProblemCode.NAME_MISSING: S_("A name is missing."),
    ProblemCode.LABEL_MISSING: S_("A question has no label; its name is shown instead."),
    ProblemCode.SETTING_IGNORED: S_("A setting was ignored."),
    ProblemCode.NO_FORM_ID: S_("The form has no id; one was made from the file name."),
    ProblemCode.NO_TITLE: S_("The questionnaire has no title."),
    ProblemCode.NO_PRIVACY_NOTICE: S_("The questionnaire has no privacy notice."),
    ProblemCode.NO_PAGES: S_("The questionnaire has no pages."),
    ProblemCode.EMPTY_PAGE: S_("A page has no questions."),
    ProblemCode.DUPLICATE_NAME: S_("A name is used twice."),
    ProblemCode.RESERVED_NAME: S_(
        "A question's name contains “__in_” or ends in “__categories”: results name the "
        "questions they derive so."
    ),
    ProblemCode.DUPLICATE_CHOICE: S_("A choice appears twice in its list."),
    ProblemCode.CHOICE_LIST_MISSING: S_(
        "A select question names a choice list that does not exist."
    ),
    ProblemCode.CHOICES_NOT_ALLOWED: S_("A question that is not a select question names choices."),
    ProblemCode.EMPTY_CHOICE_LIST: S_("A choice list is empty."),
    ProblemCode.UNUSED_CHOICE_LIST: S_("A choice list is not used by any question."),
    ProblemCode.CALCULATION_MISMATCH: S_("A calculation does not fit its question."),
    ProblemCode.NOT_REQUIRABLE: S_("This question cannot be required."),
    ProblemCode.UNKNOWN_WORKING_GROUP: S_("A working group is not known."),
    ProblemCode.INVALID_EXPRESSION: S_("An expression cannot be read."),
    ProblemCode.UNKNOWN_REFERENCE: S_("An expression names a question that does not exist."),
    ProblemCode.UNKNOWN_CHOICE_COLUMN: S_(
        "A choice filter names a column the choice list does not have."
    ),
    ProblemCode.INVALID_DEFAULT: S_("A default value is not a possible answer to its question."),
    ProblemCode.INVALID_RANGE: S_(
        "The range of a number question (start, end, step) is not possible."
    ),
    ProblemCode.REPEAT_FIELD: S_(
        "A field is only possible for repeated sections, or not possible for them."
    ),
    ProblemCode.EMPTY_REPEAT: S_("A repeated section has no questions."),
    ProblemCode.REPEAT_REFERENCE: S_(
        "An expression outside a repeated section uses one of its questions without "
        "count(), sum(), min(), max(), join() or indexed-repeat()."
    ),
}


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

    @property
    def explanation(self) -> str | None:
        """The kind of problem in plain words (a staff message to translate), if known."""
        return None if self.code is None else EXPLANATIONS.get(self.code)

    def __str__(self) -> str:
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{self.location}: {prefix}{self.message}"


def errors_only(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.severity is Severity.ERROR]
