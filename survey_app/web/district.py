"""`/admin/district`: the district profile that fills the privacy notices, thank-you
texts and letters (admins only; `services.district`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from survey_app.db.engine import Database
from survey_app.i18n import S_
from survey_app.questionnaire.district import FIELD_LABELS, PROFILE_FIELDS, district_profile
from survey_app.services.district import (
    MAX_LENGTH,
    DistrictInvalid,
    district_save,
    district_settings,
)
from survey_app.settings import Settings
from survey_app.web.access import Viewer
from survey_app.web.guards import admin_guard, viewer_dependency
from survey_app.web.handlers import in_thread
from survey_app.web.templating import admin_page


def district_page(
    db: Database,
    settings: Settings,
    viewer: Viewer,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> Template:
    """The form: what the office set, with the file's (or the default) value beside."""
    from_file = district_profile(settings.questionnaires)
    values = typed if typed is not None else district_settings(db)
    fields = [
        {
            "name": name,
            "label": FIELD_LABELS[name][0],
            "hint": FIELD_LABELS[name][1],
            "value": values.get(name, ""),
            "fallback": getattr(from_file, name),
            "error": (errors or {}).get(name),
        }
        for name in PROFILE_FIELDS
    ]
    status = HTTP_422_UNPROCESSABLE_ENTITY if errors else 200
    return admin_page(
        "district.html", viewer, status, fields=fields, max_length=MAX_LENGTH, notice=notice
    )


def save(db: Database, settings: Settings, viewer: Viewer, typed: dict[str, str]) -> Template:
    try:
        district_save(db, typed, actor=viewer.email)
    except DistrictInvalid as invalid:
        return district_page(db, settings, viewer, typed=typed, errors=invalid.errors)
    notice = S_("Saved. The texts of the surveys show these details from now on.")
    return district_page(db, settings, viewer, notice=notice)


class DistrictController(Controller):
    path = "/admin/district"
    include_in_schema = False
    guards = [admin_guard]
    dependencies = {"viewer": viewer_dependency}

    @get("/")
    async def show(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
    ) -> Template:
        return await in_thread(district_page, db, settings, viewer)

    @post("/")
    async def save(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
    ) -> Template:
        form = await request.form()
        typed = {name: str(form.get(name, "")) for name in PROFILE_FIELDS}
        return await in_thread(save, db, settings, viewer, typed)
