"""`survey-app --help` lists every command without importing what the commands need."""

from __future__ import annotations

import subprocess
import sys

from survey_app.cli import COMMANDS

PROBE = """
import sys
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
