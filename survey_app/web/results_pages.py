"""Results pages for working groups: `/results`, `/results/{group}` (+ the question
fragment for htmx), the aggregated XLSX export, the slides, the printable report (HTML and
PDF) and the presentation mode for network meetings.

Guards admit viewers (`login_guard` for the index, `group_guard`: login, membership for
a group's pages); what the pages
show comes from `survey_app.render.results` (view models of suppressed results, shared
with `survey-app report`). One template renders a page and, for htmx, one question's
fragment (`results/_question.html`): a request with `HX-Request` (not a boosted
navigation) and `question=NAME` gets only that fragment.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from analysis.exports import results_csv_excel, write_results_xlsx
from analysis.results import Results
from analysis.slides import PPTX
from survey_app.db.engine import Database
from survey_app.errors import Invalid, UnknownSurvey
from survey_app.i18n import S_
from survey_app.render.results import (
    STYLESHEET,
    Texts,
    group_index,
    language_of,
    presentation_screens,
    report_html,
    report_pdf,
    results_view,
    slides_pptx,
    with_stored_breakdowns,
    workbook_source,
)
from survey_app.render.templating import static_url
from survey_app.services.breakdowns import breakdowns_set
from survey_app.services.groups import working_group
from survey_app.services.live_results import cache_directory, survey_results
from survey_app.services.published import get_survey
from survey_app.services.released import NoRelease, release_results
from survey_app.services.reports import record_download
from survey_app.settings import Settings
from survey_app.web.access import Viewer
from survey_app.web.guards import group_guard, login_guard, viewer_dependency
from survey_app.web.handlers import in_thread, is_fragment_request
from survey_app.web.hygiene import staff_form
from survey_app.web.staff import staff_language_of

__all__ = ["ResultsPagesController"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"


def _group_results(
    db: Database,
    settings: Settings,
    viewer: Viewer,
    group: str,
    survey: str,
    lang: str | None,
    live: bool,
) -> Results:
    """A group's results for a download: of the latest release, or live for admins."""
    working_group(db, group)
    if _allow_live(viewer, live):
        return survey_results(
            db,
            survey,
            group=group,
            language=language_of(lang),
            cache_dir=cache_directory(settings.var_dir),
        )
    return release_results(db, survey, group=group, language=language_of(lang))


