"""Row-level exports for statisticians: SPSS (`.sav`) and Stata (`.dta`) with labels.

The district's statistician or the university partner works in SPSS, Stata or R; what
they need besides the numbers is what Kobo and LimeSurvey give them: a variable label
per question, value labels per choice, and missing answers they can tell apart.

- `select_one`: the choice's code as the form wrote it when every choice of the list is a
  whole number other than the missing codes (ODK and Kobo forms often number their choices,
  and scripts written for Kobo's exports expect those numbers); otherwise its position
  (1, 2, ...); the choice labels are the value labels;
- `select_multiple`: one 0/1 variable per choice ("gewählt" / "nicht gewählt");
- `integer` / `decimal`: the number; `date`: a date; `text`: the text;
- missing answers are coded, for every numeric variable (choices and numbers):
  `-98` = "not asked" (the question was not relevant for this respondent: skip logic),
  `-99` = "no answer" (asked, left empty); user-missing values in SPSS, and labelled
  so in Stata (Stata's own `.a`/`.b` cannot be written by pyreadstat into columns that
  also hold numbers). Dates and texts have no such code: empty is missing.
- `status`: the office's review of each response (1 received, 2 approved, 3 excluded,
  labelled), so that a statistician can leave out the excluded ones: the file holds every
  response, as the office's row-level exports do.
- names: SPSS and Stata allow letters, digits and `_`, starting with a letter, and no
  reserved word (`if`, `in`, `int`, `with`, ... in Stata, `to`, `by`, `and`, ... in SPSS);
  at most 32 characters (Stata). A variable with value labels has a shorter limit:
  pyreadstat names its set of labels after it, followed by the set's number in the file
  (`services_known_other12`), and Stata refuses a set name longer than 32 characters, so
  name and number together stay within 32. Question names are changed only where they
  must be (`-` and `.` become `_`, long ones are cut, a reserved word gets `v_` in
  front), and the original name is kept at the start of the variable label; the names
  are the same in both files.
- labels: Stata allows 80 characters in a variable or file label (characters, not bytes:
  ReadStat writes 80 umlauts and refuses 81 letters), so longer ones are cut there. SPSS
  allows 256 bytes in a variable label, 120 in a value label and 64 in the file label;
  ReadStat cuts longer ones at a whole character.

Relevance is evaluated with the questionnaire's own expressions on each response's
stored answers (`check_answers` discarded irrelevant answers on the way in, so a
missing answer to a relevant question was left empty). Written with pyreadstat (ReadStat).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.frames import choice_column, empty_frame, ranking_names
from analysis.kinds import kind_of
from survey_app.i18n import S_, STAFF_LANGUAGES, staff_gettext
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = [
    "NAME_LENGTH",
    "NOT_ASKED",
    "NO_ANSWER",
    "STATUS_CODES",
    "Labelled",
    "labelled_frame",
    "write_labelled",
]

_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
NOT_ASKED = -98
NO_ANSWER = -99
STATUS_CODES = {"received": 1, "approved": 2, "excluded": 3}
"""The values of the `status` variable (the office's review, `services.review`)."""
NAME_LENGTH = 32
"""The longest variable name Stata allows (SPSS: 64 bytes)."""
STATA_LABEL_LENGTH = 80
_RESERVED = frozenset({
    # Stata ([U] 11.3; and str1, str2, ...), then SPSS; compared in lower case
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long",
    "_n", "_pi", "_pred", "_rc", "_skip", "strl", "using", "with",
    "all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to",
})  # fmt: skip
ValueLabels = dict[int | float, str]
_WORDS = {
    NOT_ASKED: S_("not asked (skip logic)"),
    NO_ANSWER: S_("no answer"),
    "not selected": S_("not selected"),
    "selected": S_("selected"),
    "submitted_on": S_("Date received"),
    "language": S_("Language"),
    "version": S_("Version"),
    "status": S_("Review status"),
    "received": S_("received"),
    "approved": S_("approved"),
    "excluded": S_("excluded"),
}
"""Value and variable labels of the files, in the staff language asked for (German for
the office, English otherwise) through the staff catalogue."""


def _words(language: str) -> dict[object, str]:
    translate = staff_gettext(language) if language in STAFF_LANGUAGES else str
    return {key: translate(word) for key, word in _WORDS.items()}


@dataclass
class Labelled:
    """A frame with what SPSS and Stata keep beside it."""

    frame: pd.DataFrame
    column_labels: dict[str, str | None] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)
    """The variables while they are made; `frame` is built from them once at the end
    (inserting hundreds of columns one by one fragments a frame)."""
    value_labels: dict[str, dict[int | float, str]] = field(default_factory=dict)
    coded_missing: list[str] = field(default_factory=list)
    """Numeric variables with the codes -98 / -99."""


