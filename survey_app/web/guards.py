"""Litestar guards: who may reach the admin and results handlers, declared once per
controller or handler instead of checked by hand in each.

A guard finds the logged-in viewer (read fresh from the database, so removed accounts
lose access at once), refuses anonymous visitors (pages: a redirect to the login form;
the API: 401) and people without the right (403), and leaves the viewer in the
request's state, where handlers get it as the `viewer` dependency.
`tests/security/test_access.py` walks every registered route and checks that each
`/admin` and `/results` route has one of these guards and a line in the matrix.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from survey_app.i18n import S_
from survey_app.web.access import LoginRequired, Viewer, viewer_of

__all__ = ["GUARDS", "admin_guard", "group_guard", "login_guard", "viewer_dependency"]

_VIEWER = "viewer"


async def _logged_in(connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer:
    found = connection.state.get(_VIEWER)
    if isinstance(found, Viewer):
        return found
    viewer = await anyio.to_thread.run_sync(viewer_of, connection)
    if viewer is None:
        if connection.url.path.startswith("/api/"):
            raise NotAuthorizedException(S_("Login required."))
        query = connection.url.query
        raise LoginRequired(connection.url.path + (f"?{query}" if query else ""))
    connection.state[_VIEWER] = viewer
    return viewer


async def login_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Any logged-in account (members and admins)."""
    await _logged_in(connection)


async def admin_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """The integration office only."""
    viewer = await _logged_in(connection)
    if not viewer.is_admin:
        raise PermissionDeniedException(S_("This page is for administrators."))


async def group_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Members of the working group in the path (`/results/{group}`) or the query
    (`?group=`), and admins; without a group (all questions at once), admins only."""
    group = connection.path_params.get("group") or connection.query_params.get("group")
    viewer = await _logged_in(connection)
    if not viewer.may_see(group):
        if group is None:
            raise PermissionDeniedException(S_("Results without a working group are for admins."))
        # The group is in the address already; a message without values is one catalogue
        # entry, shown in the page's language.
        raise PermissionDeniedException(S_("You are not a member of this working group."))


GUARDS = (login_guard, admin_guard, group_guard)
"""Every guard that admits viewers (the route-walking test looks for one of them)."""


def _current_viewer(request: Request[Any, Any, Any]) -> Viewer:
    viewer = request.state.get(_VIEWER)
    if not isinstance(viewer, Viewer):
        # A handler asked for the viewer without a guard that finds one: a wiring mistake.
        raise RuntimeError(f"no guard admitted a viewer for {request.url.path}")
    return viewer


viewer_dependency = Provide(_current_viewer, sync_to_thread=False)
"""`viewer: Viewer` for handlers behind a guard of this module."""
