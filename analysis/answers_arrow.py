"""Stored answers (JSON texts of one questionnaire version) as an Arrow table, with
pyarrow alone: `analysis.frames` types its columns for pandas, the row-level CSV export
(`analysis.csv_export`) writes them without pandas, so both read the same way.

Parsing is one vectorised pass per version: newline-delimited JSON for pyarrow's
multithreaded reader with an explicit schema from the version's own questionnaire.
Input that breaks that schema (hand-edited rows, invalid JSON) falls back to a per-row
parse that coerces or drops bad values, so a broken row costs speed, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from analysis.kinds import kind_of
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = [
    "answer_strings",
    "answered_questions",
    "join_texts",
    "read_answers_table",
    "repeats",
]


def answered_questions(questionnaire: Questionnaire) -> list[Question]:
    """The questions that get columns: every question a respondent answers (a repeat is
    one of them: its number of entries)."""
    return [q for q in questionnaire.iter_questions() if q.takes_answer]


def repeats(questionnaire: Questionnaire) -> list[Question]:
    """Every repeat with answered questions, nested ones included, each right after the
    repeat that encloses it (the order of `Responses.entries`)."""
    return [
        q
        for q in questionnaire.all_questions.values()
        if q.type is QuestionType.REPEAT and q.takes_answer
    ]


def join_texts(texts: Iterable[str]) -> str:
    """Answer texts as newline-delimited JSON (a raw newline in JSON is only whitespace)."""
    return "\n".join(text.replace("\n", " ") for text in texts)


def read_answers_table(
    target: Questionnaire, source: Questionnaire, lines: str | bytes, rows: int
) -> pa.Table:
    """`rows` answer texts of `source`, one JSON object per line, as one column per
    question that `target` also asks, each of the type `source` stored it as."""
    schema = _arrow_schema(target, source)
    table = _read_fast(lines, schema, rows)
    if table is None:
        table = _read_slow(lines, schema, rows)
    return table.combine_chunks()


def _arrow_schema(target: Questionnaire, source: Questionnaire) -> pa.Schema:
    wanted = {q.name for q in answered_questions(target)}
    return pa.schema(
        [
            pa.field(q.name, kind_of(q).answer_type(q))
            for q in answered_questions(source)
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
    if pa.types.is_list(arrow_type) and pa.types.is_struct(arrow_type.value_type):
        # A repeat's entries: each an object, its answers coerced as a response's are.
        if not isinstance(value, list):
            return None
        entry = arrow_type.value_type
        fields = [entry.field(i) for i in range(entry.num_fields)]
        return [
            {f.name: _coerce(item.get(f.name), f.type) for f in fields}
            for item in value
            if isinstance(item, dict)
        ]
    if arrow_type == pa.float64():
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return value if is_number else None
    if arrow_type == pa.string():
        return value if isinstance(value, str) else None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def answer_strings(column: pa.Array) -> pa.Array:
    """Answers as text (a number given where text is asked becomes its text)."""
    if pa.types.is_string(column.type):
        return column
    if pa.types.is_floating(column.type):
        return pc.cast(column, pa.string())
    return pa.nulls(len(column), pa.string())
