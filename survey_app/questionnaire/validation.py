"""Checks on a whole questionnaire that a schema alone cannot express.

Each check is a small function yielding `(path, message, severity)`; `locate` turns a
path inside the definition (e.g. `("pages", 0, "questions", 2, "relevant")`) into a place
in the source file, so YAML files report lines and XLSForm imports report sheet rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterator

from survey_app.questionnaire.errors import Problem, ProblemCode, Severity
from survey_app.questionnaire.expressions import Expression, ExpressionError, parse_expression
from survey_app.questionnaire.rules import MAX_ENTRIES, InvalidDefault, default_answer
from survey_app.questionnaire.schema import (
    EXPRESSION_FIELDS,
    Question,
    Questionnaire,
    QuestionType,
    Text,
    reserved_part,
)

Path = tuple[str | int, ...]
Finding = tuple[Path, ProblemCode, str, Severity]
Locate = Callable[[Path], str]

_AGGREGATES = "count(), sum(), min(), max(), join() or indexed-repeat()"
_NOT_FOR_REPEATS = ("constraint", "default", "readonly")
_TRANSLATABLE_QUESTION_FIELDS = ("label", "hint", "constraint_message")


def check_questionnaire(
    questionnaire: Questionnaire, *, working_groups: Collection[str], locate: Locate
) -> list[Problem]:
    """Every semantic problem of `questionnaire`, errors and warnings, in file order."""
    checks = (
        _check_languages(questionnaire),
        _check_unique_names(questionnaire),
        _check_reserved_names(questionnaire),
        _check_questions(questionnaire, working_groups),
        _check_repeats(questionnaire),
        _check_choice_lists(questionnaire),
        _check_declared_languages(questionnaire),
        _check_translations(questionnaire),
    )
    return [
        Problem(locate(path), message, severity, code)
        for findings in checks
        for path, code, message, severity in findings
    ]


def iter_texts(questionnaire: Questionnaire) -> Iterator[tuple[Path, Text]]:
    """Every human-readable text of the questionnaire with its path."""
    for field in ("title", "description", "privacy_notice", "thank_you"):
        yield (field,), getattr(questionnaire, field)
    for page_index, page in enumerate(questionnaire.pages):
        yield ("pages", page_index, "title"), page.title
        for question_path, question in _page_question_paths(page_index, page.questions):
            for field in _TRANSLATABLE_QUESTION_FIELDS:
                yield (*question_path, field), getattr(question, field)
    for list_name, choices in questionnaire.choices.items():
        for choice_index, choice in enumerate(choices):
            yield ("choices", list_name, choice_index, "label"), choice.label


def missing_translations(questionnaire: Questionnaire) -> dict[str, list[Path]]:
    """Per declared language, the paths of texts present in some language but not in it."""
    missing: dict[str, list[Path]] = {language: [] for language in questionnaire.languages}
    for path, text in iter_texts(questionnaire):
        if not any(value.strip() for value in text.values()):
            continue
        for language in questionnaire.languages:
            if not text.get(language, "").strip():
                missing[language].append(path)
    return missing


def _question_paths(questionnaire: Questionnaire) -> Iterator[tuple[Path, Question]]:
    """Every question with its path, a repeat's questions right after the repeat."""
    for page_index, page in enumerate(questionnaire.pages):
        yield from _page_question_paths(page_index, page.questions)


def _page_question_paths(
    page_index: int, questions: tuple[Question, ...]
) -> Iterator[tuple[Path, Question]]:
    def visit(path: Path, questions: tuple[Question, ...]) -> Iterator[tuple[Path, Question]]:
        for index, question in enumerate(questions):
            yield (*path, index), question
            yield from visit((*path, index, "questions"), question.questions)

    return visit(("pages", page_index, "questions"), questions)


def _check_languages(questionnaire: Questionnaire) -> Iterator[Finding]:
    if not questionnaire.pages:
        yield (
            ("pages",),
            ProblemCode.NO_PAGES,
            "a questionnaire needs at least one page",
            Severity.ERROR,
        )
    for page_index, page in enumerate(questionnaire.pages):
        if not page.questions:
            message = f"page '{page.name}' has no questions"
            yield (
                ("pages", page_index, "questions"),
                ProblemCode.EMPTY_PAGE,
                message,
                Severity.ERROR,
            )
    if questionnaire.default_language not in questionnaire.languages:
        yield (
            ("default_language",),
            ProblemCode.UNDECLARED_LANGUAGE,
            f"default language '{questionnaire.default_language}' is not in languages",
            Severity.ERROR,
        )
    for language, count in Counter(questionnaire.languages).items():
        if count > 1:
            yield (
                ("languages",),
                ProblemCode.DUPLICATE_LANGUAGE,
                f"language '{language}' is listed twice",
                Severity.ERROR,
            )


