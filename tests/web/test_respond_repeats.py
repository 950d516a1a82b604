"""Repeats (rosters) on the survey pages, as a browser without JavaScript sends them:
entries added and removed by buttons that send the page, fields named by path
(`members[2].age`), follow-ups inside an entry, errors at the entry's field, and the
entries stored as the submission API stores them (tests/fixtures/household.yaml: the
respondent sizes the roster; tests/fixtures/roster.yaml: `repeat_count` does)."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from litestar.testing import TestClient
from sqlmodel import select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.services.live_results import survey_results
from survey_app.settings import Settings
from tests.conftest import FIXTURES, QUESTIONNAIRES
from tests.web.respondent import Answers, Respondent


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """The app serving both rosters."""
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    shutil.copy(FIXTURES / "household.yaml", directory)
    shutil.copy(FIXTURES / "roster.yaml", directory)
    app = create_app(dataclasses.replace(settings, questionnaires=directory))
    with TestClient(app=app) as client:
        yield client


def started(client: TestClient[Any], survey: str) -> tuple[Respondent, Response]:
    respondent = Respondent(client, survey=survey)
    page = respondent.start("en")
    assert page.status_code == 200
    return respondent, page


def fields(page: Response) -> dict[str, str]:
    """The page's text fields and hidden fields by name, with their values."""
    found = {}
    for tag in re.findall(r"<input [^>]*>", page.text):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]*)"', tag)
        if name and (kind is None or kind.group(1) not in ("radio", "checkbox")):
            found[html.unescape(name.group(1))] = html.unescape(value.group(1) if value else "")
    return found


def checked(page: Response) -> dict[str, str]:
    """The checked radio buttons by name."""
    found = {}
    for tag in re.findall(r"<input [^>]*checked[^>]*>", page.text):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        assert name
        assert value
        found[html.unescape(name.group(1))] = html.unescape(value.group(1))
    return found


BUTTON = re.compile(r'<button type="submit"[^>]*name="([^"]*)" value="([^"]*)"')


def buttons(page: Response) -> list[tuple[str, str]]:
    """The page's submit buttons (name, value) in the order Enter would find them."""
    return [
        (html.unescape(name), html.unescape(value)) for name, value in BUTTON.findall(page.text)
    ]


def error_of(page: Response, path: str) -> str:
    pattern = rf'<p class="error-message" id="q-{re.escape(path)}-error">(.*?)</p>'
    match = re.search(pattern, page.text)
    assert match, f"no error shown for {path}"
    shown = re.sub(r'<span class="visually-hidden">.*?</span>', "", match.group(1))
    return html.unescape(re.sub(r"<[^>]+>", "", shown))


def stored(db: Database) -> dict[str, Any]:
    with db.read() as session:
        [answers] = session.exec(select(Submission.answers)).all()
    result: dict[str, Any] = json.loads(answers)
    return result


def people(*entries: dict[str, str]) -> Answers:
    """The household page's fields for these entries, as the form sends them."""
    answers: Answers = {"entries:members": str(len(entries))}
    for position, entry in enumerate(entries, 1):
        answers |= {f"members[{position}].{name}": value for name, value in entry.items()}
    return answers


AMAL = {"member_name": "Amal", "age": "34"}
BILAL = {"member_name": "Bilal", "age": "9", "school": "yes"}
CHIARA = {"member_name": "Chiara", "age": "61"}


def test_the_roster_starts_with_one_empty_entry_and_enter_still_goes_forward(
    client: TestClient[Any],
) -> None:
    _respondent, page = started(client, "household")

    shown = fields(page)
    assert shown["entries:members"] == "1"
    assert shown["members[1].member_name"] == ""
    assert "members[1].age" in shown
    assert "members[1].school" not in shown, "asked only once the age is known"
    assert 'id="q-members[1].member_name"' in page.text
    # The first button is what Enter presses: the way forward, not "Remove entry 1".
    assert buttons(page)[0] == ("nav:action", "next")
    assert ("entry:remove", "members[1]") in buttons(page)
    assert ("entry:add", "members") in buttons(page)
    assert "Add an entry" in page.text


def test_adding_an_entry_keeps_what_was_typed_and_moves_to_the_new_one(
    client: TestClient[Any],
) -> None:
    respondent, _page = started(client, "household")

    page = respondent.post(0, people(AMAL), **{"entry:add": "members"})

    assert page.status_code == 200
    shown = fields(page)
    assert shown["entries:members"] == "2"
    assert (shown["members[1].member_name"], shown["members[1].age"]) == ("Amal", "34")
    assert shown["members[2].member_name"] == ""
    assert "error-summary" not in page.text, "adding an entry asks nothing yet"
    assert re.search(r'id="q-members\[2\]\.member_name"[^>]*autofocus', page.text)
    assert "Entry 2" in page.text


