"""The `survey-app` command line.

Commands live in the modules of this package, one module per area, and are imported only
when they run: `survey-app check` should not pay for importing the web server, pandas or
openpyxl (click's documented "lazy loading of subcommands" pattern).
"""

from __future__ import annotations

import importlib
import logging
import traceback

import click

# command name -> (module in this package, attribute, the line `--help` shows)
COMMANDS = {
    "backup": ("data", "backup", "Write a consistent copy of the database to a file."),
    "check": ("questionnaires", "check", "Validate questionnaire files and their translations."),
    "compile-translations": ("server", "compile_translations", "Compile the UI catalogues."),
    "db": ("server", "db", "Database schema migrations."),
    "demo": ("results", "demo", "Store synthetic, valid responses to a survey."),
    "export": ("results", "export", "Export responses (CSV, XLSX, SPSS, Stata) or results."),
    "export-xlsform": ("xlsform", "export_xlsform", "Export a questionnaire as an XLSForm."),
    "import-xlsform": ("xlsform", "import_xlsform", "Import an XLSForm as a questionnaire."),
    "invitations": ("data", "invitations", "Personal invitation links."),
    "poster": ("respond", "poster", "Write an A4 poster with the survey's QR code."),
    "purge": ("data", "purge", "Delete expired drafts and responses past retention."),
    "release": ("results", "release", "Publish the next release of a survey's results."),
    "report": ("reports", "report", "Write the results report as PDF, or as slides (PPTX)."),
    "restore": ("data", "restore", "Restore a backup into the configured database."),
    "results": ("results", "results", "Suppressed results of a survey (live or a release)."),
    "serve": ("server", "serve", "Migrate, publish the questionnaires and serve the app."),
    "user": ("users", "user", "Accounts: admins and working-group members."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list in `--help` from `COMMANDS`: click would import every command's
        module for its docstring (pandas, the web server, WeasyPrint: seconds)."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in sorted(COMMANDS)])

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; an unforeseen error is one line and a hint, never a
        traceback (with `--debug`, the traceback goes to the log as well)."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except Exception as error:
            if ctx.params.get("debug"):
                click.echo(traceback.format_exc(), err=True, nl=False)
            raise click.ClickException(
                _one_line(error, debug=bool(ctx.params.get("debug")))
            ) from None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute, _summary = COMMANDS[cmd_name]
        module = importlib.import_module(f"{__name__}.{module_name}")
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command


def _one_line(error: Exception, *, debug: bool) -> str:
    """What went wrong, in one line, with what to do about it."""
    from sqlalchemy.exc import SQLAlchemyError

    hint = "" if debug else " (run `survey-app --debug ...` for the details)"
    if isinstance(error, SQLAlchemyError) and _not_migrated(error):
        return "the database has no tables yet: run `survey-app db upgrade` first"
    if isinstance(error, SQLAlchemyError):
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f"database error: {reason}{hint}"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}{': ' + text if text else ''}{hint}"


def _not_migrated(error: Exception) -> bool:
    """A table of the schema is missing (SQLite: `no such table`; PostgreSQL: the
    relation does not exist): the database was never migrated."""
    message = str(getattr(error, "orig", None) or error)
    return "no such table" in message or ("relation" in message and "does not exist" in message)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def main(verbose: bool, debug: bool) -> None:
    """Surveys and needs assessments for local integration networks."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
