"""Lists of new invitation links for offices that mail-merge themselves: one layout
(columns `label`, `link`) whether made on `/admin` or by `survey-app invitations create`,
as an XLSX workbook or as a CSV that German Excel opens in columns (semicolons, UTF-8
with a byte-order mark, CRLF).

Labels are typed by people, so a label that a spreadsheet would run as a formula is
written as text (`analysis.exports.neutralize`); links start with the base URL."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

from analysis.exports import neutralize
from survey_app.services.admin import InvitationLink

__all__ = ["LINK_FORMATS", "links_file"]

COLUMNS = ("label", "link")
LINK_FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def links_file(links: Sequence[InvitationLink], file_format: str) -> bytes:
    """The file of `links` in `file_format` (a key of `LINK_FORMATS`)."""
    rows = [(neutralize(link.label), link.link) for link in links]
    if file_format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    if file_format != "xlsx":
        raise ValueError(f"unknown link list format {file_format!r}")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("links")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(list(row))
    out_bytes = io.BytesIO()
    book.save(out_bytes)
    return out_bytes.getvalue()
