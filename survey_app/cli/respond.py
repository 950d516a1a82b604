"""`survey-app poster`: printable QR posters for the counselling offices."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from survey_app.cli.local_links import warn_if_links_local
from survey_app.settings import get_settings


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.command()
@click.argument("survey_id")
@click.option("--lang", "language", default=None, help="Survey language (default: its default).")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="FILE.html for the A4 poster, FILE.svg for the QR code alone.",
)
def poster(survey_id: str, language: str | None, output: Path) -> None:
    """Write an A4 poster (or the QR code) inviting people to answer SURVEY_ID.

    The link uses SURVEY_BASE_URL, so set it to the public address first.
    """
    from survey_app.db.engine import Database
    from survey_app.db.migrate import upgrade
    from survey_app.render.respond import district_values, poster_html, qr_svg, survey_url
    from survey_app.services.district import district_logo
    from survey_app.services.published import get_survey
    from survey_app.services.surveys import publish_directory

    if output.suffix.lower() not in (".html", ".svg"):
        _fail(f"{output}: the output must end in .html (poster) or .svg (QR code)")
    settings = get_settings()
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        survey = get_survey(db, survey_id)
        if survey is None:
            # Not served yet: publish the configured questionnaires as `serve` would.
            publish_directory(db, settings.questionnaires)
            survey = get_survey(db, survey_id)
        district = district_values(settings, db)
        logo = district_logo(db)
    finally:
        db.dispose()
    if survey is None:
        _fail(f"no survey '{survey_id}' in {settings.questionnaires}")
        return
    questionnaire = survey.questionnaire
    if questionnaire.audience == "invitation":
        _fail(f"survey '{survey_id}' is answered through personal links; a poster cannot invite")
    if language is not None and language not in questionnaire.languages:
        offered = ", ".join(questionnaire.languages)
        _fail(f"survey '{survey_id}' has no language '{language}' ({offered})")
    language = language or questionnaire.default_language
    if output.suffix.lower() == ".svg":
        link = f"{settings.base_url}{survey_url(survey.id, lang=language)}"
        title = questionnaire.text(questionnaire.title, language)
        svg = qr_svg(link, title).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
        output.write_text(svg + "\n", encoding="utf-8")
    else:
        output.write_text(
            poster_html(
                survey,
                language,
                settings.base_url,
                district=district,
                logo=logo,
                inline_css=True,
                local_links=settings.links_are_local,
            ),
            encoding="utf-8",
        )
    click.echo(f"poster for '{survey_id}' ({language}) written to {output}", err=True)
    warn_if_links_local(settings, "the link")
