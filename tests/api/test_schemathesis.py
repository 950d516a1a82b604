"""The JSON API under property-based tests: schemathesis reads the app's own OpenAPI
schema (`/schema/openapi.json`) and sends generated requests to every operation,
in-process (ASGI), as an anonymous visitor, a member of the Arbeit group and an admin.

Whatever is asked, the API never answers with a server error (5xx), and its answers
conform to the schema: only documented status codes, documented content types and
bodies of the documented shape. Random ids mostly find nothing, so more tests ask about
the surveys that are really published (the project's questionnaires with demo
responses, and invitations to the company survey): results with real groups,
questions, comparison surveys and languages, and submissions of valid answers spoilt
with real question names and values of every JSON type.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from analysis.demo import demo_responses
from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.migrate import upgrade
from survey_app.questionnaire.loader import load_directory, load_working_group_catalog
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from survey_app.services.demo import store_demo_responses
from survey_app.services.invitations import invitations_create
from survey_app.settings import Settings
from survey_app.web.security import GUESS_KINDS, RateLimiter
from tests.conftest import ACCOUNTS, PASSWORD, QUESTIONNAIRES, create_accounts, csrf_token

VIEWERS = ("anonymous", "arbeit", "admin")
# Examples per test (and per operation); the module takes about half a minute.
GENERATED_EXAMPLES = 100
REAL_SURVEY_EXAMPLES = 150
# The checks every answer must pass in the tests that build their own requests.
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _published_questionnaires() -> dict[str, Questionnaire]:
    groups = {group.id for group in load_working_group_catalog(QUESTIONNAIRES)[0]}
    loaded = load_directory(QUESTIONNAIRES, working_groups=groups)
    return {r.questionnaire.id: r.questionnaire for r in loaded if r.questionnaire is not None}


SURVEYS = _published_questionnaires()
GROUPS = sorted({group.id for group in load_working_group_catalog(QUESTIONNAIRES)[0]})


def _throwaway_settings(directory: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{directory / 'never-opened.sqlite3'}",
        questionnaires=QUESTIONNAIRES,
        secret_key="schema-only-secret-key-0123456789abcdef",
        var_dir=directory,
    )


def served_openapi_document() -> dict[str, Any]:
    """The schema exactly as the app serves it (no database is needed to serve it)."""
    with tempfile.TemporaryDirectory() as directory:
        client = TestClient(app=create_app(_throwaway_settings(Path(directory))))
        response = client.get("/schema/openapi.json")
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document


schema = schemathesis.openapi.from_dict(served_openapi_document())
# Schemathesis' own `@schema.parametrize()` gives every operation's item the same node id
# under pytest 9, so pytest-xdist (`make test`) would run only one of them; the operations
# are parametrized with pytest here and their cases drawn from schemathesis' strategies.
# (An operation the schema cannot describe is left out, which the first test notices.)
OPERATIONS = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]


def _log_in(client: asgi.ASGIClient, who: str) -> None:
    response = client.post(
        "/login",
        data={
            "email": ACCOUNTS[who][0],
            "password": PASSWORD,
            "_csrf_token": csrf_token(client),
        },
        allow_redirects=False,
    )
    assert response.status_code == 303, response.text


@dataclass(frozen=True)
class Site:
    clients: dict[str, asgi.ASGIClient]  # one in-process client (cookie jar) per viewer
    invitations: list[str]  # tokens of the company survey's personal links


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on a fresh SQLite database (one for the module: each request is
    independent of the others) with the project's questionnaires published, demo
    responses to both and invitations to the company survey."""
    directory = tmp_path_factory.mktemp("schemathesis")
    settings = Settings(
        database_url=f"sqlite:///{directory / 'survey.sqlite3'}",
        questionnaires=QUESTIONNAIRES,
        secret_key="schemathesis-test-secret-key-0123456789",
        var_dir=directory / "var",
        submission_rate_limit=0,
    )
    upgrade(settings.database_url)
    create_accounts(settings.database_url)
    app: Any = create_app(settings)
    # Wrong invitations are answered 403, and 20 of them lock a client out (429) for
    # 15 minutes; that limit has its own tests and would hide everything after it here.
    app.state.guess_limiters = {kind: RateLimiter(0, 1) for kind in GUESS_KINDS}
    clients = {who: asgi.get_client(app).__enter__() for who in VIEWERS}  # starts the app
    db = Database(settings.database_url)
    store_demo_responses(db, "newcomer", 300, seed=1)
    store_demo_responses(db, "company", 60, seed=2)
    invitations = invitations_create(db, "company", 10)
    db.dispose()
    for who in VIEWERS[1:]:
        _log_in(clients[who], who)
    try:
        yield Site(clients, invitations)
    finally:
        for client in clients.values():
            client.__exit__()
        asgi.shutdown_lifespans()  # closes the app's database


def test_the_schema_documents_every_api_operation() -> None:
    operations = {(operation.method.upper(), operation.path) for operation in OPERATIONS}
    assert operations == {
        ("GET", "/api/v1/surveys"),
        ("GET", "/api/v1/surveys/{survey_id}"),
        ("POST", "/api/v1/surveys/{survey_id}/responses"),
        ("GET", "/api/v1/results/{survey_id}"),
    }


