"""Who is looking: the logged-in viewer, and the rules for who may see what.

Results belong to working groups: a member sees the groups they belong to, an admin
(the integration office) sees everything, including all questions at once (no group).
Pages send anonymous visitors to the login form; the JSON API answers 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from survey_app.services.accounts import account_by_id

SESSION_USER_KEY = "user_id"


class LoginRequired(Exception):
    """A page needs a login; answered with a redirect to `/login?next=...`."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path
        super().__init__(next_path)


@dataclass(frozen=True)
class Viewer:
    user_id: int
    email: str
    is_admin: bool
    groups: frozenset[str]

    def may_see(self, group: str | None) -> bool:
        return self.is_admin or (group is not None and group in self.groups)


def viewer_of(request: Request[Any, Any, Any]) -> Viewer | None:
    """The logged-in viewer, read fresh from the database (removed accounts lose access)."""
    session = request.scope.get("session")
    user_id = session.get(SESSION_USER_KEY) if isinstance(session, dict) else None
    if not isinstance(user_id, int):
        return None
    account = account_by_id(request.app.state.db, user_id)
    if account is None:
        return None
    return Viewer(account.id, account.email, account.is_admin, account.groups)


def _require_login(request: Request[Any, Any, Any], *, api: bool) -> Viewer:
    viewer = viewer_of(request)
    if viewer is not None:
        return viewer
    if api:
        raise NotAuthorizedException("Login required.")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(path)


def require_viewer_for_group(
    request: Request[Any, Any, Any], group: str | None, *, api: bool
) -> Viewer:
    """The viewer, if they may see results of `group` (None: all questions, admins only)."""
    viewer = _require_login(request, api=api)
    if not viewer.may_see(group):
        if group is None:
            raise PermissionDeniedException("Results without a working group are for admins.")
        raise PermissionDeniedException(f"You are not a member of the working group '{group}'.")
    return viewer


def require_admin(request: Request[Any, Any, Any], *, api: bool) -> Viewer:
    viewer = _require_login(request, api=api)
    if not viewer.is_admin:
        raise PermissionDeniedException("This page is for administrators.")
    return viewer


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}"
