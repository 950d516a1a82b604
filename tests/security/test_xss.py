"""Stored XSS: a corpus of classic payloads in every questionnaire text field, in every
language (Arabic right-to-left included), and in the answers, rendered over HTTP through
every page that shows them. Each page must show the payloads as text, never as markup.

The corpus and the questionnaire built from it are in `xss_corpus.py`; the browser run
of the same corpus, which checks that no script executes, is
`tests/browser/test_xss_browser.py`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.settings import Settings
from tests.conftest import create_accounts, csrf_token, login, release
from tests.security.xss_corpus import (
    CORPUS,
    LANGUAGES,
    submit_payload_answers,
    write_xss_questionnaires,
    xss_questionnaire,
)
from tests.web.respondent import Respondent

# The vendored htmx and the app's own respond.js are the only scripts a page may load.
ALLOWED_SCRIPTS = ("/static/htmx.min.js?v=", "/static/respond.js?v=")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "meta", "style", "body", "math"}


class MarkupFinder(HTMLParser):
    """Everything in a page that could run script or change where things go."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.tag_count: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag_count[tag] = self.tag_count.get(tag, 0) + 1
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value}>")
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
        if tag == "script" and not (values.get("src") or "").startswith(ALLOWED_SCRIPTS):
            self.problems.append(f"<script {values}>")


def markup_problems(html: str) -> list[str]:
    finder = MarkupFinder()
    finder.feed(html)
    problems = list(finder.problems)
    # The layout has one <meta charset>, one viewport and one htmx-config meta; payloads
    # must not add tags of the kinds no template uses in the body.
    for tag in FORBIDDEN_TAGS:
        allowed = 3 if tag == "meta" else (1 if tag == "body" else 0)
        if finder.tag_count.get(tag, 0) > allowed:
            problems.append(f"{finder.tag_count[tag]} <{tag}> tags")
    problems += [f"raw payload {p!r}" for p in CORPUS if any(c in p for c in "<>\"'") and p in html]
    return problems


@pytest.fixture
def xss_client(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Any]]:
    directory = write_xss_questionnaires(tmp_path / "questionnaires")
    create_accounts(settings.database_url)
    with TestClient(app=create_app(dataclasses.replace(settings, questionnaires=directory))) as c:
        assert c.get("/api/v1/surveys/xss").status_code == 200, "the XSS survey was not published"
        yield c


def _respondent_pages(client: TestClient[Any], language: str) -> dict[str, str]:
    respondent = Respondent(client, survey="xss")
    pages = {
        "landing": client.get(f"/?lang={language}").text,
        "start": respondent.open(lang=language).text,
        "first page": respondent.start(language).text,
    }
    # Answers typed back into the form, with an error message (age below 16).
    invalid = respondent.post(0, {"comment": CORPUS[0] + CORPUS[4], "age": "3"}, language=language)
    assert invalid.status_code == 422, invalid.text
    pages["first page with errors"] = invalid.text
    pages["second page"] = respondent.post(
        0, {"comment": CORPUS[14], "age": "40", "pick": "c0"}, language=language
    ).text
    pages["resume"] = client.get(f"/s/xss/resume?lang={language}").text
    pages["thanks"] = client.get(f"/s/xss/thanks?lang={language}").text
    pages["poster"] = client.get(f"/s/xss/poster?lang={language}").text
    return pages


def test_the_corpus_has_the_classic_payloads() -> None:
    assert len(CORPUS) >= 30
    assert len(set(CORPUS)) == len(CORPUS)


def test_the_finder_sees_an_unescaped_payload() -> None:
    # The check below must be able to fail: a page that echoes a payload raw is caught.
    assert markup_problems(f"<p>{CORPUS[4]}</p>")
    assert markup_problems('<a href="javascript:alert(1)">x</a>')
    assert not markup_problems("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")


@pytest.mark.parametrize("language", LANGUAGES)
def test_respondent_pages_show_every_payload_as_text(
    xss_client: TestClient[Any], language: str
) -> None:
    pages = _respondent_pages(xss_client, language)
    problems = {name: markup_problems(html) for name, html in pages.items()}
    assert problems == {name: [] for name in pages}
    # The payloads are there, as text: nothing was silently dropped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["first page"]
    assert "{{7*7}}" in pages["first page"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_results_pages_and_report_show_every_payload_as_text(
    xss_client: TestClient[Any], language: str, database_url: str
) -> None:
    submit_payload_answers(xss_client)
    release(database_url, "xss")
    login(xss_client, "admin")
    urls = [
        f"/results/?lang={language}",
        f"/results/arbeit?survey=xss&lang={language}",
        f"/results/arbeit?survey=xss&by=pick&lang={language}",
        f"/results/arbeit/report?survey=xss&lang={language}",
    ]
    for url in urls:
        response = xss_client.get(url)
        assert response.status_code == 200, (url, response.text[:500])
        assert markup_problems(response.text) == [], url


def test_admin_pages_show_payloads_in_labels_and_the_audit_log_as_text(
    xss_client: TestClient[Any],
) -> None:
    submit_payload_answers(xss_client)
    login(xss_client, "admin")
    xss_client.post(
        "/admin/surveys/xss/close",
        data={"_csrf_token": csrf_token(xss_client, "/admin"), "confirmed": "yes"},
    )
    for url in ("/admin", "/admin/users", "/admin/audit"):
        response = xss_client.get(url)
        assert response.status_code == 200, url
        assert markup_problems(response.text) == [], url


def test_results_json_carries_payloads_as_plain_strings_never_as_html(
    xss_client: TestClient[Any], database_url: str
) -> None:
    submit_payload_answers(xss_client)
    release(database_url, "xss")
    login(xss_client, "admin")
    response = xss_client.get("/api/v1/results/xss?group=arbeit&lang=ar")
    assert response.status_code == 200
    # JSON keeps the text exactly (escaping is the renderer's job) and is never sniffed
    # as HTML by a browser.
    labels = json.dumps(response.json(), ensure_ascii=False)
    choice_label = xss_questionnaire()["choices"]["options"][0]["label"]["ar"]
    assert json.dumps(choice_label, ensure_ascii=False) in labels
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
