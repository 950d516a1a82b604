"""`/admin/surveys/{survey}/fieldwork`: how fieldwork is going (admins only)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from analysis.charts import column_chart
from survey_app.db.engine import Database
from survey_app.i18n import staff_gettext
from survey_app.services.fieldwork import fieldwork
from survey_app.web.access import Viewer
from survey_app.web.guards import admin_guard, viewer_dependency
from survey_app.web.handlers import in_thread
from survey_app.web.staff import staff_language_of
from survey_app.web.templating import admin_page


def fieldwork_page(db: Database, viewer: Viewer, survey_id: str, language: str) -> Template:
    """The figures of the fieldwork; the chart's title in the staff `language`."""
    figures = fieldwork(db, survey_id)
    chart = column_chart(
        staff_gettext(language)("Responses per day"),
        [(day.strftime("%d.%m."), count) for day, count in figures.days],
    )
    return admin_page("fieldwork.html", viewer, figures=figures, chart=chart)


class FieldworkController(Controller):
    path = "/admin/surveys/{survey_id:str}/fieldwork"
    include_in_schema = False
    guards = [admin_guard]
    dependencies = {"viewer": viewer_dependency}

    @get("/")
    async def fieldwork(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
    ) -> Template:
        return await in_thread(fieldwork_page, db, viewer, survey_id, staff_language_of(request))
