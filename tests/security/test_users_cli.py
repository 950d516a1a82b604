"""`survey-app user ...`."""

from __future__ import annotations

import os
import subprocess
import sys
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


IMPORTS_PROBE = """
import sys

from survey_app.cli import main

for arguments in sys.argv[1:]:
    try:
        main(arguments.split())
    except SystemExit as ended:
        assert not ended.code, (arguments, ended.code)
heavy = ("sqlmodel", "sqlalchemy.orm", "survey_app.db.tables", "pydantic", "lark")
print("loaded:", ",".join(name for name in heavy if name in sys.modules) or "none")
"""


def test_account_commands_load_neither_the_orm_nor_the_questionnaire_model(  # type: ignore[no-untyped-def]
    run, database_url: str, tmp_path: Path
) -> None:
    """Importing SQLModel and SQLAlchemy's ORM was 0.15 s of a `user list` call's 0.5 s,
    the questionnaire model (pydantic, the expression grammar) 0.1 s more (issue 19):
    accounts, their working groups and the audit log go through Core, and names are
    checked without the model."""
    # The first account publishes the working groups, which reads the questionnaire
    # files (what `serve` does at its start): the model is needed for that alone.
    assert run("add", "office@example.org", "--password", GOOD_PASSWORD, "--admin").returncode == 0
    env = {"SURVEY_DATABASE_URL": database_url, "SURVEY_VAR_DIR": str(tmp_path)}

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            IMPORTS_PROBE,
            f"user add lea@example.org --password {GOOD_PASSWORD} --group arbeit",
            f"user passwd lea@example.org --password {GOOD_PASSWORD}!",
            "user list",
            "user remove lea@example.org",
            "user list",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )

    assert done.stdout.splitlines() == [
        "added lea@example.org (member of arbeit)",
        "password changed for lea@example.org",
        "lea@example.org\tmember\tarbeit",
        "office@example.org\tadmin\t",
        "removed lea@example.org",
        "office@example.org\tadmin\t",
        "loaded: none",
    ]
