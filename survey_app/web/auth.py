"""Login and logout for working-group members and admins, and the language switch of
the staff pages."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect
from litestar.status_codes import HTTP_401_UNAUTHORIZED, HTTP_503_SERVICE_UNAVAILABLE

from survey_app.db.engine import Database
from survey_app.i18n import S_, staff_language
from survey_app.services.accounts import authenticate, normalise_email
from survey_app.services.health import sessions_problem
from survey_app.settings import Settings
from survey_app.web.access import SESSION_USER_KEY, viewer_of
from survey_app.web.security import LoginLimiters, client_key, too_many
from survey_app.web.sessions import renew_session_id
from survey_app.web.staff import ONE_YEAR, STAFF_LANGUAGE_COOKIE, StaffTemplate, safe_next

log = logging.getLogger(__name__)

LOGIN_FAILED = S_("Email or password is not correct.")
LOGIN_UNAVAILABLE = S_(
    "Logging in is not possible right now: the server cannot store sessions. Please "
    "tell the integration office."
)


def _safe_next(next_path: str | None) -> str:
    return safe_next(next_path, "/results")


class AuthController(Controller):
    path = ""
    include_in_schema = False

    @get("/login", sync_to_thread=True)
    def login_form(
        self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None
    ) -> StaffTemplate:
        return StaffTemplate(
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
        # Wrong passwords count per account *and client*, so someone guessing elsewhere
        # never locks the real user out, and per client across accounts (spraying).
        # A place is taken before the password is checked, so concurrent guesses
        # cannot all pass; a login that succeeds gives it back.
        limiters: LoginLimiters = request.app.state.login_limiters
        client = client_key(request)
        taken = limiters.take(email, client)
        if isinstance(taken, int):
            raise too_many(taken)
        account = authenticate(db, email=email, password=data.get("password", ""))
        if account is None:
            return StaffTemplate(
                "auth/login.html",
                context={
                    "next": _safe_next(data.get("next")),
                    "error": LOGIN_FAILED,
                    "email": email,
                    "viewer": None,
                },
                status_code=HTTP_401_UNAUTHORIZED,
            )
        limiters.succeeded(email, client)
        settings: Settings = request.app.state.settings
        problem = sessions_problem(settings.var_dir)
        if problem is not None:
            # The session could not be stored: the visitor would land on the login form
            # again and again without knowing why.
            log.error("login of an account failed: %s", problem)
            return StaffTemplate(
                "auth/login.html",
                context={
                    "next": _safe_next(data.get("next")),
                    "error": LOGIN_UNAVAILABLE,
                    "email": email,
                    "viewer": None,
                },
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
            )
        # A fresh session at login: a new id, and nothing from before the login carries over.
        renew_session_id(request)
        request.set_session({SESSION_USER_KEY: account.id})
        return Redirect(_safe_next(data.get("next")), status_code=303)

    @get("/language", sync_to_thread=False)
    def choose_language(self, lang: FromQuery[str], next: FromQuery[str | None] = None) -> Redirect:
        """The language switch of the staff pages: remembered in a cookie for a year,
        then back to the page it was chosen on."""
        response = Redirect(safe_next(next, "/admin"), status_code=303)
        response.set_cookie(
            STAFF_LANGUAGE_COOKIE,
            staff_language(lang),
            max_age=ONE_YEAR,
            httponly=True,
            samesite="lax",
        )
        return response

    @post("/logout", sync_to_thread=False)
    def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=303)
