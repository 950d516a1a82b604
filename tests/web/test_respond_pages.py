"""A page per address: Back, Forward and reload keep the place, the language outlives
the draft, and answers are kept as they change (htmx) or whenever a button is pressed."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import Draft
from survey_app.services.invitations import invitations_create
from tests.web.respondent import NEWCOMER_PAGES, Respondent


def draft_row(db: Database) -> Draft:
    with db.read() as session:
        [draft] = session.exec(select(Draft)).all()
    return draft


def page_post(respondent: Respondent, path: str, data: dict[str, Any], **headers: str) -> Any:
    return respondent.client.post(
        path, data={"_csrf_token": respondent.csrf(), **data}, headers=headers
    )


def test_every_page_has_its_own_address_in_the_survey_language(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    first = respondent.start("ar")
    assert str(first.url).endswith("/s/newcomer/p/about_you?lang=ar")
    second = respondent.post(0, NEWCOMER_PAGES[0], language="ar")
    assert str(second.url).endswith("/s/newcomer/p/language?lang=ar")
    assert '<form method="post" action="/s/newcomer/p/language?lang=ar"' in second.text


def test_the_address_of_an_earlier_page_shows_it_with_its_answers(
    client: TestClient[Any],
) -> None:
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, NEWCOMER_PAGES[0] | {"age_group": "a35_44"})
    respondent.post(1, NEWCOMER_PAGES[1])

    back = client.get("/s/newcomer/p/about_you?lang=de")
    forward = client.get("/s/newcomer/p/language?lang=de")

    assert "Seite 1 von 7" in back.text
    assert re.search(r'value="a35_44" checked', back.text)
    assert "Seite 2 von 7" in forward.text
    assert re.search(r'value="attending" checked', forward.text)


def test_a_reload_shows_the_same_page(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    page = respondent.post(0, NEWCOMER_PAGES[0])
    again = client.get(page.url)
    assert "Seite 2 von 7" in again.text
    assert str(again.url) == str(page.url)


def test_the_survey_address_leads_to_the_page_the_respondent_is_at(
    client: TestClient[Any],
) -> None:
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, NEWCOMER_PAGES[0])
    opened = client.get("/s/newcomer", follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/s/newcomer/p/language?lang=de"


def test_an_unknown_page_leads_to_the_page_the_respondent_is_at(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    shown = client.get("/s/newcomer/p/no_such_page?lang=de")
    assert str(shown.url).endswith("/s/newcomer/p/about_you?lang=de")


def test_after_sending_a_page_address_leads_to_the_start_in_the_language_used(
    client: TestClient[Any],
) -> None:
    thanks = Respondent(client).answer_all(NEWCOMER_PAGES, "fa")
    assert str(thanks.url).endswith("/s/newcomer/thanks?lang=fa")
    back = client.get("/s/newcomer/p/wishes?lang=fa", headers={"Accept-Language": "de"})
    assert back.url.path == "/s/newcomer"
    assert '<html lang="fa" dir="rtl">' in back.text


def test_a_changed_answer_is_saved_without_pressing_a_button(
    client: TestClient[Any], db: Database
) -> None:
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, NEWCOMER_PAGES[0])
    saved = page_post(
        respondent,
        "/s/newcomer/p/language/autosave?lang=de",
        {"german_level": "b1", "course_slots": ["evening"]},
        **{"HX-Request": "true"},
    )
    assert saved.status_code == 204
    assert draft_row(db).page == 1

    later = client.get("/s/newcomer/p/language?lang=de")
    assert re.search(r'value="b1" checked', later.text)
    assert re.search(r'value="evening" checked', later.text)


def test_a_late_autosave_does_not_undo_answers_given_since(
    client: TestClient[Any], db: Database
) -> None:
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, {"arrival_year": "before_2015", "age_group": "a45_54"})
    # The change of the first answer, saved as it happened, arrives after Next.
    late = page_post(
        respondent,
        "/s/newcomer/p/about_you/autosave?lang=de",
        {"arrival_year": "before_2015"},
        **{"HX-Request": "true", "HX-Trigger": "question-arrival_year"},
    )
    assert late.status_code == 204
    answers = draft_row(db).answers
    assert '"age_group": "a45_54"' in answers
    assert draft_row(db).page == 1


def test_a_refreshed_page_is_saved_too(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    fragment = page_post(
        respondent,
        "/s/newcomer/p/about_you/refresh?lang=de",
        {"household": "children"},
        **{"HX-Request": "true"},
    )
    assert 'name="children_u18"' in fragment.text
    assert re.search(r'value="children" checked', client.get("/s/newcomer?lang=de").text)


def test_a_change_arriving_after_the_answers_were_sent_keeps_nothing(
    client: TestClient[Any], db: Database
) -> None:
    respondent = Respondent(client)
    respondent.answer_all(NEWCOMER_PAGES)
    late = page_post(
        respondent,
        "/s/newcomer/p/wishes/autosave?lang=de",
        {"comment": "typed before Send"},
        **{"HX-Request": "true", "HX-Trigger": "question-comment"},
    )
    assert late.status_code == 204
    with db.read() as session:
        assert session.exec(select(Draft)).all() == []


def test_every_button_saves_the_answers_without_javascript(
    client: TestClient[Any], db: Database
) -> None:
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, NEWCOMER_PAGES[0])
    respondent.post(1, {"german_level": "b1"}, action="back")
    assert draft_row(db).answers.count('"b1"') == 1
    respondent.post(0, {"arrival_year": "before_2015"}, action="save")
    assert '"before_2015"' in draft_row(db).answers
    respondent.post(0, {"age_group": "a18_26"}, action="", **{"nav:language": "tr"})
    assert '"a18_26"' in draft_row(db).answers
    assert draft_row(db).language == "tr"


def test_a_posted_page_address_takes_the_page_from_the_address(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    moved = page_post(
        respondent,
        "/s/newcomer/p/about_you?lang=de",
        {"nav:page": "4", "nav:action": "next", **NEWCOMER_PAGES[0]},
    )
    assert str(moved.url).endswith("/s/newcomer/p/language?lang=de")


def test_invitation_page_addresses_keep_the_personal_link(
    client: TestClient[Any], db: Database
) -> None:
    [token] = invitations_create(db, "company", 1)
    respondent = Respondent(client, "company", invitation=token)
    first = respondent.start()
    assert str(first.url).endswith(f"/s/company/p/company_profile?invitation={token}&lang=de")


def test_wrong_invitations_on_page_addresses_count_as_guesses(
    client: TestClient[Any], db: Database
) -> None:
    invitations_create(db, "company", 1)
    statuses = [
        client.get(f"/s/company/p/staffing?invitation=wrong{attempt}").status_code
        for attempt in range(21)
    ]
    assert statuses[:20] == [404] * 20
    assert statuses[20] == 429
