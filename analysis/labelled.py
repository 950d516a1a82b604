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

- repeats (rosters): the responses' file has each repeat's number of entries, and each
  repeat a file of its own beside it (`<stem>-<repeat>.sav`, as the CSV export names
  its files), one row per entry, in KoboToolbox's "long" layout as the CSV and XLSX
  exports (`analysis.export_layout`): the responses' file starts with `_index` (its row, from
  1), an entries file with `_index`, `_parent_table_name`, `_parent_index`,
  `_submission__index` and `_position`, then the entry's questions, labelled and coded
  as a response's. SPSS refuses a name that starts with `_`, so these keys are written
  `v__index`, `v__parent_table_name`, ... (the rule for every name, below), in both
  files, with their CSV name at the start of the variable label. A survey without
  repeats gets no `_index`: its file is what it was before repeats were exported.

Relevance is evaluated with the questionnaire's own expressions on each response's
stored answers (`check_answers` discarded irrelevant answers on the way in, so a
missing answer to a relevant question was left empty). In a survey with repeats, each
response's answers are put back together as they were stored (with its entries) and
checked again with `check_answers`, which evaluates a question's `relevant` where the
respondent saw it: in its entry for a question of a repeat (the entry's own answers,
then those around it, `position(..)`, calculations), and over the entries for a
question of the pages that reads them (`min(${age}) < 6`); where it cannot check a
repeat's entries any more (an answer of an earlier version whose number
of entries the newest version's `repeat_count` no longer allows), their empty answers
count as "no answer". Written with pyreadstat (ReadStat).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.export_layout import (
    INDEX,
    PARENT_INDEX,
    PARENT_TABLE,
    POSITION,
    SUBMISSION_INDEX,
    entries_paths,
    table_names,
)
from analysis.frames import (
    ENTRY,
    PARENT,
    RESPONSE,
    Responses,
    choice_column,
    empty_entries,
    empty_frame,
    entry_questions,
    join_entries,
    ranking_names,
    repeats,
)
from analysis.kinds import kind_of
from survey_app.i18n import S_, STAFF_LANGUAGES, staff_gettext
from survey_app.questionnaire.paths import entry_path, leaf_name
from survey_app.questionnaire.rules import check_answers
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = [
    "NAME_LENGTH",
    "NOT_ASKED",
    "NO_ANSWER",
    "STATUS_CODES",
    "Labelled",
    "answers_asked",
    "labelled_entries",
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
    INDEX: S_("row of this file"),
    PARENT_TABLE: S_("file of the response or entry this entry belongs to"),
    PARENT_INDEX: S_("_index of the response or entry this entry belongs to"),
    SUBMISSION_INDEX: S_("_index of the response in the responses' file"),
    POSITION: S_("position of the entry in its response or entry, from 1"),
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
    frame: pd.DataFrame, questionnaire: Questionnaire, questions: Iterable[Question | None]
) -> list[dict[str, Any]]:
    """Each row's answers to `questions` (None: none) as the expressions read them."""
    columns: dict[str, list[Any]] = {}
    for question in questions:
        if question is None or not question.takes_answer:
            continue
        columns[question.name] = kind_of(question).answer_values(frame, questionnaire, question)
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
    rows = _answers_of(frame, questionnaire, map(questionnaire.questions.get, referenced))
    return {
        name: np.fromiter((expression.is_true(answers) for answers in rows), bool, len(rows))
        for name, expression in expressions.items()
    }


def labelled_frame(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    language: str,
    *,
    index: bool = False,
    asked: dict[str, np.ndarray] | None = None,
) -> Labelled:
    """Submissions (a frame from `export_frames`, meta columns first) with labels; with
    `index`, `_index` first (each row's number, from 1: the key of their entries).
    `asked` says per question with a `relevant` expression which respondents were asked
    it (by default evaluated on the frame; `answers_asked` also reads entries)."""
    words = _words(language)
    used: set[str] = set()
    out = Labelled(pd.DataFrame(index=frame.index))
    if index:
        _add_key(out, INDEX, np.arange(1, len(frame) + 1, dtype=np.int64), words, used)
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
    if asked is None:
        asked = _asked(frame, questionnaire)
    for question in questionnaire.iter_questions():
        if question.takes_answer:
            _add_question(out, frame, questionnaire, question, language, asked, used)
    out.frame = pd.DataFrame(out.columns, index=frame.index)
    out.columns = {}
    return out


