"""Results pages of working groups: `/results/{group}`, its htmx fragment, the XLSX
export and the printable report, on the project's surveys and on two test waves."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import io
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from pptx import Presentation
from sqlmodel import delete

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import BreakdownSelection
from survey_app.services.audit import audit_events
from survey_app.services.demo import store_demo_responses
from survey_app.services.published import get_survey
from survey_app.settings import Settings
from tests.analysis.conftest import QUESTIONNAIRES as WAVES
from tests.analysis.conftest import WAVE1_SHEETS, WAVE1_SLIDES
from tests.conftest import (
    ACCOUNTS,
    app_settings,
    create_accounts,
    csrf_token,
    empty_database,
    login,
    release,
)
from tests.web.test_staff_translations import german_on

TODAY = datetime.date(2026, 3, 1)
SEED_GROUPS = (
    "sprache",
    "arbeit",
    "beratung",
    "wohnen",
    "projekte",
    "schulen",
    "gesundheit",
    "kultur",
)


class Page(HTMLParser):
    """The parts of a results page the tests look at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.counts: list[str] = []
        self.attributes: list[tuple[str, dict[str, str | None]]] = []
        self.tags: list[str] = []
        self.options: dict[str, list[str]] = {}
        self._in_count = False
        self._select: str | None = None
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        self.attributes.append((tag, attributes))
        classes = (attributes.get("class") or "").split()
        if tag == "section" and "result-question" in classes:
            self.sections.append(str(attributes["id"]).removeprefix("q-"))
        if tag == "span" and "count" in classes:
            self._in_count = True
            self.counts.append("")
        if tag == "select":
            self._select = str(attributes.get("id"))
            self.options.setdefault(self._select, [])
        if tag == "option" and self._select is not None:
            self.options[self._select].append(str(attributes.get("value")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._in_count = False
        if tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._in_count:
            self.counts[-1] += data

    def count_values(self) -> list[int]:
        """Every shown count (German number format: '1.234'); '·' marks hidden ones."""
        return [int(c.replace(".", "")) for c in self.counts if c.strip() != "·"]


@contextlib.contextmanager
def released_surveys(
    directory: Path, questionnaires: Path | None, responses: dict[str, tuple[int, int]]
) -> Iterator[Settings]:
    """Settings of an app whose surveys hold demo responses (`survey: (count, seed)`),
    released, with the test accounts."""
    with empty_database(directory) as database_url:
        settings = app_settings(database_url, directory)
        if questionnaires is not None:
            settings = dataclasses.replace(settings, questionnaires=questionnaires)
        create_accounts(database_url)
        with TestClient(app=create_app(settings)):  # publishes the questionnaires
            db = Database(database_url)
            for survey, (count, seed) in responses.items():
                store_demo_responses(db, survey, count, seed=seed, today=TODAY)
            db.dispose()
        release(database_url, *responses)
        yield settings


@pytest.fixture(scope="session")
def seeded_settings(
    tmp_path_factory: pytest.TempPathFactory, database_under_test: str | None
) -> Iterator[Settings]:
    """The project's surveys with demo responses in both, released: made once per test
    process for the tests that only read them (a release's disclosure audit takes
    seconds; a module-scoped fixture was made again whenever xdist ran another module's
    test in between)."""
    surveys = {"company": (400, 1), "newcomer": (1500, 1)}
    with released_surveys(tmp_path_factory.mktemp("seeded"), None, surveys) as settings:
        yield settings


@pytest.fixture
def seeded(seeded_settings: Settings) -> Iterator[tuple[TestClient[Any], Settings]]:
    """The real app on the seeded surveys (not logged in)."""
    with TestClient(app=create_app(seeded_settings)) as client:
        yield client, seeded_settings


@pytest.fixture(scope="session")
def waves_settings(
    tmp_path_factory: pytest.TempPathFactory, database_under_test: str | None
) -> Iterator[Settings]:
    """The two test waves (wave2 has the questions of wave1 and more) with demo responses,
    released: made once per test process for the tests that only read them."""
    surveys = {"wave1": (300, 1), "wave2": (200, 2)}
    with released_surveys(tmp_path_factory.mktemp("waves"), WAVES, surveys) as settings:
        yield settings


@pytest.fixture
def waves(waves_settings: Settings) -> Iterator[TestClient[Any]]:
    """The real app on the released waves, with an admin logged in."""
    with TestClient(app=create_app(waves_settings)) as client:
        login(client, "admin")
        yield client


@pytest.mark.xdist_group("results-seeded")  # one worker builds the data
def test_every_group_of_both_surveys_sees_only_its_questions(
    seeded: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = seeded
    login(client, "admin")
    db = Database(settings.database_url)
    for survey_id in ("company", "newcomer"):
        survey = get_survey(db, survey_id)
        assert survey is not None
        for group in SEED_GROUPS:
            expected = [
                q.name
                for q in survey.questionnaire.questions_of_group(group)
                if q.type.takes_answer
            ]

            response = client.get(f"/results/{group}", params={"survey": survey_id})

            assert response.status_code == 200, (survey_id, group)
            assert Page(response.text).sections == expected, (survey_id, group)
    db.dispose()


@pytest.mark.xdist_group("results-seeded")  # one worker builds the data
def test_no_count_below_min_cell_on_any_page(seeded: tuple[TestClient[Any], Settings]) -> None:
    client, settings = seeded
    login(client, "admin")
    db = Database(settings.database_url)
    for survey_id in ("company", "newcomer"):
        survey = get_survey(db, survey_id)
        assert survey is not None
        k = survey.questionnaire.min_cell
        for group in SEED_GROUPS:
            requests: list[dict[str, str]] = [{"survey": survey_id}]
            requests += [
                {"survey": survey_id, "by": q.name}
                for q in survey.questionnaire.questions_of_group(group)[:12]
                if q.type == "select_one"
            ][:1]
            for params in requests:
                page = Page(client.get(f"/results/{group}", params=params).text)

                assert page.count_values(), (group, params)
                assert not [x for x in page.count_values() if 0 < x < k], (group, params)
    db.dispose()


def test_pages_have_no_inline_style_or_script(waves: TestClient[Any]) -> None:
    response = waves.get("/results/arbeit", params={"survey": "wave2", "compare": "wave1"})

    page = Page(response.text)
    assert "style" not in page.tags
    for tag, attributes in page.attributes:
        assert "style" not in attributes, tag
        assert not [name for name in attributes if name.startswith("on")], tag
        if tag == "script":
            assert attributes.get("src", "").startswith("/static/")  # type: ignore[union-attr]


def test_each_question_has_an_accessible_chart_and_table(waves: TestClient[Any]) -> None:
    page = Page(waves.get("/results/arbeit", params={"survey": "wave1"}).text)

    charts = [a for tag, a in page.attributes if tag == "svg"]
    # german_level, age, employed, hours: hours has a chart once it has enough answers
    assert len(charts) >= 3
    assert all(a["role"] == "img" and a.get("aria-label") for a in charts)
    assert page.tags.count("table") == len(page.sections)
    assert page.tags.count("title") >= len(charts) + 1


def test_labels_and_ui_in_english_on_request(waves: TestClient[Any]) -> None:
    response = waves.get("/results/arbeit", params={"survey": "wave1", "lang": "en"})

    assert 'lang="en"' in response.text
    assert "Results of the working group Work" in response.text
    assert "How well do you speak German?" in response.text
    assert "not shown: fewer than 5 answers, or hidden so that a small number" in response.text


def test_german_is_the_default(waves: TestClient[Any]) -> None:
    response = waves.get("/results/arbeit", params={"survey": "wave1"})

    assert "Wie gut sprechen Sie Deutsch?" in response.text
    assert "nicht ausgewiesen: weniger als 5 Antworten, oder eine Zahl, aus der" in response.text


def test_breakdown_without_javascript_reloads_the_page_broken_down(waves: TestClient[Any]) -> None:
    response = waves.get("/results/arbeit", params={"survey": "wave1", "by": "employed"})

    # german_level, age and hours; employed by itself would say nothing new
    assert response.text.count('class="numbers breakdown"') == 3
    assert response.text.startswith("<!doctype html>")


def test_htmx_breakdown_returns_only_that_questions_fragment(waves: TestClient[Any]) -> None:
    response = waves.get(
        "/results/arbeit",
        params={"survey": "wave1", "by": "employed", "question": "german_level"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="result-question" id="q-german_level"')
    assert "<html" not in response.text
    assert Page(response.text).sections == ["german_level"]
    assert 'class="numbers breakdown"' in response.text


def test_boosted_navigation_gets_the_whole_page(waves: TestClient[Any]) -> None:
    response = waves.get(
        "/results/arbeit",
        params={"survey": "wave1", "question": "german_level"},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
    )

    assert response.text.startswith("<!doctype html>")
    assert len(Page(response.text).sections) == 4


def test_breakdown_selector_offers_the_groups_own_select_one_questions(
    waves: TestClient[Any],
) -> None:
    page = Page(waves.get("/results/arbeit", params={"survey": "wave1"}).text)

    # arbeit in wave1: german_level and employed are its select_one questions
    assert page.options["q-german_level-select"] == ["", "employed"]
    assert page.options["q-age-select"] == ["", "german_level", "employed"]


def test_breakdown_by_another_groups_question_is_refused(waves: TestClient[Any]) -> None:
    response = waves.get("/results/beratung", params={"survey": "wave1", "by": "employed"})

    assert response.status_code == 422
    assert "'employed' ist keine Frage der Arbeitsgruppe 'beratung'" in Page(response.text).text
    english = waves.get(
        "/results/beratung", params={"survey": "wave1", "by": "employed", "lang": "en"}
    )
    assert "'employed' is not a question of working group 'beratung'" in Page(english.text).text


def test_wave_selector_compares_with_the_other_wave(waves: TestClient[Any]) -> None:
    page = Page(waves.get("/results/arbeit", params={"survey": "wave2"}).text)
    assert page.options["compare"] == ["", "wave1"]

    response = waves.get("/results/arbeit", params={"survey": "wave2", "compare": "wave1"})

    assert response.status_code == 200
    assert "Veränderung (Prozentpunkte)" in response.text
    assert "Verglichen mit Befragung Welle 1" in response.text
    # Charts and tables name the waves in words, not by the surveys' ids.
    assert "% Vergleichswelle" in response.text
    assert "diese Welle" in response.text
    assert "wave1" not in Page(response.text).text


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        ("/results/nope", {"survey": "wave1"}, 404),
        ("/results/arbeit", {"survey": "nope"}, 404),
        ("/results/arbeit", {"survey": "wave1", "by": "nope"}, 422),
        ("/results/arbeit", {"survey": "wave1", "compare": "nope"}, 422),
        ("/results/arbeit/export.xlsx", {"survey": "nope"}, 404),
        ("/results/arbeit/slides.pptx", {"survey": "nope"}, 404),
        ("/results/arbeit/report", {"survey": "nope"}, 404),
        ("/results/arbeit/report.pdf", {"survey": "nope"}, 404),
    ],
)
def test_unknown_names_are_error_pages(
    waves: TestClient[Any], url: str, params: dict[str, str], status: int
) -> None:
    response = waves.get(url, params=params)

    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "'nope'" in Page(response.text).text


def info_sheet(workbook: bytes) -> dict[Any, Any]:
    """The rows of a workbook's info sheet, name: value."""
    sheet = load_workbook(io.BytesIO(workbook)).worksheets[0]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}


def test_export_is_the_groups_aggregated_workbook(waves: TestClient[Any]) -> None:
    response = waves.get("/results/arbeit/export.xlsx", params={"survey": "wave1"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="wave1-arbeit.xlsx"' in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == WAVE1_SHEETS
    info = info_sheet(response.content)
    assert info["Befragung"] == "Befragung Welle 1"  # titles and names, not ids
    assert info["Arbeitsgruppe"] == "Arbeit"
    assert info["Quelle"] == "Landkreis Musterland, Integrationsmanagement: Befragung Welle 1"
    assert info["Veröffentlichung"] == 1


def test_the_workbook_speaks_the_language_asked_for(waves: TestClient[Any]) -> None:
    response = waves.get("/results/arbeit/export.xlsx", params={"survey": "wave1", "lang": "en"})

    info = {
        row[0]: row[1]
        for row in load_workbook(io.BytesIO(response.content))["Info"].iter_rows(values_only=True)
    }
    assert info["survey"] == "Survey wave 1"
    assert info["group"] == "Work"
    assert info["source"] == "Landkreis Musterland, Integrationsmanagement: Survey wave 1"


def test_the_csv_download_is_for_german_excel(waves: TestClient[Any]) -> None:
    response = waves.get("/results/arbeit/export.csv", params={"survey": "wave1"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="wave1-arbeit.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Frage;Typ;Fragetext;n;")
    page = Page(waves.get("/results/arbeit", params={"survey": "wave1"}).text)
    hrefs = [str(a.get("href")) for tag, a in page.attributes if tag == "a"]
    assert any(href.startswith("/results/arbeit/export.csv?survey=wave1") for href in hrefs)
    assert "Tabelle (CSV für Excel)" in page.text


def test_slides_are_the_groups_deck_in_german(waves: TestClient[Any]) -> None:
    response = waves.get("/results/arbeit/slides.pptx", params={"survey": "wave1"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    )
    assert 'filename="wave1-arbeit.pptx"' in response.headers["content-disposition"]
    slides = list(Presentation(io.BytesIO(response.content)).slides)
    titles = [slide.shapes.title.text for slide in slides]
    assert titles == WAVE1_SLIDES
    title_page = "\n".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    assert "Ergebnisse für die Arbeitsgruppe Arbeit" in title_page
    assert re.search(r"Stand: \d+\. \w+ 20\d\d \(Veröffentlichung 1\)", title_page)
    assert "Zahlen von 1 bis 4 werden nicht gezeigt" in title_page


def test_slides_in_english_broken_down(waves: TestClient[Any]) -> None:
    params = {"survey": "wave1", "lang": "en", "by": "german_level"}
    response = waves.get("/results/arbeit/slides.pptx", params=params)

    assert response.status_code == 200
    slides = list(Presentation(io.BytesIO(response.content)).slides)
    assert slides[0].shapes.title.text == "Survey wave 1"
    broken_down = [
        slide
        for slide in slides
        if any(
            s.has_text_frame and s.text_frame.text.startswith("Broken down by")
            for s in slide.shapes
        )
    ]
    assert broken_down  # the released breakdowns of age, employed and hours


@pytest.mark.parametrize("file", ["slides.pptx", "report.pdf"])
def test_live_slides_and_pdf_are_for_admins(anonymous: TestClient[Any], file: str) -> None:
    url = f"/results/arbeit/{file}?survey=wave1&live=1"
    login(anonymous, "arbeit")
    assert anonymous.get(url).status_code == 403
    login(anonymous, "admin")
    assert anonymous.get(url).status_code == 200


def test_report_page_has_a_title_page_and_every_question(waves: TestClient[Any]) -> None:
    response = waves.get("/results/arbeit/report", params={"survey": "wave1", "lang": "en"})

    assert response.status_code == 200
    page = Page(response.text)
    assert page.sections == ["german_level", "age", "employed", "hours"]
    assert "Survey wave 1" in response.text
    assert "Numbers from 1 to 4 are not shown" in response.text
    assert re.search(r"As of [A-Z][a-z]+ \d+, 20\d\d \(release 1\)", response.text)
    assert "<form" not in response.text  # nothing to click on paper


def test_report_stylesheet_prints_a4_with_questions_never_split(waves: TestClient[Any]) -> None:
    page = waves.get("/results/arbeit/report", params={"survey": "wave1"}).text
    (href,) = [a["href"] for tag, a in Page(page).attributes if tag == "link"]

    css = waves.get(str(href)).text

    assert "size: A4" in css
    assert ".result-question { break-inside: avoid;" in css


def test_empty_selector_values_mean_no_breakdown_and_no_comparison(
    waves: TestClient[Any],
) -> None:
    response = waves.get(
        "/results/arbeit",
        params={"survey": "wave2", "by": "", "compare": "", "question": "german_level"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "breakdown" not in response.text.split("<form")[0]
    assert "Veränderung" not in response.text


# -- access ---------------------------------------------------------------------------

GROUP_URLS = [
    "/results/arbeit?survey=wave1",
    "/results/arbeit/export.xlsx?survey=wave1",
    "/results/arbeit/export.csv?survey=wave1",
    "/results/arbeit/slides.pptx?survey=wave1",
    "/results/arbeit/report?survey=wave1",
    "/results/arbeit/report.pdf?survey=wave1",
]


@pytest.fixture
def anonymous(settings: Settings, accounts: Any) -> Iterator[TestClient[Any]]:
    settings = dataclasses.replace(settings, questionnaires=WAVES)
    with TestClient(app=create_app(settings)) as client:
        db = Database(settings.database_url)
        store_demo_responses(db, "wave1", 100, seed=1, today=TODAY)
        db.dispose()
        release(settings.database_url, "wave1")
        yield client


@pytest.mark.parametrize("url", [*GROUP_URLS, "/results"])
def test_anonymous_visitors_are_sent_to_the_login(anonymous: TestClient[Any], url: str) -> None:
    response = anonymous.get(url, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/results")


@pytest.mark.parametrize("url", GROUP_URLS)
def test_members_of_another_group_are_refused(anonymous: TestClient[Any], url: str) -> None:
    login(anonymous, "sprache")

    response = anonymous.get(url, headers={"accept": "text/html"})

    assert response.status_code == 403
    assert "Sprache" not in response.text  # nothing of the page leaks into the refusal


@pytest.mark.parametrize("url", GROUP_URLS)
def test_members_reach_their_groups_pages_and_files(anonymous: TestClient[Any], url: str) -> None:
    login(anonymous, "arbeit")

    assert anonymous.get(url).status_code == 200


def test_index_lists_only_the_members_groups(anonymous: TestClient[Any]) -> None:
    login(anonymous, "arbeit")

    page = anonymous.get("/results").text

    assert 'id="g-arbeit"' in page
    assert 'href="/results/arbeit?survey=wave1&amp;lang=de"' in page
    assert 'id="g-sprache"' not in page


def test_index_lists_every_group_for_admins(anonymous: TestClient[Any]) -> None:
    login(anonymous, "admin")

    page = anonymous.get("/results").text

    assert all(f'id="g-{group}"' in page for group in ("sprache", "arbeit", "beratung"))


def test_downloads_are_in_the_audit_log(anonymous: TestClient[Any], settings: Settings) -> None:
    login(anonymous, "arbeit")
    anonymous.get("/results/arbeit/export.xlsx?survey=wave1")
    anonymous.get("/results/arbeit/report?survey=wave1")
    anonymous.get("/results/arbeit/slides.pptx?survey=wave1")
    anonymous.get("/results/arbeit/report.pdf?survey=wave1")

    db = Database(settings.database_url)
    events = [(e.actor, e.action) for e in audit_events(db)]
    db.dispose()
    email = ACCOUNTS["arbeit"][0]
    assert (email, "results_export") in events
    assert (email, "results_report") in events
    assert (email, "results_slides") in events
    assert (email, "results_report_pdf") in events


def test_slides_that_fail_are_not_audited(anonymous: TestClient[Any], settings: Settings) -> None:
    login(anonymous, "arbeit")

    response = anonymous.get("/results/arbeit/slides.pptx?survey=wave1&by=nope")

    assert response.status_code == 422
    db = Database(settings.database_url)
    actions = [e.action for e in audit_events(db)]
    db.dispose()
    assert "results_slides" not in actions


@pytest.mark.xdist_group("results-seeded")  # one worker builds the data
def test_the_newcomer_survey_is_never_compared_with_the_company_survey(
    seeded: tuple[TestClient[Any], Settings],
) -> None:
    """Both ask `german_level`, but they are different series: no wave to offer, and a
    comparison asked for by hand is refused."""
    client, _settings = seeded
    login(client, "admin")

    page = Page(client.get("/results/arbeit", params={"survey": "newcomer"}).text)
    api = client.get("/api/v1/results/newcomer", params={"group": "arbeit", "compare": "company"})

    assert "company" not in page.options.get("compare", [])
    assert api.status_code == 422
    assert "'company' is not a wave of 'newcomer'" in api.json()["detail"]


def test_changes_since_the_earlier_wave_show_arrows_and_points(waves: TestClient[Any]) -> None:
    text = waves.get("/results/arbeit", params={"survey": "wave2", "compare": "wave1"}).text

    assert "Veränderung (Prozentpunkte)" in text
    assert re.search(r"[▲▼±]\u00a0[+−]?\d+,\d", text)


def test_the_report_is_broken_down_and_compared_as_the_page_it_came_from(
    waves: TestClient[Any],
) -> None:
    params = {"survey": "wave2", "by": "employed", "compare": "wave1"}
    page = Page(waves.get("/results/arbeit", params=params).text)
    (link,) = [a["href"] for tag, a in page.attributes if tag == "a" and "/report?" in a["href"]]
    (pdf,) = [a["href"] for tag, a in page.attributes if tag == "a" and "/report.pdf" in a["href"]]

    report = waves.get(str(link)).text

    assert str(pdf) == str(link).replace("/report?", "/report.pdf?")
    assert "by=employed" in str(link)
    assert "compare=wave1" in str(link)
    assert "Aufgeschlüsselt nach: Haben Sie Arbeit?" in report
    assert "Verglichen mit Befragung Welle 1" in report
    assert "Veränderung (Prozentpunkte)" in report


# -- presentation mode -------------------------------------------------------------------


def links(page: Page, rel: str) -> list[str]:
    return [str(a["href"]) for tag, a in page.attributes if tag == "a" and a.get("rel") == rel]


def test_the_presentation_walks_from_the_key_figures_through_every_question_one_by_one(
    waves: TestClient[Any],
) -> None:
    first = waves.get("/results/arbeit/present", params={"survey": "wave1", "lang": "en"})
    assert first.status_code == 200
    page = Page(first.text)
    assert "At a glance" in page.text
    assert "1 of 5" in page.text
    assert links(page, "prev") == []

    shown = []
    url = links(page, "next")[0]
    while url:
        page = Page(waves.get(url).text)
        shown += page.sections
        assert len(page.sections) == 1, url  # one question per screen
        assert links(page, "prev"), url
        url = next(iter(links(page, "next")), "")
    assert shown == ["german_level", "age", "employed", "hours"]
    assert "5 of 5" in page.text


def test_the_presentation_keeps_breakdown_and_comparison_and_offers_no_forms(
    waves: TestClient[Any],
) -> None:
    params = {"survey": "wave2", "by": "employed", "compare": "wave1", "slide": "1"}

    response = waves.get("/results/arbeit/present", params=params)

    assert response.status_code == 200
    assert "Aufgeschlüsselt nach: Haben Sie Arbeit?" in response.text
    assert "Veränderung (Prozentpunkte)" in response.text
    assert "<form" not in response.text
    page = Page(response.text)
    for link in links(page, "next") + links(page, "prev"):
        assert "by=employed" in link
        assert "compare=wave1" in link
    (end,) = [str(a["href"]) for tag, a in page.attributes if "present-end" in str(a.get("class"))]
    assert end.startswith("/results/arbeit?")
    assert "#q-" in end


def test_a_slide_beyond_the_last_is_not_found(waves: TestClient[Any]) -> None:
    assert waves.get("/results/arbeit/present?survey=wave1&slide=5").status_code == 404
    assert waves.get("/results/arbeit/present?survey=wave1&slide=-1").status_code == 404
    assert waves.get("/results/arbeit/present?survey=wave1&slide=x").status_code == 400


def test_the_results_page_links_to_the_presentation(waves: TestClient[Any]) -> None:
    page = Page(waves.get("/results/arbeit", params={"survey": "wave1"}).text)

    presentations = [
        str(a["href"]) for tag, a in page.attributes if tag == "a" and "/present" in str(a["href"])
    ]
    assert presentations == ["/results/arbeit/present?survey=wave1&lang=de&slide=0"]


@pytest.mark.parametrize("suffix", ["", "/report", "/present"])
def test_english_pages_show_nothing_of_the_german_catalogue(
    waves: TestClient[Any], suffix: str
) -> None:
    params = {"survey": "wave1", "lang": "en", "by": "employed", "compare": "wave2"}
    response = waves.get(f"/results/arbeit{suffix}", params=params)

    assert response.status_code == 200
    assert german_on(response.text) == []


# -- breakdowns a working group stores for the report and the slides --------------------


@pytest.fixture
def member(waves_settings: Settings) -> Iterator[TestClient[Any]]:
    """The app on the released waves with a member of `arbeit` logged in; the breakdowns
    stored are removed afterwards (the waves are shared by the tests of this process)."""
    with TestClient(app=create_app(waves_settings)) as client:
        login(client, "arbeit")
        yield client
    db = Database(waves_settings.database_url)
    with db.write() as session:
        session.execute(delete(BreakdownSelection))
    db.dispose()


def store_breakdowns(
    client: TestClient[Any], *names: str, group: str = "arbeit", lang: str = "de"
) -> Any:
    """Submit the page's form "Breakdowns for the report and the slides" with `names`."""
    token = csrf_token(client, f"/results/{group}?survey=wave1&lang={lang}")
    fields = {"_csrf_token": token, "survey": "wave1", "by": list(names)}
    url = f"/results/{group}/breakdowns?lang={lang}"
    return client.post(url, data=fields, follow_redirects=False)


def captions(html: str) -> list[str]:
    """The ids of the breakdown tables: `q-{question}-by-{breakdown}`."""
    return re.findall(r'<caption id="(q-[a-z_]+-by-[a-z_]+)"', html)


def test_a_member_stores_two_breakdowns_for_report_and_slides(member: TestClient[Any]) -> None:
    response = store_breakdowns(member, "german_level", "employed")

    assert response.status_code == 303
    assert response.headers["location"] == "/results/arbeit?survey=wave1&lang=de"
    page = member.get(response.headers["location"]).text
    assert "Ausgewählt: Wie gut sprechen Sie Deutsch?, Haben Sie Arbeit?" in Page(page).text
    assert captions(page) == []  # the page itself is not broken down

    report = member.get("/results/arbeit/report", params={"survey": "wave1"}).text
    assert captions(report) == [
        "q-german_level-by-employed",
        "q-age-by-german_level",
        "q-age-by-employed",
        "q-employed-by-german_level",
        "q-hours-by-german_level",
        "q-hours-by-employed",
    ]
    assert Page(report).sections == ["german_level", "age", "employed", "hours"]  # once each

    deck = member.get("/results/arbeit/slides.pptx", params={"survey": "wave1"})
    slides = list(Presentation(io.BytesIO(deck.content)).slides)
    texts = [
        "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in slides
    ]
    assert sum("Aufgeschlüsselt nach: Wie gut sprechen Sie Deutsch?" in text for text in texts) == 3
    assert sum("Aufgeschlüsselt nach: Haben Sie Arbeit?" in text for text in texts) == 3


def test_the_presentation_shows_each_question_then_its_stored_breakdowns(
    member: TestClient[Any],
) -> None:
    store_breakdowns(member, "german_level", "employed")

    url = "/results/arbeit/present?survey=wave1"
    screens = []
    while url:
        shown = member.get(url)
        assert shown.status_code == 200, url
        page = Page(shown.text)
        screens.append(captions(shown.text) or page.sections)
        url = next(iter(links(page, "next")), "")

    assert screens == [
        [],
        ["german_level"],
        ["q-german_level-by-employed"],
        ["age"],
        ["q-age-by-german_level"],
        ["q-age-by-employed"],
        ["employed"],
        ["q-employed-by-german_level"],
        ["hours"],
        ["q-hours-by-german_level"],
        ["q-hours-by-employed"],
    ]
    assert "11 von 11" in shown.text


def test_by_in_the_address_overrides_the_stored_breakdowns(member: TestClient[Any]) -> None:
    store_breakdowns(member, "german_level", "employed")

    report = member.get("/results/arbeit/report", params={"survey": "wave1", "by": "employed"})

    assert captions(report.text) == [
        "q-german_level-by-employed",
        "q-age-by-employed",
        "q-hours-by-employed",
    ]
    deck = member.get("/results/arbeit/slides.pptx", params={"survey": "wave1", "by": "employed"})
    texts = [
        "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        for slide in Presentation(io.BytesIO(deck.content)).slides
    ]
    assert not any("Aufgeschlüsselt nach: Wie gut sprechen Sie Deutsch?" in text for text in texts)
    assert sum("Aufgeschlüsselt nach: Haben Sie Arbeit?" in text for text in texts) == 3


@pytest.mark.parametrize("suffix", ["", "/report", "/present"])
def test_the_breakdown_question_is_not_broken_down_by_itself(
    waves: TestClient[Any], suffix: str
) -> None:
    params = {"survey": "wave1", "by": "employed", "slide": "3"}  # slide 3: employed

    response = waves.get(f"/results/arbeit{suffix}", params=params)

    assert response.status_code == 200
    section = response.text.split('id="q-employed"')[1].split("</section>")[0]
    assert "Haben Sie Arbeit?" in section
    assert "<caption id=" not in section  # no table of yes by yes and no by no
    assert "Aufschlüsselung nach" not in section  # nor a note that it was left out
    if suffix != "/present":
        assert "q-age-by-employed" in captions(response.text)  # the others are


@pytest.mark.parametrize(
    ("names", "german", "english"),
    [
        (
            ("age",),
            "'age' ist keine select_one-Frage dieser Arbeitsgruppe.",
            "'age' is not a select_one question of this working group.",
        ),
        (
            ("arrived",),  # beratung's question
            "'arrived' ist keine select_one-Frage dieser Arbeitsgruppe.",
            "'arrived' is not a select_one question of this working group.",
        ),
        (
            ("german_level", "employed", "age", "hours"),
            "Höchstens 3 Aufschlüsselungen können ausgewählt werden.",
            "At most 3 breakdowns can be selected.",
        ),
    ],
)
def test_breakdowns_the_group_may_not_choose_are_refused_on_the_page(
    member: TestClient[Any], names: tuple[str, ...], german: str, english: str
) -> None:
    response = store_breakdowns(member, *names)

    assert response.status_code == 422
    assert german in Page(response.text).text
    assert "Aufschlüsselungen für Bericht und Folien" in response.text
    assert english in Page(store_breakdowns(member, *names, lang="en").text).text
    report = member.get("/results/arbeit/report", params={"survey": "wave1"}).text
    assert captions(report) == []  # nothing stored


def test_members_of_another_group_cannot_store_its_breakdowns(
    member: TestClient[Any], waves_settings: Settings
) -> None:
    login(member, "sprache")
    token = csrf_token(member, "/results/sprache?survey=wave1")

    response = member.post(
        "/results/arbeit/breakdowns",
        data={"_csrf_token": token, "survey": "wave1", "by": "employed"},
        follow_redirects=False,
    )

    assert response.status_code == 403


def test_stored_breakdowns_are_in_the_audit_log(
    member: TestClient[Any], waves_settings: Settings
) -> None:
    store_breakdowns(member, "employed")

    db = Database(waves_settings.database_url)
    try:
        event = next(e for e in audit_events(db) if e.action == "breakdowns_set")
    finally:
        db.dispose()
    assert event.actor == ACCOUNTS["arbeit"][0]
    assert json.loads(event.detail) == {
        "group": "arbeit",
        "questions": ["employed"],
        "series": "wave",
        "survey": "wave1",
    }


def test_the_breakdowns_form_speaks_the_page_language(member: TestClient[Any]) -> None:
    german = member.get("/results/arbeit", params={"survey": "wave1"}).text
    english = member.get("/results/arbeit", params={"survey": "wave1", "lang": "en"}).text

    assert "Aufschlüsselungen für Bericht und Folien" in german
    assert "Aufschlüsselungen speichern" in german
    assert "Breakdowns for the report and the slides" in english
    assert "None selected." in english


def test_stored_breakdowns_carry_over_to_the_next_wave(member: TestClient[Any]) -> None:
    store_breakdowns(member, "employed")

    page = member.get("/results/arbeit", params={"survey": "wave2", "lang": "en"})

    assert "Selected: Do you have work?" in Page(page.text).text
