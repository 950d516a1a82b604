"""The warning of every command that writes links for others to open (posters, invitation
link lists, invitation e-mails): a link made from a `SURVEY_BASE_URL` on this computer
works for no one else, and the admin pages say the same (`admin/_local_links.html`)."""

from __future__ import annotations

import click

from survey_app.settings import Settings


def warn_if_links_local(settings: Settings, what: str) -> None:
    """One line on standard error when the links in `what` point to this computer."""
    if settings.links_are_local:
        click.echo(
            f"warning: {what} points to this computer ({settings.base_url}) and works for "
            "no one else; set SURVEY_BASE_URL to the survey's public address",
            err=True,
        )
