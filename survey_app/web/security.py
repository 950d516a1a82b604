"""Security headers and rate limits (error answers are `survey_app.web.errors`).

Rate-limit counters live in memory, per app process, keyed by a keyed hash of the client
address (never the address itself) and kept only for the window. With N worker
processes a client can make at most N times the limit; that is acceptable for slowing
down guessing, and needs no shared store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs, parse_qsl

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

    def give_back(self, key: str) -> None:
        """Undo one `hit`: the request that counted it turned out not to need counting
        (a right invitation link, a login that succeeded). Counting first and giving
        back afterwards keeps concurrent requests from all passing one check."""
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                hits.pop()

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        for key in [
            k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window
        ]:
            del self._hits[key]


LOGIN_FAILURES_PER_ACCOUNT = 10
LOGIN_FAILURES_PER_CLIENT = 50
LOGIN_WINDOW_SECONDS = 15 * 60


class LoginLimiters:
    """Failed logins per account and client (`LOGIN_FAILURES_PER_ACCOUNT`) and per
    client over all accounts (`LOGIN_FAILURES_PER_CLIENT`), each per window."""

    def __init__(self) -> None:
        self.account = RateLimiter(LOGIN_FAILURES_PER_ACCOUNT, LOGIN_WINDOW_SECONDS)
        self.client = RateLimiter(LOGIN_FAILURES_PER_CLIENT, LOGIN_WINDOW_SECONDS)

    def take(self, email: str, client: str) -> int | None:
        """Count an attempt before it is checked; the seconds to wait if over a limit."""
        pair = f"{email}|{client}"
        wait = self.account.hit(pair)
        if wait is not None:
            return wait
        wait = self.client.hit(client)
        if wait is not None:
            self.account.give_back(pair)
        return wait

    def succeeded(self, email: str, client: str) -> None:
        """A right password: its attempt and this account's failures from here are gone."""
        self.account.reset(f"{email}|{client}")
        self.client.give_back(client)


_CLIENT_KEY_SALT = secrets.token_bytes(16)


def client_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """A keyed hash of the client address: counts per client without storing who it is."""
    return _scope_client_key(connection.scope)


def too_many(retry_after: int) -> TooManyRequestsException:
    return TooManyRequestsException(
        "Too many attempts. Please wait and try again.",
        headers={"Retry-After": str(retry_after)},
    )


async def submission_rate_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Limits anonymous submissions per client (`SURVEY_SUBMISSION_RATE_LIMIT`/minute).

    A coroutine although it never awaits: Litestar runs a plain function guard in a
    worker thread, a thread hop for every request of the app (this guard is the app's)
    for a few microseconds of counting under a lock that is never held for longer."""
    if connection.scope.get("method") != "POST" or not SUBMISSION_ROUTE.match(connection.url.path):
        return
    limiter: RateLimiter = connection.app.state.submission_limiter
    wait = limiter.hit(client_key(connection))
    if wait is not None:
        raise too_many(wait)


class GuessLimit:
    """ASGI middleware against guessing secrets on the respondent pages.

    A guess is recognised by its answer: 404 for a survey page asked with an unknown
    `invitation` link, 422 for a wrong resume code. Each kind of secret has its own
    bucket per client (`app.state.guess_limiters`), so wrong resume codes never hold up
    invitation links nor anything else. Every such request takes its place in the
    bucket before it runs and gives it back unless it failed, so concurrent guesses
    cannot all pass one check: after `GUESSES_ALLOWED` in `GUESS_WINDOW_SECONDS` a client
    gets 429 with `Retry-After` for that kind of request, right or wrong, until the
    window has passed. The submission API counts invitation guesses itself
    (`survey_app.web.submissions`): only there is the invitation in the body.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guess = _guess_kind(scope) if scope["type"] == ScopeType.HTTP else None
        if guess is None:
            await self.app(scope, receive, send)
            return
        kind, failure_status = guess
        limiter: RateLimiter = scope["litestar_app"].state.guess_limiters[kind]
        key = _scope_client_key(scope)
        wait = limiter.hit(key)
        if wait is not None:
            await _early_429(send, wait, scope)
            return
        failed = False

        async def watching_send(message: Message) -> None:
            nonlocal failed
            if message["type"] == "http.response.start" and message["status"] == failure_status:
                failed = True
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        finally:
            if not failed:
                limiter.give_back(key)


GUESSES_ALLOWED = 20
GUESS_WINDOW_SECONDS = 15 * 60
GUESS_KINDS = ("invitation", "resume")
# A survey, one of its pages (`/p/{page}`, with `/refresh` or `/autosave`) or views.
_SURVEY_PAGE = re.compile(r"^/s/[^/]+(/[a-z]+|/p/[^/]+(/[a-z]+)?)?/?$")
_RESUME_PAGE = re.compile(r"^/s/[^/]+/resume/?$")


def guess_limiters() -> dict[str, RateLimiter]:
    """One bucket per kind of secret (`GUESS_KINDS`), for `app.state.guess_limiters`."""
    return {kind: RateLimiter(GUESSES_ALLOWED, GUESS_WINDOW_SECONDS) for kind in GUESS_KINDS}


def _guess_kind(scope: Scope) -> tuple[str, int] | None:
    """The kind of secret this page request guesses and the status of a wrong guess;
    None if it guesses nothing. Query keys count as the handler reads them: decoded
    (`?invit%61tion=...` is an invitation too)."""
    path, method = scope["path"], scope.get("method", "GET")
    if method == "POST" and _RESUME_PAGE.match(path):
        return "resume", 422
    if _SURVEY_PAGE.match(path):
        query = scope.get("query_string", b"").decode("latin-1")
        if any(key == "invitation" for key, _ in parse_qsl(query, keep_blank_values=True)):
            return "invitation", 404
    return None


def _scope_client_key(scope: Scope) -> str:
    client = scope.get("client")
    host = client[0] if client else "unknown"
    return hmac.new(_CLIENT_KEY_SALT, host.encode(), hashlib.sha256).hexdigest()[:32]


async def _early_429(send: Send, retry_after: int, scope: Scope) -> None:
    await early_error(
        send, scope, 429, "Too many attempts. Please wait and try again.", retry_after=retry_after
    )


async def early_error(
    send: Send, scope: Scope, status: int, message: str, *, retry_after: int | None = None
) -> None:
    """An error answered before any handler ran: a page in the visitor's language for the
    survey pages, the API's error object (`ApiError`) for the API."""
    if scope["path"].startswith("/api/"):
        body = json.dumps({"status_code": status, "detail": message}).encode()
        media_type = b"application/json"
    else:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        accept = dict(scope.get("headers", [])).get(b"accept-language", b"").decode("latin-1")
        language = page_language(query.get("lang", [None])[0], accept)
        context = error_page_context(status, language, back_url=None)
        body = error_template().render(context).encode("utf-8")
        media_type = b"text/html"
    headers = [
        (b"content-type", media_type + b"; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *([(b"retry-after", str(retry_after).encode())] if retry_after is not None else []),
        *[(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()],
    ]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
    }
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)
