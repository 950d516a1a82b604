"""GET /api/v1/results/{survey}: suppressed results as JSON (see `analysis.results`).

Results come from the survey's latest release (`"release": {"number", "released_at"}`);
admins may ask for live results with `live=1` (`"release": null`), suppressed by the same
rules. Errors are JSON like every Litestar error (`{"status_code", "detail"}`): an
unknown survey or working group is 404, and so is a survey without a release yet (then
also `"error"`, saying so); an unknown comparison survey, one without a release, or a
breakdown question that is unknown or not `select_one` is 422. Without a login: 401; a
member of another group, or a member asking for live results: 403; no `group` (all
questions): admins only.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery

from analysis.results import ResultsError
from survey_app.db.engine import Database
from survey_app.services.releases import NoRelease, release_results
from survey_app.services.results import (
    UnknownGroup,
    UnknownSurvey,
    cache_directory,
    survey_results,
    working_group_ids,
)
from survey_app.settings import Settings
from survey_app.web.access import require_viewer_for_group
from survey_app.web.api_docs import errors


def _error(status: int, message: str) -> Response[dict[str, Any]]:
    return Response({"status_code": status, "detail": message}, status_code=status)


def _unknown_survey(request: Request[Any, Any, Any], error: UnknownSurvey) -> Response[Any]:
    asked = request.path_params.get("survey_id")
    return _error(404 if error.survey_id == asked else 422, str(error.args[0]))


def _unknown_group(_request: Request[Any, Any, Any], error: UnknownGroup) -> Response[Any]:
    return _error(404, str(error.args[0]))


def _no_release(_request: Request[Any, Any, Any], error: NoRelease) -> Response[Any]:
    message = str(error.args[0])
    return Response({"status_code": 404, "detail": message, "error": message}, status_code=404)


def _bad_request(_request: Request[Any, Any, Any], error: ResultsError) -> Response[Any]:
    return _error(422, str(error))


class ResultsApiController(Controller):
    path = "/api/v1/results"
    tags = ["results"]
    exception_handlers = {
        UnknownSurvey: _unknown_survey,
        UnknownGroup: _unknown_group,
        NoRelease: _no_release,
        ResultsError: _bad_request,
    }

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
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
        group: FromQuery[str | None] = None,
        by: FromQuery[str | None] = None,
        compare: FromQuery[str | None] = None,
        lang: FromQuery[str | None] = None,
        live: FromQuery[bool] = False,
    ) -> dict[str, Any]:
        viewer = require_viewer_for_group(request, group, api=True)
        groups = working_group_ids(settings.questionnaires)
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
