"""Server-side sessions, only for staff, whose id is renewed at login.

Litestar's server-side backend stores a session (a file under `var/sessions`) and sets
its cookie for every response, even an empty one: every respondent would get a cookie
and a file that nothing deletes. Here a session exists only once something is put in
it (a login); a request that arrives without one and leaves without one gets neither.

Litestar's backend also keeps the id the browser already has. An id planted before
login (session fixation) would then carry the login, so the login handler calls
`renew_session_id(request)` and this backend issues a fresh id and drops the old entry.

Expired sessions are deleted by `delete_expired_sessions`, which the app runs at start
and then every `SESSION_SWEEP_SECONDS`.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.file import FileStore
from litestar.types import Empty, Message, ScopeSession

log = logging.getLogger(__name__)

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
        if not scope_session:
            if not old_id:
                return  # nothing to keep and nothing to forget: no cookie, no file
            scope_session = Empty  # logged out: the entry is deleted, the cookie expired
        if _RENEWED_ID in connection.state and old_id:
            await self.delete(old_id, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


class RenewingSessionConfig(ServerSideSessionConfig):
    _backend_class = RenewingSessionBackend


SESSION_SWEEP_SECONDS = 15 * 60


async def delete_expired_sessions(store: FileStore) -> None:
    """Delete the sessions past their lifetime (Litestar deletes one only when its
    cookie comes back, which after a two-hour pause it never does)."""
    await store.delete_expired()


async def sweep_sessions(store: FileStore, every: float = SESSION_SWEEP_SECONDS) -> None:
    """Delete expired sessions now and then every `every` seconds, for good."""
    while True:
        try:
            await delete_expired_sessions(store)
        except OSError as error:  # a full or unwritable disk: the next round tries again
            log.warning("could not delete expired sessions: %s", error)
        await anyio.sleep(every)
