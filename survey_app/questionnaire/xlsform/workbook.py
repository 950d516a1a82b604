"""Reading a workbook as pyxform reads it: sheets of rows whose cells are keyed by
parsed column headers, row numbers as in the spreadsheet."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path as FilePath
from typing import Any, cast

from pyxform import constants as pyxform_constants
from pyxform.errors import PyXFormError, PyXFormReadError
from pyxform.parsing.sheet_headers import process_header
from pyxform.xls2json_backends import xls_to_dict, xlsx_to_dict

from survey_app.questionnaire.errors import ProblemCode

Cells = dict[tuple[str, ...], str]
_READERS = ("openpyxl", "xlrd", "pyxform")

# Our names for the columns, keyed by what pyxform's header parser makes of them.
TRANSLATED_COLUMNS: dict[str, tuple[str, ...]] = {
    "label": ("label",),
    "hint": ("hint",),
    "constraint_message": ("bind", "jr:constraintMsg"),
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "type": ("type",),
    "name": ("name",),
    "required": ("bind", "required"),
    "relevant": ("bind", "relevant"),
    "constraint": ("bind", "constraint"),
    "calculation": ("bind", "calculate"),
    "readonly": ("bind", "readonly"),
    "appearance": ("control", "appearance"),
    "choice_filter": ("choice_filter",),
    "default": ("default",),
    "parameters": ("parameters",),
    "working_groups": ("working_groups",),
    "list_name": (pyxform_constants.LIST_NAME_S,),
    "form_id": (pyxform_constants.ID_STRING,),
    "form_title": (pyxform_constants.TITLE,),
    "translated_title": ("translated_title",),
    "version": ("version",),
    "default_language": (pyxform_constants.DEFAULT_LANGUAGE_KEY,),
    "min_cell": ("min_cell",),
    "audience": ("audience",),
    "retention": ("retention",),
    "series": ("series",),
    "repeat_count": ("control", "jr:count"),
}
SETTINGS_TEXTS = ("description", "privacy_notice", "thank_you")
TEXT_KEYS = frozenset({"title", "label", "hint", "constraint_message", *SETTINGS_TEXTS})


class Unreadable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- sheets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    number: int
    cells: Cells

    def get(self, column: str) -> str:
        return self.cells.get(COLUMNS[column], "")

    def texts(self, prefix: tuple[str, ...]) -> Iterator[tuple[str | None, str]]:
        """(language name or None for a column without one, text) for a translated column."""
        for tokens, value in self.cells.items():
            if tokens[: len(prefix)] != prefix or not value:
                continue
            rest = tokens[len(prefix) :]
            if not rest:
                yield None, value
            elif len(rest) == 1:
                yield rest[0], value

    def has_content(self) -> bool:
        return any(self.cells.values())


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[tuple[str, ...], ...]
    rows: tuple[Row, ...]


def read_book(source: FilePath, warn: Callable[[str, ProblemCode, str], None]) -> dict[str, Any]:
    """The workbook as pyxform reads it: {sheet: [row dicts], sheet_header: [...], ...}.

    What the reading libraries warn about (openpyxl: unsupported extensions, missing
    styles, ...) is reported through `warn` instead of being printed with their paths.
    """
    try:
        content = source.read_bytes()
    except OSError as error:
        raise Unreadable(f"cannot read: {error.strerror or error}") from None
    readers = [xlsx_to_dict, xls_to_dict]
    if source.suffix.lower() == ".xls":
        readers.reverse()
    for reader in readers:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                book = cast(dict[str, Any], reader(BytesIO(content)))
            except PyXFormReadError:
                continue
            except PyXFormError as error:  # e.g. a duplicate column header
                raise Unreadable(str(error)) from None
            except Exception as error:  # a damaged file may fail anywhere inside xlrd/openpyxl
                raise Unreadable(f"cannot read the workbook: {error}") from None
        for warning in caught:
            parts = FilePath(warning.filename).parts
            library = next((part for part in parts if part in _READERS), "the reader")
            text = " ".join(str(warning.message).split())
            warn("1", ProblemCode.LIBRARY_WARNING, f"reading the workbook ({library}): {text}")
        return book
    raise Unreadable("not an Excel workbook (.xlsx or .xls)")


def read_sheet(
    book: Mapping[str, Any],
    key: str,
    header_aliases: Mapping[str, Any],
    known_columns: Collection[str],
    warn: Callable[[str, ProblemCode, str], None],
) -> Sheet | None:
    if key not in book:
        return None
    header = book.get(f"{key}_header") or [{}]
    headers = [str(name) for name in header[0]]
    double_colon = any("::" in name for name in headers)
    tokens_of: dict[str, tuple[str, ...]] = {}
    seen: set[tuple[str, ...]] = set()
    title = next(
        (str(name) for name in book.get("sheet_names", []) if str(name).lower() == key), key
    )
    for name in headers:
        tokens = cast(
            tuple[str, ...], process_header(name, double_colon, header_aliases, known_columns)[1]
        )
        if tokens in seen:
            warn(
                f"{title}:1",
                ProblemCode.DUPLICATE_COLUMN,
                f"column '{name}' repeats an earlier column and is ignored",
            )
            continue
        seen.add(tokens)
        tokens_of[name] = tokens
    rows = tuple(
        Row(
            number,
            {tokens_of[name]: str(value) for name, value in row.items() if name in tokens_of},
        )
        for number, row in enumerate(book.get(key) or [], start=2)
    )
    return Sheet(title, tuple(tokens_of.values()), rows)
