"""The read API: published surveys as JSON."""

from __future__ import annotations

from typing import Any


def test_both_surveys_are_listed_with_their_languages(client: Any) -> None:
    response = client.get("/api/v1/surveys")
    assert response.status_code == 200
    surveys = {survey["id"]: survey for survey in response.json()}
    assert set(surveys) >= {"company", "newcomer"}
    assert surveys["newcomer"]["languages"] == [
        "de",
        "en",
        "ar",
        "uk",
        "fa",
        "ru",
        "tr",
        "ps",
        "kmr",
        "ti",
    ]
    assert surveys["company"]["audience"] == "invitation"
    assert surveys["newcomer"]["audience"] == "anonymous"
    assert set(surveys["company"]) == {
        "id",
        "version",
        "title",
        "languages",
        "default_language",
        "audience",
    }


def test_one_survey_returns_its_whole_definition(client: Any) -> None:
    response = client.get("/api/v1/surveys/newcomer")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "newcomer"
    assert body["definition"]["min_cell"] == 10
    assert body["definition"]["pages"][0]["questions"]


def test_an_unknown_survey_is_a_json_404(client: Any) -> None:
    response = client.get("/api/v1/surveys/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert "nope" in response.json()["detail"]


def test_the_openapi_schema_is_served(client: Any) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/surveys" in response.json()["paths"]
