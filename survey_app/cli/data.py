"""Commands on the stored data: invitations, backup, restore, purge."""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path
from typing import Any

import click

from survey_app.cli.local_links import warn_if_links_local
from survey_app.settings import get_settings

ACTOR = "cli"  # who the audit log names for changes made on the command line
MAX_LINKS = 100_000


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group()
def invitations() -> None:
    """Personal invitation links for `audience: invitation` surveys."""


@invitations.command("create")
@click.argument("survey_id")
@click.option("--count", required=True, type=click.IntRange(1, MAX_LINKS), help="Links to make.")
@click.option("--label", default="", help="Kept with each invitation, e.g. the mailing.")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="New .xlsx or .csv file (columns label, link); it is the only copy of the links.",
)
def invitations_create(survey_id: str, count: int, label: str, output: Path) -> None:
    """Create COUNT personal links for SURVEY_ID and write them to a new file: XLSX, or
    a CSV for German Excel (semicolons, UTF-8 with BOM), by the file name's ending.

    The same as the admin page's invitations: same columns, audited, labels never
    spreadsheet formulas.
    """
    from survey_app.db.engine import Database
    from survey_app.db.migrate import upgrade
    from survey_app.render.links import LINK_FORMATS, links_file
    from survey_app.services.admin import invitation_links
    from survey_app.services.published import get_survey
    from survey_app.services.surveys import publish_directory

    file_format = output.suffix.lower().lstrip(".")
    if file_format not in LINK_FORMATS:
        _fail(f"{output}: the file name must end in .xlsx or .csv")
    settings = get_settings()
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        survey = get_survey(db, survey_id)
        if survey is None:
            # Not served yet: publish the configured questionnaires as `serve` would.
            publish_directory(db, settings.questionnaires)
            survey = get_survey(db, survey_id)
        if survey is None:
            _fail(f"no survey '{survey_id}' in {settings.questionnaires}")
            return
        if survey.questionnaire.audience != "invitation":
            _fail(f"survey '{survey_id}' is anonymous (audience: anonymous); it needs no links")
        try:
            # Exclusive creation: never overwrite an earlier file of still valid links.
            links_output = output.open("xb")
        except FileExistsError:
            _fail(f"{output} exists; choose a new file name (its links would be lost)")
            return
        with links_output:
            output.chmod(0o600)
            links = invitation_links(
                db,
                survey_id,
                count=count,
                label=label,
                base_url=settings.base_url,
                actor=ACTOR,
                at_most=MAX_LINKS,
            )
            links_output.write(links_file(links, file_format))
    finally:
        db.dispose()
    click.echo(f"{count} invitation link(s) for '{survey_id}' written to {output}", err=True)
    warn_if_links_local(settings, "every link in it")


def _invitation_survey(survey_id: str) -> tuple[Any, Any]:
    """Settings and an open database with `survey_id` published (as `serve` would)."""
    from survey_app.db.engine import Database
    from survey_app.db.migrate import upgrade
    from survey_app.services.published import get_survey
    from survey_app.services.surveys import publish_directory

    settings = get_settings()
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    survey = get_survey(db, survey_id)
    if survey is None:
        publish_directory(db, settings.questionnaires)
        survey = get_survey(db, survey_id)
    if survey is None or survey.questionnaire.audience != "invitation":
        db.dispose()
        _fail(f"no invitation survey '{survey_id}' in {settings.questionnaires}")
    return settings, db


@invitations.command("send")
@click.argument("survey_id")
@click.option(
    "--recipients",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV (; or ,) or XLSX with a header row: E-Mail, Name, Referenz, Sprache.",
)
def invitations_send(survey_id: str, recipients: Path | None) -> None:
    """Add the RECIPIENTS of SURVEY_ID (if given) and e-mail every invitation not sent yet.

    Needs SURVEY_SMTP_URL and SURVEY_MAIL_FROM. Each recipient gets a personal link."""
    from survey_app.services.mailing import RecipientsInvalid, read_recipients, recipients_add

    settings, db = _invitation_survey(survey_id)
    try:
        if recipients is not None:
            try:
                rows = read_recipients(recipients.name, recipients.read_bytes())
            except RecipientsInvalid as invalid:
                for problem in invalid.problems:
                    click.echo(f"error: {problem}", err=True)
                sys.exit(1)
            added, known = recipients_add(
                db, survey_id, rows, secret=settings.secret_key, actor=ACTOR
            )
            click.echo(f"recipients added: {added} (already there: {known})", err=True)
        _send(settings, db, survey_id, remind=False)
    finally:
        db.dispose()


