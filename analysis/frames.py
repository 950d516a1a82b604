"""Stored answers (JSON texts, per questionnaire version) as one tidy DataFrame.

One row per submission, one column per question of the *target* questionnaire (the
newest version), typed for counting by its kind (`Kind.frame_columns`, from the column
builders here):

- `select_one` -> Categorical with the choices in questionnaire order (an answer that is
  no longer a choice becomes missing);
- `select_multiple` -> one nullable boolean column per choice, named `question/choice`
  (missing where the question was not answered);
- `integer` -> nullable Int64, `decimal` -> float64, `date` -> datetime64, `text` -> str;
- `note` and `calculate` have no column: results never show them, and exports carry
  what respondents answered;
- `repeat` -> its number of entries, nullable Int64 (missing where it was not answered).

A repeat's entries get frames of their own (`parse_responses`, `Responses.entries`), one
per repeat (nested ones included), one row per entry: the row of its response in the
response frame (`RESPONSE`), for a nested repeat the row of the enclosing entry in the
enclosing repeat's frame (`PARENT`) and that entry's position (`PARENT_ENTRY`), the
entry's position from 1 (`ENTRY`, within its response or its enclosing entry), then its
questions' columns, typed by the same kinds as a response's. These names cannot be
question names, so they never collide with an entry's questions. The entries are read
in the same pass as the responses (a repeat's answers are a list of structs in the
arrow schema); `parse_answers` skips building them, so frames of questionnaires
without repeats cost what they did.

Questions that exist only in older versions are dropped: results, breakdowns and
exports describe the current questionnaire, and a removed question belongs to no working
group any more. A question whose type changed between versions is converted where that
is meaningful (a number typed as text is parsed, a former `select_one` answer counts as
a one-choice `select_multiple` answer) and missing otherwise; nothing raises.

Parsing is one vectorised pass per version (`analysis.answers_arrow`): the texts are
newline-delimited JSON for pyarrow's multithreaded JSON reader with an explicit schema
taken from the version's own questionnaire (within a version every answer has its
question's type, because `check_answers` enforced it on the way in). Input that breaks
that promise (hand-edited rows, invalid JSON) falls back to a per-row parse that coerces
or drops bad values, so a broken row costs speed, never a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.answers_arrow import answer_strings as _strings
from analysis.answers_arrow import answered_questions as frame_questions
from analysis.answers_arrow import join_texts, repeats
from analysis.answers_arrow import read_answers_table as _read_table
from analysis.kinds import kind_of
from analysis.presence import entry_presence_sources, presence_columns
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = [
    "ENTRY",
    "PARENT",
    "PARENT_ENTRY",
    "RESPONSE",
    "Responses",
    "answers_frame",
    "categorical_column",
    "choice_column",
    "choice_flags",
    "choice_names",
    "date_column",
    "empty_entries",
    "empty_frame",
    "entries_frame",
    "entry_counts",
    "entry_questions",
    "frame_from_texts",
    "frame_questions",
    "join_entries",
    "join_responses",
    "join_texts",
    "number_column",
    "parse_answers",
    "parse_responses",
    "rank_positions",
    "ranking_names",
    "repeats",
    "responses_from_texts",
    "take_responses",
    "text_column",
]

RESPONSE = "#response"
"""Column of an entries frame: the row of the entry's response in the response frame."""
PARENT = "#parent"
"""Column of a nested repeat's entries frame: the row of the enclosing entry in the
enclosing repeat's entries frame."""
PARENT_ENTRY = "#parent_entry"
"""Column of a nested repeat's entries frame: the enclosing entry's position (from 1)."""
ENTRY = "#entry"
"""Column of an entries frame: the entry's position (from 1) within its response, or
within the enclosing entry for a nested repeat."""


def entry_questions(repeat: Question) -> list[Question]:
    """The questions of a repeat's entries that get columns in its entries frame."""
    return [q for q in repeat.questions if q.takes_answer]


@dataclass(frozen=True)
class Responses:
    """Responses as frames: `frame` one row per response (`parse_answers`), `entries`
    one frame per repeat by name, one row per entry (see the module doc)."""

    frame: pd.DataFrame
    entries: Mapping[str, pd.DataFrame]


