"""`survey-app check`: FILE:LINE errors, warnings, exit codes, translation report."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli import Ran, survey_app
from tests.conftest import FIXTURES, QUESTIONNAIRES


def run_check(*paths: Path | str, database: Path | None = None) -> Ran:
    # A database nobody created: check compares with published versions only if one exists.
    database = database or Path(os.devnull).with_name("no-such-survey-db.sqlite3")
    return survey_app({"SURVEY_DATABASE_URL": f"sqlite:///{database}"}, "check", *paths)


def test_the_project_questionnaires_pass_with_nothing_missing() -> None:
    result = run_check(QUESTIONNAIRES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "company: de 0  en 0" in result.stdout
    assert "newcomer: de 0  en 0  ar 0  uk 0  fa 0  ru 0  tr 0  ps 0  kmr 0  ti 0" in result.stdout
    assert "warning" not in result.stdout


def test_an_error_is_one_line_with_file_and_line_and_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: broken\ntitle: {de: X}\nlanguages: [de]\ndefault_language: de\npages: 7\n"
    )
    result = run_check(broken)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(f"{broken}:5: ")
    assert "Traceback" not in result.stdout + result.stderr


def test_broken_yaml_an_empty_file_and_a_binary_file_exit_1_without_traceback(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.yaml").write_text("id: [\n")
    (tmp_path / "b.yaml").write_text("")
    (tmp_path / "c.yaml").write_bytes(bytes(range(256)))
    result = run_check(tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{tmp_path / 'a.yaml'}:") for line in lines)
    assert f"{tmp_path / 'b.yaml'}:1: the file is empty" in lines
    assert any(line.startswith(f"{tmp_path / 'c.yaml'}:1: ") for line in lines)
    assert "Traceback" not in result.stdout + result.stderr


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    result = run_check(tmp_path / "nothing.yaml")
    assert result.returncode == 1
    assert f"{tmp_path / 'nothing.yaml'}:1: no such file or directory" in result.stdout


def test_missing_translations_are_warnings_and_counted(tmp_path: Path) -> None:
    survey = tmp_path / "partial.yaml"
    survey.write_text(
        "id: partial\ntitle: {de: Teil, en: Part}\nlanguages: [de, en]\ndefault_language: de\n"
        "pages:\n  - name: one\n    title: {de: Eins}\n    questions:\n"
        "      - {name: q, type: text, label: {de: Frage}}\n"
    )
    result = run_check(survey)
    assert result.returncode == 0
    assert f"{survey}:7: warning: 2 text(s) have no 'en' translation" in result.stdout
    assert "partial: de 0  en 2" in result.stdout


def test_a_placeholder_the_district_profile_does_not_fill_is_an_error(tmp_path: Path) -> None:
    survey = tmp_path / "survey.yaml"
    survey.write_text(
        "id: s\ntitle: {de: S}\nlanguages: [de]\ndefault_language: de\n"
        "privacy_notice:\n  de: Verantwortlich ist {district}, Kontakt {emial}.\n"
        "pages:\n  - name: p\n    title: {de: P}\n"
        "    questions:\n      - {name: n, type: note, label: {de: N}}\n",
        encoding="utf-8",
    )
    (tmp_path / "working_groups.yaml").write_text("working_groups: []\n", encoding="utf-8")
    result = run_check(survey)
    assert result.returncode == 1
    assert f"{survey}:6: unknown placeholder {{emial}}" in result.stdout
    assert "{district}" not in result.stdout


def test_a_district_profile_with_an_unknown_field_fails_the_check(tmp_path: Path) -> None:
    (tmp_path / "working_groups.yaml").write_text("working_groups: []\n", encoding="utf-8")
    (tmp_path / "district.yaml").write_text("district: Kreis X\nmail: a@b.de\n", encoding="utf-8")
    result = run_check(tmp_path)
    assert result.returncode == 1
    assert f"{tmp_path / 'district.yaml'}:1: unknown field(s) mail" in result.stdout


def test_a_choice_filter_naming_an_unknown_question_or_column_is_reported_at_its_line(
    tmp_path: Path,
) -> None:
    text = (FIXTURES / "cascade.yaml").read_text("utf-8")
    text = text.replace("state = ${state}", "staat = ${state}").replace(
        "county = ${county}", "county = ${kreis}"
    )
    path = tmp_path / "cascade.yaml"
    path.write_text(text, "utf-8")
    lines = text.splitlines()
    county_line = next(n for n, line in enumerate(lines, 1) if "staat = " in line)
    city_line = next(n for n, line in enumerate(lines, 1) if "${kreis}" in line)

    result = run_check(path)

    assert result.returncode == 1
    reported = result.stdout.splitlines()
    assert (
        f"{path}:{county_line}: choice_filter expression 'staat = ${{state}}' names column "
        "'staat', which no choice of list 'counties' has"
    ) in reported
    assert (
        f"{path}:{city_line}: choice_filter expression 'county = ${{kreis}}' refers to "
        "unknown question 'kreis'"
    ) in reported
