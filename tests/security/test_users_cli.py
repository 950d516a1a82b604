"""`survey-app user ...`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import Ran, survey_app

GOOD_PASSWORD = "Lange-Passphrase-fuer-Tests"


@pytest.fixture
def run(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"SURVEY_DATABASE_URL": database_url, "SURVEY_VAR_DIR": str(tmp_path)}

    def run(*args: str) -> Ran:
        return survey_app(env, "user", *args)

    return run


def test_add_list_passwd_and_remove_a_member(run) -> None:  # type: ignore[no-untyped-def]
    added = run(
        "add",
        "Lea@Example.org",
        "--password",
        GOOD_PASSWORD,
        "--group",
        "arbeit",
        "--group",
        "sprache",
    )
    assert added.returncode == 0, added.stderr
    assert run("list").stdout == "lea@example.org\tmember\tarbeit sprache\n"
    assert run("passwd", "lea@example.org", "--password", GOOD_PASSWORD + "!").returncode == 0
    assert run("remove", "lea@example.org").returncode == 0
    assert run("list").stdout == ""


@pytest.mark.parametrize(
    ("password", "group", "message"),
    [
        ("kurz", "arbeit", "at least 12 characters"),
        ("password1234", "arbeit", "too common"),
        (GOOD_PASSWORD, "kochen", "Unknown working group(s): kochen"),
    ],
)
def test_bad_passwords_and_unknown_groups_are_refused(  # type: ignore[no-untyped-def]
    run, password: str, group: str, message: str
) -> None:
    result = run("add", "x@example.org", "--password", password, "--group", group)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_admin_needs_no_group_and_duplicates_are_refused(run) -> None:  # type: ignore[no-untyped-def]
    assert run("add", "office@example.org", "--password", GOOD_PASSWORD, "--admin").returncode == 0
    again = run("add", "office@example.org", "--password", GOOD_PASSWORD, "--admin")
    assert again.returncode == 1
    assert "exists already" in again.stderr
    assert run("list").stdout == "office@example.org\tadmin\t\n"
