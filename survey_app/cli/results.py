"""Commands on results: `results`, `release`, `export` and `demo`.

Errors a user can make (unknown survey, working group, release or breakdown question)
exit with status 2 and one line on stderr naming what was not found; a refused release
exits with status 1 and the reason.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import click

from survey_app.settings import get_settings

if TYPE_CHECKING:
    from survey_app.db.engine import Database

_FORMATS = click.Choice(["json", "table", "csv"])


def _fail(message: object) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _working_groups(db: Database) -> set[str]:
    from survey_app.services.groups import group_ids

    return group_ids(db)


def _guarded(action: Callable[[], Any]) -> Any:
    """Run `action`, turning the errors a user can cause into exit status 2."""
    from survey_app.errors import DomainError

    try:
        return action()
    except DomainError as error:
        _fail(error)


@click.command("results")
@click.argument("survey")
@click.option("--group", help="Working group id: only its questions.")
@click.option("--by", "by", metavar="QUESTION", help="Break down by a select_one question.")
@click.option("--compare", metavar="SURVEY2", help="Set another wave beside this one.")
@click.option("--format", "output_format", type=_FORMATS, default="json", show_default=True)
@click.option("--lang", help="Language of labels (default: the survey's default).")
@click.option(
    "--release",
    "number",
    type=click.IntRange(min=1),
    metavar="N",
    help="Results of release N, as working groups see them (default: live).",
)
def results(
    survey: str,
    group: str | None,
    by: str | None,
    compare: str | None,
    output_format: str,
    lang: str | None,
    number: int | None,
) -> None:
    """Suppressed results of SURVEY (all versions) as JSON, a table or CSV: live (the
    operator's view, suppressed by the same rules), or of a release with --release.

    Parsed answers are kept in var/results-cache/ (see `survey_app.services.results`)."""
    from survey_app.db.engine import Database

    settings = get_settings()
    db = Database(settings.database_url)
    try:
        if number is not None:
            # The release service (with the audit's solver) only when a release is asked for.
            from survey_app.errors import UnknownGroup
            from survey_app.services.released import release_results

            if group is not None and group not in _working_groups(db):
                _guarded(lambda: _raise(UnknownGroup(group)))
            found = _guarded(
                lambda: release_results(
                    db, survey, group=group, by=by, compare=compare, language=lang, number=number
                )
            )
        else:
            from survey_app.services.live_results import cache_directory, survey_results

            found = _guarded(
                lambda: survey_results(
                    db,
                    survey,
                    group=group,
                    working_groups=_working_groups(db),
                    by=by,
                    compare=compare,
                    language=lang,
                    cache_dir=cache_directory(settings.var_dir),
                )
            )
    finally:
        db.dispose()
    if output_format == "table":
        from analysis.results_tables import results_text

        click.echo(results_text(found), nl=False)
    elif output_format == "csv":
        from analysis.results_tables import results_csv

        click.echo(results_csv(found), nl=False)
    else:
        click.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))


def _raise(error: Exception) -> NoReturn:
    raise error


@click.command("release")
@click.argument("survey")
@click.option("--note", default="", help="A note kept with the release (e.g. what it is for).")
@click.option(
    "--check",
    is_flag=True,
    help="Only audit the next release and say how much it would show; release nothing.",
)
def release(survey: str, note: str, check: bool) -> None:
    """Publish the next release of SURVEY's results to the working groups.

    Freezes which responses count, audits everything every working group can obtain
    against all earlier releases, and stores it. Refused (exit 1) when fewer than the
    survey's minimum cell size of responses arrived since the previous release."""
    from survey_app.db.engine import Database
    from survey_app.errors import DomainError
    from survey_app.services.releases import ReleaseRefused, release_check, release_create

    settings = get_settings()
    db = Database(settings.database_url)
    try:
        # In production, demo responses (of a copied database, say) never count.
        with_demo = not settings.is_production
        if check:
            checked = release_check(db, survey, with_demo=with_demo)
            before = (
                ""
                if checked.previous_shown is None
                else f"; release {checked.number - 1} showed {checked.previous_one_way_shown} "
                f"and {checked.previous_shown}"
            )
            click.echo(
                f"release {checked.number} of {survey} would count {checked.responses} "
                f"responses ({checked.came_in} new) and show {checked.one_way_shown} of "
                f"{checked.one_way} one-way counts and {checked.shown} of {checked.numbers} "
                f"numbers{before}; nothing released"
            )
            return
        made = release_create(db, survey, actor="cli", note=note, with_demo=with_demo)
    except ReleaseRefused as error:
        click.echo(f"refused: {error}", err=True)
        sys.exit(1)
    except DomainError as error:
        _fail(error)
    finally:
        db.dispose()
    click.echo(
        f"release {made.number} of {survey}: {made.responses} responses "
        f"({made.released_on.isoformat()})"
    )


@click.command("export")
@click.argument("survey")
@click.option(
    "--format", "output_format", type=click.Choice(["csv", "xlsx", "sav", "dta"]), required=True
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--group", help="Aggregated results of this working group instead of rows.")
@click.option("--aggregated", is_flag=True, help="Aggregated results of all questions.")
@click.option("--lang", help="Language of headers and labels.")
@click.option(
    "--values",
    type=click.Choice(["labels", "codes"]),
    default="labels",
    show_default=True,
    help="Row-level CSV and XLSX: the questions' labels, or the form's names and choice "
    'codes (KoboToolbox\'s "XML values and headers").',
)
@click.option(
    "--excel-de",
    is_flag=True,
    help="Aggregated CSV for German Excel: semicolons, decimal commas, hidden values empty.",
)
def export(
    survey: str,
    output_format: str,
    output: Path,
    group: str | None,
    aggregated: bool,
    lang: str | None,
    values: Literal["labels", "codes"],
    excel_de: bool,
) -> None:
    """Export SURVEY: row-level data (one row per submission; sav and dta for SPSS and
    Stata with variable and value labels), or with --group/--aggregated the suppressed
    results (XLSX: one sheet per question with a chart)."""
    # Each branch imports what it writes with: a CSV does not load the rendering of the
    # workbook (charts, slides, templates, the district's logo).
    from survey_app.db.engine import Database

    if excel_de and (output_format != "csv" or (group is None and not aggregated)):
        _fail("--excel-de is for the aggregated CSV: add --group G or --aggregated")
    if values == "codes" and (output_format not in ("csv", "xlsx") or group or aggregated):
        # SPSS and Stata have the codes with their labels already.
        _fail("--values codes is for the row-level CSV and XLSX")
    settings = get_settings()
    db = Database(settings.database_url)
    try:
        if group is not None or aggregated:
            from survey_app.services.live_results import cache_directory, survey_results

            found = _guarded(
                lambda: survey_results(
                    db,
                    survey,
                    group=group,
                    working_groups=_working_groups(db),
                    language=lang,
                    cache_dir=cache_directory(settings.var_dir),
                )
            )
            if output_format == "xlsx":
                from analysis.exports import write_results_xlsx
                from survey_app.render.results import workbook_source

                write_results_xlsx(found, output, source=workbook_source(db, settings, found))
            else:
                from analysis.results_tables import results_csv, results_csv_excel

                table = results_csv_excel(found) if excel_de else results_csv(found)
                output.write_text(table, encoding="utf-8-sig", newline="")
            click.echo(f"{output}: results of {len(found.questions)} questions", err=True)
            return
        if output_format in ("csv", "xlsx"):
            # A one-shot process whose rows make no reference cycles: the cycle collector's
            # passes over them took about a tenth of a 100,000-response export's CPU.
            gc.disable()
        if output_format == "csv":
            # Without pandas (`services.exports`): its import took longer than the export.
            from analysis.answers_arrow import repeats as repeats_of
            from survey_app.services.exports import export_csv

            written = _guarded(lambda: export_csv(db, survey, output, language=lang, values=values))
            click.echo(f"{output}: {written.responses} responses", err=True)
            entries = zip(written.paths[1:], repeats_of(written.questionnaire), strict=True)
            for path, repeat in entries:
                click.echo(f"{path}: entries of {repeat.name}", err=True)
            return
        if output_format == "xlsx":
            from survey_app.services.exports import export_xlsx

            done = _guarded(lambda: export_xlsx(db, survey, output, language=lang, values=values))
            click.echo(f"{output}: {done.responses} responses", err=True)
            return
        from survey_app.services.results import export_responses

        questionnaire, chunks = _guarded(lambda: export_responses(db, survey))
        language = questionnaire.language_or_default(lang)
        from analysis.frames import repeats
        from analysis.labelled import write_labelled

        file_format: Literal["sav", "dta"] = "sav" if output_format == "sav" else "dta"
        count, paths = write_labelled(chunks, questionnaire, language, output, file_format)
        # One file per table: the responses', then each repeat's entries beside it.
        click.echo(f"{output}: {count} responses", err=True)
        for path, repeat in zip(paths[1:], repeats(questionnaire), strict=True):
            click.echo(f"{path}: entries of {repeat.name}", err=True)
    finally:
        db.dispose()


@click.command("demo")
@click.argument("survey")
@click.option("--responses", "count", type=click.IntRange(min=1), help="How many to store.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--remove",
    is_flag=True,
    help="Delete the survey's demo responses (and releases that counted them) instead.",
)
@click.option(
    "--earlier-wave",
    is_flag=True,
    help="Store them in an earlier wave of SURVEY's series (SURVEY-demo-earlier, dated a "
    "year back, closed) and release it, so results can compare two waves.",
)
def demo(survey: str, count: int | None, seed: int, remove: bool, earlier_wave: bool) -> None:
    """Store synthetic, valid responses to SURVEY, marked as demo responses (publishes
    the questionnaires first); with --remove, delete them again."""
    from analysis.demo import read_demo_priors
    from survey_app.db.engine import Database
    from survey_app.db.migrate import upgrade
    from survey_app.services.demo import demo_remove, store_demo_responses
    from survey_app.services.results_cache import cache_directory
    from survey_app.services.surveys import publish_directory

    if remove == (count is not None):
        _fail("give either --responses N or --remove")
    if remove and earlier_wave:
        _fail(
            f"to delete the earlier wave's answers: survey-app demo {survey}-demo-earlier --remove"
        )
    responses_wanted = count or 0
    settings = get_settings()
    if settings.is_production and not remove:
        # Synthetic answers in the real database would be counted as real ones.
        _fail("demo responses are refused in production (SURVEY_ENVIRONMENT=production)")
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        publish_directory(db, settings.questionnaires)
        if remove:
            cache = cache_directory(settings.var_dir)
            responses, releases = _guarded(
                lambda: demo_remove(db, survey, actor="cli", results_cache_dir=cache)
            )
            click.echo(
                f"removed {responses} demo responses and {releases} release(s) of {survey}",
                err=True,
            )
            return
        started = time.perf_counter()
        priors = read_demo_priors(settings.questionnaires / "demo.yaml", survey)
        if earlier_wave:
            from survey_app.services.demo import demo_earlier_wave

            wave = _guarded(
                lambda: demo_earlier_wave(
                    db, survey, responses_wanted, seed=seed, priors=priors, actor="cli"
                )
            )
            click.echo(
                f"stored {wave.responses} demo responses for {wave.survey_id}, an earlier wave "
                f"of {survey}, and released them (release {wave.release.number}) in "
                f"{time.perf_counter() - started:.1f} s; compare: survey-app results {survey} "
                f"--compare {wave.survey_id}",
                err=True,
            )
            return
        stored = _guarded(
            lambda: store_demo_responses(db, survey, responses_wanted, seed=seed, priors=priors)
        )
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    click.echo(f"stored {stored} demo responses for {survey} in {seconds:.1f} s", err=True)
