"""Login and logout for working-group members and admins."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_401_UNAUTHORIZED

from survey_app.db.engine import Database
from survey_app.services.accounts import authenticate, normalise_email
from survey_app.web.access import SESSION_USER_KEY, viewer_of
from survey_app.web.security import client_key, too_many
from survey_app.web.sessions import renew_session_id

LOGIN_FAILED = "Email or password is not correct."


def _safe_next(next_path: str | None) -> str:
    # Only paths on this site: never let `next` send someone elsewhere after login.
    if next_path and next_path.startswith("/") and not next_path.startswith("//"):
        return next_path
    return "/results"


class AuthController(Controller):
    path = ""
    include_in_schema = False

    @get("/login", sync_to_thread=True)
    def login_form(
        self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None
    ) -> Template:
        return Template(
            "auth/login.html",
            context={
                "next": _safe_next(next),
                "error": None,
                "email": "",
                "viewer": viewer_of(request),
            },
        )

    @post("/login", sync_to_thread=True)
    def login(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        email = normalise_email(data.get("email", ""))[:254]
        limiters = request.app.state.login_limiters
        keys = (f"account:{email}", f"client:{client_key(request)}")
        waits = [limiter.retry_after(key) for limiter, key in zip(limiters, keys, strict=True)]
        if any(wait is not None for wait in waits):
            raise too_many(max(wait for wait in waits if wait is not None))
        account = authenticate(db, email=email, password=data.get("password", ""))
        if account is None:
            for limiter, key in zip(limiters, keys, strict=True):
                limiter.hit(key)
            return Template(
                "auth/login.html",
                context={
                    "next": _safe_next(data.get("next")),
                    "error": LOGIN_FAILED,
                    "email": email,
                    "viewer": None,
                },
                status_code=HTTP_401_UNAUTHORIZED,
            )
        limiters[0].reset(keys[0])
        # A fresh session at login: a new id, and nothing from before the login carries over.
        renew_session_id(request)
        request.set_session({SESSION_USER_KEY: account.id})
        return Redirect(_safe_next(data.get("next")), status_code=303)

    @post("/logout", sync_to_thread=False)
    def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=303)