def _variable(name: str, used: set[str], labelled: Labelled | None = None) -> str:
    """A name SPSS and Stata accept, unique (case-insensitively) among `used`; short
    enough for the name of its set of value labels when it gets the next of `labelled`'s
    (see the module doc)."""
    length = NAME_LENGTH
    if labelled is not None:
        length -= len(str(len(labelled.value_labels)))
    base = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not re.match(r"[A-Za-z]", base) or _reserved(base):
        base = f"v_{base}"
    candidate = base[:length]
    suffix = 1
    while candidate.lower() in used or _reserved(candidate):
        suffix += 1
        candidate = f"{base[: length - len(str(suffix)) - 1]}_{suffix}"
    used.add(candidate.lower())
    return candidate


def _reserved(name: str) -> bool:
    lower = name.lower()
    return lower in _RESERVED or re.fullmatch(r"str[0-9]+", lower) is not None


def _answers_of(
    frame: pd.DataFrame, questionnaire: Questionnaire, names: set[str]
) -> list[dict[str, Any]]:
    """Each row's answers to `names` as the expressions read them."""
    columns: dict[str, list[Any]] = {}
    for name in names:
        question = questionnaire.questions.get(name)
        if question is None or not question.takes_answer:
            continue
        columns[name] = kind_of(question).answer_values(frame, questionnaire, question)
    if not columns:
        return [{} for _ in range(len(frame))]
    keys = list(columns)
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _asked(frame: pd.DataFrame, questionnaire: Questionnaire) -> dict[str, np.ndarray]:
    """Per question with a `relevant` expression: whether each respondent was asked."""
    expressions = {
        q.name: questionnaire.compiled[(q.name, "relevant")]
        for q in questionnaire.iter_questions()
        if q.relevant and q.takes_answer
    }
    if not expressions:
        return {}
    referenced = set().union(*(e.references for e in expressions.values()))
    rows = _answers_of(frame, questionnaire, referenced)
    return {
        name: np.fromiter((expression.is_true(answers) for answers in rows), bool, len(rows))
        for name, expression in expressions.items()
    }


def labelled_frame(frame: pd.DataFrame, questionnaire: Questionnaire, language: str) -> Labelled:
    """Submissions (a frame from `export_frames`, meta columns first) with labels."""
    words = _words(language)
    used: set[str] = set()
    out = Labelled(pd.DataFrame(index=frame.index))
    for name in ("submitted_on", "language", "version"):
        if name in frame:
            variable = _variable(name, used)
            values = frame[name]
            if name == "submitted_on":
                days = pd.to_datetime(values, errors="coerce")
                values = pd.Series([None if pd.isna(x) else x.date() for x in days])
            out.columns[variable] = values
            out.column_labels[variable] = words[name]
    if "status" in frame:
        variable = _variable("status", used, out)
        out.columns[variable] = frame["status"].map(STATUS_CODES).astype("float64")
        out.value_labels[variable] = {code: words[name] for name, code in STATUS_CODES.items()}
        out.column_labels[variable] = words["status"]
    asked = _asked(frame, questionnaire)
    for question in questionnaire.iter_questions():
        if question.takes_answer:
            _add_question(out, frame, questionnaire, question, language, asked, used)
    out.frame = pd.DataFrame(out.columns, index=frame.index)
    out.columns = {}
    return out


