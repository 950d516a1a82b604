"""`survey-app` called in the test's own process, as a test reads a subprocess's result.

A subprocess paid about 1-2 s of imports per call on the 2-core machine (the CLI tests
made up minutes of the suite); click's `CliRunner` runs the same command objects with
the same arguments and environment. What the real console script adds (its entry point,
its start-up imports) is tested on its own in `tests/test_cli_help.py`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from survey_app.cli import main


@dataclass(frozen=True)
class Ran:
    """What a call printed and how it ended (the fields of `subprocess.CompletedProcess`)."""

    returncode: int
    stdout: str
    stderr: str


def survey_app(environment: Mapping[str, str], *arguments: str | Path) -> Ran:
    """Run `survey-app ARGUMENTS` with `environment` added to the process's environment.

    An exception that escapes the command is raised here: the console script would have
    printed it as a traceback, which the CLI promises never to do.
    """
    added = {name: value for name, value in environment.items() if os.environ.get(name) != value}
    result = CliRunner().invoke(main, [str(argument) for argument in arguments], env=added)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)
