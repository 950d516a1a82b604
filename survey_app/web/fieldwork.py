"""`/admin/surveys/{survey}/fieldwork`: how fieldwork is going (admins only)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from analysis.charts import column_chart
from survey_app.db.engine import Database
from survey_app.services.fieldwork import fieldwork
from survey_app.web.access import Viewer
from survey_app.web.guards import admin_guard, viewer_dependency
from survey_app.web.handlers import in_thread
from survey_app.web.templating import admin_page


def fieldwork_page(db: Database, viewer: Viewer, survey_id: str) -> Template:
    figures = fieldwork(db, survey_id)
    chart = column_chart(
        "Antworten je Tag",
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
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
    ) -> Template:
        return await in_thread(fieldwork_page, db, viewer, survey_id)
