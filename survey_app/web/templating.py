"""The template engine and the static files router of the app (the environment itself
is `survey_app.render.templating`, shared with the command line)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from survey_app.render.templating import STATIC, jinja_environment, static_url
from survey_app.web.staff import StaffTemplate

if TYPE_CHECKING:
    from survey_app.web.access import Viewer

ONE_YEAR = 365 * 24 * 3600


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(jinja_environment()))


def static_router() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        cache_control=CacheControlHeader(max_age=ONE_YEAR, public=True),
        include_in_schema=False,
    )


def admin_page(name: str, viewer: Viewer, status: int = 200, **context: Any) -> Template:
    """An integration-office page (`templates/admin/{name}`) in the staff language: the
    viewer for the header and the admin stylesheet, besides `context`."""
    context.update(viewer=viewer, stylesheet=static_url("admin.css"))
    return StaffTemplate(f"admin/{name}", context=context, status_code=status)