def _add_question(
    out: Labelled,
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    question: Question,
    language: str,
    asked: dict[str, np.ndarray],
    used: set[str],
) -> None:
    words = _words(language)
    label = questionnaire.text(question.label, language)
    was_asked = asked.get(question.name, np.ones(len(frame), dtype=bool))
    missing_labels: ValueLabels = {NOT_ASKED: words[NOT_ASKED], NO_ANSWER: words[NO_ANSWER]}

    def coded(values: pd.Series, answered: np.ndarray) -> np.ndarray:
        numbers = values.astype("float64").to_numpy(na_value=np.nan)
        return np.where(answered, numbers, np.where(was_asked, NO_ANSWER, NOT_ASKED))

    if question.type is QuestionType.SELECT_ONE:
        variable = _variable(question.name, used, out)
        positions = np.asarray(frame[question.name].cat.codes, dtype=np.int64)
        choices = questionnaire.choices_of(question)
        codes = _choice_values([choice.name for choice in choices])
        numbers = np.asarray(codes, dtype=np.int64)[positions] if codes else positions
        out.columns[variable] = coded(pd.Series(numbers), positions >= 0)
        labels: ValueLabels = {
            code: questionnaire.text(c.label, language)
            for code, c in zip(codes, choices, strict=True)
        }
        out.value_labels[variable] = labels | missing_labels
        out.column_labels[variable] = f"{question.name}: {label}"
        out.coded_missing.append(variable)
    elif question.type is QuestionType.SELECT_MULTIPLE:
        choices = questionnaire.choices_of(question)
        columns = [choice_column(question.name, c.name) for c in choices]
        answered = (
            frame[columns].notna().any(axis=1).to_numpy() if columns else np.zeros(len(frame), bool)
        )
        for choice, column in zip(choices, columns, strict=True):
            variable = _variable(f"{question.name}_{choice.name}", used, out)
            ticks = frame[column].to_numpy(bool, na_value=False).astype("float64")
            out.columns[variable] = coded(pd.Series(ticks), answered)
            ticks_labels: ValueLabels = {0: words["not selected"], 1: words["selected"]}
            out.value_labels[variable] = ticks_labels | missing_labels
            out.column_labels[variable] = (
                f"{question.name}: {label}: {questionnaire.text(choice.label, language)}"
            )
            out.coded_missing.append(variable)
    elif question.type in (QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.REPEAT):
        # A repeat: its number of entries (the entries are not in these files).
        variable = _variable(question.name, used, out)
        values = frame[question.name]
        out.columns[variable] = coded(values, values.notna().to_numpy())
        out.value_labels[variable] = dict(missing_labels)
        out.column_labels[variable] = f"{question.name}: {label}"
        out.coded_missing.append(variable)
    elif question.type is QuestionType.RANK:
        # The ranking as one text variable, choice names first to last (as Kobo).
        variable = _variable(question.name, used)
        names = [c.name for c in questionnaire.choices_of(question)]
        ranked = ranking_names(frame, question.name, names)
        out.columns[variable] = pd.Series([" ".join(row) for row in ranked], index=frame.index)
        out.column_labels[variable] = f"{question.name}: {label}"
    elif question.type is QuestionType.DATE:
        variable = _variable(question.name, used)
        # Python dates: ReadStat writes them as dates (DATE11), not as date-times.
        dates = frame[question.name]
        out.columns[variable] = [None if pd.isna(x) else x.date() for x in dates]
        out.column_labels[variable] = f"{question.name}: {label}"
    else:
        variable = _variable(question.name, used)
        out.columns[variable] = (
            frame[question.name].astype(object).where(frame[question.name].notna(), "")
        )
        out.column_labels[variable] = f"{question.name}: {label}"


def _choice_values(names: list[str]) -> list[int]:
    """The numbers a select_one's choices are written as: their names when all are whole
    numbers (distinct, not a missing code, within what SPSS stores exactly), else 1, 2, ..."""
    if names and all(_WHOLE_NUMBER.fullmatch(name) for name in names):
        numbers = [int(name) for name in names]
        distinct = len(set(numbers)) == len(numbers)
        exact = all(abs(number) < 2**31 for number in numbers)
        if distinct and exact and not {NOT_ASKED, NO_ANSWER} & set(numbers):
            return numbers
    return list(range(1, len(names) + 1))


def write_labelled(
    frames: Iterable[pd.DataFrame],
    questionnaire: Questionnaire,
    language: str,
    path: Path,
    file_format: Literal["sav", "dta"],
) -> int:
    """Write every submission to `path` as SPSS or Stata; the number of rows.

    ReadStat writes one whole frame, so the chunks are joined first (about 1 KB per
    response in memory: the export of 100,000 responses holds about 100 MB)."""
    import pyreadstat

    parts = list(frames)
    if parts:
        frame = pd.concat(parts, ignore_index=True)
    else:
        frame = empty_frame(questionnaire)
        meta = (
            ("status", "str"),
            ("version", "int64"),
            ("language", "str"),
            ("submitted_on", "str"),
        )
        for name, dtype in meta:
            frame.insert(0, name, pd.Series([], dtype=dtype))
    labelled = labelled_frame(frame, questionnaire, language)
    title = questionnaire.text(questionnaire.title, language)
    if file_format == "sav":
        pyreadstat.write_sav(
            labelled.frame,
            str(path),
            file_label=title,
            column_labels=labelled.column_labels,
            variable_value_labels=labelled.value_labels,
            missing_ranges={name: [NOT_ASKED, NO_ANSWER] for name in labelled.coded_missing},
        )
    else:
        # Stata attaches value labels to whole-number variables only.
        table = labelled.frame.copy()
        value_labels = {}
        for name, labels in labelled.value_labels.items():
            values = table[name].to_numpy(dtype="float64", na_value=np.nan)
            if np.all(np.isnan(values) | (values == np.round(values))):
                table[name] = pd.array(np.where(np.isnan(values), 0, values).astype("int64"))
                table.loc[np.isnan(values), name] = pd.NA
                value_labels[name] = labels
        pyreadstat.write_dta(
            table,
            str(path),
            file_label=title[:STATA_LABEL_LENGTH],
            column_labels={
                name: (label or "")[:STATA_LABEL_LENGTH]
                for name, label in labelled.column_labels.items()
            },
            variable_value_labels=value_labels,
        )
    return len(frame)
