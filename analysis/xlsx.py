"""An XLSX workbook written as a stream, for row-level exports of any size: the tables
every format of the export is written from (`analysis.csv_export.export_tables`), as
sheets (`write_stored_xlsx`), with the same columns as the CSV.

openpyxl's write-only mode builds a cell object and an XML element for every value
(~4 µs each: 35 s for 100,000 rows × 86 columns); XlsxWriter's constant-memory mode,
also one call per cell, took ~29.5 s for the same size (20,000 rows timed, 2026-11-23):
both at or over the 30 s the row export may take. Here the sheet XML is made column by
column instead: each distinct value of an Arrow column is turned into its cell markup
once and the rows are joined from those strings, then deflated straight into the zip
file, so memory stays at one chunk of rows.

The package holds only what Excel and LibreOffice need to open it: content types,
relationships, the workbook, a minimal style sheet and the sheets, whose text cells are
inline strings (no shared-string table to keep in memory). A zip file takes one member
at a time: the first sheet goes straight into it, further sheets (a repeat's entries)
into temporary files first, copied into the workbook when it is closed. Texts are
written as text, never as formulas; the columns' builders neutralise what a spreadsheet
would otherwise evaluate.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from analysis.csv_export import StoredRows, export_tables, int64_values
from analysis.export_layout import ExportValues, table_names
from survey_app.questionnaire.schema import Questionnaire

__all__ = ["StreamedWorkbook", "write_stored_xlsx"]

# Characters XML 1.0 cannot hold (openpyxl drops the same ones).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PARTS = {
    "_rels/.rels": (
        f'<Relationships xmlns="{_PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
        "</borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
_EMPTY = "<c/>"
_ROWS_AT_ONCE = 10_000
"""Rows whose markup is held in memory at once."""


def _sheet_parts(sheet_names: Sequence[str]) -> dict[str, str]:
    """Content types, the workbook and its relationships for sheets 1..n (rId1..rIdn;
    the style sheet is rId n+1)."""
    numbers = range(1, len(sheet_names) + 1)
    sheet_type = "vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    return {
        "[Content_Types].xml": (
            f'<Types xmlns="{_PACKAGE}/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                f'ContentType="application/{sheet_type}"/>'
                for n in numbers
            )
            + '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PACKAGE}/relationships">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="{_RELATIONSHIPS}/worksheet" '
                f'Target="worksheets/sheet{n}.xml"/>'
                for n in numbers
            )
            + f'<Relationship Id="rId{len(sheet_names) + 1}" Type="{_RELATIONSHIPS}/styles" '
            'Target="styles.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheets>'
            + "".join(
                f'<sheet name="{_escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
                for n, name in zip(numbers, sheet_names, strict=True)
            )
            + "</sheets></workbook>"
        ),
    }


def _escape(text: str) -> str:
    text = _ILLEGAL.sub("", text)
    # A carriage return is written as a reference: XML readers turn a literal one into \n.
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _cell(value: Any) -> str:
    """The markup of one cell: a number, or any other value as inline text."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return f"<c><v>{value}</v></c>"
    if isinstance(value, float):
        return f"<c><v>{float(value)!r}</v></c>" if math.isfinite(value) else _EMPTY
    return f'<c t="inlineStr"><is><t xml:space="preserve">{_escape(str(value))}</t></is></c>'


def _column_cells(values: pa.ChunkedArray) -> npt.NDArray[np.object_]:
    """Cell markup for every value of an arrow column, each distinct value formatted
    once (a dictionary of the values, as choice labels already are)."""
    column = values.combine_chunks()
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    distinct = column.dictionary.to_pylist()
    markup = np.array([*(_cell(value) for value in distinct), _EMPTY], dtype=object)
    # A missing value's index -1 picks the empty cell at the end.
    return markup[int64_values(column.indices, missing=-1)]


class _Sheet:
    """Rows of one sheet, written as markup to `stream`."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self._rows = 0
        self.stream.write(f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())

    def append_header(self, names: list[str]) -> None:
        """One row of texts."""
        self._write([[_cell(name) for name in names]])

    def append_table(self, table: pa.Table) -> None:
        """The rows of `table`: numbers as numbers, missing values as empty cells,
        everything else as text."""
        for start in range(0, table.num_rows, _ROWS_AT_ONCE):
            part = table.slice(start, _ROWS_AT_ONCE)
            columns = [_column_cells(column) for column in part.columns]
            self._write(np.stack(columns, axis=1).tolist())

    def _write(self, rows: list[list[str]]) -> None:
        first = self._rows + 1
        text = "".join(
            f'<row r="{number}">{"".join(cells)}</row>'
            for number, cells in enumerate(rows, start=first)
        )
        self.stream.write(text.encode())
        self._rows += len(rows)

    def end(self) -> None:
        self.stream.write(b"</sheetData></worksheet>")


class StreamedWorkbook:
    """`with StreamedWorkbook(path, ["responses", "members"]) as book:
    book.sheet("members").append_table(table)`: the first sheet's rows go straight into
    the deflated file, the others' into temporary files until the workbook is closed."""

    def __init__(self, path: Path, sheet_names: Sequence[str], *, compresslevel: int = 1) -> None:
        self._zip = zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._names = list(sheet_names)
        self._sheets: dict[str, _Sheet] = {}

    def __enter__(self) -> StreamedWorkbook:
        for name, text in (_PARTS | _sheet_parts(self._names)).items():
            self._zip.writestr(name, _HEAD + text)
        first = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._sheets[self._names[0]] = _Sheet(first)
        for name in self._names[1:]:
            self._sheets[name] = _Sheet(tempfile.TemporaryFile())
        return self

    def sheet(self, name: str) -> _Sheet:
        """The sheet called `name` (one of the names given)."""
        return self._sheets[name]

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            sheets = list(self._sheets.values())
            if sheets:
                sheets[0].end()
                sheets[0].stream.close()
            for number, sheet in enumerate(sheets[1:], start=2):
                sheet.end()
                sheet.stream.seek(0)
                if kind is None:
                    member = f"xl/worksheets/sheet{number}.xml"
                    with self._zip.open(member, "w", force_zip64=True) as target:
                        shutil.copyfileobj(sheet.stream, target)
                sheet.stream.close()
        finally:
            self._zip.close()


def write_stored_xlsx(
    chunks: Iterable[StoredRows],
    target: Questionnaire,
    versions: Mapping[int, tuple[int, Questionnaire]],
    language: str,
    path: Path,
    *,
    values: ExportValues = "labels",
) -> int:
    """Write stored submissions (as `analysis.csv_export.write_stored_csv_files` takes
    them) to an XLSX workbook with the same columns: the sheet `responses`, and one sheet
    per repeat with its entries, with labels or codes (`values`); the number of
    submissions."""
    names = table_names(target)
    first = True
    written = 0
    with StreamedWorkbook(path, list(names.values())) as book:
        for tables in export_tables(target, versions, chunks, language, values):
            for name, table in tables.items():
                sheet = book.sheet(names[name])
                if first:
                    sheet.append_header(table.column_names)
                sheet.append_table(table)
            written += tables[None].num_rows
            first = False
    return written
