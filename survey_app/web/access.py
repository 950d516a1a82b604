"""Who is looking: the logged-in viewer, and the rules for who may see what.

Results belong to working groups: a member sees the groups they belong to, an admin
(the integration office) sees everything, including all questions at once (no group).
Pages send anonymous visitors to the login form; the JSON API answers 401 (the guards
of `survey_app.web.guards` apply these rules to routes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from litestar.connection import ASGIConnection

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


def viewer_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer | None:
    """The logged-in viewer, read fresh from the database (removed accounts lose access)."""
    session = connection.scope.get("session")
    user_id = session.get(SESSION_USER_KEY) if isinstance(session, dict) else None
    if not isinstance(user_id, int):
        return None
    account = account_by_id(connection.app.state.db, user_id)
    if account is None:
        return None
    return Viewer(account.id, account.email, account.is_admin, account.groups)


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}"
