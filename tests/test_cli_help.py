"""`survey-app --help` lists every command without importing what the commands need."""

from __future__ import annotations

import subprocess
import sys

import pytest

from survey_app.cli import COMMANDS

PROBE = """
import sys

import pytest
from survey_app.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
heavy = [name for name in ("pandas", "litestar", "weasyprint", "sqlalchemy") if name in sys.modules]
print("heavy:", ",".join(heavy))
"""


def test_help_lists_every_command_without_importing_pandas_or_the_web_server() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)

    for name, (_module, _attribute, summary) in COMMANDS.items():
        assert name in done.stdout
        assert summary in done.stdout
    assert done.stdout.strip().endswith("heavy:")


COMMAND_PROBE = """
import sys

import pytest
from survey_app.cli import main
try:
    main([sys.argv[1], "--help"])
except SystemExit:
    pass
heavy = ("pandas", "numpy", "litestar", "weasyprint", "sqlalchemy", "openpyxl", "pyxform",
         "pydantic", "lark")
print("heavy:", ",".join(name for name in heavy if name in sys.modules))
"""


@pytest.mark.parametrize("command", ["check", "results", "export", "release", "user"])
def test_the_help_of_a_command_imports_neither_the_database_nor_pandas_nor_the_model(
    command: str,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_PROBE, command], capture_output=True, text=True, check=True
    )

    assert "Usage:" in done.stdout
    assert done.stdout.strip().endswith("heavy:")
