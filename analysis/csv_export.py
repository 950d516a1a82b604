"""The row-level export's columns and tables, with pyarrow alone, and its CSV: the one
definition of what a row-level export holds (see `analysis.export_layout` for the
layout: headers "label [name]", choice labels, 1/0 per ticked choice, or the form's
names and codes; one table per repeat in KoboToolbox's long layout, formulas
neutralised).

The stored answer texts of each version are read into an Arrow table
(`analysis.answers_arrow`), each question's kind turns its column into the export's
columns (`Kind.export_columns`, from the builders below), and `export_tables` puts them
into the tables every format is written from: the CSV here (Arrow's CSV writer), the
XLSX in `analysis.xlsx`. Nothing here imports pandas: a command-line export of 10,000
responses spent more time importing pandas than writing the file. A number that an
earlier version stored as text is parsed by pandas' own parser (`csv_numbers`), as
the results read it, so the export and the results agree on what counts as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from analysis.answers_arrow import answer_strings, join_texts, read_answers_table, repeats
from analysis.cells import FORMULA_START, neutralize, neutralize_codes
from analysis.export_layout import (
    INDEX,
    META,
    PARENT_INDEX,
    PARENT_TABLE,
    POSITION,
    SUBMISSION_INDEX,
    ExportValues,
    entries_paths,
    table_names,
)
from analysis.kinds import kind_of
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = [
    "StoredRows",
    "csv_choice_labels",
    "csv_date_texts",
    "csv_entry_counts",
    "csv_neutralized",
    "csv_numbers",
    "csv_rankings",
    "csv_selection_codes",
    "csv_ticks",
    "export_tables",
    "int64_values",
    "selection_codes",
    "write_stored_csv_files",
]


@dataclass(frozen=True)
class StoredRows:
    """Stored submissions in id order, column by column: each one's version (the row's
    `version_id`), when it was submitted (as `str()` of the stored value), its language,
    status and answer text (JSON)."""

    version_ids: Sequence[int]
    submitted_on: Sequence[str]
    languages: Sequence[str | None]
    statuses: Sequence[str | None]
    answers: Sequence[str]


# -- arrays without pandas -------------------------------------------------------------
# `pa.array`, `pa.scalar`, `Array.to_numpy` and Python values given to a compute function
# all import pandas (pyarrow checks whether a value is a pandas object): 0.2-0.4 s of a
# command-line call. Arrays are therefore made from buffers and read as buffers here.


def _from_numpy(values: npt.NDArray[Any], *, mask: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    """A numpy array of int8 or int64 as an arrow array, missing where `mask` is True."""
    values = np.ascontiguousarray(values)
    arrow_type = {np.dtype(np.int8): pa.int8(), np.dtype(np.int64): pa.int64()}[values.dtype]
    validity = None
    if mask is not None and mask.any():
        validity = pa.py_buffer(np.packbits(~mask, bitorder="little"))
    return pa.Array.from_buffers(arrow_type, len(values), [validity, pa.py_buffer(values)])


def _texts(values: Sequence[str | None]) -> pa.Array:
    """Python strings (None: missing) as an arrow string array."""
    encoded = [b"" if value is None else value.encode() for value in values]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    large = bool(offsets[-1] >= 2**31)
    missing = np.fromiter((value is None for value in values), dtype=bool, count=len(values))
    validity = None
    if missing.any():
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(
        pa.large_string() if large else pa.string(),
        len(values),
        [
            validity,
            pa.py_buffer(offsets if large else offsets.astype(np.int32)),
            pa.py_buffer(b"".join(encoded)),
        ],
    )


def int64_values(values: pa.Array, *, missing: int = 0) -> npt.NDArray[np.int64]:
    """An arrow array of integers as int64 numbers, `missing` where missing."""
    whole = pc.cast(values, pa.int64())
    if whole.null_count:
        whole = pc.coalesce(whole, _from_numpy(np.full(len(whole), missing, dtype=np.int64)))
    buffer = whole.buffers()[1]
    if buffer is None:
        return np.zeros(0, dtype=np.int64)
    return np.frombuffer(buffer, dtype=np.int64, count=len(whole), offset=whole.offset * 8)


# -- column builders (called by the kinds' `export_columns`) ------------------------------


def csv_neutralized(texts: pa.Array) -> pa.Array:
    """Texts (missing stays missing) that spreadsheets will never read as a formula."""
    dangerous = pc.match_substring_regex(texts, FORMULA_START.pattern)
    quote, nothing = _texts(["'", ""])  # scalars from an array: `pa.scalar` loads pandas
    return pc.if_else(dangerous, pc.binary_join_element_wise(quote, texts, nothing), texts)


def _codes(values: pa.Array, choices: Sequence[str]) -> npt.NDArray[np.int64]:
    """Position of each value among `choices`, -1 where missing or not a choice."""
    if not choices or not pa.types.is_string(values.type):
        return np.full(len(values), -1, dtype=np.int64)
    found = pc.index_in(values, value_set=_texts(choices))
    return int64_values(found, missing=-1)


def csv_choice_labels(column: pa.Array, choices: Sequence[str], labels: Sequence[str]) -> pa.Array:
    """A `select_one` answer as its choice's label (`labels`, in the order of `choices`);
    missing where unanswered or no longer a choice."""
    codes = _codes(column, choices)
    # A dictionary of the labels, as pandas' categories: no label copied per row.
    return pa.DictionaryArray.from_arrays(_from_numpy(codes, mask=codes < 0), _texts(labels))


def _selections(
    column: pa.Array, choices: Sequence[str]
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """A selection as a 1/0 row per choice (choices by rows, answers by columns), and
    whether each was answered (not an empty selection); an earlier version's `select_one`
    answer is a one-choice selection."""
    rows = len(column)
    if pa.types.is_list(column.type):
        lengths = int64_values(pc.list_value_length(column), missing=0)
        answered = lengths > 0
        parents = int64_values(pc.list_parent_indices(column))
        codes = _codes(pc.list_flatten(column), choices)
    else:
        codes = _codes(column, choices)
        answered = codes >= 0
        parents = np.arange(rows)
    chosen = np.zeros((len(choices), rows), dtype=np.int8)
    known = codes >= 0
    chosen[codes[known], parents[known]] = 1
    return chosen, answered


def csv_ticks(column: pa.Array, choices: Sequence[str]) -> list[pa.Array]:
    """A selection as one 1/0 column per choice (int8), missing where the question was not
    answered (an empty selection included); an earlier version's `select_one` answer is a
    one-choice selection."""
    chosen, answered = _selections(column, choices)
    unanswered = ~answered
    return [_from_numpy(ticks, mask=unanswered) for ticks in chosen]


def selection_codes(
    chosen: Sequence[npt.NDArray[Any]], answered: npt.NDArray[np.bool_], choices: Sequence[str]
) -> list[str | None]:
    """Selections as the chosen choices' names separated by spaces, as Kobo writes a
    `select_multiple` with "XML values" (`chosen`: a row of 1/0 or booleans per choice, in
    the form's order, which is also the order in which ODK Collect and Enketo submit
    them); missing where not answered, empty where the answer names no choice the form
    still has (its ticks are all 0). Names that are numbers are written as they are,
    others as texts (`neutralize_codes`)."""
    joined = np.full(len(answered), "", dtype=object)
    for ticked, name in zip(chosen, choices, strict=True):
        joined = np.where(np.asarray(ticked, dtype=bool), joined + f"{name} ", joined)
    texts: list[str | None] = []
    for text, given in zip(joined.tolist(), answered.tolist(), strict=True):
        if not given:
            texts.append(None)
        else:
            texts.append(neutralize_codes(text.rstrip(" ")))
    return texts


def csv_selection_codes(column: pa.Array, choices: Sequence[str]) -> pa.Array:
    """A selection as `selection_codes` writes it."""
    chosen, answered = _selections(column, choices)
    return _texts(selection_codes(list(chosen), answered, choices))


def csv_rankings(column: pa.Array, choices: Sequence[str], *, codes: bool = False) -> pa.Array:
    """A ranking as the ranked choices' names, first first, separated by spaces (as Kobo);
    a name given twice counts at its later place, unknown names are left out; missing
    where nothing known was ranked. Neutralised as a text, or with `codes` as codes
    (`neutralize_codes`: numbers as they are)."""
    cell = neutralize_codes if codes else neutralize
    known = set(choices)
    texts: list[str | None] = []
    values = column.to_pylist() if pa.types.is_list(column.type) else [None] * len(column)
    for ranked in values:
        places = {name: place for place, name in enumerate(ranked or ()) if name in known}
        names = sorted(places, key=places.__getitem__)
        texts.append(cell(" ".join(names)) if names else None)
    return _texts(texts)


def csv_numbers(column: pa.Array, *, integers: bool) -> pa.Array:
    """Answers as numbers: int64 for `integers` (a fraction becomes missing), else
    float64; where an earlier version stored text, pandas parses it as the results' frames
    do (a question whose type changed: rare, so its import is paid only then)."""
    if pa.types.is_string(column.type):
        import pandas as pd

        from analysis.frames import number_column

        return pa.array(pd.Series(number_column(column, integers=integers)), from_pandas=True)
    if not pa.types.is_floating(column.type):
        return pa.nulls(len(column), pa.int64() if integers else pa.float64())
    numbers = column.cast(pa.float64())
    if not integers:
        return numbers
    integral = pc.and_(pc.is_finite(numbers), pc.equal(pc.floor(numbers), numbers))
    whole = pc.if_else(integral, numbers, pa.nulls(len(numbers), pa.float64()))
    return pc.cast(whole, pa.int64(), safe=False)


def csv_date_texts(column: pa.Array) -> pa.Array:
    """Answers `YYYY-MM-DD` (month and day may have one digit) written `YYYY-MM-DD`;
    anything else, an impossible day included, missing."""
    texts = answer_strings(column)
    parts = pc.extract_regex(texts, r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})$")
    parsed = pc.strptime(texts, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2021-02-29 over to 1 March: a day or month that moved was impossible.
    same_day = pc.equal(pc.day(parsed), pc.cast(pc.struct_field(parts, "d"), pa.int64()))
    same_month = pc.equal(pc.month(parsed), pc.cast(pc.struct_field(parts, "m"), pa.int64()))
    valid = pc.if_else(pc.and_(same_day, same_month), parsed, pa.nulls(len(parsed), parsed.type))
    return pc.strftime(valid, format="%Y-%m-%d")


def csv_entry_counts(column: pa.Array) -> pa.Array:
    """A repeat's number of entries per row, missing where it was not answered."""
    if not pa.types.is_list(column.type):
        return pa.nulls(len(column), pa.int64())
    return pc.cast(pc.list_value_length(column), pa.int64())


