"""The JSON read API for published surveys."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from survey_app.db.engine import Database
from survey_app.errors import UnknownSurvey
from survey_app.services.published import get_survey
from survey_app.services.surveys import latest_surveys
from survey_app.web.api_docs import errors


class SurveyApiController(Controller):
    path = "/api/v1/surveys"
    tags = ["surveys"]

    @get("/", sync_to_thread=True, summary="List published surveys")
    def list_surveys(self, db: NamedDependency[Database]) -> list[dict[str, Any]]:
        return [survey.summary() for survey in latest_surveys(db)]

    @get(
        "/{survey_id:str}",
        sync_to_thread=True,
        summary="The whole definition of a survey",
        responses=errors({404: "No published survey has this id."}),
    )
    def get_survey(self, db: NamedDependency[Database], survey_id: FromPath[str]) -> dict[str, Any]:
        survey = get_survey(db, survey_id)
        if survey is None:
            raise UnknownSurvey(survey_id)
        return {**survey.summary(), "definition": survey.questionnaire.to_definition()}