def choice_column(question: str, choice: str) -> str:
    """Column name of one choice of a `select_multiple` (ticked or not) or a `rank`
    question (its place)."""
    return f"{question}/{choice}"


def parse_answers(
    target: Questionnaire, source: Questionnaire, lines: str | bytes, rows: int
) -> pd.DataFrame:
    """Answers of one version (`lines`: `rows` JSON texts, one per line, as text or as
    UTF-8 bytes) as target columns.

    `source` is the questionnaire the answers were given to; `target` the one whose
    columns the frame has (usually the newest version).
    """
    if rows == 0:
        return empty_frame(target)
    table = _read_table(target, source, lines, rows)
    columns: dict[str, Any] = {}
    for question in frame_questions(target):
        column = table.column(question.name) if question.name in table.column_names else None
        columns.update(_typed(target, question, column, rows))
    columns.update(_entry_presence(target, table, rows, {}))
    return pd.DataFrame(columns, index=pd.RangeIndex(rows))


def parse_responses(
    target: Questionnaire, source: Questionnaire, lines: str | bytes, rows: int
) -> Responses:
    """Answers of one version as `parse_answers` reads them, with the entries of every
    repeat of `target` (its frames are empty where `source` had no such repeat)."""
    if rows == 0:
        return Responses(empty_frame(target), _no_entries(target))
    table = _read_table(target, source, lines, rows)
    columns: dict[str, Any] = {}
    entries: dict[str, pd.DataFrame] = {}
    for question in frame_questions(target):
        column = table.column(question.name) if question.name in table.column_names else None
        columns.update(_typed(target, question, column, rows))
        if question.type is QuestionType.REPEAT:
            if column is None:
                column = pa.nulls(rows, kind_of(question).answer_type(question))
            _add_entries(entries, target, question, column, np.arange(rows), None)
    columns.update(_entry_presence(target, table, rows, entries))
    frame = pd.DataFrame(columns, index=pd.RangeIndex(rows))
    return Responses(frame, {r.name: entries[r.name] for r in repeats(target)})


def take_responses(
    target: Questionnaire, responses: Responses, order: npt.NDArray[np.intp]
) -> Responses:
    """The responses in `order` (row k is row `order[k]`), each with its entries, which
    follow their responses' new order."""
    frame = responses.frame.take(order).reset_index(drop=True)
    new_row = np.empty(len(order), dtype=np.int64)
    new_row[order] = np.arange(len(order))
    entries: dict[str, pd.DataFrame] = {}
    moved: dict[str, npt.NDArray[np.int64]] = {}
    for name, part in responses.entries.items():
        part = part.copy()
        part[RESPONSE] = owner = new_row[part[RESPONSE].to_numpy(dtype=np.int64)]
        if PARENT in part:
            parent = moved[target.repeat_of[name]]
            part[PARENT] = owner = parent[part[PARENT].to_numpy(dtype=np.int64)]
        sort = np.lexsort([part[ENTRY].to_numpy(), owner])
        moved[name] = np.empty(len(part), dtype=np.int64)
        moved[name][sort] = np.arange(len(part))
        entries[name] = part.take(sort).reset_index(drop=True)
    return Responses(frame, entries)


def join_responses(target: Questionnaire, parts: Sequence[Responses]) -> Responses:
    """Responses of several versions (from `parse_responses`) as one, the entries
    pointing to the joined rows."""
    if len(parts) == 1:
        return parts[0]
    frame = answers_frame(target, (part.frame for part in parts))
    return Responses(frame, join_entries(target, parts))


def join_entries(target: Questionnaire, parts: Sequence[Responses]) -> dict[str, pd.DataFrame]:
    """The entries of responses in several parts (chunks or versions; each part with
    every repeat's entries) as one frame per repeat, pointing to the rows of the parts'
    frames joined in order."""
    entries: dict[str, list[pd.DataFrame]] = {r.name: [] for r in repeats(target)}
    offsets: dict[str, int] = dict.fromkeys(entries, 0)
    responses = 0
    for part in parts:
        for name, own in part.entries.items():
            moved = own.copy()
            moved[RESPONSE] += responses
            if PARENT in moved:
                moved[PARENT] += offsets[target.repeat_of[name]]
            entries[name].append(moved)
        # Only after the whole part: a nested repeat's parents come from the same part.
        for name, own in part.entries.items():
            offsets[name] += len(own)
        responses += len(part.frame)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in entries.items()}


