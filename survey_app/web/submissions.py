"""POST /api/v1/surveys/{survey_id}/responses: the submission API.

201 stored, 200 replay (same body), 409 conflict, 422 `{"errors": {name: message}}`,
404 unknown survey, 403 invitation refused, survey closed or another site's `Origin`,
413 body over 256 KB, 415 a body not declared `application/json`, 400 a body that is
not JSON, 429 too many submissions or unknown invitations from a client, 503 with
`Retry-After` when the database is locked or down. The handler parses;
`survey_app.services.submissions` decides, and its refusals become answers in
`survey_app.web.errors`, like every error of the app.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from litestar import Controller, Request, Response, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import (
    ClientException,
    HTTPException,
    PermissionDeniedException,
    SerializationException,
)
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from survey_app.db.engine import Database
from survey_app.errors import UnknownSurvey
from survey_app.services.published import (
    PublishedSurvey,
    SurveyChanged,
    refreshed_survey,
    remembered_survey,
)
from survey_app.services.submissions import (
    InvitationRejected,
    SubmissionReceipt,
    submission_create_from_json,
)
from survey_app.settings import Settings
from survey_app.web.api_docs import (
    SubmissionErrors,
    SubmissionOperation,
    SubmissionStored,
    answer,
    errors,
)
from survey_app.web.errors import UNAVAILABLE_MESSAGE
from survey_app.web.security import RateLimiter, client_key, too_many

log = logging.getLogger(__name__)

SUBMISSION_PATH = "/api/v1/surveys/{survey_id:str}/responses"
MAX_BODY_BYTES = 256 * 1024
NOT_JSON_MESSAGE = "The request body must be a JSON object."
FOREIGN_ORIGIN_MESSAGE = "Submissions from another site's pages are not accepted."
NOT_JSON_MEDIA_TYPE_MESSAGE = "The request body must be sent as Content-Type: application/json."
RECEIPT_ID_LENGTH = 32
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


def _submit(
    db: Database, survey_id: str, payload: object, guesses: RateLimiter, client: str
) -> SubmissionReceipt:
    """The receipt of a stored or replayed submission.

    Judged by the survey as this process last found it (no read of its own per
    submission, see `remembered_survey`); if that is not the newest version any more,
    everything is decided again with the survey read afresh, as if read first."""
    survey = remembered_survey(db, survey_id)
    try:
        return _submit_to(db, survey_id, survey, payload, guesses, client, remembered=True)
    except SurveyChanged:
        survey = refreshed_survey(db, survey_id)
        return _submit_to(db, survey_id, survey, payload, guesses, client, remembered=False)


def _submit_to(
    db: Database,
    survey_id: str,
    survey: PublishedSurvey | None,
    payload: object,
    guesses: RateLimiter,
    client: str,
    *,
    remembered: bool,
) -> SubmissionReceipt:
    """`_submit` with one reading of the survey (`remembered`: possibly outdated).

    An invitation survey's token is a secret that can be guessed: such a submission
    takes its place in the client's invitation bucket before the token is looked up
    and gives it back unless the token was unknown (a used one is no guess: the losers
    of a race on one link, a retry). Anonymous surveys never touch the bucket.
    """
    if survey is None:
        raise UnknownSurvey(survey_id)
    if not isinstance(payload, dict):
        raise ClientException(NOT_JSON_MESSAGE)
    if survey.questionnaire.audience != "invitation" or not isinstance(
        payload.get("invitation"), str
    ):
        return submission_create_from_json(
            db, survey=survey, payload=payload, remembered=remembered
        )
    wait = guesses.hit(client)
    if wait is not None:
        fresh = refreshed_survey(db, survey_id) if remembered else survey
        if fresh is None or fresh.version_id != survey.version_id:
            raise SurveyChanged()  # a new version may not ask for invitations at all
        raise too_many(wait)
    guessed_wrong = False
    try:
        return submission_create_from_json(
            db, survey=survey, payload=payload, remembered=remembered
        )
    except InvitationRejected as rejected:
        guessed_wrong = rejected.unknown
        raise
    finally:
        if not guessed_wrong:
            guesses.give_back(client)


def receipt_id(secret_key: str, survey: str, row_id: int) -> str:
    """The receipt's public id: a keyed hash of the stored row, so it is the same for
    every replay and says nothing about how many responses arrived before or since
    (the row's own id counts them, across surveys)."""
    key = hashlib.sha256(f"receipt-id:{secret_key}".encode()).digest()
    return hmac.new(key, f"{survey}:{row_id}".encode(), hashlib.sha256).hexdigest()[
        :RECEIPT_ID_LENGTH
    ]


def receipt_body(receipt: SubmissionReceipt, secret_key: str) -> dict[str, object]:
    """The JSON body of a 201 or 200 answer (`SubmissionStored`)."""
    return {
        "id": receipt_id(secret_key, receipt.survey, receipt.id),
        "submission_id": receipt.submission_id,
        "survey": receipt.survey,
        "version": receipt.version,
    }


async def same_site_json(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Guard: a submission from another site's page (its `Origin`) is 403, a body not
    declared `application/json` 415. A form or `text/plain` POST needs no CORS
    preflight, so without these any page could make its visitors' browsers submit.
    A coroutine (it only reads headers): Litestar runs a plain function guard in a
    worker thread, a thread hop per submission."""
    origin = connection.headers.get("origin")
    if origin is not None and not _is_own_origin(connection, origin):
        raise PermissionDeniedException(FOREIGN_ORIGIN_MESSAGE)
    media_type = connection.headers.get("content-type", "").partition(";")[0].strip()
    if media_type.lower() != "application/json":
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=NOT_JSON_MEDIA_TYPE_MESSAGE
        )


def _is_own_origin(connection: ASGIConnection[Any, Any, Any, Any], origin: str) -> bool:
    """The site's configured address, or the host the request was sent to (behind a
    proxy that keeps the `Host` header, as `deploy/nginx.conf` does)."""
    settings: Settings = connection.app.state.settings
    if origin.rstrip("/") == _origin_of(settings.base_url):
        return True
    parsed = urlsplit(origin)
    host = connection.headers.get("host")
    return parsed.scheme in ("http", "https") and host is not None and parsed.netloc == host


def _origin_of(url: str) -> str:
    parsed = urlsplit(url)
    return f"{parsed.scheme}://{parsed.netloc}"


class SubmissionApiController(Controller):
    path = SUBMISSION_PATH
    tags = ["submissions"]
    guards = [same_site_json]

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
                    HTTP_403_FORBIDDEN: (
                        "The invitation is refused, the survey is closed, or the request "
                        "comes from another site's page (its Origin)."
                    ),
                    HTTP_404_NOT_FOUND: "No published survey has this id.",
                    HTTP_409_CONFLICT: "This submission id was stored with other answers.",
                    HTTP_413_REQUEST_ENTITY_TOO_LARGE: "The body is over 256 KB.",
                    HTTP_415_UNSUPPORTED_MEDIA_TYPE: NOT_JSON_MEDIA_TYPE_MESSAGE,
                    HTTP_429_TOO_MANY_REQUESTS: (
                        "Too many submissions from this client, or too many unknown invitations."
                    ),
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
        # The settings come from the app's state, not as a second dependency: Litestar
        # resolves two independent dependencies in an anyio task group, two tasks per
        # submission for two constants.
        settings: Settings = request.app.state.settings
        try:
            payload = await request.json()
        except (SerializationException, RecursionError, UnicodeDecodeError):
            raise ClientException(NOT_JSON_MESSAGE) from None
        receipt = await anyio.to_thread.run_sync(
            _submit,
            db,
            survey_id,
            payload,
            request.app.state.guess_limiters["invitation"],
            client_key(request),
            limiter=request.app.state.submission_threads,
        )
        return Response(
            receipt_body(receipt, settings.secret_key),
            status_code=HTTP_201_CREATED if receipt.created else HTTP_200_OK,
        )
