"""`survey-app import-xlsform` and `export-xlsform`."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from survey_app.questionnaire.loader import load_questionnaire, load_working_groups
from tests.cli import Ran, survey_app
from tests.conftest import QUESTIONNAIRES, SHARED_XLSFORMS
from tests.fixtures.xlsform.build import write_xlsform

WORKING_GROUPS = {
    group.id for group in load_working_groups(QUESTIONNAIRES / "working_groups.yaml")[0]
}


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Ran]:
    """Run survey-app with the project's questionnaires and a private var directory."""
    environment = {
        "SURVEY_QUESTIONNAIRES": str(QUESTIONNAIRES),
        "SURVEY_VAR_DIR": str(tmp_path / "var"),
        "SURVEY_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    }

    def run(*arguments: Path | str) -> Ran:
        return survey_app(environment, *arguments)

    return run


def test_import_writes_the_questionnaire_and_prints_warnings_with_sheet_and_row(
    run, tmp_path: Path
) -> None:
    form = SHARED_XLSFORMS / "pyxform_xlsform_spec_test.xlsx"
    result = run("import-xlsform", form, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    written = tmp_path / "out" / "Spec_test.yaml"
    assert f"wrote {written}: 34 question(s) imported, 13 skipped" in result.stderr
    lines = result.stdout.splitlines()
    assert f"{form}:survey:34: warning: 'geopoint_test' skipped: a location (geopoint) " in (
        "\n".join(lines)
    )
    assert all(line.startswith(f"{form}:") for line in lines)
    checked = run("check", written)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_imported_legacy_xls_form_passes_check(run, tmp_path: Path) -> None:
    result = run("import-xlsform", SHARED_XLSFORMS / "pyxform_widgets.xls", "--out", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert run("check", tmp_path / "pyxform_widgets.yaml").returncode == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"type,name\ntext,q\n", "not an Excel workbook (.xlsx or .xls)"),
        (b"PK\x03\x04 broken zip", "cannot read the workbook: File is not a zip file"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_one_line_and_exit_1(
    run, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "form.xlsx"
    path.write_bytes(content)
    result = run("import-xlsform", path, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"{path}:1: {message}"]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_workbook_without_survey_sheet_is_one_line_and_exit_1(run, tmp_path: Path) -> None:
    # (A workbook with a single sheet is read as the survey, as pyxform does.)
    path = write_xlsform(tmp_path / "form.xlsx", questions=[["type"], ["text"]], lists=[["a"]])
    result = run("import-xlsform", path, "--out", tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"{path}:1: no 'survey' sheet (sheets: questions, lists)"]
    assert "Traceback" not in result.stderr


def test_an_unreadable_file_is_one_line_and_exit_1(run, tmp_path: Path) -> None:
    result = run("import-xlsform", tmp_path / "absent.xlsx", "--out", tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'absent.xlsx'}:1: cannot read: No such file or directory"
    ]


def test_export_by_survey_id_and_import_give_the_same_questionnaire(run, tmp_path: Path) -> None:
    workbook = tmp_path / "company.xlsx"
    exported = run("export-xlsform", "company", "--output", workbook)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    imported = run("import-xlsform", workbook, "--out", tmp_path / "back")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert imported.stdout == ""  # nothing was left out or changed
    original = load_questionnaire(QUESTIONNAIRES / "company.yaml", working_groups=WORKING_GROUPS)
    back = load_questionnaire(tmp_path / "back" / "company.yaml", working_groups=WORKING_GROUPS)
    assert original.questionnaire is not None
    assert back.questionnaire is not None
    assert back.questionnaire.to_definition() == original.questionnaire.to_definition()


def test_export_accepts_the_path_of_a_questionnaire_file(run, tmp_path: Path) -> None:
    workbook = tmp_path / "newcomer.xlsx"
    result = run("export-xlsform", QUESTIONNAIRES / "newcomer.yaml", "--output", workbook)
    assert result.returncode == 0, result.stdout + result.stderr
    assert workbook.stat().st_size > 0


def test_export_of_an_unknown_survey_exits_1_naming_the_known_ones(run, tmp_path: Path) -> None:
    result = run("export-xlsform", "nonesuch", "--output", tmp_path / "x.xlsx")
    assert result.returncode == 1
    assert result.stdout.startswith(f"{QUESTIONNAIRES}:1: no questionnaire with id 'nonesuch'")
    assert "company" in result.stdout
    assert not (tmp_path / "x.xlsx").exists()


def test_export_of_a_broken_questionnaire_prints_its_errors_and_exits_1(
    run, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\ntitle: {de: X}\nlanguages: [de]\ndefault_language: de\n")
    result = run("export-xlsform", broken, "--output", tmp_path / "x.xlsx")
    assert result.returncode == 1
    assert result.stdout.startswith(f"{broken}:1: ")
    assert "Traceback" not in result.stderr


# -- a second form with the same survey id (in-process: no console script needed) ------------


def import_in_process(form: Path, out: Path, *options: str) -> Any:
    from click.testing import CliRunner

    from survey_app.cli.xlsform import import_xlsform

    return CliRunner().invoke(import_xlsform, [str(form), "--out", str(out), *options])


def two_forms_with_one_id(tmp_path: Path) -> tuple[Path, Path, Path]:
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", out)
    forms = [
        write_xlsform(
            tmp_path / f"{label}.xlsx",
            survey=[["type", "name", "label::English (en)"], ["text", "q", label]],
            settings=[["form_id"], ["needs"]],
        )
        for label in ("First", "Second")
    ]
    return forms[0], forms[1], out


def test_a_second_form_with_an_existing_survey_id_is_refused(tmp_path: Path) -> None:
    first, second, out = two_forms_with_one_id(tmp_path)
    assert import_in_process(first, out).exit_code == 0
    refused = import_in_process(second, out)
    assert refused.exit_code == 1
    assert f"{out / 'needs.yaml'}:1: a questionnaire with the survey id 'needs' exists" in (
        refused.output
    )
    assert "en: First\n" in (out / "needs.yaml").read_text("utf-8")


def test_replace_overwrites_the_questionnaire_with_that_id_wherever_it_is(
    tmp_path: Path,
) -> None:
    first, second, out = two_forms_with_one_id(tmp_path)
    assert import_in_process(first, out).exit_code == 0
    (out / "needs.yaml").rename(out / "bedarfe.yaml")
    refused = import_in_process(second, out)
    assert refused.exit_code == 1
    assert str(out / "bedarfe.yaml") in refused.output
    assert import_in_process(second, out, "--replace").exit_code == 0
    assert sorted(path.name for path in out.glob("*.yaml")) == [
        "bedarfe.yaml",
        "working_groups.yaml",
    ]
    assert "en: Second\n" in (out / "bedarfe.yaml").read_text("utf-8")


def test_import_labels_the_other_of_or_other_in_the_languages_of_the_survey_pages(
    run, tmp_path: Path
) -> None:
    form = write_xlsform(
        tmp_path / "form.xlsx",
        survey=[
            ["type", "name", "label::Deutsch (de)", "label::Arabic (ar)", "label::French (fr)"],
            ["select_one offices or_other", "office", "Amt", "الدائرة", "Bureau"],
        ],
        choices=[
            [
                "list_name",
                "name",
                "label::Deutsch (de)",
                "label::Arabic (ar)",
                "label::French (fr)",
            ],
            ["offices", "jobcenter", "Jobcenter", "مركز العمل", "Pôle emploi"],
        ],
        settings=[["form_id", "default_language"], ["offices", "Deutsch (de)"]],
    )
    result = run("import-xlsform", form, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    loaded = load_questionnaire(tmp_path / "out" / "offices.yaml", working_groups=WORKING_GROUPS)
    questionnaire = loaded.questionnaire
    assert questionnaire is not None
    [_, other] = questionnaire.choices_of(questionnaire.questions["office"])
    # French has no catalogue of the survey pages: KoboToolbox's English stays.
    assert other.label == {"de": "Andere", "ar": "أخرى", "fr": "Other"}
    assert questionnaire.questions["office_other"].label == {
        "de": "Bitte geben Sie das Andere an.",
        "ar": "يرجى تحديد الخيار الآخر.",
        "fr": "Specify other.",
    }