def _add_key(
    out: Labelled, key: str, values: Any, words: dict[object, str], used: set[str]
) -> None:
    """One of the columns that link entries to their responses (see the module doc)."""
    variable = _variable(key, used)
    out.columns[variable] = values
    out.column_labels[variable] = f"{key}: {words[key]}"


def labelled_entries(
    entries: pd.DataFrame,
    questionnaire: Questionnaire,
    repeat: Question,
    language: str,
    *,
    parent_table: str,
    asked: dict[str, np.ndarray],
) -> Labelled:
    """A repeat's entries (its frame from `analysis.frames`, its rows pointing to the
    rows of the responses' frame and of the enclosing repeat's) with their keys and
    labels; `asked` says per question which entries were asked it (`answers_asked`),
    `parent_table` is the name of the enclosing table (`exports.table_names`)."""
    words = _words(language)
    used: set[str] = set()
    out = Labelled(pd.DataFrame(index=entries.index))
    responses = entries[RESPONSE].to_numpy(dtype=np.int64) + 1
    parents = entries[PARENT].to_numpy(dtype=np.int64) + 1 if PARENT in entries else responses
    _add_key(out, INDEX, np.arange(1, len(entries) + 1, dtype=np.int64), words, used)
    _add_key(out, PARENT_TABLE, pd.Series(parent_table, index=entries.index), words, used)
    _add_key(out, PARENT_INDEX, parents, words, used)
    _add_key(out, SUBMISSION_INDEX, responses, words, used)
    _add_key(out, POSITION, entries[ENTRY].to_numpy(dtype=np.int64), words, used)
    for question in entry_questions(repeat):
        _add_question(out, entries, questionnaire, question, language, asked, used)
    out.frame = pd.DataFrame(out.columns, index=entries.index)
    out.columns = {}
    return out


