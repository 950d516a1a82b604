"""GET /api/v1/results/{survey}: the results JSON over HTTP, errors as JSON.

An admin is logged in (the access rules have their own matrix in tests/security); these
tests fix the contract of the handler: shape, filtering and error statuses.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.services.demo import store_demo_responses
from survey_app.services.results import cache_directory
from survey_app.settings import Settings
from tests.analysis.conftest import QUESTIONNAIRES
from tests.conftest import create_accounts, login, release

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def results_client(settings: Settings) -> Iterator[Any]:
    """The real app serving the analysis test questionnaires, with demo responses."""
    settings = dataclasses.replace(settings, questionnaires=QUESTIONNAIRES)
    create_accounts(settings.database_url)
    with TestClient(app=create_app(settings)) as client:
        login(client, "admin")
        db = Database(settings.database_url)
        store_demo_responses(db, "wave1", 300, seed=1, today=TODAY)
        store_demo_responses(db, "wave2", 120, seed=2, today=TODAY)
        db.dispose()
        release(settings.database_url, "wave1", "wave2")
        yield client


def test_results_of_a_group_as_json(results_client: Any) -> None:
    response = results_client.get("/api/v1/results/wave1", params={"group": "beratung"})

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {
        "survey", "version", "group", "responses", "min_cell", "release", "questions",
    }  # fmt: skip
    assert data["release"] == {"number": 1, "released_at": datetime.date.today().isoformat()}
    assert (data["group"], data["responses"], data["min_cell"]) == ("beratung", 300, 5)
    assert [q["name"] for q in data["questions"]] == ["arrived", "support", "comment"]


def test_the_server_keeps_parsed_answers_in_the_results_cache_of_its_var_directory(
    results_client: Any, settings: Settings
) -> None:
    cache = cache_directory(settings.var_dir)
    assert not list(cache.glob("*.arrow"))

    # Live results (admins) read the answers; releases are read from their publication.
    assert results_client.get("/api/v1/results/wave1", params={"live": 1}).status_code == 200

    [cached] = cache.glob("*.arrow")
    assert cached.stat().st_mode & 0o777 == 0o600


def test_breakdown_comparison_and_language_parameters(results_client: Any) -> None:
    response = results_client.get(
        "/api/v1/results/wave2",
        params={"group": "arbeit", "by": "employed", "compare": "wave1", "lang": "en"},
    )

    assert response.status_code == 200
    level = response.json()["questions"][0]
    assert level["label"] == "How well do you speak German?"
    assert level["by"]["question"] == "employed"
    assert level["compare"]["survey"] == "wave1"


@pytest.mark.parametrize(
    ("url", "params", "status", "detail"),
    [
        ("/api/v1/results/nope", {}, 404, "no survey 'nope'"),
        ("/api/v1/results/wave1", {"group": "nope"}, 404, "no working group 'nope'"),
        ("/api/v1/results/wave1", {"by": "nope"}, 422, "survey 'wave1' has no question 'nope'"),
        ("/api/v1/results/wave1", {"by": "age"}, 422, "breakdowns need a select_one question"),
        ("/api/v1/results/wave1", {"compare": "nope"}, 422, "no survey 'nope'"),
    ],
)
def test_unknown_names_are_json_errors(
    results_client: Any, url: str, params: dict[str, str], status: int, detail: str
) -> None:
    response = results_client.get(url, params=params)

    assert response.status_code == status
    assert detail in response.json()["detail"]
