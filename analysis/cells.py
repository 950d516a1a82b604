"""Text cells that spreadsheets never read as formulas, for every file format that has
cells (results tables, row-level exports, workbooks). Its own module so that a writer
needs neither the results' tables nor pandas to use it."""

from __future__ import annotations

import re

__all__ = ["FORMULA_START", "NUMBER_CODES", "neutralize", "neutralize_codes"]

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
"""How a text cell starts that a spreadsheet would evaluate as a formula."""


def neutralize(value: str) -> str:
    """A text cell that spreadsheets will never read as a formula."""
    return "'" + value if FORMULA_START.match(value) else value


_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)"
NUMBER_CODES = re.compile(rf"^{_NUMBER}(?: {_NUMBER})*$")
"""Choice codes that are numbers (`-1`, `+49`), one or several separated by spaces."""


def neutralize_codes(value: str) -> str:
    """Choice codes (a choice's name, or the names of a selection separated by spaces) as
    a cell: as the form wrote them when they are numbers, otherwise as any text
    (`neutralize`). A number such as `-1` or `-99` is a common code for "no answer";
    a spreadsheet reads it as a number, and nothing built of numbers and spaces can
    reach outside the sheet, while an analysis script must find the form's own code.
    A code like `=cmd` is not free text either, but a spreadsheet would evaluate it."""
    return value if NUMBER_CODES.match(value) else neutralize(value)
