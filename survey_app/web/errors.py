"""Every error answer of the app, in one module: the errors services raise
(`survey_app.errors`) and Litestar's own, the login redirect, the refused respondent
request, an unavailable database and anything unforeseen.

A domain error becomes a status by its kind (not found 404, invalid 422, conflict 409,
forbidden 403), then JSON for the API (`{"status_code", "detail"}` and the error's
`fields`; `{"errors": {...}}` when it names fields) or the error page in the visitor's
language for pages (staff pages also show what went wrong). Handlers raise; they never
build error answers themselves.
"""

from __future__ import annotations

import logging
import secrets
from functools import cache
from typing import Any

from jinja2 import Template as JinjaTemplate
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DataError, InterfaceError, InternalError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from survey_app.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from survey_app.i18n import N_, StaffMessage, page_language, staff_gettext
from survey_app.render.respond import ui_context
from survey_app.render.templating import jinja_environment
from survey_app.web.access import LoginRequired, login_url
from survey_app.web.answering import Refused, message_page
from survey_app.web.staff import staff_language_of, staff_message

log = logging.getLogger(__name__)

STATUS_OF_KIND: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Invalid, 422),
    (Conflict, 409),
    (Forbidden, 403),
)
RETRY_AFTER_SECONDS = 5
# PostgreSQL's "cannot execute INSERT in a read-only transaction" (a standby after a
# fail-over, `default_transaction_read_only`): nothing can be stored, as on a locked
# database, until the operator fixes it.
READ_ONLY_TRANSACTION_SQLSTATE = "25006"
REFUSED_DATA_MESSAGE = "The request holds a value that cannot be stored."
UNAVAILABLE_MESSAGE = "The database is busy or unavailable. Please try again shortly."

# Litestar's CSRF middleware refuses a form before any handler runs, with this detail;
# people see what happened (usually a page left open for hours, or a new session) instead.
LITESTAR_CSRF_FAILURE = "CSRF token verification failed"
# What Litestar raises when the client disconnects while its body is being read.
LITESTAR_CLIENT_DISCONNECT = "client disconnected prematurely"
CSRF_EXPIRED = "This form has expired, please reload the page and try again."
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
# Pages whose errors may say more than the status (for the staff using them, in the
# staff language: messages in the staff catalogue are translated); a respondent gets the
# message of the status alone.
STAFF_PATHS = ("/admin", "/results", "/login", "/logout")


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


def _error_page(
    request: Request[Any, Any, Any],
    status: int,
    message: str | StaffMessage,
    headers: dict[str, str] | None,
    request_id: str | None = None,
) -> Template:
    path = request.url.path
    staff = path.startswith(STAFF_PATHS)
    if staff:
        language = staff_language_of(request)
    else:
        language = page_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
    expired = message == CSRF_EXPIRED
    context = error_page_context(
        status,
        language,
        expired=expired,
        # An expired form says all there is to say in its heading.
        detail=staff_gettext(language)(message) if staff and not expired else None,
        request_id=request_id,
        # A survey page answered with an error (an expired form, say) is one link away.
        back_url=path + (f"?{request.url.query}" if request.url.query else "")
        if path.startswith("/s/")
        else None,
    )
    return Template("errors/error.html", context=context, status_code=status, headers=headers)


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
    return _error_page(request, status, message, headers, request_id)


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
    English), the `detail` for staff, the request id of a 500."""
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
def error_template() -> JinjaTemplate:
    """The error page as a plain Jinja template, for answers made before any handler."""
    return jinja_environment().get_template("errors/error.html")


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith(("/api/", "/schema")) or "text/html" not in accept


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error's kind."""
    return next((status for kind, status in STATUS_OF_KIND if isinstance(error, kind)), 400)


def domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    """A refusal of a service: JSON on the API, the error page elsewhere."""
    status = status_of(error)
    if request.url.path.startswith("/api/"):
        if isinstance(error, Invalid) and error.errors is not None:
            return Response({"errors": error.errors}, status_code=status)
        body = {"status_code": status, "detail": str(error), **error.fields}
        return Response(body, status_code=status)
    return _error_page(request, status, staff_message(error), None)


def refused_page(_request: Request[Any, Any, Any], refused: Refused) -> Response[Any]:
    """A respondent's request that cannot go on: a clear page in their language."""
    return message_page(refused)


def database_unavailable(_request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """503 with `Retry-After` for a locked, unreachable or overloaded database.

    Nothing was acknowledged, and the write transaction was rolled back, so a retry with
    the same submission id is safe.
    """
    log.warning("database unavailable: %s", type(error).__name__)
    body = {"status_code": 503, "detail": UNAVAILABLE_MESSAGE}
    return Response(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def database_internal_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """503 for a read-only PostgreSQL; any other internal error of the database is
    unforeseen (a 500 with a request id)."""
    if getattr(getattr(error, "orig", None), "sqlstate", None) == READ_ONLY_TRANSACTION_SQLSTATE:
        return database_unavailable(request, error)
    return unexpected_error(request, error)


def database_refused_data(_request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """400 for a value the database refuses (PostgreSQL: NUL in text, an out-of-range
    number) that no check before it caught; logged without the statement's parameters."""
    log.warning("the database refused a value: %s", type(error).__name__)
    body = {"status_code": 400, "detail": REFUSED_DATA_MESSAGE}
    return Response(body, status_code=400)


def exception_handlers() -> ExceptionHandlersMap:
    """The app's handlers: the most specific class wins (Litestar walks the MRO)."""
    return {
        Exception: unexpected_error,
        DomainError: domain_error,
        LoginRequired: login_required_redirect,
        Refused: refused_page,
        # A locked or unreachable database is a 503 with Retry-After everywhere, never a 500.
        DataError: database_refused_data,
        OperationalError: database_unavailable,
        InterfaceError: database_unavailable,
        InternalError: database_internal_error,
        SQLAlchemyTimeoutError: database_unavailable,
    }
