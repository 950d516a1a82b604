"""The `survey-app` command line.

Commands live in the modules of this package, one module per area, and are imported only
when they run: `survey-app check` should not pay for importing the web server, pandas or
openpyxl (click's documented "lazy loading of subcommands" pattern).
"""

from __future__ import annotations

import importlib
import logging

import click

# command name -> (module in this package, attribute)
COMMANDS = {
    "backup": ("data", "backup"),
    "check": ("questionnaires", "check"),
    "compile-translations": ("server", "compile_translations"),
    "db": ("server", "db"),
    "demo": ("results", "demo"),
    "export": ("results", "export"),
    "export-xlsform": ("xlsform", "export_xlsform"),
    "import-xlsform": ("xlsform", "import_xlsform"),
    "invitations": ("data", "invitations"),
    "poster": ("respond", "poster"),
    "purge": ("data", "purge"),
    "release": ("results", "release"),
    "report": ("reports", "report"),
    "restore": ("data", "restore"),
    "results": ("results", "results"),
    "serve": ("server", "serve"),
    "user": ("users", "user"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name]
        module = importlib.import_module(f"{__name__}.{module_name}")
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose: bool) -> None:
    """Surveys and needs assessments for local integration networks."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