# -- tables ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entries:
    """A repeat's entries before the link columns: each one's response row (`response`),
    enclosing entry row (`parent`, nested repeats only) and position (`entry`), and its
    questions' columns by header."""

    columns: dict[str, pa.Array]
    response: npt.NDArray[np.int64]
    parent: npt.NDArray[np.int64] | None
    entry: npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Part:
    """Rows of responses as the export's columns (`main`, by header) and their repeats'
    entries (by repeat name, each right after the repeat that encloses it)."""

    main: dict[str, pa.Array]
    entries: dict[str, _Entries]

    @property
    def rows(self) -> int:
        return len(next(iter(self.main.values()))) if self.main else 0


def _question_columns(
    target: Questionnaire,
    questions: Iterable[Question],
    fields: Mapping[str, pa.Array],
    rows: int,
    language: str,
    values: ExportValues,
) -> dict[str, pa.Array]:
    columns: dict[str, pa.Array] = {}
    for question in questions:
        if not question.takes_answer:
            continue
        kind = kind_of(question)
        column = fields.get(question.name)
        if column is None:
            column = pa.nulls(rows, kind.answer_type(question))
        # A dict: a header given twice keeps its first place.
        if values == "codes":
            columns |= kind.export_code_columns(target, question, column, question.name, language)
        else:
            header = neutralize(f"{target.text(question.label, language)} [{question.name}]")
            columns |= kind.export_columns(target, question, column, header, language)
    return columns


