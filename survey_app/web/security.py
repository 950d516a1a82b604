"""Security headers, rate limits and error answers that never leak internals.

Rate-limit counters live in memory, per app process, keyed by a keyed hash of the client
address (never the address itself) and kept only for the window. With N worker
processes a client can make at most N times the limit; that is acceptable for slowing
down guessing, and needs no shared store.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
import threading
import time
from collections import deque
from typing import Any

from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException, TooManyRequestsException
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect
from litestar.types import Message, Scope

from survey_app.web.access import LoginRequired, login_url

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin",
}
SUBMISSION_ROUTE = re.compile(r"^/api/v1/surveys/[^/]+/responses/?$")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: every response, pages, API, static files and errors alike."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS.items():
            headers[name] = value
        if "server" in headers:
            del headers["server"]


class RateLimiter:
    """At most `limit` hits per `window` seconds and key (a sliding window)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> int | None:
        """Seconds to wait if `key` is over the limit, else None (does not count a hit)."""
        if self.limit <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._recent(key, now)
            if len(hits) < self.limit:
                return None
            return max(1, math.ceil(hits[0] + self.window - now))

    def hit(self, key: str) -> int | None:
        """Count a hit; the seconds to wait if it is over the limit, else None."""
        if self.limit <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._recent(key, now)
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            if len(self._hits) > 100_000:
                self._forget_idle(now)
            return None

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        for key in [
            k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window
        ]:
            del self._hits[key]


_CLIENT_KEY_SALT = secrets.token_bytes(16)


def client_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """A keyed hash of the client address: counts per client without storing who it is."""
    host = connection.client.host if connection.client else "unknown"
    return hmac.new(_CLIENT_KEY_SALT, host.encode(), hashlib.sha256).hexdigest()[:32]


def too_many(retry_after: int) -> TooManyRequestsException:
    return TooManyRequestsException(
        "Too many attempts. Please wait and try again.",
        headers={"Retry-After": str(retry_after)},
    )


def submission_rate_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Limits anonymous submissions per client (`SURVEY_SUBMISSION_RATE_LIMIT`/minute)."""
    if connection.scope.get("method") != "POST" or not SUBMISSION_ROUTE.match(connection.url.path):
        return
    limiter: RateLimiter = connection.app.state.submission_limiter
    wait = limiter.hit(client_key(connection))
    if wait is not None:
        raise too_many(wait)


def login_required_redirect(
    _request: Request[Any, Any, Any], error: LoginRequired
) -> Response[Any]:
    return Redirect(login_url(error.next_path), status_code=303)


def unexpected_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Anything unforeseen: logged with a request id that the person can quote."""
    if isinstance(error, HTTPException):
        return _http_error(request, error)
    request_id = secrets.token_hex(6)
    log.exception("unexpected error, request id %s", request_id, exc_info=error)
    message = f"Something went wrong on our side. Please quote this request id: {request_id}"
    if _wants_json(request):
        body = {"status_code": 500, "detail": message, "request_id": request_id}
        return Response(body, status_code=500)
    return Response(_plain_page(message), status_code=500, media_type=MediaType.HTML)


def _http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    if _wants_json(request):
        body: dict[str, Any] = {"status_code": error.status_code, "detail": error.detail}
        if error.extra:
            body["extra"] = error.extra
        return Response(body, status_code=error.status_code, headers=error.headers)
    return Response(
        _plain_page(error.detail),
        status_code=error.status_code,
        media_type=MediaType.HTML,
        headers=error.headers,
    )


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith(("/api/", "/schema")) or "text/html" not in accept


def _plain_page(message: str) -> str:
    from markupsafe import escape

    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(message)}</title></head><body><main><p>{escape(message)}</p>"
        '<p><a href="/">Start page</a></p></main></body></html>'
    )
