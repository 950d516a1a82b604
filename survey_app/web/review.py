"""The office's review of responses (admins only): a filterable table with quality
flags, one response in the survey's labels, and status changes one by one or for a
whole selection. Every view of a single response and every change is audited (in
`services.review`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from survey_app.db.engine import Database
from survey_app.i18n import S_, StaffMessage
from survey_app.services.review import (
    ORDERS,
    STATUSES,
    ReviewRefused,
    Selection,
    response_view,
    responses_review,
    responses_set_status,
    responses_set_status_selected,
    thresholds_of,
)
from survey_app.settings import Settings
from survey_app.web.access import Viewer
from survey_app.web.guards import admin_guard, viewer_dependency
from survey_app.web.handlers import in_thread
from survey_app.web.hygiene import staff_form
from survey_app.web.staff import staff_message
from survey_app.web.templating import admin_page

# Names on the page (the staff catalogue; templates translate them).
FLAG_NAMES = {
    "fast": S_("very fast"),
    "unanswered": S_("many gaps"),
    "straightlined": S_("uniform"),
    "duplicate": S_("duplicate"),
    "burst": S_("cluster"),
}
STATUS_NAMES = {
    "received": S_("received"),
    "approved": S_("approved"),
    "excluded": S_("excluded"),
}


def _selection(params: Mapping[str, Any]) -> Selection:
    """The selection named in a query or form; anything unknown selects everything."""

    def one(name: str) -> str:
        return str(params.get(name) or "")[:32]

    version = one("version")
    return Selection(
        status=one("status") if one("status") in STATUSES else "",
        flag=one("flag") if one("flag") in (*FLAG_NAMES, "any") else "",
        language=one("language")[:16],
        version=int(version) if version.isdigit() else None,
        order=one("order") if one("order") in ORDERS else "arrival",
    )


def _page(name: str, viewer: Viewer, status: int = 200, **context: Any) -> Template:
    return admin_page(
        name, viewer, status, flag_names=FLAG_NAMES, status_names=STATUS_NAMES, **context
    )


def list_page(
    db: Database,
    settings: Settings,
    viewer: Viewer,
    survey_id: str,
    selection: Selection,
    page: int,
    *,
    notice: str | StaffMessage | None = None,
    error: str | StaffMessage | None = None,
    status: int = 200,
) -> Template:
    review = responses_review(db, survey_id, selection, thresholds_of(settings), page=page)
    query = selection.query()
    return _page(
        "responses.html",
        viewer,
        status,
        review=review,
        thresholds=thresholds_of(settings),
        query=urlencode(query),
        page_link=lambda number: "?" + urlencode({**query, "page": number}),
        notice=notice,
        error=error,
    )


def detail_page(
    db: Database,
    viewer: Viewer,
    survey_id: str,
    pk: int,
    *,
    error: str | StaffMessage | None = None,
) -> Template:
    view = response_view(db, survey_id, pk, actor=viewer.email)
    status = HTTP_422_UNPROCESSABLE_ENTITY if error else 200
    return _page("response.html", viewer, status, view=view, error=error)


class ReviewController(Controller):
    """`/admin/surveys/{survey}/responses`: the office's review."""

    path = "/admin/surveys/{survey_id:str}/responses"
    include_in_schema = False
    guards = [admin_guard]
    dependencies = {"viewer": viewer_dependency}

    @get("/")
    async def responses(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Template:
        params = request.query_params
        page = str(params.get("page") or "1")
        number = int(page) if page.isdigit() else 1
        selection = _selection(params)
        return await in_thread(list_page, db, settings, viewer, survey_id, selection, number)

    @post("/status")
    async def selection_status(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Template:
        """A status for every response of the selection (all pages), e.g. "exclude all
        flagged as duplicates"."""
        form = await staff_form(request)
        selection = _selection(form)
        try:
            changed = await in_thread(
                responses_set_status_selected,
                db,
                survey_id,
                selection,
                thresholds_of(settings),
                status=str(form.get("new_status", "")),
                reason=str(form.get("reason", "")),
                actor=viewer.email,
            )
        except ReviewRefused as refused:
            return await in_thread(
                list_page, db, settings, viewer, survey_id, selection, 1,
                error=staff_message(refused), status=HTTP_422_UNPROCESSABLE_ENTITY,
            )  # fmt: skip
        notice = StaffMessage(S_("Status of %(count)s responses changed."), {"count": changed})
        return await in_thread(
            list_page, db, settings, viewer, survey_id, selection, 1, notice=notice
        )

    @get("/{pk:int}")
    async def response(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
        pk: FromPath[int],
    ) -> Template:
        return await in_thread(detail_page, db, viewer, survey_id, pk)

    @post("/{pk:int}/status")
    async def response_status(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
        pk: FromPath[int],
    ) -> Response[Any]:
        form = await staff_form(request)
        try:
            await in_thread(
                responses_set_status,
                db,
                survey_id,
                [pk],
                status=str(form.get("new_status", "")),
                reason=str(form.get("reason", "")),
                actor=viewer.email,
            )
        except ReviewRefused as refused:
            return await in_thread(
                detail_page, db, viewer, survey_id, pk, error=staff_message(refused)
            )
        return Redirect(f"/admin/surveys/{quote(survey_id)}/responses/{pk}", status_code=303)