def _add_entries(
    target: Questionnaire,
    repeat: Question,
    column: pa.Array,
    responses: npt.NDArray[np.int64],
    parents: npt.NDArray[np.int64] | None,
    language: str,
    values: ExportValues,
    into: dict[str, _Entries],
) -> None:
    """The entries of `repeat` (and of the repeats nested in it) from its arrow column
    (one list of entries per row: row i belongs to response `responses[i]`, and for a
    nested repeat is the enclosing entry `parents[i]`), into `into` by repeat name."""
    if pa.types.is_list(column.type) and pa.types.is_struct(column.type.value_type):
        owners = int64_values(pc.list_parent_indices(column))
        flat = pc.list_flatten(column)
        fields = dict(zip([f.name for f in flat.type], flat.flatten(), strict=True))
    else:  # not a list of entries (an earlier version asked another type): none
        owners = np.zeros(0, dtype=np.int64)
        fields = {}
    count = len(owners)
    # Owners ascend: an entry's position is its distance from its owner's first entry.
    position = np.arange(count) - np.searchsorted(owners, owners, side="left") + 1
    own = responses[owners]
    into[repeat.name] = _Entries(
        _question_columns(target, repeat.questions, fields, count, language, values),
        response=own,
        parent=None if parents is None else parents[owners],
        entry=position,
    )
    for question in repeat.questions:
        if question.type is QuestionType.REPEAT and question.takes_answer:
            nested = fields.get(question.name)
            if nested is None:
                nested = pa.nulls(count, kind_of(question).answer_type(question))
            rows = np.arange(count, dtype=np.int64)
            _add_entries(target, question, nested, own, rows, language, values, into)


def _version_part(
    target: Questionnaire,
    source: Questionnaire,
    texts: Sequence[str],
    language: str,
    values: ExportValues,
) -> _Part:
    """The answer texts of one version's rows as the export's columns."""
    rows = len(texts)
    fields: dict[str, pa.Array] = {}
    if rows:
        table = read_answers_table(target, source, join_texts(texts), rows)
        fields = {name: table.column(name).combine_chunks() for name in table.column_names}
    entries: dict[str, _Entries] = {}
    for repeat in repeats(target):
        if target.repeat_of.get(repeat.name) is None:
            column = fields.get(repeat.name)
            if column is None:
                column = pa.nulls(rows, kind_of(repeat).answer_type(repeat))
            responses = np.arange(rows, dtype=np.int64)
            _add_entries(target, repeat, column, responses, None, language, values, entries)
    main = _question_columns(target, target.iter_questions(), fields, rows, language, values)
    return _Part(main, {r.name: entries[r.name] for r in repeats(target)})


def _joined(target: Questionnaire, parts: Sequence[_Part]) -> _Part:
    """Parts one after the other, the entries pointing to the joined rows."""
    if len(parts) == 1:
        return parts[0]
    main = {h: pa.concat_arrays([p.main[h] for p in parts]) for h in parts[0].main}
    entries: dict[str, _Entries] = {}
    for name, first in parts[0].entries.items():
        own = [part.entries[name] for part in parts]
        starts = np.cumsum([0, *(part.rows for part in parts)])
        enclosing = target.repeat_of.get(name)
        parent = None
        if enclosing is not None:
            sizes = [len(part.entries[enclosing].entry) for part in parts]
            before = np.cumsum([0, *sizes])
            parent = np.concatenate(
                [e.parent + at for e, at in zip(own, before, strict=False) if e.parent is not None]
            )
        entries[name] = _Entries(
            {h: pa.concat_arrays([e.columns[h] for e in own]) for h in first.columns},
            response=np.concatenate([e.response + at for e, at in zip(own, starts, strict=False)]),
            parent=parent,
            entry=np.concatenate([e.entry for e in own]),
        )
    return _Part(main, entries)


def _reordered(target: Questionnaire, part: _Part, order: npt.NDArray[np.intp]) -> _Part:
    """The rows in `order` (row k is row `order[k]`), each with its entries, which follow
    their responses' new order (as `analysis.frames.take_responses`)."""
    indices = _from_numpy(order.astype(np.int64))
    main = {header: column.take(indices) for header, column in part.main.items()}
    new_row = np.empty(len(order), dtype=np.int64)
    new_row[order] = np.arange(len(order))
    entries: dict[str, _Entries] = {}
    moved: dict[str, npt.NDArray[np.int64]] = {}
    for name, own in part.entries.items():
        response = new_row[own.response]
        parent = None
        owner = response
        if own.parent is not None:
            parent = owner = moved[target.repeat_of[name]][own.parent]
        sort = np.lexsort([own.entry, owner])
        moved[name] = np.empty(len(sort), dtype=np.int64)
        moved[name][sort] = np.arange(len(sort))
        taken = _from_numpy(sort.astype(np.int64))
        entries[name] = _Entries(
            {header: column.take(taken) for header, column in own.columns.items()},
            response=response[sort],
            parent=None if parent is None else parent[sort],
            entry=own.entry[sort],
        )
    return _Part(main, entries)