def responses_from_texts(
    target: Questionnaire, versions: Iterable[tuple[Questionnaire, Sequence[str]]]
) -> Responses:
    """Convenience: (questionnaire of a version, its answer texts) pairs as responses
    with their entries."""
    parts = [
        parse_responses(target, source, join_texts(texts), len(texts)) for source, texts in versions
    ]
    if not parts:
        return Responses(empty_frame(target), _no_entries(target))
    return join_responses(target, parts)


def answers_frame(target: Questionnaire, parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Frames of several versions (from `parse_answers`) as one frame."""
    frames = [part for part in parts if len(part)]
    if not frames:
        return empty_frame(target)
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def frame_from_texts(
    target: Questionnaire, versions: Iterable[tuple[Questionnaire, Sequence[str]]]
) -> pd.DataFrame:
    """Convenience: (questionnaire of a version, its answer texts) pairs as one frame."""
    return answers_frame(
        target,
        (
            parse_answers(target, source, join_texts(texts), len(texts))
            for source, texts in versions
        ),
    )


def empty_frame(target: Questionnaire) -> pd.DataFrame:
    """A frame with the target's columns and no rows."""
    columns: dict[str, Any] = {}
    for question in frame_questions(target):
        columns.update(_typed(target, question, None, 0))
    return pd.DataFrame(columns, index=pd.RangeIndex(0))


def empty_entries(target: Questionnaire, repeat: Question) -> pd.DataFrame:
    """An entries frame of `repeat` with its columns and no rows."""
    return _no_entries(target)[repeat.name]


def _no_entries(target: Questionnaire) -> dict[str, pd.DataFrame]:
    entries: dict[str, pd.DataFrame] = {}
    for repeat in repeats(target):
        if target.repeat_of.get(repeat.name) is None:
            column = pa.nulls(0, kind_of(repeat).answer_type(repeat))
            _add_entries(entries, target, repeat, column, np.zeros(0, np.int64), None)
    return entries


# -- entries ---------------------------------------------------------------------------


def _entry_presence(
    target: Questionnaire, table: pa.Table, rows: int, entries: Mapping[str, pd.DataFrame]
) -> dict[str, Any]:
    """The columns of `target`'s derived questions counting what entries answered
    (`analysis.presence`), from their repeats' entries frames (`entries`, or built here
    from the table's column of the repeat); replaces their columns of no answers."""
    columns: dict[str, Any] = {}
    done: set[str] = set()
    for repeat, _question in entry_presence_sources(target).values():
        if repeat.name in done:
            continue
        done.add(repeat.name)
        own = entries.get(repeat.name)
        if own is None:
            column = (
                table.column(repeat.name)
                if repeat.name in table.column_names
                else pa.nulls(rows, kind_of(repeat).answer_type(repeat))
            )
            own, _flat = entries_frame(target, repeat, column, np.arange(rows), None)
        columns.update(presence_columns(target, repeat, own, rows))
    return columns


def entry_counts(column: pa.Array) -> pd.arrays.IntegerArray:
    """A repeat's number of entries per row (Int64), missing where it was not answered
    (or answered as something else than a list, by an earlier version)."""
    if not pa.types.is_list(column.type):
        return pd.arrays.IntegerArray(np.zeros(len(column), np.int64), np.ones(len(column), bool))
    lengths = pc.list_value_length(column)
    counts = np.asarray(lengths.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    missing = np.asarray(lengths.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return pd.arrays.IntegerArray(counts, missing)


def entries_frame(
    target: Questionnaire,
    repeat: Question,
    column: pa.Array,
    responses: npt.NDArray[np.int64],
    parents: npt.NDArray[np.int64] | None,
) -> tuple[pd.DataFrame, pa.StructArray]:
    """The entries frame of `repeat` from the arrow column of its answers (one list of
    entries per row; `responses[i]` is row i's response, and for a nested repeat row i
    is the enclosing entry `parents[i]`), with the entries as arrow structs (for the
    nested repeats' own frames)."""
    if pa.types.is_list(column.type) and pa.types.is_struct(column.type.value_type):
        owners = np.asarray(pc.list_parent_indices(column).to_numpy(), dtype=np.int64)
        flat = pc.list_flatten(column)
        fields = dict(zip([f.name for f in flat.type], flat.flatten(), strict=True))
    else:  # not a list of entries (an earlier version asked another type): none
        owners = np.zeros(0, dtype=np.int64)
        flat = pa.array([], pa.struct([]))
        fields = {}
    count = len(owners)
    # Owners ascend: an entry's position is its distance from its owner's first entry.
    position = np.arange(count) - np.searchsorted(owners, owners, side="left") + 1
    columns: dict[str, Any] = {RESPONSE: responses[owners]}
    if parents is not None:
        columns[PARENT] = parents[owners]
    columns[ENTRY] = position
    for question in entry_questions(repeat):
        columns.update(_typed(target, question, fields.get(question.name), count))
    frame = pd.DataFrame(columns, index=pd.RangeIndex(count))
    return frame, flat


def _add_entries(
    entries: dict[str, pd.DataFrame],
    target: Questionnaire,
    repeat: Question,
    column: pa.Array,
    responses: npt.NDArray[np.int64],
    parent: pd.DataFrame | None,
) -> None:
    """The entries frames of `repeat` and of the repeats nested in it (`parent`: the
    enclosing repeat's entries frame), into `entries`."""
    parents = None if parent is None else np.arange(len(parent), dtype=np.int64)
    frame, flat = entries_frame(target, repeat, column, responses, parents)
    if parent is not None:
        # The enclosing entry's position, for readers (PARENT is the row to join on).
        enclosing = parent[ENTRY].to_numpy(dtype=np.int64)
        frame.insert(2, PARENT_ENTRY, enclosing[frame[PARENT].to_numpy(dtype=np.int64)])
    entries[repeat.name] = frame
    own = frame[RESPONSE].to_numpy(dtype=np.int64)
    fields = dict(zip([f.name for f in flat.type], flat.flatten(), strict=True))
    for question in entry_questions(repeat):
        if question.type is QuestionType.REPEAT:
            nested = fields.get(question.name)
            if nested is None:
                nested = pa.nulls(len(frame), kind_of(question).answer_type(question))
            _add_entries(entries, target, question, nested, own, frame)


# -- parsing ---------------------------------------------------------------------------


# -- typing ----------------------------------------------------------------------------


def choice_names(questionnaire: Questionnaire, question: Question) -> list[str]:
    """The names of a question's choices, in questionnaire order."""
    return [choice.name for choice in questionnaire.choices_of(question)]


def _typed(
    target: Questionnaire, question: Question, column: pa.Array | None, rows: int
) -> dict[str, Any]:
    """Columns of one target question from the arrow column of its answers (or None):
    its kind says which (`analysis.kinds`), from the column builders below."""
    kind = kind_of(question)
    if column is None:
        column = pa.nulls(rows, kind.answer_type(question))
    return kind.frame_columns(target, question, column, rows)


def text_column(column: pa.Array) -> pd.Series:
    """Answers as text (str; a number given where text is asked becomes its text)."""
    return pd.Series(_strings(column), dtype="str")


def number_column(column: pa.Array, *, integers: bool) -> pd.Series | pd.arrays.IntegerArray:
    """Answers as numbers: nullable Int64 for `integers` (a fraction becomes missing),
    else float64; text that is a number is parsed."""
    numbers = _numbers(column)
    if not integers:
        return pd.Series(numbers, dtype="float64")
    integral = np.isfinite(numbers) & (np.floor(numbers) == numbers)
    values = np.where(integral, numbers, 0).astype("int64")
    return pd.arrays.IntegerArray(values, ~integral)


def date_column(column: pa.Array) -> pd.Series:
    """Answers `YYYY-MM-DD` as datetime64 (anything else missing)."""
    texts = pd.Series(_strings(column), dtype="str")
    dates = pd.to_datetime(texts, format="%Y-%m-%d", errors="coerce")
    # One unit whatever the rows (pandas infers seconds for an empty column).
    return dates.astype("datetime64[us]")


def _numbers(column: pa.Array) -> npt.NDArray[np.float64]:
    if pa.types.is_floating(column.type):
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype="float64")
    if pa.types.is_string(column.type):
        parsed = pd.to_numeric(pd.Series(column.to_pandas()), errors="coerce")
        return np.asarray(parsed, dtype="float64")
    return np.full(len(column), np.nan)


def _codes(values: pa.Array, choices: list[str]) -> npt.NDArray[np.int64]:
    """Position of each value among `choices`, -1 where missing or not a choice."""
    if not choices or not pa.types.is_string(values.type):
        return np.full(len(values), -1, dtype="int64")
    found = pc.index_in(values, value_set=pa.array(choices, pa.string()))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype="int64")


def categorical_column(column: pa.Array, choices: list[str]) -> pd.Categorical[Any]:
    """Answers as a Categorical of `choices` (an answer no longer a choice is missing)."""
    return pd.Categorical.from_codes(_codes(column, choices), categories=pd.Index(choices))


def choice_flags(
    name: str, column: pa.Array, choices: list[str], rows: int
) -> dict[str, pd.arrays.BooleanArray]:
    """A selection as one nullable boolean column per choice (`choice_column`), missing
    where the question was not answered."""
    if pa.types.is_list(column.type):
        lengths = np.asarray(pc.list_value_length(column).fill_null(0).to_numpy(), dtype="int64")
        answered = lengths > 0
        parents = np.asarray(pc.list_parent_indices(column).to_numpy(), dtype="int64")
        codes = _codes(pc.list_flatten(column), choices)
    else:
        # An earlier version asked it as select_one: its answer is a one-choice selection.
        codes = _codes(column, choices)
        answered = codes >= 0
        parents = np.arange(rows)
    # One scatter for all choices (row `position` of `chosen` is that choice's column)
    # instead of one pass over the selections per choice.
    chosen = np.zeros((len(choices), rows), dtype=bool)
    known = codes >= 0
    chosen[codes[known], parents[known]] = True
    unanswered = ~answered
    return {
        choice_column(name, choice): pd.arrays.BooleanArray(chosen[position], unanswered.copy())
        for position, choice in enumerate(choices)
    }


def rank_positions(
    name: str, column: pa.Array, choices: list[str], rows: int
) -> dict[str, pd.arrays.IntegerArray]:
    """A ranking as one column per choice (`choice_column`): the place it was ranked at
    (1 = first), missing where it was not ranked."""
    places = np.zeros((len(choices), rows), dtype=np.int64)
    ranked = np.zeros((len(choices), rows), dtype=bool)
    if pa.types.is_list(column.type) and len(column):
        lengths = np.asarray(pc.list_value_length(column).fill_null(0).to_numpy(), dtype="int64")
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        parents = np.asarray(pc.list_parent_indices(column).to_numpy(), dtype="int64")
        codes = _codes(pc.list_flatten(column), choices)
        place = np.arange(len(codes)) - starts[parents] + 1
        known = codes >= 0
        places[codes[known], parents[known]] = place[known]
        ranked[codes[known], parents[known]] = True
    return {
        choice_column(name, choice): pd.arrays.IntegerArray(places[position], ~ranked[position])
        for position, choice in enumerate(choices)
    }


def ranking_names(frame: pd.DataFrame, name: str, choices: Sequence[str]) -> list[list[str]]:
    """Each row's ranking from its place columns: the choice names, first first."""
    columns = [choice_column(name, choice) for choice in choices]
    places = frame[columns].to_numpy(dtype="float64", na_value=np.nan) if columns else None
    if places is None:
        return [[] for _ in range(len(frame))]
    return [
        [choices[i] for i in np.argsort(row, kind="stable") if not np.isnan(row[i])]
        for row in places
    ]
