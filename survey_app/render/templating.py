"""Templates (Jinja2, autoescaped everywhere) and static assets with versioned URLs,
shared by the web pages and the documents the command line writes.

Static URLs carry a hash of the file's content (`/static/app.css?v=1a2b3c4d`), so the
files can be cached for a year and a deploy still reaches every phone at once.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from survey_app.questionnaire.schema import direction
from survey_app.settings import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates"
STATIC = PROJECT_ROOT / "static"


@cache
def _asset_version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """URL of a static file with its content version."""
    return f"/static/{name}?v={_asset_version(name)}"


def jinja_environment(templates: Path = TEMPLATES) -> Environment:
    """The template environment of every page and document (strict, autoescaped)."""
    environment = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates change only with a deploy, which restarts the server: checking each
        # template file's mtime on every render cost ~3 % of a respondent's page step.
        auto_reload=False,
    )
    environment.globals.update(static_url=static_url, text_direction_of=direction)
    return environment
