"""`/admin/district`: the district profile that fills the privacy notices, thank-you
texts and letters (admins only; `services.district`)."""

from __future__ import annotations

from typing import Any, cast

from litestar import Controller, Request, Response, get, head, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from survey_app.db.engine import Database
from survey_app.i18n import S_
from survey_app.questionnaire.district import FIELD_LABELS, PROFILE_FIELDS, district_profile
from survey_app.services.district import (
    LOGO_MAX_BYTES,
    MAX_LENGTH,
    DistrictInvalid,
    district_logo,
    district_logo_remove,
    district_logo_save,
    district_save,
    district_settings,
    logo_data_uri,
    logo_etag,
)
from survey_app.settings import Settings
from survey_app.web.access import Viewer
from survey_app.web.guards import admin_guard, viewer_dependency
from survey_app.web.handlers import in_thread
from survey_app.web.hygiene import staff_form
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
        "district.html",
        viewer,
        status,
        fields=fields,
        max_length=MAX_LENGTH,
        notice=notice,
        logo=logo_data_uri(district_logo(db)),
        logo_error=(errors or {}).get("logo"),
    )


def save(db: Database, settings: Settings, viewer: Viewer, typed: dict[str, str]) -> Template:
    try:
        district_save(db, typed, actor=viewer.email)
    except DistrictInvalid as invalid:
        return district_page(db, settings, viewer, typed=typed, errors=invalid.errors)
    notice = S_("Saved. The texts of the surveys show these details from now on.")
    return district_page(db, settings, viewer, notice=notice)


NO_LOGO_FILE = S_("Please choose a PNG or JPEG image.")


def logo_save(db: Database, settings: Settings, viewer: Viewer, data: bytes | None) -> Template:
    """Keep an uploaded logo (None: no file chosen), or say on the page why not."""
    try:
        if data is None:
            raise DistrictInvalid("no logo file", errors={"logo": NO_LOGO_FILE})
        district_logo_save(db, data, actor=viewer.email)
    except DistrictInvalid as invalid:
        return district_page(db, settings, viewer, errors=invalid.errors)
    notice = S_("Logo saved. Start pages, posters and reports show it from now on.")
    return district_page(db, settings, viewer, notice=notice)


def logo_remove(db: Database, settings: Settings, viewer: Viewer) -> Template:
    district_logo_remove(db, actor=viewer.email)
    return district_page(db, settings, viewer, notice=S_("Logo removed."))


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
        form = await staff_form(request)
        typed = {name: str(form.get(name, "")) for name in PROFILE_FIELDS}
        return await in_thread(save, db, settings, viewer, typed)

    @post("/logo")
    async def logo_upload(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
    ) -> Template:
        """A PNG or JPEG as the district's logo (`services.district.logo_png`)."""
        upload = (await staff_form(request)).get("logo")
        data = None
        if isinstance(upload, UploadFile) and upload.filename:
            # One byte more than allowed is enough to refuse it.
            data = await upload.read(LOGO_MAX_BYTES + 1)
        return await in_thread(logo_save, db, settings, viewer, data)

    @post("/logo/remove")
    async def logo_remove(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
    ) -> Template:
        return await in_thread(logo_remove, db, settings, viewer)


class DistrictLogoController(Controller):
    """The district's logo, public (start pages show it): revalidated by its ETag, so a
    new logo shows at once and an unchanged one costs a 304."""

    path = "/district"
    include_in_schema = False

    @get("/logo.png")
    async def logo(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database]
    ) -> Response[bytes]:
        png, headers = await _logo(db)
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(b"", status_code=304, headers=headers)
        return Response(png, media_type="image/png", headers=headers)

    @head("/logo.png")
    async def logo_head(self, db: NamedDependency[Database]) -> Response[None]:
        """What a GET would answer, without the image (link checkers, caches)."""
        png, headers = await _logo(db)
        # Litestar wants a body-less type here; the empty body keeps the image's type.
        empty = Response(
            b"", media_type="image/png", headers=headers | {"Content-Length": str(len(png))}
        )
        return cast(Response[None], empty)


async def _logo(db: Database) -> tuple[bytes, dict[str, str]]:
    """The logo and its caching headers; raises 404 when the district has none."""
    png = await in_thread(district_logo, db)
    if png is None:
        raise NotFoundException()
    return png, {"ETag": f'"{logo_etag(png)}"', "Cache-Control": "public, no-cache"}
