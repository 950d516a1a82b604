"""A respondent driving the survey pages over HTTP, as a browser without JavaScript would."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from httpx import Response
from litestar.testing import TestClient

Answers = dict[str, str | list[str]]

# Minimal valid answers for every page of the newcomer survey (required questions only).
NEWCOMER_PAGES: list[Answers] = [
    {"arrival_year": "y2018_2021"},
    {"german_level": "a2", "integration_course": "attending"},
    {"main_activity": "employed"},
    {"housing_situation": "own_flat"},
    {},
    {},
    {},
]


class Respondent:
    """One browser (cookie jar) answering one survey."""

    def __init__(
        self, client: TestClient[Any], survey: str = "newcomer", invitation: str | None = None
    ) -> None:
        self.client = client
        self.survey = survey
        self.invitation = invitation

    def url(self, suffix: str = "", **query: str) -> str:
        parameters = {**({"invitation": self.invitation} if self.invitation else {}), **query}
        return f"/s/{self.survey}{suffix}" + (f"?{urlencode(parameters)}" if parameters else "")

    def csrf(self) -> str:
        token = self.client.cookies.get("csrftoken")
        if token is None:
            self.client.get("/")
            token = self.client.cookies.get("csrftoken")
        assert token is not None
        return token

    def open(self, headers: dict[str, str] | None = None, **query: str) -> Response:
        return self.client.get(self.url(**query), headers=headers)

    def start(self, language: str = "de") -> Response:
        self.open(lang=language)
        return self.client.post(
            self.url(),
            data={"_csrf_token": self.csrf(), "nav:action": "start", "nav:lang": language},
        )

    def post(
        self,
        page: int,
        answers: Answers,
        action: str = "next",
        language: str | None = None,
        **fields: str,
    ) -> Response:
        data: dict[str, Any] = {
            "_csrf_token": self.csrf(),
            "nav:page": str(page),
            "nav:action": action,
            **answers,
            **fields,
        }
        if language:
            data["nav:lang"] = language
        return self.client.post(self.url(), data=data)

    def answer_page(
        self, page: int, answers: Answers, action: str = "next", language: str | None = None
    ) -> Response:
        """Send a page as a respondent without JavaScript does: when it comes back
        because follow-up questions appeared on it, send it again as it is (leaving the
        optional ones unanswered)."""
        response = self.post(page, answers, action, language)
        for _attempt in range(3):
            if response.status_code != 200 or 'id="page-notice"' not in response.text:
                break
            response = self.post(page, answers, action, language)
        return response

    def refresh(self, page: int, answers: Answers, language: str = "de") -> Response:
        data = {"_csrf_token": self.csrf(), "nav:page": str(page), "nav:lang": language, **answers}
        return self.client.post(self.url("/refresh"), data=data, headers={"HX-Request": "true"})

    def answer_all(self, pages: list[Answers], language: str = "de") -> Response:
        """Start and answer every page; returns the response to the last one."""
        self.start(language)
        response = None
        for index, answers in enumerate(pages):
            action = "submit" if index == len(pages) - 1 else "next"
            response = self.answer_page(index, answers, action, language)
            assert response.status_code == 200, response.text
        assert response is not None
        return response