def test_removing_an_entry_closes_the_gap(client: TestClient[Any]) -> None:
    respondent, _page = started(client, "household")

    page = respondent.post(0, people(AMAL, BILAL, CHIARA), **{"entry:remove": "members[2]"})

    shown = fields(page)
    assert shown["entries:members"] == "2"
    assert [shown["members[1].member_name"], shown["members[2].member_name"]] == [
        "Amal",
        "Chiara",
    ]
    assert "members[3].member_name" not in shown


def test_a_removed_entry_is_gone_from_the_draft_too(client: TestClient[Any]) -> None:
    respondent, _page = started(client, "household")
    respondent.post(0, people(AMAL, BILAL), **{"entry:remove": "members[1]"})

    page = client.get(respondent.url("/p/people", lang="en"))

    shown = fields(page)
    assert shown["members[1].member_name"] == "Bilal"
    assert "members[2].member_name" not in shown


def test_a_follow_up_inside_an_entry_appears_before_it_is_asked_for(
    client: TestClient[Any],
) -> None:
    respondent, _page = started(client, "household")
    child = {"member_name": "Bilal", "age": "9"}

    page = respondent.post(0, people(AMAL, child))

    assert page.status_code == 200, "shown again, not refused"
    assert "New questions appeared on this page" in page.text
    assert 'name="members[2].school"' in page.text
    assert 'name="members[1].school"' not in page.text
    assert 'id="q-members[2].school-error"' not in page.text


def test_errors_are_shown_at_the_field_of_their_entry(client: TestClient[Any]) -> None:
    respondent, _page = started(client, "household")

    page = respondent.post(0, people(AMAL, {"member_name": "Bilal", "age": "nine"}))

    assert page.status_code == 422
    assert error_of(page, "members[2].age") == "Please enter a whole number."
    assert 'href="#q-members[2].age"' in page.text, "the summary leads to the field"
    assert 'id="q-members[1].age-error"' not in page.text


def test_the_entries_are_stored_as_the_api_stores_them(
    client: TestClient[Any], db: Database
) -> None:
    respondent, _page = started(client, "household")
    # The third entry was added and left empty: it is no entry.
    respondent.answer_page(0, people(AMAL, BILAL, {"member_name": "", "age": ""}))

    done = respondent.answer_page(1, {"comment": "Danke"}, "submit")

    assert done.status_code == 200
    assert stored(db) == {
        "members": [
            {"member_name": "Amal", "age": 34},
            {"member_name": "Bilal", "age": 9, "school": "yes"},
        ],
        "children": 1,
        "comment": "Danke",
    }


def test_a_repeat_count_sets_the_entries_and_no_buttons_change_them(
    client: TestClient[Any], db: Database
) -> None:
    respondent, page = started(client, "roster")
    assert "members[1].member_name" not in fields(page), "no entries before the size is known"

    page = respondent.post(0, {"household_size": "2"})

    shown = fields(page)
    assert shown["entries:members"] == "2"
    assert {"members[1].member_name", "members[2].member_name"} <= set(shown)
    assert not [button for button in buttons(page) if button[0].startswith("entry:")]
    assert "New questions appeared on this page" in page.text


def test_a_whole_household_with_jobs_through_the_pages(
    client: TestClient[Any], db: Database
) -> None:
    respondent, _page = started(client, "roster")
    household: Answers = {
        "household_size": "2",
        "entries:members": "2",
        "members[1].member_name": "Amal",
        "members[1].age": "34",
        "members[1].relation": "head",
        "members[1].works": "yes",
        "members[2].member_name": "Bilal",
        "members[2].age": "4",
        "members[2].relation": "child",
    }
    page = respondent.post(0, household)
    # Amal works: her jobs appear, starting with one empty entry.
    assert fields(page)["entries:members[1].jobs"] == "1"
    assert 'name="members[1].jobs[1].job_title"' in page.text
    household |= {
        "entries:members[1].jobs": "2",
        "members[1].jobs[1].job_title": "Pflege",
        "members[1].jobs[1].job_hours": "20",
        "members[1].jobs[2].job_title": "Reinigung",
        "members[1].jobs[2].job_hours": "10",
    }

    page = respondent.answer_page(0, household)
    assert page.status_code == 200, page.text
    assert "Does your child have a place in day care?" in page.text
    respondent.answer_page(1, {"childcare": "no"}, "submit")

    answers = stored(db)
    assert answers["members"] == [
        {
            "member_name": "Amal",
            "age": 34,
            "relation": "head",
            "older_than_previous": "",
            "works": "yes",
            "jobs": [
                {"job_title": "Pflege", "job_hours": 20, "job_label": "Amal 1.1"},
                {"job_title": "Reinigung", "job_hours": 10, "job_label": "Amal 1.2"},
            ],
            "job_count": 2,
        },
        {
            "member_name": "Bilal",
            "age": 4,
            "relation": "child",
            "older_than_previous": "false",
            "job_count": 0,
        },
    ]
    assert (answers["member_count"], answers["total_age"], answers["total_hours"]) == (2, 38, 30)
    assert answers["childcare"] == "no"


