"""OpenAPI documentation of the JSON API's answers that Litestar cannot infer.

The handlers build their error answers themselves (`{"status_code", "detail"}`), and the
submission handler reads its body by hand, so the statuses and the body are declared
here: `/schema/openapi.json` then lists every status an operation answers with, which
`tests/api/test_schemathesis.py` checks against the running app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)


@dataclass
class ApiError:
    """Every error of the JSON API (Litestar's own errors may add `extra`)."""

    status_code: int
    detail: str
    extra: dict[str, Any] | list[Any] | None = None


@dataclass
class SubmissionErrors:
    """A refused submission: question or field name -> message in the submission's language."""

    errors: dict[str, str]


@dataclass
class SubmissionStored:
    """A stored submission (201), or the replay of one with the same body (200). `id` is
    opaque and stable: every replay of a submission gets the same one."""

    id: str
    submission_id: str
    survey: str
    version: int


def answer(body: type, description: str) -> ResponseSpec:
    return ResponseSpec(data_container=body, description=description, generate_examples=False)


def errors(described: dict[int, str]) -> dict[int, ResponseSpec]:
    """Error answers (`ApiError` bodies) by status, each with its description."""
    return {status: answer(ApiError, text) for status, text in described.items()}


SUBMISSION_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["submission_id", "language", "answers"],
    properties={
        "submission_id": Schema(
            type=OpenAPIType.STRING,
            description="Chosen by the client; a retry with the same id and body is a replay.",
        ),
        "language": Schema(type=OpenAPIType.STRING, description="One of the survey's languages."),
        "invitation": Schema(
            type=OpenAPIType.STRING, description="The token of a personal invitation link."
        ),
        "answers": Schema(
            type=OpenAPIType.OBJECT,
            description="Question name -> answer, checked with the questionnaire's rules.",
        ),
        "version": Schema(
            type=OpenAPIType.INTEGER,
            description=(
                "The version the answers were collected for (default: the newest). Stored "
                "as that version while no breaking change followed it; else 409. An "
                "unknown version is 422."
            ),
        ),
    },
)


@dataclass
class SubmissionOperation(Operation):
    """The submission handler parses its JSON body itself (to answer 400 and 413 in its
    own words), so Litestar sees no `data` parameter; the body is declared here."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"application/json": OpenAPIMediaType(schema=SUBMISSION_BODY)},
            required=True,
        )
