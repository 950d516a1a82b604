"""Reviewed free-text answers: the office redacts, translates, categorises and selects;
a release freezes the selected answers of the responses it counts and publishes the
category counts under the same audit as every other count. Nothing unreviewed, unselected
or excluded reaches a working group."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import col, select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission, TextReview
from survey_app.errors import NotFound
from survey_app.services.audit import audit_events
from survey_app.services.maintenance import purge
from survey_app.services.published import PublishedSurvey, get_survey
from survey_app.services.released import release_results
from survey_app.services.releases import release_create
from survey_app.services.review import responses_set_status
from survey_app.services.texts import (
    TextReviewRefused,
    category_add,
    category_remove,
    text_answers,
    text_review_save,
)
from survey_app.settings import Settings

VOICES = Path(__file__).resolve().parents[1] / "fixtures" / "texts"

HELP = [
    "Ein Sprachkurs am Abend, ich arbeite tagsüber",
    "Ich heiße Samir Haddad, bitte rufen Sie 0176 2345 6789 an",
    "Kinderbetreuung während des Kurses",
    "Eine Wohnung in der Nähe der Arbeit",
    "Hilfe bei der Anerkennung meines Diploms",
    "Mehr Sprachkurse für Anfänger",
    "Praktikum im Handwerk",
]


@pytest.fixture
def voices(settings: Settings) -> Iterator[tuple[TestClient[Any], Database, PublishedSurvey]]:
    """The app on the `voices` survey with seven responses (one per answer of HELP)."""
    settings = dataclasses.replace(settings, questionnaires=VOICES)
    with TestClient(app=create_app(settings)) as client:
        for index, text in enumerate(HELP):
            answers = {"course": "yes" if index % 2 else "no", "help_most": text}
            if index < 4:
                answers["teachers"] = f"Danke {index}"
            response = client.post(
                "/api/v1/surveys/voices/responses",
                json={"submission_id": f"v-{index}", "language": "de", "answers": answers},
            )
            assert response.status_code == 201, response.text
        db = Database(settings.database_url)
        survey = get_survey(db, "voices")
        assert survey is not None
        yield client, db, survey
        db.dispose()


def submission_ids(db: Database) -> list[int]:
    with db.read() as session:
        return [
            int(pk)
            for pk in session.execute(select(col(Submission.id)).order_by(col(Submission.id)))
            .scalars()
            .all()
        ]


def test_the_office_reads_answers_with_a_suggested_redaction_and_reviews_them(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    _client, db, survey = voices

    page = text_answers(db, survey, "help_most")

    assert page.total == 7
    assert page.languages == {"de": 7}
    samir = page.answers[1]
    assert samir.original == HELP[1]
    assert samir.text == "Ich heiße [Name], bitte rufen Sie [Nummer] an"
    assert samir.suggested
    assert not samir.reviewed

    text_review_save(
        db,
        actor="office",
        survey=survey,
        question="help_most",
        submission=samir.submission,
        text="Ich heiße [Name], bitte rufen Sie mich an",
        translation="",
        released=True,
    )
    after = text_answers(db, survey, "help_most", show="released")
    assert [a.text for a in after.answers] == ["Ich heiße [Name], bitte rufen Sie mich an"]
    assert after.reviewed == 1
    assert text_answers(db, survey, "help_most", show="open").total == 6


def test_reviews_are_audited_without_the_answer(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    _client, db, survey = voices
    first = submission_ids(db)[0]

    category = category_add(
        db, actor="office", survey=survey, question="help_most", label="Sprache"
    )
    text_review_save(
        db,
        actor="office",
        survey=survey,
        question="help_most",
        submission=first,
        text=HELP[0],
        categories=[category.id],
        released=True,
    )

    events = audit_events(db)
    assert [e.action for e in events[:2]] == ["text_review", "text_category_add"]
    assert all("Sprachkurs" not in e.detail for e in events)


def test_a_review_is_refused_with_a_reason_per_field(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    _client, db, survey = voices
    first = submission_ids(db)[0]

    with pytest.raises(TextReviewRefused) as refused:
        text_review_save(
            db,
            actor="office",
            survey=survey,
            question="help_most",
            submission=first,
            text="  ",
            categories=[999],
            released=True,
        )
    assert set(refused.value.errors) == {"text", "categories"}
    with pytest.raises(NotFound):
        text_review_save(
            db, actor="office", survey=survey, question="course", submission=first, text="x"
        )
    with pytest.raises(TextReviewRefused):
        category_add(db, actor="office", survey=survey, question="help_most", label=" ")


def review_all(db: Database, survey: PublishedSurvey) -> dict[str, int]:
    """Categories Sprache (answers 0, 2, 5), Arbeit (3, 4, 6) and Betreuung (2); answers
    0, 1 (redacted) and 5 selected for release."""
    ids = submission_ids(db)
    labels = ("Sprache", "Arbeit", "Betreuung")
    found = {
        label: category_add(db, actor="office", survey=survey, question="help_most", label=label).id
        for label in labels
    }
    tags = {0: ["Sprache"], 2: ["Sprache", "Betreuung"], 3: ["Arbeit"], 4: ["Arbeit"]}
    tags |= {5: ["Sprache"], 6: ["Arbeit"]}
    for index, names in tags.items():
        text_review_save(
            db,
            actor="office",
            survey=survey,
            question="help_most",
            submission=ids[index],
            text=HELP[index],
            translation="A language course" if index == 0 else "",
            categories=[found[name] for name in names],
            released=index in (0, 5),
        )
    text_review_save(
        db,
        actor="office",
        survey=survey,
        question="help_most",
        submission=ids[1],
        text="Ich heiße [Name]",
        released=True,
    )
    return found


def test_a_release_shows_the_selected_answers_as_reviewed_and_nothing_else(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    _client, db, survey = voices
    review_all(db, survey)

    release_create(db, "voices", actor="office")
    results = release_results(db, "voices", group="arbeit")

    help_most = next(q for q in results.questions if q.name == "help_most")
    shown = [(a.text, a.translation) for a in help_most.answers]
    assert shown == [
        ("Ein Sprachkurs am Abend, ich arbeite tagsüber", "A language course"),
        ("Ich heiße [Name]", ""),
        ("Mehr Sprachkurse für Anfänger", ""),
    ]
    everything = str(results.to_json())
    for unshown in (HELP[1], "0176", HELP[2], HELP[3], HELP[4], HELP[6], "Danke"):
        assert unshown not in everything
    sprache = release_results(db, "voices", group="sprache")
    assert not any(q.answers for q in sprache.questions)


def test_category_counts_are_published_and_suppressed_like_any_count(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    _client, db, survey = voices
    found = review_all(db, survey)
    # Answer 1 gets a category too: with none, the one answer without a category (the
    # responses minus the categories' n) is a count of 1 the audit protects, and
    # hiding the n hides the counts of a multiple choice with it.
    text_review_save(
        db,
        actor="office",
        survey=survey,
        question="help_most",
        submission=submission_ids(db)[1],
        text="Ich heiße [Name]",
        categories=[found["Arbeit"]],
        released=True,
    )

    release_create(db, "voices", actor="office")
    results = release_results(db, "voices", group="arbeit")

    derived = next(q for q in results.questions if q.name == "help_most__categories")
    assert derived.label == "Was würde Ihnen am meisten helfen? – Kategorien"
    assert derived.n == 7  # answers with a category: every one
    assert derived.counts[f"c{found['Sprache']}"] == 3
    assert derived.counts[f"c{found['Arbeit']}"] == 4
    assert derived.counts[f"c{found['Betreuung']}"] is None  # 1 < k = 3
    assert derived.choices[f"c{found['Betreuung']}"] == "Betreuung"
    names = [q.name for q in results.questions]
    assert names.index("help_most__categories") == names.index("help_most") + 1
    sprache = release_results(db, "voices", group="sprache")
    assert "help_most__categories" not in [q.name for q in sprache.questions]


def test_released_answers_do_not_say_their_category_so_they_cannot_count_a_hidden_one(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    _client, db, survey = voices
    found = review_all(db, survey)
    betreuung = submission_ids(db)[2]  # the one answer of the category Betreuung (1 < k)
    text_review_save(
        db,
        actor="office",
        survey=survey,
        question="help_most",
        submission=betreuung,
        text=HELP[2],
        categories=[found["Sprache"], found["Betreuung"]],
        released=True,
    )

    release_create(db, "voices", actor="office")
    data = release_results(db, "voices", group="arbeit").to_json()

    derived = next(q for q in data["questions"] if q["name"] == "help_most__categories")
    assert derived["counts"][f"c{found['Betreuung']}"] is None
    help_most = next(q for q in data["questions"] if q["name"] == "help_most")
    assert HELP[2] in [a["text"] for a in help_most["answers"]]
    assert all(set(a) == {"text", "translation"} for a in help_most["answers"])


def test_a_release_keeps_what_it_showed_whatever_the_office_changes_later(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    _client, db, survey = voices
    found = review_all(db, survey)
    release_create(db, "voices", actor="office")
    ids = submission_ids(db)

    text_review_save(
        db,
        actor="office",
        survey=survey,
        question="help_most",
        submission=ids[0],
        text="geändert",
        categories=[found["Sprache"]],
        released=True,
    )
    category_add(db, actor="office", survey=survey, question="help_most", label="Wohnen")

    results = release_results(db, "voices", group="arbeit", number=1)
    help_most = next(q for q in results.questions if q.name == "help_most")
    assert "geändert" not in [a.text for a in help_most.answers]
    derived = next(q for q in results.questions if q.name == "help_most__categories")
    assert list(derived.choices.values()) == ["Sprache", "Arbeit", "Betreuung"]


def test_categories_of_answers_a_release_counted_can_no_longer_change(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    """Release 2 is audited as release 1's counts plus what came since: re-tagging one
    answer of release 1 would make a difference of the two releases about one person."""
    client, db, survey = voices
    found = review_all(db, survey)
    ids = submission_ids(db)
    release_create(db, "voices", actor="office")

    with pytest.raises(TextReviewRefused) as refused:
        text_review_save(
            db,
            actor="office",
            survey=survey,
            question="help_most",
            submission=ids[3],
            text=HELP[3],
            categories=[found["Sprache"]],
        )
    assert refused.value.errors["categories"].startswith("release %(number)s counted")
    assert refused.value.values["number"] == 1
    with pytest.raises(TextReviewRefused):  # untagged then: tagging it now is a change too
        text_review_save(
            db,
            actor="office",
            survey=survey,
            question="help_most",
            submission=ids[1],
            text="Ich heiße [Name]",
            categories=[found["Arbeit"]],
        )
    with pytest.raises(TextReviewRefused) as removed:
        category_remove(db, actor="office", survey=survey, category_id=found["Arbeit"])
    assert removed.value.values == {"label": "Arbeit", "number": 1}

    # The rest of the review stays open, and answers that came later are tagged freely.
    text_review_save(
        db,
        actor="office",
        survey=survey,
        question="help_most",
        submission=ids[3],
        text="Praktikum",
        categories=[found["Arbeit"]],
        released=True,
    )
    response = client.post(
        "/api/v1/surveys/voices/responses",
        json={
            "submission_id": "later",
            "language": "de",
            "answers": {"course": "no", "help_most": "Arbeit"},
        },
    )
    assert response.status_code == 201
    later = submission_ids(db)[-1]
    text_review_save(
        db,
        actor="office",
        survey=survey,
        question="help_most",
        submission=later,
        text="Arbeit",
        categories=[found["Arbeit"]],
    )
    answers = {a.submission: a for a in text_answers(db, survey, "help_most").answers}
    assert answers[ids[3]].categories_frozen_by == 1
    assert answers[later].categories_frozen_by is None
    wohnen = category_add(db, actor="office", survey=survey, question="help_most", label="Wohnen")
    category_remove(db, actor="office", survey=survey, category_id=wohnen.id)


def test_categories_are_free_until_a_release_counts_them(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    _client, db, survey = voices
    ids = submission_ids(db)
    release_create(db, "voices", actor="office")  # before any category existed
    sprache = category_add(db, actor="office", survey=survey, question="help_most", label="Sprache")

    text_review_save(
        db,
        actor="office",
        survey=survey,
        question="help_most",
        submission=ids[0],
        text=HELP[0],
        categories=[sprache.id],
    )

    assert text_answers(db, survey, "help_most", only=ids[0]).answers[0].categories == (sprache.id,)


def test_an_excluded_response_is_never_shown_even_when_selected(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    _client, db, survey = voices
    review_all(db, survey)
    ids = submission_ids(db)
    responses_set_status(
        db, "voices", [ids[5]], status="excluded", reason="Testantwort", actor="office"
    )

    release_create(db, "voices", actor="office")
    results = release_results(db, "voices", group="arbeit")

    help_most = next(q for q in results.questions if q.name == "help_most")
    assert "Mehr Sprachkurse für Anfänger" not in [a.text for a in help_most.answers]
    assert HELP[5] not in [a.original for a in text_answers(db, survey, "help_most").answers]


def test_an_answer_selected_after_a_release_appears_only_in_the_next(
    voices: tuple[TestClient[Any], Database, PublishedSurvey],
) -> None:
    client, db, survey = voices
    ids = submission_ids(db)
    release_create(db, "voices", actor="office")
    text_review_save(
        db,
        actor="office",
        survey=survey,
        question="help_most",
        submission=ids[2],
        text=HELP[2],
        released=True,
    )
    for index in range(3):
        response = client.post(
            "/api/v1/surveys/voices/responses",
            json={"submission_id": f"w-{index}", "language": "ar", "answers": {"course": "no"}},
        )
        assert response.status_code == 201

    release_create(db, "voices", actor="office")

    first = release_results(db, "voices", group="arbeit", number=1)
    second = release_results(db, "voices", group="arbeit", number=2)
    assert not next(q for q in first.questions if q.name == "help_most").answers
    assert [a.text for a in next(q for q in second.questions if q.name == "help_most").answers] == [
        HELP[2]
    ]


def test_purging_the_responses_removes_their_reviews_and_keeps_the_release(
    voices: tuple[TestClient[Any], Database, PublishedSurvey], tmp_path: Path
) -> None:
    _client, db, survey = voices
    review_all(db, survey)
    release_create(db, "voices", actor="office")

    purge(db, today=datetime.date(2030, 1, 2), results_cache_dir=tmp_path)

    with db.read() as session:
        assert session.execute(select(TextReview)).first() is None
    help_most = next(
        q for q in release_results(db, "voices", group="arbeit").questions if q.name == "help_most"
    )
    assert len(help_most.answers) == 3
