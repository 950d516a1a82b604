"""Requests whose address holds control characters are refused before any handler runs.

A NUL byte in a path or query (`/s/newcomer%00`, `?invitation=a%00b`) made PostgreSQL
refuse the query (a 500) while SQLite looked it up; control characters belong in no
survey id, page name, token or language, so every database answers the same 400.
Bodies are checked where they are read (answers in `questionnaire.rules`, submission
fields in `services.submissions`, logins in `services.accounts`).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from survey_app.questionnaire.rules import CONTROL_CHARACTERS_IN_NAMES
from survey_app.web.security import early_error

CONTROL_CHARACTERS_MESSAGE = "The address contains control characters."


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
