"""Commands on questionnaire files: check (and, registered by their modules, XLSForm I/O).

The questionnaire model (pydantic, the expression grammar) is imported when `check`
runs, so that `survey-app check --help` starts at once (issue 19: under 0.3 s).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from survey_app.settings import get_settings

if TYPE_CHECKING:
    from survey_app.questionnaire.schema import Questionnaire


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--allow-breaking",
    is_flag=True,
    help="Publish questionnaires with breaking changes as a new series.",
)
def check(paths: tuple[Path, ...], allow_breaking: bool) -> None:
    """Validate questionnaire files (or directories of them).

    Prints every problem as FILE:LINE: message (FILE:SHEET:ROW for an XLSForm) and a
    translation completeness report, as /admin/questionnaires shows it for an upload;
    exits 1 if any file has an error (warnings alone exit 0). A renamed or re-typed
    question is a breaking change against the newest version published in the configured
    database (skipped when there is none); `--allow-breaking` publishes it as a new series.
    """
    from survey_app.i18n import catalogue_languages, ui_text
    from survey_app.questionnaire.check import check_file
    from survey_app.questionnaire.district import DistrictProfileError, district_profile
    from survey_app.questionnaire.loader import load_working_group_catalog, questionnaire_files

    files = questionnaire_files(paths)
    missing_paths = [path for path in files if not path.exists()]
    for path in missing_paths:
        click.echo(f"{path}:1: no such file or directory")
    groups, group_problems = load_working_group_catalog(_groups_directory(paths))
    for problem in group_problems:
        click.echo(str(problem))
    known_groups = {group.id for group in groups}
    ui_languages = set(catalogue_languages())
    failed = bool(missing_paths or group_problems)
    try:
        district_profile(_groups_directory(paths))
    except DistrictProfileError as error:
        click.echo(str(error))
        failed = True
    report: list[tuple[str, dict[str, int]]] = []
    for path in files:
        if not path.exists():
            continue
        checked = check_file(
            path, working_groups=known_groups, ui_languages=ui_languages, translate=ui_text
        )
        for problem in checked.problems:
            click.echo(str(problem))
        if checked.questionnaire is None:
            failed = True
            continue
        questionnaire = checked.questionnaire
        if _breaking(path, questionnaire, allow_breaking):
            failed = True
        report.append((questionnaire.id, checked.missing))
    if report:
        click.echo("\nTranslation completeness (texts missing per language):")
        for survey_id, counts in report:
            row = "  ".join(f"{lang} {count}" for lang, count in counts.items())
            click.echo(f"  {survey_id}: {row}")
    click.echo(f"\n{len(files)} file(s) checked: {'FAILED' if failed else 'ok'}", err=True)
    sys.exit(1 if failed else 0)


def _breaking(path: Path, questionnaire: Questionnaire, allow_breaking: bool) -> bool:
    """Report breaking changes against the published version; True if they block."""
    from survey_app.db.engine import Database
    from survey_app.questionnaire.check import XLSFORM_SUFFIXES
    from survey_app.questionnaire.loader import read_yaml
    from survey_app.services.versions import breaking_changes, published_version

    database_url = get_settings().database_url
    published = published_version(database_url, questionnaire.id)
    if published is None:
        return False
    changes = breaking_changes(published.questionnaire, questionnaire)
    if not changes:
        return False
    document = None if path.suffix.lower() in XLSFORM_SUFFIXES else read_yaml(path)
    for change in changes:
        where = f"{path}:{document.line_of(change.path)}" if document else f"{path}:survey"
        click.echo(
            f"{where}: breaking change: {change.message} "
            f"(against published version {published.number})"
        )
    if not allow_breaking:
        click.echo(f"{path}:1: publish it on purpose with --allow-breaking (a new series)")
        return True
    # Publishing writes through the ORM: imported only here, not by every check.
    from survey_app.services.surveys import publish_questionnaire

    db = Database(database_url)
    try:
        version = publish_questionnaire(db, questionnaire, new_series=True)
    finally:
        db.dispose()
    click.echo(f"{path}:1: published as version {version.number}, a new series")
    return False


def _groups_directory(paths: tuple[Path, ...]) -> Path:
    """Working groups come from beside the files if there, else from the configured set."""
    for path in paths:
        directory = path if path.is_dir() else path.parent
        if (directory / "working_groups.yaml").exists():
            return directory
    return get_settings().questionnaires
