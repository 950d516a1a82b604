"""The respondent's pages: routes that read the request and hand it to
`survey_app.web.answering`, which decides what each posted page means."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from survey_app.db.engine import Database
from survey_app.i18n import page_language
from survey_app.questionnaire.navigation import page_index
from survey_app.render.respond import district_values, poster_html, thanks_context
from survey_app.render.templating import STATIC
from survey_app.services.district import district_logo
from survey_app.services.published import get_survey
from survey_app.settings import Settings
from survey_app.web.answering import (
    COOKIE_NAME,
    LANGUAGE,
    Answering,
    Refused,
    Visit,
    choose_language,
    landing_page,
    open_visit,
    resume_form,
    show_page,
    show_survey,
)
from survey_app.web.handlers import in_thread, is_fragment_request, is_htmx

FAVICON = (STATIC / "favicon.ico").read_bytes()


def _named_page(visit: Visit, name: str) -> int:
    """The index of the page a form was posted to; an unknown name (a version without
    it) is the draft's page, whose form the respondent then sees again."""
    found = page_index(visit.questionnaire, name)
    return visit.draft_page if found is None else found


class RespondController(Controller):
    """The respondent's pages."""

    include_in_schema = False

    async def _visit(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        survey_id: str,
        requested_language: str | None,
    ) -> Visit:
        settings: Settings = request.app.state.settings
        return await in_thread(
            open_visit,
            db,
            settings,
            survey_id,
            requested_language=requested_language,
            accept_language=request.headers.get("accept-language"),
            cookie_key=request.cookies.get(COOKIE_NAME),
            token=request.query_params.get("invitation"),
        )

    async def _survey(self, request: Request[Any, Any, Any], db: Database, survey_id: str) -> Visit:
        """A survey for pages that need no draft nor invitation (thanks, poster)."""
        survey = await in_thread(get_survey, db, survey_id)
        accept = request.headers.get("accept-language")
        if survey is None:
            raise Refused("unknown_survey", 404, page_language(None, accept))
        language = choose_language(
            survey.questionnaire, request.query_params.get("lang"), None, accept
        )
        return Visit(survey, language, None)

    @get("/")
    async def landing(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
    ) -> Template:
        language = page_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        return await in_thread(landing_page, db, settings, language)

    @get("/favicon.ico", cache=False)
    async def favicon(self) -> Response[bytes]:
        """Browsers ask for it at the root whatever the page says; a week in caches."""
        return Response(
            FAVICON,
            media_type="image/vnd.microsoft.icon",
            headers={"cache-control": "public, max-age=604800"},
        )

    @get("/s/{survey_id:str}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        visit = await self._visit(request, db, survey_id, request.query_params.get("lang"))
        return show_survey(visit, await in_thread(district_values, settings, db))

    @get("/s/{survey_id:str}/p/{page_name:str}")
    async def show_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        survey_id: FromPath[str],
        page_name: FromPath[str],
    ) -> Response[Any]:
        visit = await self._visit(request, db, survey_id, request.query_params.get("lang"))
        return show_page(visit, page_name, fragment=is_fragment_request(request))

    async def _answering(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        settings: Settings,
        survey_id: str,
    ) -> tuple[Answering, FormMultiDict]:
        form = await request.form()
        language = form.get(LANGUAGE) or request.query_params.get("lang")
        visit = await self._visit(request, db, survey_id, language)
        trigger = request.headers.get("hx-trigger") or ""
        changed = trigger.removeprefix("question-") if trigger.startswith("question-") else None
        return Answering(db, settings, visit, htmx=is_htmx(request), changed=changed), form

    @post("/s/{survey_id:str}/p/{page_name:str}")
    async def answer_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
        page_name: FromPath[str],
    ) -> Response[Any]:
        answering, form = await self._answering(request, db, settings, survey_id)
        index = _named_page(answering.visit, page_name)
        return await in_thread(answering.page, form, index)

    @post("/s/{survey_id:str}/p/{page_name:str}/refresh")
    async def refresh_named_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
        page_name: FromPath[str],
    ) -> Template | Response[Any]:
        try:
            answering, form = await self._answering(request, db, settings, survey_id)
        except Refused as refused:
            return _after_sending(refused)
        index = _named_page(answering.visit, page_name)
        return await in_thread(answering.refresh, form, index)

    @post("/s/{survey_id:str}/p/{page_name:str}/autosave")
    async def autosave(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
        page_name: FromPath[str],
    ) -> Response[Any]:
        try:
            answering, form = await self._answering(request, db, settings, survey_id)
        except Refused as refused:
            return _after_sending(refused)
        index = _named_page(answering.visit, page_name)
        return await in_thread(answering.autosave, form, index)

    @post("/s/{survey_id:str}")
    async def answer(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        """The start form, and pages of forms rendered before pages had addresses
        (the page is then the form's `nav:page`)."""
        answering, form = await self._answering(request, db, settings, survey_id)
        return await in_thread(answering.page, form)

    @post("/s/{survey_id:str}/refresh")
    async def refresh(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Template:
        answering, form = await self._answering(request, db, settings, survey_id)
        return await in_thread(answering.refresh, form)

    @get("/s/{survey_id:str}/resume")
    async def resume(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        survey_id: FromPath[str],
    ) -> Template:
        visit = await self._visit(request, db, survey_id, request.query_params.get("lang"))
        return resume_form(visit)

    @post("/s/{survey_id:str}/resume")
    async def resume_with_code(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        visit = await self._visit(request, db, survey_id, form.get(LANGUAGE))
        resume_form(visit)  # refuses invitation surveys before any code is tried
        answering = Answering(db, settings, visit, htmx=is_htmx(request))
        return await in_thread(answering.resume, form)

    @get("/s/{survey_id:str}/thanks")
    async def thanks(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Template:
        visit = await self._survey(request, db, survey_id)
        district = await in_thread(district_values, settings, db)
        context = thanks_context(visit.respondent, district)
        return Template(template_name="respond/thanks.html", context=context)

    @get("/s/{survey_id:str}/poster")
    async def poster(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[str]:
        visit = await self._survey(request, db, survey_id)
        if visit.questionnaire.audience == "invitation":
            raise Refused("link_needed", 403, visit.language)
        district = await in_thread(district_values, settings, db)
        logo = await in_thread(district_logo, db)
        html = poster_html(
            visit.survey,
            visit.language,
            settings.base_url,
            district=district,
            logo=logo,
            local_links=settings.links_are_local,
        )
        return Response(html, media_type="text/html; charset=utf-8")


def _after_sending(refused: Refused) -> Response[Any]:
    """htmx's save of a change that arrives after the answers were sent (a comment typed
    and Send tapped at once) finds the personal link used: nothing to keep, and no error
    for a page the browser has already left. Every other refusal stands."""
    if refused.kind != "link_used":
        raise refused
    return Response(b"", status_code=204)