def answers_asked(
    responses: Responses, questionnaire: Questionnaire
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    """Who was asked what, by `check_answers` on each response's answers put back
    together, entries included (see the module doc): per question of the pages with a
    `relevant` expression, whether each response was asked it (as `labelled_frame`
    wants it; such a question may read the entries, `min(${age}) < 6`); and per repeat,
    per question of its entries, whether each entry (row of the repeat's frame in
    `responses.entries`) was asked it."""
    answers = _answers_of(responses.frame, questionnaire, questionnaire.iter_questions())
    entries = {repeat.name: responses.entries[repeat.name] for repeat in repeats(questionnaire)}
    entry_answers: dict[str, list[dict[str, Any]]] = {}
    # Each entry's path as `check_answers` keys what it finds relevant (`members[2].`,
    # `members[2].jobs[1].`); outer repeats come first, so a nested entry finds its
    # enclosing entry's.
    prefixes: dict[str, list[str]] = {}
    for repeat in repeats(questionnaire):
        own = entries[repeat.name]
        rows = _answers_of(own, questionnaire, entry_questions(repeat))
        enclosing = questionnaire.repeat_of.get(repeat.name)
        containers: list[dict[str, Any]]
        if enclosing is None:
            parents = own[RESPONSE].to_numpy(dtype=np.int64).tolist()
            containers, around = answers, [""] * len(answers)
        else:
            parents = own[PARENT].to_numpy(dtype=np.int64).tolist()
            containers, around = entry_answers[enclosing], prefixes[enclosing]
        # The frames keep only the number of a container's entries: the entries
        # themselves take its place, in order (an entries frame is sorted by container
        # and position).
        for parent in set(parents):
            containers[parent][repeat.name] = []
        for entry, parent in zip(rows, parents, strict=True):
            containers[parent][repeat.name].append(entry)
        positions = own[ENTRY].to_numpy(dtype=np.int64).tolist()
        prefixes[repeat.name] = [
            entry_path(around[parent] + repeat.name, position)
            for parent, position in zip(parents, positions, strict=True)
        ]
        entry_answers[repeat.name] = rows
    asked = {
        repeat.name: {
            q.name: np.ones(len(entries[repeat.name]), dtype=bool) for q in entry_questions(repeat)
        }
        for repeat in repeats(questionnaire)
    }
    relevant = [q.name for q in questionnaire.iter_questions() if q.relevant and q.takes_answer]
    asked_in_pages = {name: np.ones(len(answers), dtype=bool) for name in relevant}
    # Entries frames are sorted by response: a response's entries are one span of rows.
    spans = {
        name: np.searchsorted(
            own[RESPONSE].to_numpy(dtype=np.int64), np.arange(len(answers) + 1), side="left"
        ).tolist()
        for name, own in entries.items()
    }
    for response, given in enumerate(answers):
        checked = check_answers(questionnaire, given)
        for name, was_asked in asked_in_pages.items():
            was_asked[response] = name in checked.relevant
        # A repeat whose answer as a whole was refused had its entries left unchecked.
        unchecked = tuple(
            f"{key}[" for key in checked.errors if leaf_name(key) in questionnaire.entry_names
        )
        for name, span in spans.items():
            for row in range(span[response], span[response + 1]):
                prefix = prefixes[name][row]
                if unchecked and prefix.startswith(unchecked):
                    continue
                for question, was_asked in asked[name].items():
                    was_asked[row] = prefix + question in checked.relevant
    return asked_in_pages, asked


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
        # A repeat: its number of entries (the entries have a file of their own).
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
    chunks: Iterable[pd.DataFrame | Responses],
    questionnaire: Questionnaire,
    language: str,
    path: Path,
    file_format: Literal["sav", "dta"],
) -> tuple[int, list[Path]]:
    """Write every submission to `path` as SPSS or Stata, and each repeat's entries to
    its own file beside it (`export_layout.entries_paths`); the number of submissions and the
    files written, `path` first.

    ReadStat writes one whole frame, so the chunks (frames, or responses with their
    entries) are joined first (about 1 KB per response in memory: the export of 100,000
    responses holds about 100 MB, and their entries as much again per entry). With
    repeats, each response is checked again (`answers_asked`): about 1.5 ms a household
    of `tests/fixtures/roster.yaml`, so 5,000 demo households take 7 s where their CSV
    files take 0.2 s."""
    parts = [
        chunk if isinstance(chunk, Responses) else Responses(chunk, _no_entries(questionnaire))
        for chunk in chunks
    ]
    if parts:
        frame = pd.concat([part.frame for part in parts], ignore_index=True)
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
    title = questionnaire.text(questionnaire.title, language)
    if not repeats(questionnaire):
        _write(labelled_frame(frame, questionnaire, language), title, path, file_format)
        return len(frame), [path]
    responses = Responses(frame, join_entries(questionnaire, parts or [_empty(questionnaire)]))
    asked_in_pages, asked = answers_asked(responses, questionnaire)
    main = labelled_frame(frame, questionnaire, language, index=True, asked=asked_in_pages)
    _write(main, title, path, file_format)
    names = table_names(questionnaire)
    files = entries_paths(path, questionnaire)
    for repeat in repeats(questionnaire):
        entries = labelled_entries(
            responses.entries[repeat.name],
            questionnaire,
            repeat,
            language,
            parent_table=names[questionnaire.repeat_of.get(repeat.name)],
            asked=asked[repeat.name],
        )
        label = f"{title}: {questionnaire.text(repeat.label, language)}"
        _write(entries, label, files[repeat.name], file_format)
    return len(frame), [path, *files.values()]


def _no_entries(questionnaire: Questionnaire) -> dict[str, pd.DataFrame]:
    return {repeat.name: empty_entries(questionnaire, repeat) for repeat in repeats(questionnaire)}


def _empty(questionnaire: Questionnaire) -> Responses:
    return Responses(empty_frame(questionnaire), _no_entries(questionnaire))


def _write(labelled: Labelled, title: str, path: Path, file_format: Literal["sav", "dta"]) -> None:
    import pyreadstat

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