def test_the_schema_documents_the_submission_body_and_every_status() -> None:
    submission = schema.raw_schema["paths"]["/api/v1/surveys/{survey_id}/responses"]["post"]
    body = submission["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"submission_id", "language", "answers"}
    assert set(submission["responses"]) == {
        "200", "201", "400", "403", "404", "409", "413", "415", "422", "429", "503"
    }  # fmt: skip
    results = schema.raw_schema["paths"]["/api/v1/results/{survey_id}"]["get"]
    assert {"401", "403", "404", "422"} <= set(results["responses"])


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
@given(data=st.data())
@settings(
    max_examples=GENERATED_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_requests_never_fail_and_match_the_schema(
    site: Site, operation: APIOperation[Any, Any, Any, Any], data: st.DataObject
) -> None:
    # Requests that fit the schema and requests that do not (wrong types, missing or
    # extra parts), each sent by an anonymous visitor, a member or an admin.
    mode = data.draw(st.sampled_from(GenerationMode))
    case = data.draw(operation.as_strategy(generation_mode=mode))
    viewer = data.draw(st.sampled_from(VIEWERS))
    # Every built-in check except that schema-valid data is accepted: whether answers are
    # valid depends on the questionnaire, which a schema shared by all surveys cannot say.
    case.call_and_validate(session=site.clients[viewer], excluded_checks=[positive_data_acceptance])


# -- the surveys that are really published ----------------------------------------------

DEFINITION = schema["/api/v1/surveys/{survey_id}"]["GET"]
RESULTS = schema["/api/v1/results/{survey_id}"]["GET"]
SUBMISSIONS = schema["/api/v1/surveys/{survey_id}/responses"]["POST"]

ANY_TEXT = st.text(max_size=30)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=6,
)


def mostly(values: list[str] | tuple[str, ...]) -> st.SearchStrategy[str]:
    """One of `values` two times in three, else any text."""
    return st.integers(0, 2).flatmap(lambda n: st.sampled_from(values) if n else ANY_TEXT)


def _questions(survey: str) -> list[str]:
    return sorted(SURVEYS[survey].questions)


def _breakdowns(survey: str) -> list[str]:
    questions = SURVEYS[survey].questions
    return sorted(n for n, q in questions.items() if q.type is QuestionType.SELECT_ONE)


def _choice_names(survey: str) -> list[str]:
    questionnaire = SURVEYS[survey]
    return sorted(
        {
            choice.name
            for question in questionnaire.questions.values()
            for choice in questionnaire.choices_of(question)
        }
    )


# Complete, valid answers (from the demo generator) that the tests then spoil a little.
VALID_ANSWERS = {
    survey: [next(demo_responses(questionnaire, 1, seed=seed)).answers for seed in range(8)]
    for survey, questionnaire in SURVEYS.items()
}


@pytest.mark.parametrize("survey", sorted(SURVEYS))
def test_the_definition_of_a_published_survey_matches_the_schema(site: Site, survey: str) -> None:
    case = DEFINITION.Case(path_parameters={"survey_id": survey})
    response = case.call_and_validate(session=site.clients["anonymous"], checks=CONFORMANCE)
    assert response.status_code == 200


@st.composite
def results_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    """(viewer, survey, query): mostly what the viewer may see, sometimes not."""
    viewer = draw(st.sampled_from(("arbeit", "admin")))
    survey = draw(st.sampled_from(sorted(SURVEYS)))
    query = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "group": mostly(["arbeit"] if viewer == "arbeit" else GROUPS),
                "by": mostly(_breakdowns(survey)) | st.sampled_from(_questions(survey)),
                "compare": mostly(sorted(SURVEYS)),
                "lang": mostly(SURVEYS[survey].languages),
            },
        )
    )
    return viewer, survey, query


@given(request=results_requests())
@settings(
    max_examples=REAL_SURVEY_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_results_of_real_surveys_never_fail_and_match_the_schema(
    site: Site, request: tuple[str, str, dict[str, str]]
) -> None:
    viewer, survey, query = request
    case = RESULTS.Case(path_parameters={"survey_id": survey}, query=query)
    case.call_and_validate(session=site.clients[viewer], checks=CONFORMANCE)


@st.composite
def submissions(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    survey = draw(st.sampled_from(sorted(SURVEYS)))
    choices = _choice_names(survey)
    answer = st.one_of(
        st.sampled_from(choices), st.lists(st.sampled_from(choices), max_size=4), JSON_VALUES
    )
    answers = dict(draw(st.sampled_from(VALID_ANSWERS[survey])))
    answers.update(draw(st.dictionaries(mostly(_questions(survey)), answer, max_size=3)))
    body = {
        # A few ids again and again: replays (200) and conflicts (409) as well.
        "submission_id": draw(mostly(("s-1", "s-2", "s-3"))),
        "language": draw(mostly(SURVEYS[survey].languages)),
        "answers": answers,
    }
    return survey, body


@given(submission=submissions(), data=st.data())
@settings(
    max_examples=REAL_SURVEY_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_submissions_to_real_surveys_never_fail_and_match_the_schema(
    site: Site, submission: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    survey, body = submission
    if SURVEYS[survey].audience == "invitation" or data.draw(st.booleans()):
        body["invitation"] = data.draw(st.sampled_from(site.invitations) | JSON_VALUES)
    case = SUBMISSIONS.Case(path_parameters={"survey_id": survey}, body=body)
    case.call_and_validate(session=site.clients["anonymous"], checks=CONFORMANCE)
