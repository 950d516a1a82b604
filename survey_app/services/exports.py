"""The row-level CSV and XLSX exports of a survey, read and written without pandas.

`survey-app export --format csv` over 10,000 responses spent more time importing pandas
than exporting; the frames of `services.results.export_responses` are needed by SPSS and
Stata (`analysis.labelled`), not by a CSV or a workbook. Here the rows are read through
SQLAlchemy Core in chunks of ids and handed to `analysis.csv_export`, which parses them
with pyarrow into the export's columns (`Kind.export_columns`) and writes the CSV, or to
`analysis.xlsx`, which writes the same tables as a workbook.

The parsed-answers cache (`services.results_cache`) is not used: it holds the counted
answers (excluded responses left out) without the submission time, language and status
an export has, and a chunk of texts parses in a fraction of the time reading it takes.

Rows are read `CHUNK` at a time, each chunk by a reader thread while the one before is
parsed and written.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import String, select, type_coerce

from analysis.csv_export import StoredRows, write_stored_csv_files
from analysis.export_layout import ExportValues
from survey_app.db.core import submission, survey_version
from survey_app.db.engine import Database
from survey_app.errors import UnknownSurvey
from survey_app.questionnaire.schema import Questionnaire

CHUNK = 10_000
"""Submissions read, parsed and written at a time. A 100,000-response export took 2.3
instead of 2.9 s of CPU and 250 instead of 460 MB with 10,000 rather than 50,000 (less
memory to fault in and to scan for the cycle collector); 5,000 saved no more time."""

__all__ = ["ExportWritten", "export_csv", "export_xlsx"]


@dataclass(frozen=True)
class ExportWritten:
    """What `export_csv` or `export_xlsx` wrote: the questionnaire whose columns the
    files have, the number of responses, the files (the responses' first, then each
    repeat's entries; the workbook alone)."""

    questionnaire: Questionnaire
    responses: int
    paths: list[Path]


def export_csv(
    db: Database,
    survey_id: str,
    path: Path,
    *,
    language: str | None = None,
    values: ExportValues = "labels",
    chunk: int = CHUNK,
) -> ExportWritten:
    """Write every submission of a survey (excluded ones included, marked in `status`),
    oldest first, to the CSV file `path` with the newest questionnaire's columns, headers
    and labels in `language` (default: the survey's) or, with `values="codes"`, the
    form's names and codes, each repeat's entries to a file of its own beside it; memory
    stays constant however many there are.

    Raises `UnknownSurvey`."""
    source = _source(db, survey_id, chunk)
    count, paths = write_stored_csv_files(
        source.chunks,
        source.target,
        source.versions,
        source.target.language_or_default(language),
        path,
        values=values,
    )
    return ExportWritten(source.target, count, paths)


def export_xlsx(
    db: Database,
    survey_id: str,
    path: Path,
    *,
    language: str | None = None,
    values: ExportValues = "labels",
    chunk: int = CHUNK,
) -> ExportWritten:
    """As `export_csv`, to the XLSX workbook `path`: the same columns, the responses on
    the sheet `responses` and each repeat's entries on a sheet of its own.

    Raises `UnknownSurvey`."""
    from analysis.xlsx import write_stored_xlsx

    source = _source(db, survey_id, chunk)
    count = write_stored_xlsx(
        source.chunks,
        source.target,
        source.versions,
        source.target.language_or_default(language),
        path,
        values=values,
    )
    return ExportWritten(source.target, count, [path])


@dataclass(frozen=True)
class _Source:
    """What an export reads: the newest questionnaire of the survey, whose columns the
    export has; every published version (`_versions`); the stored rows, read ahead."""

    target: Questionnaire
    versions: dict[int, tuple[int, Questionnaire]]
    chunks: Iterator[StoredRows]


def _source(db: Database, survey_id: str, chunk: int) -> _Source:
    """Raises `UnknownSurvey`."""
    versions = _versions(db, survey_id)
    if not versions:
        raise UnknownSurvey(survey_id)
    # Versions are numbered in order of publication.
    _number, target = max(versions.values(), key=lambda version: version[0])
    return _Source(target, versions, _read_ahead(_stored_rows(db, survey_id, chunk)))


def _versions(db: Database, survey_id: str) -> dict[int, tuple[int, Questionnaire]]:
    """Every published version of the survey: its number and questionnaire by row id.

    Read through SQLAlchemy Core (`survey_app.db.core`), not `services.surveys`: its table
    classes import SQLModel and the ORM, which took longer than the export's own work."""
    with db.read_connection() as connection:
        rows = connection.execute(
            select(survey_version.c.id, survey_version.c.number, survey_version.c.definition)
            .where(survey_version.c.survey_id == survey_id)
            .order_by(survey_version.c.number)
        ).all()
    return {
        int(row_id): (int(number), Questionnaire.model_validate(definition))
        for row_id, number, definition in rows
    }


def _read_ahead(chunks: Iterator[StoredRows]) -> Iterator[StoredRows]:
    """`chunks`, each read by a thread of its own while the one before is parsed and
    written: the database driver and pyarrow's parser and writer release the GIL, so on
    two cores reading overlaps the rest (a 100,000-response export: see bench/README.md)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as reader:
        pending = reader.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = reader.submit(next, chunks, None)
            yield chunk


def _stored_rows(db: Database, survey_id: str, chunk: int) -> Iterator[StoredRows]:
    """The survey's submissions in id order, `chunk` at a time, each chunk read in a
    transaction of its own (as `services.results.export_responses`)."""
    last_id = 0
    while True:
        with db.read_connection() as connection:
            rows = connection.execute(
                select(
                    submission.c.id,
                    submission.c.version_id,
                    # Its text as stored: a date parsed per row only to be written
                    # as text again cost a tenth of reading a chunk on SQLite.
                    type_coerce(submission.c.created_on, String),
                    submission.c.language,
                    submission.c.answers,
                    submission.c.status,
                )
                .where(submission.c.survey_id == survey_id, submission.c.id > last_id)
                .order_by(submission.c.id)
                .limit(chunk)
            ).all()
        if not rows:
            return
        last_id = int(str(rows[-1][0]))
        _ids, version_ids, dates, languages, texts, statuses = zip(*rows, strict=True)
        yield StoredRows(
            version_ids=[int(v) for v in version_ids],
            submitted_on=[str(date) for date in dates],
            languages=list(languages),
            statuses=list(statuses),
            answers=list(texts),
        )
