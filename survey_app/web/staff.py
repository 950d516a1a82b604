"""The language of the staff pages (results, admin, login): German unless the viewer
chose English with the switch in the page header, which a cookie remembers; `?lang=`
asks for one page in a language (the results pages keep it in their links).

Staff templates get `_` (the staff catalogue) and `language` from `StaffTemplate`, so a
handler only names the template and what it shows.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.response import Template

from survey_app.errors import DomainError
from survey_app.i18n import (
    STAFF_LANGUAGES,
    StaffMessage,
    language_name,
    staff_gettext,
    staff_language,
)

STAFF_LANGUAGE_COOKIE = "staff_lang"
ONE_YEAR = 365 * 24 * 3600


def staff_language_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The language a staff page is shown in: `?lang=` when the staff pages speak it,
    else the one chosen with the switch (the cookie), else German."""
    asked = connection.query_params.get("lang")
    if asked in STAFF_LANGUAGES:
        return str(asked)
    return staff_language(connection.cookies.get(STAFF_LANGUAGE_COOKIE))


def staff_context(language: str) -> dict[str, Any]:
    """What every staff template needs: `_` of the staff catalogue, the language, and
    the languages of the switch (code, own name)."""
    return {
        "_": staff_gettext(language),
        "language": language,
        "staff_languages": [(code, language_name(code)) for code in STAFF_LANGUAGES],
    }


def staff_message(error: DomainError) -> StaffMessage:
    """A service's refusal as a staff message, translated where it is shown."""
    return StaffMessage(error.template, error.values)


def safe_next(next_path: str | None, default: str) -> str:
    """`next_path` if it is a path on this site, else `default`: never let a `next`
    parameter send someone elsewhere."""
    if (
        next_path
        and next_path.startswith("/")
        and not next_path.startswith("//")
        and "\\" not in next_path
    ):
        return next_path
    return default


class StaffTemplate(Template):
    """A staff page: the template context gets `staff_context` in the request's
    staff language."""

    def create_template_context(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        return staff_context(staff_language_of(request)) | super().create_template_context(request)


class StaffPreviewTemplate(Template):
    """A respondents' page shown to the office (the preview of an upload): `_` stays the
    respondents' catalogue in the previewed language; `staff_` and `staff_language` give
    the office's words (its banner) in the staff language of the switch."""

    def create_template_context(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        language = staff_language(request.cookies.get(STAFF_LANGUAGE_COOKIE))
        return super().create_template_context(request) | {
            "staff_": staff_gettext(language),
            "staff_language": language,
        }
