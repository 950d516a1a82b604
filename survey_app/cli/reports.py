"""`survey-app report`: the printable report of a working group as PDF, or its slides.

The PDF is the HTML of `GET /results/{group}/report` rendered by WeasyPrint, the file
`GET /results/{group}/report.pdf` serves; `--format pptx` writes the slides of
`GET /results/{group}/slides.pptx`.
Errors a user can make (unknown survey or working group, a file that cannot be written)
exit with status 2 and one line on stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from survey_app.settings import get_settings


def _fail(message: object) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command("report")
@click.argument("survey")
@click.option("--group", required=True, help="Working group id: only its questions.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="PDF or PPTX file.",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["pdf", "pptx"]),
    default="pdf",
    show_default=True,
    help="pdf: the printable report; pptx: slides with editable charts.",
)
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option("--live", is_flag=True, help="Live results instead of the latest release.")
@click.option(
    "--by",
    default=None,
    help="Break every question down by this question (default: the group's stored breakdowns).",
)
@click.option("--compare", default=None, help="PDF: beside this earlier wave of the survey.")
def report(
    survey: str,
    group: str,
    output: Path,
    file_format: str,
    lang: str,
    live: bool,
    by: str | None,
    compare: str | None,
) -> None:
    """Write the results report of SURVEY for working group GROUP: as PDF (A4: a title
    page with the release and the suppression rule, the key figures, then the questions)
    or as PPTX slides (a title slide, the key figures, then a slide per question with an
    editable chart). It shows the latest release, like the working group's pages."""
    from survey_app.db.engine import Database
    from survey_app.errors import DomainError
    from survey_app.render.results import report_pdf, slides_pptx

    settings = get_settings()
    db = Database(settings.database_url)
    started = time.perf_counter()
    try:
        if file_format == "pptx":
            content = slides_pptx(db, settings, group, survey, lang=lang, live=live, by=by)
        else:
            content = report_pdf(
                db, settings, group, survey, lang=lang, live=live, by=by, compare=compare
            )
    except DomainError as error:
        _fail(error)
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    try:
        output.write_bytes(content)
    except OSError as error:
        _fail(f"{output}: {error.strerror}")
    what = "slides" if file_format == "pptx" else "report"
    click.echo(f"{output}: {what} of '{group}' in '{survey}' ({seconds:.1f} s)", err=True)
