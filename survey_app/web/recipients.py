"""`/admin/surveys/{survey}/recipients`: invitations by e-mail (admins only): import a
recipients file, send the invitations, remind those whose link is unused, see the state
of each invitation (never which response it gave), and delete the contact data when the
mailing is done."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from survey_app.db.engine import Database
from survey_app.errors import NotFound
from survey_app.i18n import S_, StaffMessage
from survey_app.render.mail import SmtpMailer
from survey_app.services.district import district_profile_of
from survey_app.services.mailing import (
    MailError,
    RecipientsInvalid,
    contacts_purge,
    invitations_send,
    read_recipients,
    recipients_add,
    recipients_of,
)
from survey_app.services.published import get_survey
from survey_app.settings import Settings
from survey_app.web.access import Viewer
from survey_app.web.guards import admin_guard, viewer_dependency
from survey_app.web.handlers import in_thread
from survey_app.web.hygiene import staff_form
from survey_app.web.templating import admin_page

MAX_UPLOAD = 2 * 1024 * 1024
SEND_BUDGET = 40.0
"""Seconds one press of "send" or "remind" sends for (about 5,000 letters here): the
page answers well within a reverse proxy's read timeout (60 s in `deploy/nginx.conf`)
and says how many are left, instead of a 504 while the letters go on."""


class NoInvitationSurvey(NotFound):
    """No survey with personal invitations under this id."""

    def __init__(self, survey_id: str) -> None:
        super().__init__(
            S_("There is no invitation survey '%(survey)s'."), values={"survey": survey_id}
        )


# Names on the page (the staff catalogue; the template translates them).
STATUS_NAMES = {
    "created": S_("not sent yet"),
    "sent": S_("invited"),
    "reminded": S_("reminded"),
    "failed": S_("sending failed"),
    "answered": S_("has answered"),
}


def recipients_page(
    db: Database,
    settings: Settings,
    viewer: Viewer,
    survey_id: str,
    *,
    notice: StaffMessage | None = None,
    problems: list[str] | list[StaffMessage] | None = None,
    status: int = 200,
    confirm_purge: bool = False,
) -> Template:
    survey = get_survey(db, survey_id)
    if survey is None or survey.questionnaire.audience != "invitation":
        raise NoInvitationSurvey(survey_id)
    questionnaire = survey.questionnaire
    recipients = recipients_of(db, survey_id)
    counts = dict.fromkeys(STATUS_NAMES, 0)
    for recipient in recipients:
        counts[recipient.status] += 1
    return admin_page(
        "recipients.html",
        viewer,
        status,
        survey=survey_id,
        title=questionnaire.text(questionnaire.title, questionnaire.default_language),
        recipients=recipients,
        counts=counts,
        status_names=STATUS_NAMES,
        unsent=sum(1 for r in recipients if r.sent_on is None and r.status != "answered"),
        unanswered=sum(1 for r in recipients if r.sent_on and r.status != "answered"),
        mail_ready=bool(settings.smtp_url and settings.mail_from),
        local_links=settings.base_url if settings.links_are_local else None,
        notice=notice,
        problems=problems or [],
        confirm_purge=confirm_purge and bool(recipients),
        retention=questionnaire.retention,
    )


def import_file(
    db: Database, settings: Settings, viewer: Viewer, survey_id: str, name: str, data: bytes
) -> Template:
    if len(data) > MAX_UPLOAD:
        problems = [
            StaffMessage(
                S_("%(file)s: larger than %(mb)s MB"),
                {"file": name, "mb": MAX_UPLOAD // 1024 // 1024},
            )
        ]
        return recipients_page(db, settings, viewer, survey_id, problems=problems, status=413)
    try:
        rows = read_recipients(name, data)
        added, known = recipients_add(
            db, survey_id, rows, secret=settings.secret_key, actor=viewer.email
        )
    except RecipientsInvalid as invalid:
        return recipients_page(
            db, settings, viewer, survey_id, problems=invalid.problems, status=422
        )
    except LookupError:
        raise NoInvitationSurvey(survey_id) from None
    notice = StaffMessage(
        S_("%(added)s recipients added, %(known)s were there already.")
        if known
        else S_("%(added)s recipients added."),
        {"added": added, "known": known},
    )
    return recipients_page(db, settings, viewer, survey_id, notice=notice)


def send(
    db: Database, settings: Settings, viewer: Viewer, survey_id: str, *, remind: bool
) -> Template:
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
            actor=viewer.email,
            remind=remind,
            budget=SEND_BUDGET,
        )
    except LookupError:
        raise NoInvitationSurvey(survey_id) from None
    except MailError as error:
        return recipients_page(db, settings, viewer, survey_id, problems=[error.staff], status=503)
    if remind:
        message = (
            S_("%(sent)s reminders sent, %(failed)s with an error (see the list).")
            if report.failed
            else S_("%(sent)s reminders sent.")
        )
    else:
        message = (
            S_("%(sent)s invitations sent, %(failed)s with an error (see the list).")
            if report.failed
            else S_("%(sent)s invitations sent.")
        )
    if report.left:
        message = (
            S_(
                "%(sent)s reminders sent, %(failed)s with an error; %(left)s still to send: "
                "press the button again."
            )
            if remind
            else S_(
                "%(sent)s invitations sent, %(failed)s with an error; %(left)s still to "
                "send: press the button again."
            )
        )
    values = {"sent": report.sent, "failed": report.failed, "left": report.left}
    notice = StaffMessage(message, values)
    return recipients_page(db, settings, viewer, survey_id, notice=notice)


def purge(
    db: Database, settings: Settings, viewer: Viewer, survey_id: str, *, confirmed: bool
) -> Template:
    """The first press asks again (deleted contact data cannot be brought back);
    `confirmed` deletes it as `survey-app purge --contacts` does, audited."""
    survey = get_survey(db, survey_id)
    if survey is None or survey.questionnaire.audience != "invitation":
        raise NoInvitationSurvey(survey_id)
    if not confirmed:
        return recipients_page(db, settings, viewer, survey_id, confirm_purge=True)
    count = contacts_purge(db, survey_id, actor=viewer.email)
    notice = StaffMessage(
        S_("The contact data of %(count)s recipients was deleted."), {"count": count}
    )
    return recipients_page(db, settings, viewer, survey_id, notice=notice)


class RecipientsController(Controller):
    path = "/admin/surveys/{survey_id:str}/recipients"
    include_in_schema = False
    guards = [admin_guard]
    dependencies = {"viewer": viewer_dependency}

    @get("/")
    async def recipients(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Template:
        return await in_thread(recipients_page, db, settings, viewer, survey_id)

    @post("/")
    async def upload(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Template:
        """A recipients file (CSV or XLSX) to add."""
        upload = (await staff_form(request)).get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            problems = [S_("Please choose a file (CSV or XLSX).")]
            return await in_thread(
                recipients_page, db, settings, viewer, survey_id, problems=problems, status=422
            )
        data = await upload.read(MAX_UPLOAD + 1)
        return await in_thread(import_file, db, settings, viewer, survey_id, upload.filename, data)

    @post("/send")
    async def send_invitations(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Template:
        return await in_thread(send, db, settings, viewer, survey_id, remind=False)

    @post("/remind")
    async def send_reminders(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Template:
        return await in_thread(send, db, settings, viewer, survey_id, remind=True)

    @post("/purge")
    async def purge_contacts(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Template:
        """Delete the recipients' contact data, once confirmed (`confirmed=yes`)."""
        confirmed = (await request.form()).get("confirmed") == "yes"
        return await in_thread(purge, db, settings, viewer, survey_id, confirmed=confirmed)
