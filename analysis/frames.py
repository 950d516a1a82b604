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
  what respondents answered.

Questions that exist only in older versions are dropped: results, breakdowns and
exports describe the current questionnaire, and a removed question belongs to no working
group any more. A question whose type changed between versions is converted where that
is meaningful (a number typed as text is parsed, a former `select_one` answer counts as
a one-choice `select_multiple` answer) and missing otherwise; nothing raises.

Parsing is one vectorised pass per version: the texts are newline-delimited JSON for
pyarrow's multithreaded JSON reader with an explicit schema taken from the version's
own questionnaire (within a version every answer has its question's type, because
`check_answers` enforced it on the way in). Input that breaks that promise (hand-edited
rows, invalid JSON) falls back to a per-row parse that coerces or drops bad values, so a
broken row costs speed, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from analysis.kinds import kind_of
from survey_app.questionnaire.schema import Question, Questionnaire

__all__ = [
    "answers_frame",
    "categorical_column",
    "choice_column",
    "choice_flags",
    "choice_names",
    "date_column",
    "empty_frame",
    "frame_from_texts",
    "frame_questions",
    "join_texts",
    "number_column",
    "parse_answers",
    "rank_positions",
    "ranking_names",
    "text_column",
]


def frame_questions(questionnaire: Questionnaire) -> list[Question]:
    """The questions that get columns: every question a respondent answers."""
    return [q for q in questionnaire.iter_questions() if q.takes_answer]


def choice_column(question: str, choice: str) -> str:
    """Column name of one choice of a `select_multiple` (ticked or not) or a `rank`
    question (its place)."""
    return f"{question}/{choice}"


def join_texts(texts: Iterable[str]) -> str:
    """Answer texts as newline-delimited JSON (a raw newline in JSON is only whitespace)."""
    return "\n".join(text.replace("\n", " ") for text in texts)


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
    schema = _arrow_schema(target, source)
    table = _read_fast(lines, schema, rows)
    if table is None:
        table = _read_slow(lines, schema, rows)
    table = table.combine_chunks()
    columns: dict[str, Any] = {}
    for question in frame_questions(target):
        column = table.column(question.name) if question.name in table.column_names else None
        columns.update(_typed(target, question, column, rows))
    return pd.DataFrame(columns, index=pd.RangeIndex(rows))


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


# -- parsing ---------------------------------------------------------------------------


def _arrow_schema(target: Questionnaire, source: Questionnaire) -> pa.Schema:
    wanted = {q.name for q in frame_questions(target)}
    return pa.schema(
        [
            pa.field(q.name, kind_of(q).answer_type())
            for q in frame_questions(source)
            if q.name in wanted
        ]
    )


def _read_fast(lines: str | bytes, schema: pa.Schema, rows: int) -> pa.Table | None:
    data = lines.encode() if isinstance(lines, str) else lines
    try:
        table = pa_json.read_json(
            pa.BufferReader(data),
            parse_options=pa_json.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    # Blank or non-object lines make the row count differ: let the careful path decide.
    return table if table.num_rows == rows else None


def _read_slow(lines: str | bytes, schema: pa.Schema, rows: int) -> pa.Table:
    if isinstance(lines, bytes):
        lines = lines.decode("utf-8", "replace")
    texts = lines.split("\n") if lines else []
    texts = (texts + ["{}"] * rows)[:rows]
    records = [_coerce_record(_loads(text), schema) for text in texts]
    return pa.Table.from_pylist(records, schema=schema)


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _coerce_record(record: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    return {field.name: _coerce(record.get(field.name), field.type) for field in schema}


def _coerce(value: object, arrow_type: pa.DataType) -> object:
    if arrow_type == pa.float64():
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return value if is_number else None
    if arrow_type == pa.string():
        return value if isinstance(value, str) else None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


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
        column = pa.nulls(rows, kind.answer_type())
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


def _strings(column: pa.Array) -> pa.Array:
    if pa.types.is_string(column.type):
        return column
    if pa.types.is_floating(column.type):
        return pc.cast(column, pa.string())
    return pa.nulls(len(column), pa.string())


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