def _chunk_part(
    target: Questionnaire,
    versions: Mapping[int, tuple[int, Questionnaire]],
    stored: StoredRows,
    language: str,
    values: ExportValues,
) -> _Part:
    """One chunk of stored rows as the export's columns, meta columns first, in id order:
    each version's rows are parsed with its own questionnaire, then put back in place."""
    rows = len(stored.answers)
    of_version = np.asarray(stored.version_ids, dtype=np.int64)
    numbers = np.empty(rows, dtype=np.int64)
    parts: list[_Part] = []
    positions: list[npt.NDArray[np.intp]] = []
    for version_id in dict.fromkeys(stored.version_ids):
        number, source = versions[version_id]
        where = np.flatnonzero(of_version == version_id)
        numbers[where] = number
        own = stored.answers if len(where) == rows else [stored.answers[int(i)] for i in where]
        parts.append(_version_part(target, source, own, language, values))
        positions.append(where)
    if not parts:
        parts.append(_version_part(target, target, [], language, values))
    part = _joined(target, parts)
    if len(parts) > 1:
        # Back into id order: row k of the concatenation came from position order[k].
        part = _reordered(target, part, np.argsort(np.concatenate(positions), kind="stable"))
    meta = dict(
        zip(
            META,
            (
                csv_neutralized(_texts(stored.submitted_on)),
                csv_neutralized(_texts(stored.languages)),
                _from_numpy(numbers),
                csv_neutralized(_texts(stored.statuses)),
            ),
            strict=True,
        )
    )
    return _Part(meta | part.main, part.entries)


def export_tables(
    target: Questionnaire,
    versions: Mapping[int, tuple[int, Questionnaire]],
    chunks: Iterable[StoredRows],
    language: str,
    values: ExportValues,
) -> Iterator[dict[str | None, pa.Table]]:
    """Per chunk of stored rows, the tables of the row-level export (None: the
    responses'; by repeat name, each repeat's entries): link columns added, rows numbered
    on across chunks; one without rows when there are no chunks (for the headers). Every
    format is written from these (the CSV here, the XLSX in `analysis.xlsx`)."""
    names = table_names(target)
    written: dict[str | None, int] = dict.fromkeys(names, 0)
    empty = StoredRows([], [], [], [], [])
    any_chunk = False
    for stored in chunks:
        any_chunk = True
        part = _chunk_part(target, versions, stored, language, values)
        yield _linked(target, part, names, written)
    if not any_chunk:
        part = _chunk_part(target, versions, empty, language, values)
        yield _linked(target, part, names, written)


def _linked(
    target: Questionnaire,
    part: _Part,
    names: Mapping[str | None, str],
    written: dict[str | None, int],
) -> dict[str | None, pa.Table]:
    """The chunk's tables with `_index` and the links to their enclosing tables, numbered
    after the rows `written` before (updated here)."""
    main = part.main
    if len(names) > 1:
        first = written[None] + 1
        main = {INDEX: _from_numpy(np.arange(first, first + part.rows, dtype=np.int64))} | main
    tables: dict[str | None, pa.Table] = {None: pa.table(main)}
    for name, entries in part.entries.items():
        enclosing = target.repeat_of.get(name)
        count = len(entries.entry)
        response = entries.response + written[None] + 1
        parent = response if entries.parent is None else entries.parent + written[enclosing] + 1
        first = written[name] + 1
        links = {
            INDEX: _from_numpy(np.arange(first, first + count, dtype=np.int64)),
            PARENT_TABLE: _texts([neutralize(names[enclosing])] * count),
            PARENT_INDEX: _from_numpy(parent),
            SUBMISSION_INDEX: _from_numpy(response),
            POSITION: _from_numpy(entries.entry),
        }
        tables[name] = pa.table(links | entries.columns)
    for key, table in tables.items():
        written[key] += table.num_rows
    return tables


def write_stored_csv_files(
    chunks: Iterable[StoredRows],
    target: Questionnaire,
    versions: Mapping[int, tuple[int, Questionnaire]],
    language: str,
    path: Path,
    *,
    values: ExportValues = "labels",
) -> tuple[int, list[Path]]:
    """Write stored submissions (chunks in id order; `versions`: a version id's number
    and questionnaire) to the CSV file `path`, each repeat's entries to its own file
    beside it (`<stem>-<repeat>.csv`), with `target`'s columns, its labels or its codes
    (`values`); the number of submissions and the files written, `path` first.

    UTF-8 with BOM (Excel reads the encoding from it), every text cell and header
    quoted, numbers not, missing values empty, lines ending in CRLF."""
    paths: dict[str | None, Path] = {None: path}
    paths.update(entries_paths(path, target))
    options = {
        header: pa_csv.WriteOptions(include_header=header, eol="\r\n") for header in (True, False)
    }
    written = 0
    with ExitStack() as stack:
        handles: dict[str | None, IO[bytes]] = {}
        for name, file in paths.items():
            handles[name] = stack.enter_context(file.open("wb"))
            handles[name].write("\ufeff".encode())
        first = True
        for tables in export_tables(target, versions, chunks, language, values):
            for name, table in tables.items():
                if first or table.num_rows:
                    pa_csv.write_csv(table, handles[name], options[first])
            written += tables[None].num_rows
            first = False
    return written, list(paths.values())
