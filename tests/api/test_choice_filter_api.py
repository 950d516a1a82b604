"""The submission API and cascading selects: a choice the filter does not offer for the
earlier answers is refused with 422, per question, like any other refused answer."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.settings import Settings
from tests.conftest import FIXTURES, QUESTIONNAIRES

URL = "/api/v1/surveys/cascade/responses"


@pytest.fixture
def api(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """The real app with the cascade survey (tests/fixtures/cascade.yaml) published."""
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    shutil.copy(FIXTURES / "cascade.yaml", directory)
    app = create_app(dataclasses.replace(settings, questionnaires=directory))
    with TestClient(app=app) as client:
        yield client


def submit(api: TestClient[Any], answers: dict[str, object], language: str = "en") -> Any:
    body = {"submission_id": "c-1", "language": language, "answers": answers}
    return api.post(URL, json=body)


def test_a_combination_the_filters_offer_is_stored(api: TestClient[Any]) -> None:
    response = submit(api, {"state": "texas", "county": "harris", "city": "houston"})
    assert response.status_code == 201, response.text


def test_an_impossible_combination_is_422_naming_the_question(api: TestClient[Any]) -> None:
    response = submit(api, {"state": "texas", "county": "king"})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "county": "This choice does not fit your earlier answer. "
            "Please choose one of the options shown."
        }
    }


def test_the_refusal_comes_in_the_language_of_the_submission(api: TestClient[Any]) -> None:
    response = submit(api, {"state": "washington", "county": "king", "city": "houston"}, "de")
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "city": "Diese Antwort passt nicht zu Ihrer früheren Antwort. "
            "Bitte wählen Sie eine der gezeigten Antworten."
        }
    }
