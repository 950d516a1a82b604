"""Requests whose address holds control characters are refused before any handler runs.

A NUL byte in a path or query (`/s/newcomer%00`, `?invitation=a%00b`) made PostgreSQL
refuse the query (a 500) while SQLite looked it up; control characters belong in no
survey id, page name, token or language, so every database answers the same 400.
Bodies are checked where they are read (answers in `questionnaire.rules`, submission
fields in `services.submissions`, logins in `services.accounts`, the staff pages' forms
by `staff_form`, recipients files in `services.mailing`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from survey_app.errors import Invalid
from survey_app.i18n import S_
from survey_app.questionnaire.characters import CONTROL_CHARACTERS, CONTROL_CHARACTERS_IN_NAMES
from survey_app.web.security import early_error

CONTROL_CHARACTERS_MESSAGE = "The address contains control characters."
CONTROL_CHARACTERS_IN_FORM = S_(
    "The form holds control characters (invisible characters such as NUL, often pasted "
    "from another programme). Please remove them and send the form again."
)


class ControlCharactersInForm(Invalid):
    """A staff form with a control character in a field: nothing of it is done."""

    code = "control_characters"


async def staff_form(request: Request[Any, Any, Any]) -> FormMultiDict:
    """The form of a staff page, refused (422, `ControlCharactersInForm`) when a field's
    name or text holds a control character (an uploaded file's name is made safe, and
    its content checked, by the service that reads it).

    PostgreSQL refuses a NUL in text only when storing it, and SQLite stores it, so one
    check where the form is read answers the same on both; tabs and line breaks stay."""
    form = await request.form()
    for name, value in form.multi_items():
        text = "" if isinstance(value, UploadFile) else str(value)
        if CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(text):
            raise ControlCharactersInForm(CONTROL_CHARACTERS_IN_FORM)
    return form


def has_control_characters(scope: Scope) -> bool:
    """Whether the decoded path, or any decoded query key or value, holds one."""
    if CONTROL_CHARACTERS_IN_NAMES.search(scope["path"]):
        return True
    query = scope.get("query_string", b"").decode("utf-8", "surrogateescape")
    return any(
        CONTROL_CHARACTERS_IN_NAMES.search(part)
        for pair in parse_qsl(query, keep_blank_values=True, errors="surrogateescape")
        for part in pair
    )


class RefuseControlCharacters:
    """ASGI middleware: 400 for a request whose address holds control characters."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and has_control_characters(scope):
            await early_error(send, scope, 400, CONTROL_CHARACTERS_MESSAGE)
            return
        await self.app(scope, receive, send)
