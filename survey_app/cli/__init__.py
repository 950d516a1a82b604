"""The `survey-app` command line; each area registers its commands from its own module."""

from __future__ import annotations

import logging

import click

from survey_app.cli import data, questionnaires, reports, respond, results, server, users, xlsform


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose: bool) -> None:
    """Surveys and needs assessments for local integration networks."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


for module in (server, questionnaires, results, reports, data, xlsform, respond, users):
    module.register(main)
