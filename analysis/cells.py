"""Text cells that spreadsheets never read as formulas, for every file format that has
cells (results tables, row-level exports, workbooks). Its own module so that a writer
needs neither the results' tables nor pandas to use it."""

from __future__ import annotations

import re

__all__ = ["FORMULA_START", "neutralize"]

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
"""How a text cell starts that a spreadsheet would evaluate as a formula."""


def neutralize(value: str) -> str:
    """A text cell that spreadsheets will never read as a formula."""
    return "'" + value if FORMULA_START.match(value) else value
