"""POST /api/v1/surveys/{survey_id}/responses: the submission API.

201 stored, 200 replay (same body), 409 conflict, 422 `{"errors": {name: message}}`,
404 unknown survey, 403 invitation refused or survey closed, 413 body over 256 KB,
400 a body that is not JSON, 503 with `Retry-After` when the database is locked or down.
The handler parses; `survey_app.services.submissions` decides, and its refusals become
answers in `survey_app.web.errors`, like every error of the app. An anonymous-submission rate
limit belongs in front of this route (a guard or middleware on `SUBMISSION_PATH`).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, SerializationException
from litestar.params import FromPath
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from survey_app.db.engine import Database
from survey_app.errors import UnknownSurvey
from survey_app.services.submissions import (
    SubmissionReceipt,
    submission_create_from_json,
)
from survey_app.services.surveys import get_survey
from survey_app.web.api_docs import (
    SubmissionErrors,
    SubmissionOperation,
    SubmissionStored,
    answer,
    errors,
)
from survey_app.web.errors import UNAVAILABLE_MESSAGE

log = logging.getLogger(__name__)

SUBMISSION_PATH = "/api/v1/surveys/{survey_id:str}/responses"
MAX_BODY_BYTES = 256 * 1024
NOT_JSON_MESSAGE = "The request body must be a JSON object."
SUBMISSION_THREADS = 8


def submission_threads() -> anyio.CapacityLimiter:
    """Worker threads for submissions, admitted in arrival order (created on the event
    loop at start-up; kept in `app.state.submission_threads`).

    Submissions are CPU-bound Python under one GIL, so more threads than this do not
    store more per second; they only compete for the GIL and the write lock in no
    particular order, which made the slowest submissions several times slower than the
    median under load. Waiting here, in the event loop's queue, is first come, first
    served (bench/README.md has the figures).
    """
    return anyio.CapacityLimiter(SUBMISSION_THREADS)


def _submit(db: Database, survey_id: str, payload: object) -> SubmissionReceipt:
    """The receipt of a stored or replayed submission."""
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    if not isinstance(payload, dict):
        raise ClientException(NOT_JSON_MESSAGE)
    return submission_create_from_json(db, survey=survey, payload=payload)


class SubmissionApiController(Controller):
    path = SUBMISSION_PATH
    tags = ["submissions"]

    @post(
        "/",
        summary="Submit a response (exactly once per submission_id)",
        request_max_body_size=MAX_BODY_BYTES,
        operation_class=SubmissionOperation,
        responses={
            HTTP_201_CREATED: answer(SubmissionStored, "Stored."),
            HTTP_200_OK: answer(SubmissionStored, "Replay: this submission id was already stored."),
            **errors(
                {
                    HTTP_400_BAD_REQUEST: NOT_JSON_MESSAGE,
                    HTTP_403_FORBIDDEN: "The invitation is refused, or the survey is closed.",
                    HTTP_404_NOT_FOUND: "No published survey has this id.",
                    HTTP_409_CONFLICT: "This submission id was stored with other answers.",
                    HTTP_413_REQUEST_ENTITY_TOO_LARGE: "The body is over 256 KB.",
                    HTTP_429_TOO_MANY_REQUESTS: "Too many submissions from this client.",
                    HTTP_503_SERVICE_UNAVAILABLE: UNAVAILABLE_MESSAGE,
                }
            ),
            HTTP_422_UNPROCESSABLE_ENTITY: answer(
                SubmissionErrors, "Refused answers or fields, with messages."
            ),
        },
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        try:
            payload = await request.json()
        except (SerializationException, RecursionError, UnicodeDecodeError):
            raise ClientException(NOT_JSON_MESSAGE) from None
        receipt = await anyio.to_thread.run_sync(
            _submit, db, survey_id, payload, limiter=request.app.state.submission_threads
        )
        return Response(
            receipt.body(), status_code=HTTP_201_CREATED if receipt.created else HTTP_200_OK
        )
