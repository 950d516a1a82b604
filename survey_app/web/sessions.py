"""Server-side sessions whose id is renewed at login.

Litestar's server-side backend keeps the id the browser already has. An id planted
before login (session fixation) would then carry the login, so the login handler calls
`renew_session_id(request)` and this backend issues a fresh id and drops the old entry.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Message, ScopeSession

_RENEWED_ID = "survey_renewed_session_id"


def renew_session_id(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Give this connection's session a new id when the response is sent."""
    connection.state[_RENEWED_ID] = None


class RenewingSessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        if _RENEWED_ID in connection.state:
            if connection.state[_RENEWED_ID] is None:
                connection.state[_RENEWED_ID] = self.generate_session_id()
            return str(connection.state[_RENEWED_ID])
        return super().get_session_id(connection)

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        old_id = connection.cookies.get(self.config.key)
        if _RENEWED_ID in connection.state and old_id:
            await self.delete(old_id, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


class RenewingSessionConfig(ServerSideSessionConfig):
    _backend_class = RenewingSessionBackend
