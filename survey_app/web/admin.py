"""The admin pages of the integration office (admins only): surveys and versions with
response counts, opening and closing, invitations, row-level exports, users, audit log.

The controller's guard checks the role (`admin_guard`: anonymous visitors go to the
login form, members get 403); handlers call `survey_app.services.admin` / `accounts`,
which write the audit log with every change.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from analysis.export_layout import ExportValues
from survey_app.db.engine import Database
from survey_app.errors import NotFound
from survey_app.i18n import S_, StaffMessage
from survey_app.render.links import LINK_FORMATS, links_file
from survey_app.services.accounts import (
    AccountError,
    account_by_id,
    user_add,
    user_list,
    user_remove,
    user_set_password,
)
from survey_app.services.admin import (
    AdminError,
    SurveyWaits,
    invitation_links,
    rows_export,
    survey_open_close,
    survey_overview,
)
from survey_app.services.audit import audit_events
from survey_app.services.district import production_profile
from survey_app.services.groups import group_ids, working_groups
from survey_app.services.release_jobs import DONE, REFUSED, release_job, release_start
from survey_app.services.releases import ReleaseRefused, release_preview, releases_of
from survey_app.settings import Settings
from survey_app.web.access import Viewer
from survey_app.web.guards import admin_guard, viewer_dependency
from survey_app.web.handlers import in_thread
from survey_app.web.hygiene import staff_form
from survey_app.web.staff import staff_message
from survey_app.web.templating import admin_page

EXPORT_MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}
CODE_FORMATS = ("csv", "xlsx")
"""The row-level exports offered with the form's codes: SPSS and Stata have the codes
with their labels already."""
AUDIT_ROWS = 200


def _group_names(db: Database) -> list[tuple[str, Mapping[str, str]]]:
    """(id, name in each language) of every working group, for the user form."""
    return [(group.id, group.name) for group in working_groups(db)]


def overview_page(
    db: Database,
    settings: Settings,
    viewer: Viewer,
    *,
    error: str | StaffMessage | None = None,
    notice: str | StaffMessage | None = None,
    status: int = 200,
) -> Template:
    surveys = survey_overview(db, production_profile(db, settings))
    return admin_page(
        "index.html",
        viewer,
        status,
        surveys=surveys,
        error=error,
        notice=notice,
        local_links=settings.base_url if settings.links_are_local else None,
    )


def users_page(
    db: Database,
    settings: Settings,
    viewer: Viewer,
    *,
    error: str | StaffMessage | None = None,
    notice: str | StaffMessage | None = None,
    status: int = 200,
) -> Template:
    return admin_page(
        "users.html",
        viewer,
        status,
        users=user_list(db),
        groups=_group_names(db),
        error=error,
        notice=notice,
    )


def add_user(
    db: Database, settings: Settings, viewer: Viewer, form: FormMultiDict
) -> Response[Any]:
    """The new-account form: back to the list, or the list with the refusal (422)."""
    try:
        user_add(
            db,
            email=str(form.get("email", ""))[:254],
            password=str(form.get("password", "")),
            groups=[str(group) for group in form.getall("group", [])],
            is_admin=form.get("admin") == "on",
            known_groups=group_ids(db),
            actor=viewer.email,
        )
    except AccountError as error:
        return users_page(db, settings, viewer, error=staff_message(error), status=422)
    return Redirect("/admin/users", status_code=303)


def set_password(
    db: Database, settings: Settings, viewer: Viewer, user_id: int, password: str
) -> Response[Any]:
    account = account_by_id(db, user_id)
    if account is None:
        raise NotFoundException(S_("There is no such account."))
    try:
        user_set_password(db, email=account.email, password=password, actor=viewer.email)
    except AccountError as error:
        return users_page(db, settings, viewer, error=staff_message(error), status=422)
    notice = StaffMessage(S_("The password of %(email)s was changed."), {"email": account.email})
    return users_page(db, settings, viewer, notice=notice)


def remove_user(db: Database, settings: Settings, viewer: Viewer, user_id: int) -> Response[Any]:
    account = account_by_id(db, user_id)
    if account is None:
        raise NotFoundException(S_("There is no such account."))
    if account.id == viewer.user_id:
        # Nobody locks the integration office out of its own admin pages by accident.
        error = S_("You cannot remove your own account.")
        return users_page(db, settings, viewer, error=error, status=422)
    user_remove(db, email=account.email, actor=viewer.email)
    return Redirect("/admin/users", status_code=303)


def release_page(
    db: Database,
    settings: Settings,
    viewer: Viewer,
    survey_id: str,
    *,
    error: str | StaffMessage | None = None,
    status: int = 200,
) -> Template:
    preview = release_preview(db, survey_id, with_demo=not settings.is_production)
    return admin_page("release.html", viewer, status, preview=preview, error=error)


def open_close_page(
    db: Database, settings: Settings, viewer: Viewer, survey_id: str, *, is_open: bool
) -> Template:
    """The confirmation step of opening or closing a survey."""
    overview = survey_overview(db, production_profile(db, settings))
    survey = next((s for s in overview if s.id == survey_id), None)
    if survey is None:
        return overview_page(
            db,
            settings,
            viewer,
            error=StaffMessage(S_("There is no survey “%(survey)s”."), {"survey": survey_id}),
            status=404,
        )
    return admin_page("open_close.html", viewer, survey=survey, is_open=is_open)


def start_release(
    db: Database, settings: Settings, viewer: Viewer, survey_id: str, note: str, *, check: bool
) -> Response[Any]:
    """Start the release (or with `check` only its audit) in the background and show its
    page; a refusal that needs no audit shows the confirmation page again (422). In
    production, demo responses are never counted."""
    try:
        job = release_start(
            db,
            survey_id,
            actor=viewer.email,
            note=note,
            with_demo=not settings.is_production,
            check=check,
        )
    except ReleaseRefused as error:
        return release_page(db, settings, viewer, survey_id, error=staff_message(error), status=422)
    return Redirect(f"/admin/surveys/{quote(survey_id, safe='')}/release/{job}", status_code=303)


def release_job_page(
    db: Database, settings: Settings, viewer: Viewer, survey_id: str, job_id: int
) -> Response[Any]:
    """A release being made (the page reloads itself), or what came of it: the overview
    with a notice, the confirmation page with the refusal, or an error page."""
    job = release_job(db, survey_id, job_id)
    if job.state == DONE:
        made = next(r for r in releases_of(db, survey_id) if r.number == job.number)
        notice = StaffMessage(
            S_(
                "Release %(number)s of “%(survey)s” with %(responses)s responses is now "
                "visible to the working groups."
            ),
            {"number": made.number, "survey": survey_id, "responses": made.responses},
        )
        return overview_page(db, settings, viewer, notice=notice)
    if job.state == REFUSED and job.message is not None:
        return release_page(db, settings, viewer, survey_id, error=job.message)
    return admin_page("release_job.html", viewer, job=job)


def export_file(
    db: Database, viewer: Viewer, survey_id: str, file_format: str, values: ExportValues
) -> File:
    """Every response of a survey, written to a temporary file (memory stays constant
    however many there are), sent, and deleted afterwards; CSV and XLSX with labels or
    the form's codes (`values`)."""
    handle, name = tempfile.mkstemp(suffix=f".{file_format}")
    os.close(handle)
    path = Path(name)
    try:
        written = rows_export(
            db,
            survey_id,
            file_format=file_format,
            output=path,
            actor=viewer.email,
            values=values,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return File(
        path,
        filename=f"{survey_id}-responses.{written.extension}",
        # A CSV export of a survey with repeats is a ZIP of its tables.
        media_type=EXPORT_MEDIA_TYPES.get(written.extension, "application/zip"),
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


class AdminController(Controller):
    """The integration office's pages."""

    path = "/admin"
    include_in_schema = False
    guards = [admin_guard]
    dependencies = {"viewer": viewer_dependency}

    @get("/")
    async def overview(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
    ) -> Template:
        return await in_thread(overview_page, db, settings, viewer)

    @post("/surveys/{survey_id:str}/open")
    async def survey_open(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        return await self._open_or_close(request, db, settings, viewer, survey_id, is_open=True)

    @post("/surveys/{survey_id:str}/close")
    async def survey_close(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        return await self._open_or_close(request, db, settings, viewer, survey_id, is_open=False)

    async def _open_or_close(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        settings: Settings,
        viewer: Viewer,
        survey_id: str,
        *,
        is_open: bool,
    ) -> Response[Any]:
        """The first press shows what will happen and asks again (closing a live survey
        by a slip of the mouse would refuse every respondent); `confirmed=yes` acts."""
        confirmed = (await staff_form(request)).get("confirmed") == "yes"
        if not confirmed:
            return await in_thread(
                open_close_page, db, settings, viewer, survey_id, is_open=is_open
            )
        try:
            await in_thread(
                survey_open_close,
                db,
                survey_id,
                is_open=is_open,
                actor=viewer.email,
                district=await in_thread(production_profile, db, settings),
            )
        except NotFound as error:
            return await in_thread(
                overview_page, db, settings, viewer, error=staff_message(error), status=404
            )
        except SurveyWaits as error:
            return await in_thread(
                overview_page, db, settings, viewer, error=staff_message(error), status=422
            )
        return Redirect("/admin", status_code=303)

    @get("/surveys/{survey_id:str}/release")
    async def release_form(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
    ) -> Template:
        """The confirmation step before a release: what it would hold, and a note."""
        return await in_thread(release_page, db, settings, viewer, survey_id)

    @post("/surveys/{survey_id:str}/release")
    async def release(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        """Start the release, or only its check (audited in the background: minutes on a
        large survey)."""
        form = await staff_form(request)
        note = str(form.get("note", ""))
        check = form.get("action") == "check"
        return await in_thread(start_release, db, settings, viewer, survey_id, note, check=check)

    @get("/surveys/{survey_id:str}/release/{job_id:int}")
    async def release_progress(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
        job_id: FromPath[int],
    ) -> Response[Any]:
        """A release being made, or what came of it."""
        return await in_thread(release_job_page, db, settings, viewer, survey_id, job_id)

    @post("/surveys/{survey_id:str}/invitations")
    async def invitations(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        form = await staff_form(request)
        file_format = str(form.get("format", "xlsx"))
        try:
            count = int(str(form.get("count", "")).strip())
        except ValueError:
            return await in_thread(
                overview_page, db, settings, viewer, error=S_("Please enter a number."), status=422
            )
        if file_format not in LINK_FORMATS:
            return await in_thread(
                overview_page,
                db,
                settings,
                viewer,
                error=S_("Please choose XLSX or CSV."),
                status=422,
            )
        try:
            links = await in_thread(
                invitation_links,
                db,
                survey_id,
                count=count,
                label=str(form.get("label", "")),
                base_url=settings.base_url,
                actor=viewer.email,
            )
        except AdminError as error:
            return await in_thread(
                overview_page,
                db,
                settings,
                viewer,
                error=staff_message(error),
                status=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        # The links are in this answer only: never cached, never shown again.
        filename = f"{survey_id}-invitations.{file_format}"
        return Response(
            links_file(links, file_format),
            media_type=LINK_FORMATS[file_format],
            headers={
                "content-disposition": f'attachment; filename="{filename}"',
                "cache-control": "no-store",
            },
        )

    @get("/surveys/{survey_id:str}/{filename:str}")
    async def export(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
        filename: FromPath[str],
        values: FromQuery[ExportValues] = "labels",
    ) -> File:
        name, _, file_format = filename.partition(".")
        if name != "responses" or file_format not in EXPORT_MEDIA_TYPES:
            raise NotFoundException(S_("Exports are responses.csv, .xlsx, .sav or .dta."))
        if values == "codes" and file_format not in CODE_FORMATS:
            raise ValidationException(S_("The form's codes are offered for CSV and XLSX."))
        return await in_thread(export_file, db, viewer, survey_id, file_format, values)

    @get("/users")
    async def users(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
    ) -> Template:
        return await in_thread(users_page, db, settings, viewer)

    @post("/users")
    async def users_add(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        form = await staff_form(request)
        return await in_thread(add_user, db, settings, viewer, form)

    @post("/users/{user_id:int}/password")
    async def users_password(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        user_id: FromPath[int],
    ) -> Response[Any]:
        password = str((await staff_form(request)).get("password", ""))
        return await in_thread(set_password, db, settings, viewer, user_id, password)

    @post("/users/{user_id:int}/remove")
    async def users_remove(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        user_id: FromPath[int],
    ) -> Response[Any]:
        return await in_thread(remove_user, db, settings, viewer, user_id)

    @get("/audit")
    async def audit(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
    ) -> Template:
        events = await in_thread(audit_events, db, limit=AUDIT_ROWS)
        return admin_page("audit.html", viewer, events=events)
