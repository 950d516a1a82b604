"""Commands that run the service and look after its database."""

from __future__ import annotations

import os

import click

from survey_app.settings import get_settings

KEEP_ALIVE_SECONDS = 75
GRACEFUL_SHUTDOWN_SECONDS = 20


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="App processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Migrate the database, publish the questionnaires and serve the app."""
    import uvicorn

    from survey_app.db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    # Each worker sizes its PostgreSQL pool by the number of workers (survey_app.db.engine).
    os.environ["SURVEY_WORKERS"] = str(workers)
    uvicorn.run(
        "survey_app.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        server_header=False,
        log_level="warning",
        # Longer than nginx keeps an idle upstream connection (60 s, deploy/nginx.conf):
        # the side that reuses a connection must be the one that closes it first, or a
        # request sent as the server closes is lost (uvicorn's default is 5 s).
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (creates the database if empty)."""
    from survey_app.db.migrate import upgrade

    upgrade(get_settings().database_url, revision)


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ('base' for an empty schema)."""
    from survey_app.db.migrate import downgrade

    downgrade(get_settings().database_url, revision)


@db.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from survey_app.db.migrate import current_revision

    click.echo(current_revision(get_settings().database_url) or "(empty)")


@click.command("compile-translations")
def compile_translations() -> None:
    """Compile the UI message catalogues (.po -> .mo)."""
    from survey_app.i18n import compile_catalogues

    for path in compile_catalogues():
        click.echo(f"compiled {path}", err=True)