def _check_unique_names(questionnaire: Questionnaire) -> Iterator[Finding]:
    seen_pages: set[str] = set()
    for page_index, page in enumerate(questionnaire.pages):
        if page.name in seen_pages:
            yield (
                ("pages", page_index, "name"),
                ProblemCode.DUPLICATE_NAME,
                f"duplicate page name '{page.name}'",
                Severity.ERROR,
            )
        seen_pages.add(page.name)
    seen_questions: set[str] = set()
    for path, question in _question_paths(questionnaire):
        if question.name in seen_questions:
            message = f"duplicate question name '{question.name}'"
            yield (*path, "name"), ProblemCode.DUPLICATE_NAME, message, Severity.ERROR
        seen_questions.add(question.name)


def _check_reserved_names(questionnaire: Questionnaire) -> Iterator[Finding]:
    """Names results give the questions they derive (`analysis.presence`,
    `analysis.texts`): a question named so would break its survey's results."""
    for path, question in _question_paths(questionnaire):
        part = reserved_part(question.name)
        if part is not None:
            message = (
                f"question name '{question.name}' has '{part}', which results use for the "
                "questions they derive; choose another name"
            )
            yield (*path, "name"), ProblemCode.RESERVED_NAME, message, Severity.ERROR


def _check_questions(
    questionnaire: Questionnaire, working_groups: Collection[str]
) -> Iterator[Finding]:
    names = set(questionnaire.all_questions)
    for path, question in _question_paths(questionnaire):
        where = f"question '{question.name}'"
        if question.type.is_select:
            if not question.choices:
                yield (
                    path,
                    ProblemCode.CHOICE_LIST_MISSING,
                    f"{where} ({question.type}) needs a choice list",
                    Severity.ERROR,
                )
            elif question.choices not in questionnaire.choices:
                message = f"{where} uses unknown choice list '{question.choices}'"
                yield (*path, "choices"), ProblemCode.CHOICE_LIST_MISSING, message, Severity.ERROR
        elif question.choices:
            message = f"{where} is not a select question but names choices"
            yield (*path, "choices"), ProblemCode.CHOICES_NOT_ALLOWED, message, Severity.ERROR
        if question.type is QuestionType.CALCULATE and not question.calculation:
            yield (
                path,
                ProblemCode.CALCULATION_MISMATCH,
                f"{where} is a calculate question without calculation",
                Severity.ERROR,
            )
        if (
            question.type is not QuestionType.CALCULATE
            and question.calculation
            and not (question.readonly)
        ):
            message = f"{where} has a calculation but is neither of type calculate nor read-only"
            yield (*path, "calculation"), ProblemCode.CALCULATION_MISMATCH, message, Severity.ERROR
        if question.type is not QuestionType.CALCULATE and not any(question.label.values()):
            yield path, ProblemCode.LABEL_MISSING, f"{where} has no label", Severity.ERROR
        if question.required and not question.takes_answer:
            what = "read-only" if question.readonly else f"of type {question.type}"
            message = f"{where} {what} cannot be required"
            yield (*path, "required"), ProblemCode.NOT_REQUIRABLE, message, Severity.ERROR
        if question.default is not None and question.type is not QuestionType.REPEAT:
            yield from _check_default(questionnaire, question, path)
        if question.range is not None:
            yield from _check_range(question, path)
        for group in question.working_groups:
            if group not in working_groups:
                message = f"{where} names unknown working group '{group}'"
                yield (
                    (*path, "working_groups"),
                    ProblemCode.UNKNOWN_WORKING_GROUP,
                    message,
                    Severity.ERROR,
                )
        for field in EXPRESSION_FIELDS:
            source = getattr(question, field)
            if isinstance(source, str) and source:
                own = question.name if field == "constraint" else None
                yield from _check_expression(
                    questionnaire, question, (*path, field), source, names, own
                )
        if question.choice_filter:
            yield from _check_choice_filter(questionnaire, question, path, names)


