"""The office's review of free-text answers in the browser's plain forms (no JavaScript),
the same form saved in place by htmx, and what members see after a release: the selected
answers as reviewed, the category counts, and nothing else."""

from __future__ import annotations

import dataclasses
import html
import io
import re
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from litestar.testing import TestClient
from pptx import Presentation

from survey_app.app import create_app
from survey_app.settings import Settings
from tests.conftest import csrf_token, login, release
from tests.services.test_texts import HELP, VOICES

PAGE = "/admin/surveys/voices/texts/help_most"


@pytest.fixture
def office(settings: Settings, accounts: Any) -> Iterator[tuple[TestClient[Any], Settings]]:
    """The `voices` survey (k = 3) with the seven answers of HELP, in German."""
    settings = dataclasses.replace(settings, questionnaires=VOICES)
    with TestClient(app=create_app(settings)) as client:
        for index, text in enumerate(HELP):
            answers = {"course": "yes" if index % 2 else "no", "help_most": text}
            response = client.post(
                "/api/v1/surveys/voices/responses",
                json={"submission_id": f"v-{index}", "language": "de", "answers": answers},
            )
            assert response.status_code == 201, response.text
        yield client, settings


def answer_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="text-answer" id="answer-(\d+)"', page)]


def textarea(page: str, name: str, submission: int) -> str:
    found = re.search(rf'id="{name}-{submission}"[^>]*>([^<]*)</textarea>', page)
    assert found, f"no {name} field for answer {submission}"
    return html.unescape(found.group(1))


