"""Requests that hold a worker too long or arrive when it is full.

- **Overload:** at most `max_concurrent_requests` requests run at once per process; one
  more is answered 503 with `Retry-After` at once, before it reads its body, instead of
  queueing until clients give up and drop the connection (`/healthz` is never refused).
- **A body that never arrives:** each read of the request body waits at most
  `BODY_TIMEOUT_S`; then the request ends with 408 and one line in the log.
- **A client that leaves mid-body:** one line at info level, no traceback.

Waiting for request *headers* happens in the server before the app sees anything:
uvicorn has no limit for it, nginx's `client_header_timeout` does (`deploy/nginx.conf`).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from litestar import Request, Response
from litestar.enums import ScopeType
from litestar.status_codes import HTTP_408_REQUEST_TIMEOUT, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from survey_app.web.security import early_error

log = logging.getLogger(__name__)

BODY_TIMEOUT_S = 30.0
OVERLOAD_RETRY_AFTER_S = 5
OVERLOADED_MESSAGE = "The server is busy. Please try again in a few seconds."
BODY_TIMEOUT_MESSAGE = "The request body did not arrive in time."
NEVER_REFUSED = ("/healthz",)


class BodyTimeout(Exception):
    """The client announced a body and stopped sending it."""


class Occupancy:
    """Requests running in this process (`app.state.occupancy`; the event loop is the
    only writer, so a plain counter is exact)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running = 0

    def is_full(self) -> bool:
        return 0 < self.limit <= self.running


class RequestLimits:
    """ASGI middleware: the concurrency limit and the body timeout of this module."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        occupancy: Occupancy = scope["litestar_app"].state.occupancy
        if occupancy.is_full() and scope["path"] not in NEVER_REFUSED:
            log.warning("overloaded: %d requests running, one refused", occupancy.running)
            await early_error(
                send,
                scope,
                HTTP_503_SERVICE_UNAVAILABLE,
                OVERLOADED_MESSAGE,
                retry_after=OVERLOAD_RETRY_AFTER_S,
            )
            return

        async def receive_in_time() -> ReceiveMessage:
            try:
                with anyio.fail_after(BODY_TIMEOUT_S):
                    return await receive()
            except TimeoutError:
                raise BodyTimeout() from None

        occupancy.running += 1
        try:
            await self.app(scope, receive_in_time, send)
        finally:
            occupancy.running -= 1


def body_timeout(request: Request[Any, Any, Any], _error: BodyTimeout) -> Response[Any]:
    """408 (which the client may never read) and one line in the log."""
    log.info(
        "request body did not arrive in %.0f s: %s %s",
        BODY_TIMEOUT_S,
        request.method,
        request.url.path,
    )
    return Response(
        {"status_code": HTTP_408_REQUEST_TIMEOUT, "detail": BODY_TIMEOUT_MESSAGE},
        status_code=HTTP_408_REQUEST_TIMEOUT,
        headers={"Connection": "close"},
    )
