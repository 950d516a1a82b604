"""Security headers and rate limits (error answers are `survey_app.web.errors`).

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
from urllib.parse import parse_qs

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.handlers import BaseRouteHandler
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from survey_app.i18n import page_language
from survey_app.web.errors import error_page_context, error_template

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
    return _scope_client_key(connection.scope)


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


class GuessLimit:
    """ASGI middleware against guessing secrets: invitation tokens and resume codes.

    A guess is recognised by its answer: 404 for a survey page asked with an unknown
    `invitation` link, 422 for a wrong resume code, 403 for a submission whose invitation
    is refused. After `GUESSES_ALLOWED` failed guesses in `GUESS_WINDOW_SECONDS` a client
    gets 429 with `Retry-After` for every such request, right or wrong, until the window
    has passed. The respondent pages need no code of their own for this.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        failure_status = _guess_failure_status(scope) if scope["type"] == ScopeType.HTTP else None
        if failure_status is None:
            await self.app(scope, receive, send)
            return
        limiter: RateLimiter = scope["litestar_app"].state.guess_limiter
        key = _scope_client_key(scope)
        wait = limiter.retry_after(key)
        if wait is not None:
            await _early_429(send, wait, scope)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == failure_status:
                limiter.hit(key)
            await send(message)

        await self.app(scope, receive, counting_send)


GUESSES_ALLOWED = 20
GUESS_WINDOW_SECONDS = 15 * 60
# A survey, one of its pages (`/p/{page}`, with `/refresh` or `/autosave`) or views.
_SURVEY_PAGE = re.compile(r"^/s/[^/]+(/[a-z]+|/p/[^/]+(/[a-z]+)?)?/?$")
_RESUME_PAGE = re.compile(r"^/s/[^/]+/resume/?$")


def _guess_failure_status(scope: Scope) -> int | None:
    """The status that answers a wrong guess on this request, or None if it guesses nothing."""
    path, method = scope["path"], scope.get("method", "GET")
    if method == "POST" and SUBMISSION_ROUTE.match(path):
        return 403
    if method == "POST" and _RESUME_PAGE.match(path):
        return 422
    if _SURVEY_PAGE.match(path) and b"invitation=" in scope.get("query_string", b""):
        return 404
    return None


def _scope_client_key(scope: Scope) -> str:
    client = scope.get("client")
    host = client[0] if client else "unknown"
    return hmac.new(_CLIENT_KEY_SALT, host.encode(), hashlib.sha256).hexdigest()[:32]


async def _early_429(send: Send, retry_after: int, scope: Scope) -> None:
    """429 before any handler ran: a page in the visitor's language for the survey
    pages, plain text for the API."""
    if scope["path"].startswith("/api/"):
        body, media_type = b"Too many attempts. Please wait and try again.", b"text/plain"
    else:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        accept = dict(scope.get("headers", [])).get(b"accept-language", b"").decode("latin-1")
        language = page_language(query.get("lang", [None])[0], accept)
        context = error_page_context(429, language, back_url=None)
        body = error_template().render(context).encode("utf-8")
        media_type = b"text/html"
    headers = [
        (b"content-type", media_type + b"; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
        *[(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()],
    ]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 429,
        "headers": headers,
    }
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)