def test_the_office_finds_the_free_text_questions_with_the_state_of_their_review(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, _settings = office
    login(client, "admin")

    overview = client.get("/admin/surveys/voices/texts")
    start = client.get("/admin")

    assert overview.status_code == 200
    assert "Was würde Ihnen am meisten helfen?" in overview.text
    assert f'href="{PAGE}"' in overview.text
    assert 'href="/admin/surveys/voices/texts"' in start.text


def test_a_review_without_javascript_comes_back_to_the_answer_and_is_kept(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, _settings = office
    login(client, "admin")
    token = csrf_token(client, PAGE)
    added = client.post(
        f"{PAGE}/categories",
        data={"label": "Sprache", "_csrf_token": token},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get(PAGE).text
    category = re.search(r'name="categories" value="(\d+)"', page)
    assert category
    samir = answer_ids(page)[1]
    assert textarea(page, "text", samir) == "Ich heiße [Name], bitte rufen Sie [Nummer] an"

    saved = client.post(
        f"{PAGE}/answers/{samir}",
        data={
            "text": "Ich heiße [Name], bitte rufen Sie mich an",
            "translation": "My name is [Name], please call me",
            "categories": category.group(1),
            "released": "yes",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )

    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PAGE}#answer-{samir}"
    page = client.get(PAGE, params={"show": "released"}).text
    assert answer_ids(page) == [samir]
    assert textarea(page, "translation", samir) == "My name is [Name], please call me"
    assert re.search(rf'value="{category.group(1)}" checked', page)


def test_a_refused_review_says_why_at_the_field_and_keeps_what_was_typed(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, _settings = office
    login(client, "admin")
    token = csrf_token(client, PAGE)
    first = answer_ids(client.get(PAGE).text)[0]

    refused = client.post(
        f"{PAGE}/answers/{first}",
        data={"text": " ", "translation": "noch offen", "released": "yes", "_csrf_token": token},
    )

    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text
    assert "eine Antwort ohne Text kann nicht veröffentlicht werden" in refused.text
    assert textarea(refused.text, "translation", first) == "noch offen"


def test_after_a_release_the_counted_categories_stay_and_the_rest_can_be_reviewed(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    login(client, "admin")
    token = csrf_token(client, PAGE)
    client.post(f"{PAGE}/categories", data={"label": "Sprache", "_csrf_token": token})
    page = client.get(PAGE).text
    category = re.search(r'name="categories" value="(\d+)"', page)
    assert category
    first = answer_ids(page)[0]
    form = {"text": HELP[0], "categories": category.group(1), "_csrf_token": token}
    assert client.post(f"{PAGE}/answers/{first}", data=form).status_code == 200
    release(settings.database_url, "voices")

    page = client.get(PAGE).text
    assert re.search(rf'value="{category.group(1)}" checked disabled', page)
    assert "Veröffentlichung 1 hat diese Antwort mit diesen Kategorien gezählt" in page
    assert "gezählt in Veröffentlichung 1" in page
    assert f"/categories/{category.group(1)}/remove" not in page
    # The disabled boxes post nothing; the hidden copies keep the tags, so the text saves.
    saved = client.post(
        f"{PAGE}/answers/{first}",
        data={"text": "Sprachkurs am Abend", "categories": category.group(1), "_csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    untagged = client.post(
        f"{PAGE}/answers/{first}", data={"text": "Sprachkurs", "_csrf_token": token}
    )
    assert untagged.status_code == 422
    assert "können sich nicht mehr ändern" in untagged.text
    removed = client.post(
        f"{PAGE}/categories/{category.group(1)}/remove", data={"_csrf_token": token}
    )
    assert removed.status_code == 422
    assert "Veröffentlichungen lassen sich nicht zurücknehmen" in removed.text


def test_htmx_saves_one_answer_in_place(office: tuple[TestClient[Any], Settings]) -> None:
    client, _settings = office
    login(client, "admin")
    token = csrf_token(client, PAGE)
    first = answer_ids(client.get(PAGE).text)[0]

    saved = client.post(
        f"{PAGE}/answers/{first}",
        data={"text": HELP[0], "released": "yes", "_csrf_token": token},
        headers={"HX-Request": "true"},
    )

    assert saved.status_code == 200
    assert "<html" not in saved.text
    assert answer_ids(saved.text) == [first]
    assert 'role="status"' in saved.text


def test_members_see_released_answers_and_category_counts_and_nothing_unreleased(
    office: tuple[TestClient[Any], Settings],
) -> None:
    client, settings = office
    login(client, "admin")
    token = csrf_token(client, PAGE)
    client.post(f"{PAGE}/categories", data={"label": "Sprache", "_csrf_token": token})
    category = re.search(r'name="categories" value="(\d+)"', client.get(PAGE).text)
    assert category
    ids = answer_ids(client.get(PAGE).text)
    for index in (0, 2, 5):
        client.post(
            f"{PAGE}/answers/{ids[index]}",
            data={
                "text": HELP[index],
                "categories": category.group(1),
                "released": "yes" if index == 0 else "",
                "_csrf_token": token,
            },
        )
    release(settings.database_url, "voices")
    client.cookies.clear()
    login(client, "arbeit")

    page = client.get("/results/arbeit", params={"survey": "voices"})
    api = client.get("/api/v1/results/voices", params={"group": "arbeit"}).json()

    assert page.status_code == 200
    assert HELP[0] in page.text
    for unreleased in HELP[1:]:
        assert unreleased not in page.text
        assert unreleased not in str(api)
    assert "Was würde Ihnen am meisten helfen? – Kategorien" in page.text
    derived = next(q for q in api["questions"] if q["name"] == "help_most__categories")
    assert derived["counts"] == {f"c{category.group(1)}": 3}
    assert derived["choices"] == {f"c{category.group(1)}": "Sprache"}
    help_most = next(q for q in api["questions"] if q["name"] == "help_most")
    assert help_most["answers"] == [{"text": HELP[0], "translation": ""}]


def every_text_of(kind: str, content: bytes) -> str:
    """All text a member can read in a downloaded file."""
    if kind == "xlsx":
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        return "\n".join(
            str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True)
            for cell in row if cell is not None
        )  # fmt: skip
    if kind == "pptx":
        deck = Presentation(io.BytesIO(content))
        return "\n".join(
            shape.text_frame.text for slide in deck.slides for shape in slide.shapes
            if shape.has_text_frame
        )  # fmt: skip
    return content.decode()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/results/arbeit/export.xlsx", "xlsx"),
        ("/results/arbeit/slides.pptx", "pptx"),
        ("/results/arbeit/report", "html"),
        ("/results/arbeit/present", "html"),
    ],
)
def test_every_download_has_the_released_answers_and_no_other(
    office: tuple[TestClient[Any], Settings], path: str, kind: str
) -> None:
    client, settings = office
    login(client, "admin")
    token = csrf_token(client, PAGE)
    ids = answer_ids(client.get(PAGE).text)
    for index in (0, 3):
        client.post(
            f"{PAGE}/answers/{ids[index]}",
            data={
                "text": f"Geprüft: {HELP[index]}",
                "translation": "Übersetzt",
                "_csrf_token": token,
            }
            | ({"released": "yes"} if index == 0 else {}),
        )
    release(settings.database_url, "voices")
    client.cookies.clear()
    login(client, "arbeit")

    # Slide 2 of the presentation is the second question of the group, help_most.
    response = client.get(path, params={"survey": "voices", "slide": "2"})

    assert response.status_code == 200
    found = every_text_of(kind, response.content)
    assert "Geprüft: " + HELP[0] in found
    for unreleased in HELP:
        assert unreleased not in found.replace("Geprüft: " + HELP[0], "")


def test_members_cannot_open_the_review(office: tuple[TestClient[Any], Settings]) -> None:
    client, _settings = office
    login(client, "arbeit")

    assert client.get("/admin/surveys/voices/texts").status_code == 403
    assert client.get(PAGE).status_code == 403
