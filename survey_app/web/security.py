"""Security headers, rate limits and error answers that never leak internals.

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
from functools import cache
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from jinja2 import Template as JinjaTemplate
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, TooManyRequestsException
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect, Template
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from survey_app.i18n import N_, page_language
from survey_app.render.respond import ui_context
from survey_app.render.templating import jinja_environment
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
# Litestar's CSRF middleware refuses a form before any handler runs, with this detail;
# people see what happened (usually a page left open for hours, or a new session) instead.
LITESTAR_CSRF_FAILURE = "CSRF token verification failed"
# What Litestar raises when the client disconnects while its body is being read.
LITESTAR_CLIENT_DISCONNECT = "client disconnected prematurely"
CSRF_EXPIRED = (
    "Dieses Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es "
    "noch einmal. / This form has expired, please reload the page and try again."
)
# What an error page says, in the visitor's language (the catalogues of the respondent
# pages): by status, and the expired form apart. Other statuses say what 400 or 500 say.
EXPIRED_FORM_MESSAGE = N_("This form has expired. Please reload the page and try again.")
ERROR_PAGE_MESSAGES = {
    400: N_("This request could not be processed."),
    403: N_("You may not open this page."),
    404: N_("This page does not exist. Please check the address."),
    429: N_("Too many attempts. Please wait and try again."),
    500: N_("Something went wrong on our side."),
}
# Pages whose errors may say more than the status (in English, for the staff using
# them); a respondent gets the message of the status alone.
STAFF_PATHS = ("/admin", "/results", "/login", "/logout")


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
        body = _error_template().render(context).encode("utf-8")
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


def login_required_redirect(
    _request: Request[Any, Any, Any], error: LoginRequired
) -> Response[Any]:
    """A page that needs a login sends the visitor to the login form, and back afterwards."""
    return Redirect(login_url(error.next_path), status_code=303)


def unexpected_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Every error answer: HTTP errors as they are, anything unforeseen as a 500 that is
    logged with a request id the person can quote (never a traceback or a version)."""
    if isinstance(error, HTTPException) and error.detail == LITESTAR_CLIENT_DISCONNECT:
        # The client left while sending its body: nobody reads an answer, and the
        # traceback of it (30 lines, hundreds in a busy hour) says nothing.
        log.info("client disconnected while sending %s %s", request.method, request.url.path)
        return Response(None, status_code=400)
    if isinstance(error, HTTPException) and error.status_code < 500:
        detail = CSRF_EXPIRED if error.detail == LITESTAR_CSRF_FAILURE else error.detail
        return _error_response(request, error.status_code, detail, error.headers, error)
    request_id = secrets.token_hex(6)
    log.error("unexpected error, request id %s", request_id, exc_info=error)
    message = f"Something went wrong on our side. Please quote this request id: {request_id}"
    return _error_response(request, 500, message, None, None, request_id=request_id)


def _error_response(
    request: Request[Any, Any, Any],
    status: int,
    message: str,
    headers: dict[str, str] | None,
    error: HTTPException | None,
    request_id: str | None = None,
) -> Response[Any]:
    if _wants_json(request):
        body: dict[str, Any] = {"status_code": status, "detail": message}
        if error is not None and error.extra:
            body["extra"] = error.extra
        if request_id:
            body["request_id"] = request_id
        return Response(body, status_code=status, headers=headers)
    path = request.url.path
    language = page_language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )
    context = error_page_context(
        status,
        language,
        expired=message == CSRF_EXPIRED,
        detail=message if path.startswith(STAFF_PATHS) else None,
        request_id=request_id,
        # A survey page answered with an error (an expired form, say) is one link away.
        back_url=path + (f"?{request.url.query}" if request.url.query else "")
        if path.startswith("/s/")
        else None,
    )
    return Template("errors/error.html", context=context, status_code=status, headers=headers)


def error_page_context(
    status: int,
    language: str,
    *,
    back_url: str | None,
    expired: bool = False,
    detail: str | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """What `errors/error.html` shows: the message of the status in `language` (and in
    English), the English `detail` for staff, the request id of a 500."""
    if expired:
        message = EXPIRED_FORM_MESSAGE
    else:
        message = (
            ERROR_PAGE_MESSAGES.get(status) or ERROR_PAGE_MESSAGES[500 if status >= 500 else 400]
        )
    return {
        **ui_context(language),
        "status": status,
        "message": message,
        "detail": detail,
        "request_id": request_id,
        "back_url": back_url,
    }


@cache
def _error_template() -> JinjaTemplate:
    return jinja_environment().get_template("errors/error.html")


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith(("/api/", "/schema")) or "text/html" not in accept
