"""`survey-app report`: the printable report of a working group as PDF.

It renders the same HTML as `GET /results/{group}/report` and turns it into PDF with
WeasyPrint. Errors a user can make (unknown survey or working group, a file that cannot
be written) exit with status 2 and one line on stderr.
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
    "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="PDF file."
)
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option("--live", is_flag=True, help="Live results instead of the latest release.")
def report(survey: str, group: str, output: Path, lang: str, live: bool) -> None:
    """Write the printable results report of SURVEY for working group GROUP as PDF
    (A4: a title page with the release and the suppression rule, then the questions).
    It shows the latest release, like the working group's pages."""
    from analysis.report import render_pdf
    from survey_app.db.engine import Database
    from survey_app.errors import DomainError
    from survey_app.render.results import report_html
    from survey_app.render.templating import STATIC

    settings = get_settings()
    db = Database(settings.database_url)
    try:
        html = report_html(db, settings, group, survey, lang=lang, live=live)
    except DomainError as error:
        _fail(error)
    finally:
        db.dispose()
    started = time.perf_counter()
    pdf = render_pdf(html, assets=STATIC)
    seconds = time.perf_counter() - started
    try:
        output.write_bytes(pdf)
    except OSError as error:
        _fail(f"{output}: {error.strerror}")
    click.echo(f"{output}: report of '{group}' in '{survey}' ({seconds:.1f} s)", err=True)