def test_a_constraint_on_the_entrys_position_is_checked_on_the_page(
    client: TestClient[Any],
) -> None:
    respondent, _page = started(client, "roster")
    respondent.post(0, {"household_size": "2"})

    page = respondent.post(
        0,
        {
            "household_size": "2",
            "entries:members": "2",
            "members[1].member_name": "Amal",
            "members[1].age": "34",
            "members[1].relation": "head",
            "members[1].works": "no",
            "members[2].member_name": "Bilal",
            "members[2].age": "40",
            "members[2].relation": "head",
            "members[2].works": "no",
        },
    )

    assert page.status_code == 422
    assert error_of(page, "members[2].relation") == (
        "The first person is the head of household, and only the first."
    )
    assert checked(page)["members[2].relation"] == "head", "the answer stays to be corrected"


def test_htmx_saves_a_changed_entry_with_the_whole_roster(client: TestClient[Any]) -> None:
    respondent, _page = started(client, "household")
    data = {"_csrf_token": respondent.csrf(), "nav:page": "0", "nav:lang": "en"}
    data |= people(AMAL, BILAL)

    saved = client.post(
        respondent.url("/p/people/autosave"),
        data=data,
        headers={"HX-Request": "true", "HX-Trigger": "question-members"},
    )

    assert saved.status_code == 204
    page = client.get(respondent.url("/p/people", lang="en"))
    shown = fields(page)
    assert [shown["members[1].member_name"], shown["members[2].member_name"]] == [
        "Amal",
        "Bilal",
    ]
    assert checked(page)["members[2].school"] == "yes"


def test_a_label_shows_the_answers_it_names_in_each_entry(client: TestClient[Any]) -> None:
    # "Does ${member_name} work?" asks about the member of its own entry, as in ODK.
    respondent, _page = started(client, "roster")
    household: Answers = {
        "household_size": "2",
        "entries:members": "2",
        "members[1].member_name": "Amal",
        "members[1].age": "34",
        "members[2].member_name": "<b>Omar</b>",
        "members[2].age": "40",
    }

    page = respondent.post(0, household)

    assert "Does Amal work?" in page.text
    assert "Does &lt;b&gt;Omar&lt;/b&gt; work?" in page.text, "an answer is text, escaped"
    assert "${member_name}" not in page.text


def test_the_household_counts_of_results_are_never_asked_nor_accepted(
    client: TestClient[Any], db: Database
) -> None:
    # Results count a member's sex by household as a question `sex__in_members`
    # (analysis.presence); respondents answer only the survey's own questions.
    results = survey_results(db, "roster")
    assert "sex__in_members" in [question.name for question in results.questions]
    respondent, first = started(client, "roster")
    household: Answers = {
        "household_size": "1",
        "entries:members": "1",
        "members[1].member_name": "Amal",
        "members[1].age": "34",
        "members[1].sex": "f",
        "members[1].relation": "head",
        "members[1].works": "no",
    }

    pages = [first, respondent.post(0, household), respondent.answer_page(0, household)]
    api = client.post(
        "/api/v1/surveys/roster/responses",
        json={
            "submission_id": "api-presence",
            "language": "de",
            "answers": {
                "household_size": 1,
                "members": [{"member_name": "Amal", "age": 34, "relation": "head", "works": "no"}],
                "sex__in_members": ["f"],
            },
        },
    )

    assert not [page for page in pages if "__in_" in page.text]
    assert api.status_code == 422
    assert set(api.json()["errors"]) == {"sex__in_members"}
