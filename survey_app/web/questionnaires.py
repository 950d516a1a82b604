"""`/admin/questionnaires`: questionnaires in the browser (admins only). Upload an XLSForm
or YAML file and see the report of `survey-app check`; preview every page in every
language with test answers that are never stored (`web.preview`); publish it as a new
version after a confirmation step; download any published version as an XLSForm for
translators. Uploads, publishing and downloads are audited (in `services.questionnaires`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY

from survey_app.db.engine import Database
from survey_app.errors import Conflict
from survey_app.i18n import S_, StaffMessage
from survey_app.render.respond import district_values
from survey_app.services.questionnaires import (
    MAX_UPLOAD_BYTES,
    questionnaire_upload,
    questionnaires_overview,
    upload_discard,
    upload_publish,
    upload_questionnaire,
    upload_view,
    version_xlsform,
)
from survey_app.settings import Settings
from survey_app.web.access import Viewer
from survey_app.web.guards import admin_guard, viewer_dependency
from survey_app.web.handlers import in_thread, is_htmx
from survey_app.web.hygiene import staff_form
from survey_app.web.preview import (
    Preview,
    carried_answers,
    posted,
    preview_of,
    refreshed,
    shown_page,
    start_page,
)
from survey_app.web.staff import staff_message
from survey_app.web.templating import admin_page

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_FILE = S_("Please choose a file (XLSForm .xlsx or .xls, or YAML).")


def overview_page(
    db: Database, viewer: Viewer, *, error: str | StaffMessage | None = None, status: int = 200
) -> Template:
    overview = questionnaires_overview(db)
    max_mb = MAX_UPLOAD_BYTES // (1024 * 1024)
    return admin_page(
        "questionnaires.html", viewer, status, overview=overview, error=error, max_mb=max_mb
    )


def report_page(db: Database, viewer: Viewer, upload_id: int) -> Template:
    """An upload's check report, its preview links and the way to publish it."""
    return admin_page("questionnaire.html", viewer, upload=upload_view(db, upload_id))


def confirm_page(
    db: Database,
    viewer: Viewer,
    upload_id: int,
    *,
    error: str | StaffMessage | None = None,
    status: int = 200,
) -> Template:
    """The confirmation step of publishing: what changes for respondents and results."""
    view = upload_view(db, upload_id)
    return admin_page("questionnaire_publish.html", viewer, status, upload=view, error=error)


def publish(db: Database, viewer: Viewer, upload_id: int, *, new_series: bool) -> Response[Any]:
    try:
        upload_publish(db, upload_id, actor=viewer.email, new_series=new_series)
    except Conflict as refused:
        return confirm_page(
            db, viewer, upload_id, error=staff_message(refused), status=HTTP_409_CONFLICT
        )
    return Redirect(f"/admin/questionnaires/{upload_id}", status_code=303)


def preview_for(db: Database, upload_id: int, language: str | None) -> Preview:
    """The upload's questionnaire in `language` (404 for an upload with errors)."""
    return preview_of(upload_id, upload_questionnaire(db, upload_id), language)


def preview_page(
    db: Database, settings: Settings, upload_id: int, query: dict[str, str]
) -> Template:
    """The start screen, or page `page` with the test answers `answers` (after a change
    of language)."""
    shown = preview_for(db, upload_id, query.get("lang"))
    page = query.get("page", "")
    if not page.isdigit():
        return start_page(shown, district_values(settings, db))
    return shown_page(shown, int(page), carried_answers(query.get("answers")))


class QuestionnairesController(Controller):
    """Upload, check, publish and download questionnaires."""

    path = "/admin/questionnaires"
    include_in_schema = False
    guards = [admin_guard]
    dependencies = {"viewer": viewer_dependency}

    @get("/")
    async def overview(
        self, db: NamedDependency[Database], viewer: NamedDependency[Viewer]
    ) -> Template:
        return await in_thread(overview_page, db, viewer)

    @post("/")
    async def upload(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        """An XLSForm or YAML file: checked and kept, then its report."""
        upload = (await staff_form(request)).get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await in_thread(
                overview_page, db, viewer, error=NO_FILE, status=HTTP_422_UNPROCESSABLE_ENTITY
            )
        # One byte more than allowed is enough to refuse it (with a line in the report).
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        upload_id = await in_thread(
            questionnaire_upload,
            db,
            filename=upload.filename,
            data=data,
            actor=viewer.email,
        )
        return Redirect(f"/admin/questionnaires/{upload_id}", status_code=303)

    @get("/{upload_id:int}")
    async def report(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        upload_id: FromPath[int],
    ) -> Template:
        return await in_thread(report_page, db, viewer, upload_id)

    @get("/{upload_id:int}/preview")
    async def preview(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        upload_id: FromPath[int],
    ) -> Template:
        query = {key: str(request.query_params.get(key)) for key in request.query_params}
        return await in_thread(preview_page, db, settings, upload_id, query)

    @post("/{upload_id:int}/preview")
    async def preview_answer(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        upload_id: FromPath[int],
    ) -> Response[Any]:
        """A preview page sent: the next page, its errors, or the thank-you page."""
        form = await request.form()
        shown = await in_thread(preview_for, db, upload_id, str(form.get("nav:lang", "")))
        district = await in_thread(district_values, settings, db)
        return await in_thread(posted, shown, form, district, htmx=is_htmx(request))

    @post("/{upload_id:int}/preview/refresh")
    async def preview_refresh(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        upload_id: FromPath[int],
    ) -> Template:
        """The page fragment while answering (skip logic), as for respondents."""
        form = await request.form()
        shown = await in_thread(preview_for, db, upload_id, str(form.get("nav:lang", "")))
        return await in_thread(refreshed, shown, form)

    @post("/{upload_id:int}/publish")
    async def publish(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        upload_id: FromPath[int],
    ) -> Response[Any]:
        """The first press shows what publishing changes and asks again; `confirmed=yes`
        publishes (`new_series=yes` as well when answered questions change)."""
        form = await staff_form(request)
        if form.get("confirmed") != "yes":
            return await in_thread(confirm_page, db, viewer, upload_id)
        new_series = form.get("new_series") == "yes"
        return await in_thread(publish, db, viewer, upload_id, new_series=new_series)

    @post("/{upload_id:int}/discard")
    async def discard(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        upload_id: FromPath[int],
    ) -> Redirect:
        """Delete an upload that was not published; back to the overview."""
        await in_thread(upload_discard, db, upload_id, actor=viewer.email)
        return Redirect("/admin/questionnaires", status_code=303)

    @get("/published/{survey_id:str}/{number:int}/xlsform")
    async def download(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
        number: FromPath[int],
    ) -> Response[bytes]:
        """A published version as an XLSForm workbook, for translators."""
        data = await in_thread(version_xlsform, db, survey_id, number, actor=viewer.email)
        # A survey id is letters, digits and `_ . -` (the schema's names): no quoting.
        filename = f"{survey_id}-v{number}.xlsx"
        return Response(
            data,
            media_type=XLSX_MEDIA_TYPE,
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )
