"""`survey-app import-xlsform` and `export-xlsform`: questionnaires to and from XLSForm."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from survey_app.questionnaire.errors import Problem
from survey_app.questionnaire.loader import (
    QUESTIONNAIRE_SUFFIXES,
    WORKING_GROUPS_FILE,
    LoadResult,
    YamlProblem,
    load_questionnaire,
    load_working_group_catalog,
    questionnaire_files,
    read_yaml,
)
from survey_app.questionnaire.xlsform import export_xlsform as build_workbook
from survey_app.questionnaire.xlsform import import_xlsform as read_xlsform
from survey_app.questionnaire.xlsform import questionnaire_yaml
from survey_app.settings import SettingsError, get_settings


@click.command("import-xlsform")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the questionnaire file (written as <form_id>.yaml).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Overwrite the questionnaire with the same survey id in the directory.",
)
def import_xlsform(file: Path, out: Path, replace: bool) -> None:
    """Import an XLSForm (.xlsx or .xls) as a questionnaire file.

    Prints every warning (what was left out or changed, and why) as FILE:SHEET:ROW;
    exits 1 without writing anything if the form cannot be imported, or if the directory
    already holds a questionnaire with the form's survey id (unless --replace).
    """
    from survey_app.i18n import ui_text

    working_groups = _working_groups(out if (out / WORKING_GROUPS_FILE).exists() else None)
    result = read_xlsform(file, working_groups=working_groups, translate=ui_text)
    _echo(result.problems)
    if result.questionnaire is None:
        sys.exit(1)
    survey_id = result.questionnaire.id
    existing = _file_with_id(out, survey_id)
    if existing is not None and not replace:
        click.echo(
            f"{existing}:1: a questionnaire with the survey id '{survey_id}' exists; "
            "nothing written (--replace overwrites it, or give the form another form_id)"
        )
        sys.exit(1)
    target = existing or out / f"{survey_id}.yaml"
    comment = (
        f"Imported from {file.name} by `survey-app import-xlsform`: {result.imported} "
        f"question(s), {result.skipped} left out (see the warnings of the import)."
    )
    try:
        out.mkdir(parents=True, exist_ok=True)
        target.write_text(questionnaire_yaml(result.questionnaire, comment=comment), "utf-8")
    except OSError as error:
        click.echo(f"{target}:1: cannot write: {error.strerror or error}")
        sys.exit(1)
    click.echo(
        f"wrote {target}: {result.imported} question(s) imported, {result.skipped} skipped",
        err=True,
    )


@click.command("export-xlsform")
@click.argument("survey")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx file to write.",
)
def export_xlsform(survey: str, output: Path) -> None:
    """Export a questionnaire as an XLSForm workbook for translators or KoboToolbox/ODK.

    SURVEY is a survey id from the questionnaire directory (SURVEY_QUESTIONNAIRES)
    or the path of a questionnaire file.
    """
    result = _find_questionnaire(survey)
    _echo(result.problems)
    if result.questionnaire is None:
        sys.exit(1)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        build_workbook(result.questionnaire).save(output)
    except OSError as error:
        click.echo(f"{output}:1: cannot write: {error.strerror or error}")
        sys.exit(1)
    click.echo(f"wrote {output}", err=True)


def _file_with_id(directory: Path, survey_id: str) -> Path | None:
    """The questionnaire file in `directory` whose id is `survey_id` (or is named after it)."""
    if not directory.is_dir():
        return None
    named = directory / f"{survey_id}.yaml"
    if named.exists():
        return named
    for path in questionnaire_files([directory]):
        try:
            data = read_yaml(path).data
        except (YamlProblem, OSError):
            continue
        if isinstance(data, dict) and data.get("id") == survey_id:
            return path
    return None


def _find_questionnaire(survey: str) -> LoadResult:
    """The questionnaire named by a path, or by its id in the questionnaire directory."""
    path = Path(survey)
    if path.suffix in QUESTIONNAIRE_SUFFIXES or path.is_file():
        groups_directory = path.parent if (path.parent / WORKING_GROUPS_FILE).exists() else None
        return load_questionnaire(path, working_groups=_working_groups(groups_directory))
    directory = _questionnaire_directory()
    groups = _working_groups(directory)
    # The file is usually called after the id; look there first, then everywhere.
    candidates = [directory / f"{survey}.yaml", *questionnaire_files([directory])]
    seen_ids: list[str] = []
    for candidate in dict.fromkeys(candidates):
        if not candidate.is_file():
            continue
        result = load_questionnaire(candidate, working_groups=groups)
        if result.questionnaire is None and candidate.stem == survey:
            return result
        if result.questionnaire is not None:
            if result.questionnaire.id == survey:
                return result
            seen_ids.append(result.questionnaire.id)
    known = ", ".join(sorted(set(seen_ids))) or "none"
    message = f"no questionnaire with id '{survey}' (surveys there: {known})"
    return LoadResult(path, None, [Problem(f"{directory}:1", message)])


def _questionnaire_directory() -> Path:
    try:
        return get_settings().questionnaires
    except SettingsError as error:
        click.echo(f"error: {error}")
        sys.exit(1)


def _working_groups(directory: Path | None) -> set[str]:
    """Working group ids from `directory`, or from the configured questionnaire directory."""
    groups, problems = load_working_group_catalog(directory or _questionnaire_directory())
    if problems:
        _echo(problems)
        sys.exit(1)
    return {group.id for group in groups}


def _echo(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem))
