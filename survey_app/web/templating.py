"""Templates (Jinja2, autoescaped everywhere) and static assets with versioned URLs.

Static URLs carry a hash of the file's content (`/static/app.css?v=1a2b3c4d`), so the
files can be cached for a year and a deploy still reaches every phone at once.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from survey_app.questionnaire.schema import direction
from survey_app.settings import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates"
STATIC = PROJECT_ROOT / "static"
ONE_YEAR = 365 * 24 * 3600


@cache
def _asset_version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """URL of a static file with its content version."""
    return f"/static/{name}?v={_asset_version(name)}"


def jinja_environment(templates: Path = TEMPLATES) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(static_url=static_url, text_direction_of=direction)
    return environment


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(jinja_environment()))


def static_router() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        cache_control=CacheControlHeader(max_age=ONE_YEAR, public=True),
        include_in_schema=False,
    )