def _check_repeats(questionnaire: Questionnaire) -> Iterator[Finding]:
    """Only repeats have questions and a repeat_count; a repeat has questions, and no
    constraint, default or read-only value (its entries' questions have those)."""
    for path, question in _question_paths(questionnaire):
        where = f"question '{question.name}'"
        if question.type is not QuestionType.REPEAT:
            for field in ("questions", "repeat_count"):
                if getattr(question, field):
                    message = f"{where} is not a repeat but has {field}"
                    yield (*path, field), ProblemCode.REPEAT_FIELD, message, Severity.ERROR
            continue
        if not question.questions:
            message = f"repeat '{question.name}' has no questions"
            yield path, ProblemCode.EMPTY_REPEAT, message, Severity.ERROR
        for field in _NOT_FOR_REPEATS:
            if getattr(question, field) not in (None, False):
                message = f"repeat '{question.name}' cannot have {field} (its questions can)"
                yield (*path, field), ProblemCode.REPEAT_FIELD, message, Severity.ERROR
        count = (question.repeat_count or "").strip()
        if count.isdigit() and int(count) > MAX_ENTRIES:
            # No answer could have that many entries: nobody could finish the survey.
            message = (
                f"repeat '{question.name}' asks for {count} entries; an answer holds at "
                f"most {MAX_ENTRIES}"
            )
            yield (*path, "repeat_count"), ProblemCode.REPEAT_FIELD, message, Severity.ERROR


def _check_default(
    questionnaire: Questionnaire, question: Question, path: Path
) -> Iterator[Finding]:
    """A default is an answer the question could be given (a choice of its list, a
    number in its range, ...); expressions such as `today()` are not evaluated."""
    if question.type.is_select and question.choices not in questionnaire.choices:
        return  # reported as a missing choice list
    try:
        default_answer(questionnaire, question)
    except InvalidDefault:
        message = (
            f"question '{question.name}': default {question.default!r} is not a possible "
            f"answer to a {question.type} question"
        )
        if question.type.is_select:
            message += f" (choices of list '{question.choices}', separated by spaces)"
        elif question.range is not None:
            bounds = question.range
            message += f" from {bounds.start} to {bounds.end} in steps of {bounds.step}"
        yield (*path, "default"), ProblemCode.INVALID_DEFAULT, message, Severity.ERROR


def _check_range(question: Question, path: Path) -> Iterator[Finding]:
    """A range belongs to a number question, runs somewhere, and an integer's is whole."""
    bounds = question.range
    assert bounds is not None
    where = f"question '{question.name}'"
    problem = ""
    if not question.type.is_number:
        problem = f"{where} is a {question.type} question; only integer and decimal have a range"
    elif bounds.start == bounds.end:
        problem = f"{where}: the range starts and ends at {bounds.start}"
    elif question.type is QuestionType.INTEGER and not all(
        float(value).is_integer() for value in (bounds.start, bounds.end, bounds.step)
    ):
        problem = f"{where} is an integer question; its range needs whole numbers"
    if problem:
        yield (*path, "range"), ProblemCode.INVALID_RANGE, problem, Severity.ERROR


def _check_expression(
    questionnaire: Questionnaire,
    question: Question,
    path: Path,
    source: str,
    names: set[str],
    own: str | None,
) -> Iterator[Finding]:
    try:
        expression = parse_expression(source, current=own, repeats=questionnaire.repeat_structure)
    except ExpressionError as error:
        message = f"{path[-1]} expression {source!r}: {error.message}"
        yield path, ProblemCode.INVALID_EXPRESSION, message, Severity.ERROR
        return
    for reference in sorted(expression.references - names):
        message = f"{path[-1]} expression {source!r} refers to unknown question '{reference}'"
        yield path, ProblemCode.UNKNOWN_REFERENCE, message, Severity.ERROR
    yield from _check_repeat_references(questionnaire, question, path, source, expression)


