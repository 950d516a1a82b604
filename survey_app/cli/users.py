"""`survey-app user ...`: accounts of admins and working-group members.

The database and the services are imported by the commands that use them, so that
`survey-app user --help` starts without SQLAlchemy (issue 19: start-up under 0.3 s).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from survey_app.settings import get_settings

if TYPE_CHECKING:
    from survey_app.db.engine import Database

ACTOR = "cli"


@click.group()
def user() -> None:
    """Accounts: admins (integration office) and members of working groups."""


def _directory() -> Path:
    return get_settings().questionnaires


def _database() -> Database:
    from survey_app.db.engine import Database

    return Database(get_settings().database_url)


@user.command("add")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--group", "groups", multiple=True, help="Working group id (repeatable).")
@click.option("--admin", is_flag=True, help="Integration office: sees and manages everything.")
def add(email: str, password: str, groups: tuple[str, ...], admin: bool) -> None:
    """Create an account for EMAIL."""
    from survey_app.services.accounts import AccountError, user_add
    from survey_app.services.groups import group_ids, groups_publish

    database = _database()
    # Groups are published with the questionnaires (`serve`); an account may come first.
    known = group_ids(database) or {g.id for g in groups_publish(database, _directory())[0]}
    try:
        account = user_add(
            database,
            email=email,
            password=password,
            groups=groups,
            is_admin=admin,
            known_groups=known,
            actor=ACTOR,
        )
    except AccountError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    role = "admin" if account.is_admin else "member of " + ", ".join(sorted(account.groups))
    click.echo(f"added {account.email} ({role})")


@user.command("list")
def list_users() -> None:
    """Every account with its role and groups."""
    from survey_app.services.accounts import user_list

    for account in user_list(_database()):
        role = "admin" if account.is_admin else "member"
        click.echo(f"{account.email}\t{role}\t{' '.join(sorted(account.groups))}")


@user.command("remove")
@click.argument("email")
def remove(email: str) -> None:
    """Delete the account of EMAIL."""
    from survey_app.services.accounts import user_remove

    if not user_remove(_database(), email=email, actor=ACTOR):
        click.echo(f"error: no account for {email}", err=True)
        sys.exit(1)
    click.echo(f"removed {email}")


@user.command("passwd")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def passwd(email: str, password: str) -> None:
    """Set a new password for EMAIL."""
    from survey_app.services.accounts import AccountError, user_set_password

    try:
        user_set_password(_database(), email=email, password=password, actor=ACTOR)
    except AccountError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"password changed for {email}")