@invitations.command("remind")
@click.argument("survey_id")
def invitations_remind(survey_id: str) -> None:
    """E-mail a reminder to every recipient of SURVEY_ID whose link is still unused."""
    settings, db = _invitation_survey(survey_id)
    try:
        _send(settings, db, survey_id, remind=True)
    finally:
        db.dispose()


def _send(settings: Any, db: Any, survey_id: str, *, remind: bool) -> None:
    from survey_app.render.mail import SmtpMailer
    from survey_app.services.district import district_profile_of
    from survey_app.services.mailing import MailError, invitations_send

    try:
        report = invitations_send(
            db,
            survey_id,
            mailer=SmtpMailer(
                settings.smtp_url,
                district=district_profile_of(db, settings.questionnaires),
            ),
            base_url=settings.base_url,
            secret=settings.secret_key,
            sender=settings.mail_from,
            actor=ACTOR,
            remind=remind,
        )
    except MailError as error:
        _fail(str(error))
        return
    what = "reminders" if remind else "invitations"
    click.echo(f"{what} sent: {report.sent}, failed: {report.failed}", err=True)
    if report.sent:
        warn_if_links_local(settings, "the link in every letter")
    if report.failed:
        sys.exit(1)


@click.command()
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def backup(output: Path) -> None:
    """Write a consistent copy of the database (safe while the server runs)."""
    from survey_app.services.maintenance import MaintenanceError, backup_database

    try:
        backup_database(get_settings().database_url, output)
    except MaintenanceError as error:
        _fail(str(error))
    click.echo(f"backup written to {output}", err=True)


@click.command()
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
def restore(backup_file: Path) -> None:
    """Restore BACKUP_FILE into the configured database, which must hold no data."""
    from survey_app.services.maintenance import MaintenanceError, restore_database
    from survey_app.services.results_cache import cache_directory

    settings = get_settings()
    try:
        restore_database(
            settings.database_url,
            backup_file,
            results_cache_dir=cache_directory(settings.var_dir),
        )
    except MaintenanceError as error:
        _fail(str(error))
    click.echo(f"restored {backup_file}; `survey-app db upgrade` brings it up to date", err=True)


DURATION = re.compile(r"(\d+)([dw])")


def _duration(_ctx: object, _param: object, value: str | None) -> datetime.timedelta | None:
    if value is None:
        return None
    found = DURATION.fullmatch(value.strip())
    if found is None:
        raise click.BadParameter("use days or weeks, e.g. 30d or 4w")
    number, unit = int(found.group(1)), found.group(2)
    return datetime.timedelta(days=number * (7 if unit == "w" else 1))


@click.command()
@click.option(
    "--drafts-older-than",
    callback=_duration,
    help="Also delete drafts last saved longer ago than this (30d, 4w).",
)
@click.option(
    "--contacts",
    "contacts_of",
    metavar="SURVEY",
    help="Also delete the e-mail recipients of SURVEY (their links stay valid).",
)
def purge(drafts_older_than: datetime.timedelta | None, contacts_of: str | None) -> None:
    """Delete expired drafts and the responses of surveys past their retention date.

    Written to the audit log with counts. Aggregate reports are not stored separately
    yet, so a survey purged for retention has no results afterwards.
    """
    from survey_app.db.engine import Database
    from survey_app.services.mailing import contacts_purge
    from survey_app.services.maintenance import purge as run_purge
    from survey_app.services.results_cache import cache_directory

    settings = get_settings()
    db = Database(settings.database_url)
    try:
        report = run_purge(
            db,
            drafts_older_than=drafts_older_than,
            results_cache_dir=cache_directory(settings.var_dir),
        )
        contacts = contacts_purge(db, contacts_of, actor=ACTOR) if contacts_of is not None else None
    finally:
        db.dispose()
    click.echo(f"drafts deleted: {report.drafts}")
    if contacts is not None:
        click.echo(f"contacts deleted: {contacts_of}: {contacts}")
    for survey_id, count in sorted(report.submissions.items()):
        click.echo(f"responses deleted (retention passed): {survey_id}: {count}")