def _check_repeat_references(
    questionnaire: Questionnaire,
    question: Question,
    path: Path,
    source: str,
    expression: Expression,
) -> Iterator[Finding]:
    """A question of a repeat is read, outside its entries, over all entries: only
    aggregate functions and indexed-repeat() may name it there (XPath would silently
    take the first entry's answer)."""
    here = questionnaire.repeats_around(question.name)
    for reference in sorted(expression.bare_references & questionnaire.all_questions.keys()):
        around = questionnaire.repeats_around(reference)
        if reference in questionnaire.entry_names:
            around = (*around, reference)
        if around and here[: len(around)] != around:
            message = (
                f"{path[-1]} expression {source!r} uses '{reference}' of repeat "
                f"'{around[-1]}' outside it, where it has one answer per entry: use it "
                f"inside {_AGGREGATES}"
            )
            yield path, ProblemCode.REPEAT_REFERENCE, message, Severity.ERROR


def _check_choice_filter(
    questionnaire: Questionnaire, question: Question, path: Path, names: set[str]
) -> Iterator[Finding]:
    """A choice filter parses, names known questions and columns its list has."""
    where, source = (*path, "choice_filter"), question.choice_filter or ""
    if not question.type.is_select:
        message = f"question '{question.name}' is not a select question but has a choice_filter"
        yield where, ProblemCode.CHOICES_NOT_ALLOWED, message, Severity.ERROR
        return
    try:
        expression = parse_expression(
            source, choice_filter=True, repeats=questionnaire.repeat_structure
        )
    except ExpressionError as error:
        message = f"choice_filter expression {source!r}: {error.message}"
        yield where, ProblemCode.INVALID_EXPRESSION, message, Severity.ERROR
        return
    for reference in sorted(expression.references - names):
        message = f"choice_filter expression {source!r} refers to unknown question '{reference}'"
        yield where, ProblemCode.UNKNOWN_REFERENCE, message, Severity.ERROR
    yield from _check_repeat_references(questionnaire, question, where, source, expression)
    columns = {"name"} | {
        column for choice in questionnaire.choices_of(question) for column in choice.columns
    }
    for column in sorted(expression.columns - columns):
        message = (
            f"choice_filter expression {source!r} names column '{column}', which no choice "
            f"of list '{question.choices}' has"
        )
        yield where, ProblemCode.UNKNOWN_CHOICE_COLUMN, message, Severity.ERROR


def _check_choice_lists(questionnaire: Questionnaire) -> Iterator[Finding]:
    used = {question.choices for question in questionnaire.all_questions.values()}
    for list_name, choices in questionnaire.choices.items():
        if not choices:
            yield (
                ("choices", list_name),
                ProblemCode.EMPTY_CHOICE_LIST,
                f"choice list '{list_name}' is empty",
                Severity.ERROR,
            )
        seen: set[str] = set()
        for index, choice in enumerate(choices):
            path: Path = ("choices", list_name, index)
            if choice.name in seen:
                message = f"duplicate choice '{choice.name}' in list '{list_name}'"
                yield (*path, "name"), ProblemCode.DUPLICATE_CHOICE, message, Severity.ERROR
            seen.add(choice.name)
            if not any(choice.label.values()):
                message = f"choice '{choice.name}' in list '{list_name}' has no label"
                yield path, ProblemCode.LABEL_MISSING, message, Severity.ERROR
            if "name" in choice.columns:
                message = (
                    f"choice '{choice.name}' in list '{list_name}' has a column 'name': "
                    "in a choice filter `name` is the choice's name"
                )
                yield (*path, "columns", "name"), ProblemCode.SCHEMA, message, Severity.ERROR
        if list_name not in used:
            message = f"choice list '{list_name}' is not used by any question"
            yield ("choices", list_name), ProblemCode.UNUSED_CHOICE_LIST, message, Severity.WARNING


def _check_declared_languages(questionnaire: Questionnaire) -> Iterator[Finding]:
    declared = set(questionnaire.languages)
    reported: set[str] = set()
    for path, text in iter_texts(questionnaire):
        for language in text:
            if language not in declared and language not in reported:
                reported.add(language)
                message = f"text in language '{language}', which is not in languages"
                yield (*path, language), ProblemCode.UNDECLARED_LANGUAGE, message, Severity.ERROR


def _check_translations(questionnaire: Questionnaire) -> Iterator[Finding]:
    for language, paths in missing_translations(questionnaire).items():
        if paths:
            message = f"{len(paths)} text(s) have no '{language}' translation"
            yield paths[0], ProblemCode.MISSING_TRANSLATION, message, Severity.WARNING