def _attachment(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# -- handlers --------------------------------------------------------------------------


def _page_assets() -> dict[str, str]:
    return {"stylesheet": static_url(STYLESHEET)}


def _allow_live(viewer: Viewer, live: bool) -> bool:
    """`?live=1` is for admins: working groups only ever see releases."""
    if live and not viewer.is_admin:
        raise PermissionDeniedException(S_("Live results are for the integration office only."))
    return live


class ResultsPagesController(Controller):
    """HTML results for members of a working group (and admins)."""

    path = "/results"
    include_in_schema = False
    guards = [login_guard]
    dependencies = {"viewer": viewer_dependency}

    @get("/", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
    ) -> Template:
        """The working groups and surveys the viewer may see (in the language of `?lang=`
        or of the staff pages' switch)."""
        t = Texts(staff_language_of(request))
        groups = group_index(db, settings, viewer.may_see, t.language)
        context = {"groups": groups, "t": t, "language": t.language, "viewer": viewer}
        return Template("results/index.html", context=context | _page_assets())

    @get("/{group:str}", sync_to_thread=True, guards=[group_guard])
    def page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        group: FromPath[str],
        survey: FromQuery[str | None] = None,
        by: FromQuery[str | None] = None,
        compare: FromQuery[str | None] = None,
        question: FromQuery[str | None] = None,
        live: FromQuery[bool] = False,
    ) -> Template:
        """The group's results (the latest release; admins may ask for `live=1`) in the
        language of `?lang=` or of the staff pages' switch; with htmx and `question`,
        only that question's fragment."""
        t = Texts(staff_language_of(request))
        context: dict[str, Any] = {"t": t, "language": t.language, "viewer": viewer}
        context |= _page_assets()
        try:
            # The selectors send "" for "no breakdown" and "no comparison".
            view = results_view(
                db, settings, group, survey or None, lang=t.language, by=by or None,
                compare=compare or None, live=_allow_live(viewer, live),
            )  # fmt: skip
        except NoRelease as error:
            if error.survey_id != (survey or error.survey_id):
                raise
            context |= {"page": None, "no_release": True, "group": group, "survey": survey}
            return Template("results/page.html", context=context)
        context["page"] = view
        if view is not None and question is not None and is_fragment_request(request):
            found = next((q for q in view.questions if q.result.name == question), None)
            if found is None:
                raise NotFoundException(S_("This working group has no such question."))
            return Template("results/_question.html", context=context | {"q": found})
        return Template("results/page.html", context=context)

    @post("/{group:str}/breakdowns", guards=[group_guard])
    async def breakdowns(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        group: FromPath[str],
    ) -> Redirect | Template:
        """Store the breakdowns (at most three) the report and the slides show for this
        survey's series; back to the page (303), or the page with the refusal (422)."""
        form = await staff_form(request)
        survey_id, chosen = str(form.get("survey", "")), [str(v) for v in form.getall("by", [])]
        return await in_thread(
            _breakdowns_save, request, db, settings, viewer, group, survey_id, chosen
        )

    @get("/{group:str}/export.xlsx", sync_to_thread=True, guards=[group_guard])
    def export(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        group: FromPath[str],
        survey: FromQuery[str],
        lang: FromQuery[str | None] = None,
        live: FromQuery[bool] = False,
    ) -> Response[bytes]:
        """The group's suppressed results as a workbook: one sheet per question, a chart."""
        found = _group_results(db, settings, viewer, group, survey, lang, live)
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "results.xlsx"
            write_results_xlsx(found, path, source=workbook_source(db, settings, found))
            content = path.read_bytes()
        # Audited once the workbook exists: a failed export is no download.
        record_download(db, actor=viewer.email, action="results_export", survey=survey, group=group)
        return _attachment(content, XLSX, f"{found.survey}-{group}.xlsx")

    @get("/{group:str}/export.csv", sync_to_thread=True, guards=[group_guard])
    def export_csv(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        group: FromPath[str],
        survey: FromQuery[str],
        lang: FromQuery[str | None] = None,
        live: FromQuery[bool] = False,
    ) -> Response[bytes]:
        """The group's suppressed results as one CSV table for German Excel (semicolons,
        decimal commas, UTF-8 with BOM; hidden values empty and noted)."""
        found = _group_results(db, settings, viewer, group, survey, lang, live)
        content = results_csv_excel(found).encode("utf-8-sig")
        record_download(db, actor=viewer.email, action="results_export", survey=survey, group=group)
        return _attachment(content, CSV, f"{found.survey}-{group}.csv")

    @get("/{group:str}/slides.pptx", sync_to_thread=True, guards=[group_guard])
    def slides(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        group: FromPath[str],
        survey: FromQuery[str],
        by: FromQuery[str | None] = None,
        lang: FromQuery[str | None] = None,
        live: FromQuery[bool] = False,
    ) -> Response[bytes]:
        """The group's results as slides: a native, editable chart per question."""
        content = slides_pptx(
            db, settings, group, survey, lang=lang, by=by or None, live=_allow_live(viewer, live)
        )
        # Audited once the file exists: a failed export is no download.
        record_download(db, actor=viewer.email, action="results_slides", survey=survey, group=group)
        return _attachment(content, PPTX, f"{survey}-{group}.pptx")

    @get("/{group:str}/report", sync_to_thread=True, guards=[group_guard])
    def report(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        group: FromPath[str],
        survey: FromQuery[str],
        lang: FromQuery[str | None] = None,
        live: FromQuery[bool] = False,
        by: FromQuery[str | None] = None,
        compare: FromQuery[str | None] = None,
    ) -> Response[str]:
        """The printable report (A4: title page, key figures, the questions; broken down
        and compared as the page it was opened from); `report.pdf` is its PDF."""
        html = report_html(
            db, settings, group, survey, lang=lang, stylesheet=static_url(STYLESHEET),
            live=_allow_live(viewer, live), by=by or None, compare=compare or None,
        )  # fmt: skip
        record_download(db, actor=viewer.email, action="results_report", survey=survey, group=group)
        return Response(html, media_type="text/html; charset=utf-8")

    @get("/{group:str}/report.pdf", sync_to_thread=True, guards=[group_guard])
    def report_as_pdf(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        group: FromPath[str],
        survey: FromQuery[str],
        lang: FromQuery[str | None] = None,
        live: FromQuery[bool] = False,
        by: FromQuery[str | None] = None,
        compare: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The printable report as PDF (WeasyPrint, in a worker thread: a report takes
        seconds), as `survey-app report` writes it."""
        content = report_pdf(
            db, settings, group, survey, lang=lang, live=_allow_live(viewer, live),
            by=by or None, compare=compare or None,
        )  # fmt: skip
        # Audited once the file exists: a failed export is no download.
        record_download(
            db, actor=viewer.email, action="results_report_pdf", survey=survey, group=group
        )
        return _attachment(content, PDF, f"{survey}-{group}.pdf")

    @get("/{group:str}/present", sync_to_thread=True, guards=[group_guard])
    def present(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        group: FromPath[str],
        survey: FromQuery[str],
        slide: FromQuery[int] = 0,
        live: FromQuery[bool] = False,
        by: FromQuery[str | None] = None,
        compare: FromQuery[str | None] = None,
    ) -> Template:
        """Presentation mode for projecting at a network meeting: slide 0 is the title
        with the key figures, then each question alone, in large type, each followed by
        its breakdowns the group stored (as in the report and the slides). Links turn
        the pages (without JavaScript too); `present.js` adds the keys a presenter's
        clicker sends (arrows, Page Up/Down) and Esc. In the language of `?lang=` or of
        the staff pages' switch, like the page."""
        view = results_view(
            db, settings, group, survey, lang=staff_language_of(request),
            live=_allow_live(viewer, live),
            by=by or None, compare=compare or None,
        )  # fmt: skip
        if view is None:
            raise NotFoundException(f"no slide {slide} in this presentation")
        view = replace(with_stored_breakdowns(db, settings, view), interactive=False)
        screens = presentation_screens(view)
        if not 0 <= slide <= len(screens):
            raise NotFoundException(f"no slide {slide} in this presentation")
        q, broken_down = screens[slide - 1] if slide else (None, None)
        context: dict[str, Any] = {
            "t": view.t,
            "language": view.lang,
            "viewer": viewer,
            "page": view,
            "slide": slide,
            "total": len(screens),
            "q": q,
            "broken_down": broken_down,
            "script": static_url("present.js"),
        }
        return Template("results/present.html", context=context | _page_assets())


def _breakdowns_save(
    request: Request[Any, Any, Any],
    db: Database,
    settings: Settings,
    viewer: Viewer,
    group: str,
    survey_id: str,
    chosen: list[str],
) -> Redirect | Template:
    t = Texts(staff_language_of(request))
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    try:
        breakdowns_set(db, actor=viewer.email, survey=survey, group=group, questions=chosen)
    except Invalid as error:
        view = results_view(db, settings, group, survey_id, lang=t.language)
        context: dict[str, Any] = {"t": t, "language": t.language, "viewer": viewer, "page": view}
        context |= _page_assets() | {"breakdowns_error": t(error.template, **error.values)}
        return Template("results/page.html", context=context, status_code=422)
    return Redirect(f"/results/{group}?survey={survey.id}&lang={t.language}", status_code=303)
