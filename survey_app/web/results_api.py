"""GET /api/v1/results/{survey}: suppressed results as JSON (see `analysis.results`).

Results come from the survey's latest release (`"release": {"number", "released_at"}`);
admins may ask for live results with `live=1` (`"release": null`), suppressed by the same
rules. Errors are JSON like every error of the API (`{"status_code", "detail"}`,
`survey_app.web.errors`): an unknown survey or working group is 404, and so is a survey
without a release yet (then also `"error"`, saying so); an unknown comparison survey,
one without a release, or a breakdown question that is unknown or not `select_one` is
422. Without a login: 401; a
member of another group, or a member asking for live results: 403; no `group` (all
questions): admins only.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery

from survey_app.db.engine import Database
from survey_app.errors import UnknownGroup
from survey_app.services.groups import group_ids
from survey_app.services.live_results import cache_directory, survey_results
from survey_app.services.released import release_results
from survey_app.settings import Settings
from survey_app.web.access import Viewer
from survey_app.web.api_docs import errors
from survey_app.web.guards import group_guard, viewer_dependency


class ResultsApiController(Controller):
    path = "/api/v1/results"
    tags = ["results"]
    guards = [group_guard]
    dependencies = {"viewer": viewer_dependency}

    @get(
        "/{survey_id:str}",
        sync_to_thread=True,
        summary="Results of a survey for a group",
        responses=errors(
            {
                401: "Not logged in.",
                403: "Not a member of the group (no group, or live results: not an admin).",
                404: "Unknown survey or working group, or no results released yet.",
                422: "Unknown comparison survey, or `by` is not a select_one question.",
            }
        ),
    )
    def results(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
        group: FromQuery[str | None] = None,
        by: FromQuery[str | None] = None,
        compare: FromQuery[str | None] = None,
        lang: FromQuery[str | None] = None,
        live: FromQuery[bool] = False,
    ) -> dict[str, Any]:
        groups = group_ids(db)
        if group is not None and group not in groups:
            raise UnknownGroup(group)
        if live and not viewer.is_admin:
            raise PermissionDeniedException("Live results are for the integration office only.")
        if live:
            found = survey_results(
                db,
                survey_id,
                group=group,
                working_groups=groups,
                by=by,
                compare=compare,
                language=lang,
                cache_dir=cache_directory(settings.var_dir),
            )
        else:
            found = release_results(
                db, survey_id, group=group, by=by, compare=compare, language=lang
            )
        return found.to_json()
