"""`submission_create`: checked, stored once, replays recognised, conflicts refused."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import ArrivalWindow, Invitation, Submission
from survey_app.services.demo import store_demo_responses
from survey_app.services.invitations import invitation_counts, invitations_create
from survey_app.services.published import PublishedSurvey, get_survey
from survey_app.services.submissions import (
    InvitationRejected,
    SubmissionConflict,
    SubmissionInvalid,
    SubmissionReceipt,
    SurveyClosed,
    submission_create,
    submission_create_from_json,
)
from survey_app.services.surveys import publish_directory, set_survey_open
from tests.conftest import QUESTIONNAIRES


def stored(db: Database) -> list[Submission]:
    with db.read() as session:
        return list(session.exec(select(Submission)).all())


def test_valid_answers_are_stored_as_canonical_json_with_their_date_only(
    published: Database, feedback: PublishedSurvey
) -> None:
    receipt = submission_create(
        published,
        survey=feedback,
        submission_id="s-1",
        language="ar",
        answers={"satisfied": "no", "reason": " لا وقت ", "help": ["job", "course"], "age": 30.0},
    )
    assert receipt.created
    assert receipt == SubmissionReceipt(receipt.id, "s-1", "feedback", 1, created=True)
    [row] = stored(published)
    assert row.answers == '{"age":30,"help":["course","job"],"reason":"لا وقت","satisfied":"no"}'
    assert row.language == "ar"
    assert row.version_id == feedback.version_id
    assert type(row.created_on).__name__ == "date"


def test_a_demo_response_is_stored_as_submission_create_stores_the_same_answers(
    db: Database,
) -> None:
    """Demo data goes through the submission path: its canonical answers, their hash and
    the quality signals the office reviews are what a respondent sending the same
    answers gets (the newcomer survey asks rating scales, so straight-lining shows)."""
    publish_directory(db, QUESTIONNAIRES)
    newcomer = get_survey(db, "newcomer")
    assert newcomer is not None
    store_demo_responses(db, "newcomer", 60, seed=4)
    demo = stored(db)
    for row in demo:
        submission_create(
            db,
            survey=newcomer,
            submission_id=f"sent-{row.submission_id}",
            language=row.language,
            answers=json.loads(row.answers),
        )
    sent = {row.submission_id: row for row in stored(db) if not row.demo}

    def as_stored(row: Submission) -> tuple[object, ...]:
        return (row.version_id, row.answers, row.answers_hash, row.unanswered, row.likert_same)

    assert [as_stored(row) for row in demo] == [
        as_stored(sent[f"sent-{row.submission_id}"]) for row in demo
    ]
    assert any(row.unanswered for row in demo)
    assert any(row.likert_same for row in demo)


def test_irrelevant_answers_are_discarded_not_refused(
    published: Database, feedback: PublishedSurvey
) -> None:
    submission_create(
        published,
        survey=feedback,
        submission_id="s-1",
        language="de",
        answers={"satisfied": "yes", "reason": "wird nicht gefragt"},
    )
    [row] = stored(published)
    assert json.loads(row.answers) == {"satisfied": "yes"}


def test_a_replay_returns_the_stored_receipt_without_a_second_row(
    published: Database, feedback: PublishedSurvey
) -> None:
    first = submission_create(
        published, survey=feedback, submission_id="s-1", language="de", answers={"satisfied": "yes"}
    )
    again = submission_create(
        published, survey=feedback, submission_id="s-1", language="en", answers={"satisfied": "yes"}
    )
    assert again == replace(first, created=False)
    assert not again.created
    assert len(stored(published)) == 1


def test_new_submissions_are_numbered_within_their_window_and_replays_are_not_counted(
    published: Database, feedback: PublishedSurvey
) -> None:
    def send(submission_id: str) -> None:
        submission_create(
            published,
            survey=feedback,
            submission_id=submission_id,
            language="de",
            answers={"satisfied": "yes"},
        )

    for submission_id in ("s-1", "s-2", "s-2", "s-2", "s-3"):
        send(submission_id)

    crowds = [row.crowd for row in sorted(stored(published), key=lambda row: row.id or 0)]
    # One window, or two when the test ran across a ten-minute boundary.
    assert crowds in ([1, 2, 3], [1, 1, 2], [1, 2, 1])
    with published.read() as session:
        windows = session.exec(select(ArrivalWindow)).all()
    assert sum(window.count for window in windows) == crowds[-1]


def test_a_replay_is_recognised_by_its_cleaned_answers(
    published: Database, feedback: PublishedSurvey
) -> None:
    submission_create(
        published,
        survey=feedback,
        submission_id="s-1",
        language="de",
        answers={"satisfied": "yes", "help": ["course", "job"], "age": 20},
    )
    again = submission_create(
        published,
        survey=feedback,
        submission_id="s-1",
        language="de",
        answers={"help": ["job", "course"], "age": 20.0, "satisfied": "yes", "reason": "x"},
    )
    assert not again.created


def test_the_same_submission_id_with_other_answers_is_a_conflict(
    published: Database, feedback: PublishedSurvey
) -> None:
    submission_create(
        published, survey=feedback, submission_id="s-1", language="de", answers={"satisfied": "yes"}
    )
    with pytest.raises(SubmissionConflict):
        submission_create(
            published,
            survey=feedback,
            submission_id="s-1",
            language="de",
            answers={"satisfied": "no"},
        )
    assert json.loads(stored(published)[0].answers) == {"satisfied": "yes"}


def test_every_failing_field_and_question_is_named(
    published: Database, feedback: PublishedSurvey
) -> None:
    with pytest.raises(SubmissionInvalid) as refused:
        submission_create_from_json(
            published,
            survey=feedback,
            payload={
                "submission_id": "x" * 101,
                "language": "tlh",
                "answers": {"age": 12, "help": ["flying"], "colour": "blue"},
            },
        )
    assert set(refused.value.errors) == {
        "submission_id",
        "language",
        "satisfied",
        "age",
        "help",
        "colour",
    }
    assert refused.value.errors["satisfied"] == "Please answer this question."
    assert stored(published) == []


def test_messages_are_in_the_submission_language_with_the_questionnaires_own_text(
    published: Database, feedback: PublishedSurvey
) -> None:
    with pytest.raises(SubmissionInvalid) as refused:
        submission_create(
            published,
            survey=feedback,
            submission_id="s-1",
            language="ar",
            answers={"satisfied": "yes", "age": 12},
        )
    assert refused.value.errors == {"age": "العمر بين 16 و 99."}


@pytest.mark.parametrize("answers", [None, [], "satisfied=yes", 3])
def test_answers_that_are_not_an_object_are_refused(
    published: Database, feedback: PublishedSurvey, answers: object
) -> None:
    with pytest.raises(SubmissionInvalid) as refused:
        submission_create_from_json(
            published,
            survey=feedback,
            payload={"submission_id": "s-1", "language": "de", "answers": answers},
        )
    assert "answers" in refused.value.errors


def test_nested_or_huge_values_are_refused(published: Database, feedback: PublishedSurvey) -> None:
    with pytest.raises(SubmissionInvalid) as refused:
        submission_create(
            published,
            survey=feedback,
            submission_id="s-1",
            language="de",
            answers={"satisfied": {"a": [[["yes"]]]}, "help": [["job"]], "reason": "x" * 10_000},
        )
    assert set(refused.value.errors) == {"satisfied", "help"}
    with pytest.raises(SubmissionInvalid) as too_long:
        submission_create(
            published,
            survey=feedback,
            submission_id="s-1",
            language="de",
            answers={"satisfied": "no", "reason": "x" * 10_000},
        )
    assert set(too_long.value.errors) == {"reason"}


def test_a_closed_survey_takes_no_new_submissions(
    published: Database, feedback: PublishedSurvey
) -> None:
    set_survey_open(published, "feedback", False)
    with pytest.raises(SurveyClosed):
        submission_create(
            published,
            survey=feedback,
            submission_id="s-1",
            language="de",
            answers={"satisfied": "yes"},
        )
    assert stored(published) == []


def test_a_replay_is_answered_after_the_survey_was_closed(
    published: Database, feedback: PublishedSurvey
) -> None:
    first = submission_create(
        published, survey=feedback, submission_id="s-1", language="de", answers={"satisfied": "yes"}
    )
    set_survey_open(published, "feedback", False)

    again = submission_create(
        published, survey=feedback, submission_id="s-1", language="de", answers={"satisfied": "yes"}
    )

    assert again == replace(first, created=False)
    assert len(stored(published)) == 1


def test_an_invitation_survey_refuses_a_missing_or_unknown_token(
    published: Database, employers: PublishedSurvey
) -> None:
    for token in (None, "not-a-token"):
        with pytest.raises(InvitationRejected):
            submission_create(
                published,
                survey=employers,
                submission_id="e-1",
                language="de",
                answers={"staff": 12},
                invitation_token=token,
            )
    assert stored(published) == []


def test_a_token_admits_one_submission_and_is_marked_used_with_it(
    published: Database, employers: PublishedSurvey
) -> None:
    [token] = invitations_create(published, "employers", 1, "Bäckerei")
    receipt = submission_create(
        published,
        survey=employers,
        submission_id="e-1",
        language="de",
        answers={"staff": 12},
        invitation_token=token,
    )
    with published.read() as session:
        [invitation] = session.exec(select(Invitation)).all()
    assert invitation.submission_pk == receipt.id
    assert invitation.used_on is not None
    with pytest.raises(InvitationRejected):
        submission_create(
            published,
            survey=employers,
            submission_id="e-2",
            language="de",
            answers={"staff": 13},
            invitation_token=token,
        )
    assert invitation_counts(published, "employers").used == 1
    assert len(stored(published)) == 1


def test_a_replay_with_the_same_token_returns_the_stored_receipt(
    published: Database, employers: PublishedSurvey
) -> None:
    [token] = invitations_create(published, "employers", 1)
    first = submission_create(
        published,
        survey=employers,
        submission_id="e-1",
        language="de",
        answers={"staff": 12},
        invitation_token=token,
    )
    again = submission_create(
        published,
        survey=employers,
        submission_id="e-1",
        language="de",
        answers={"staff": 12},
        invitation_token=token,
    )
    assert again == replace(first, created=False)
    assert not again.created


def test_a_replay_without_the_token_learns_nothing(
    published: Database, employers: PublishedSurvey
) -> None:
    [token, other] = invitations_create(published, "employers", 2)
    submission_create(
        published,
        survey=employers,
        submission_id="e-1",
        language="de",
        answers={"staff": 12},
        invitation_token=token,
    )
    for wrong in (None, other):
        with pytest.raises(InvitationRejected):
            submission_create(
                published,
                survey=employers,
                submission_id="e-1",
                language="de",
                answers={"staff": 12},
                invitation_token=wrong,
            )
    assert invitation_counts(published, "employers").used == 1


def test_a_token_of_another_survey_is_refused(published: Database) -> None:
    survey = get_survey(published, "employers")
    assert survey is not None
    [token] = invitations_create(published, "employers", 1)
    with published.write() as session:
        invitation = session.exec(select(Invitation)).one()
        invitation.survey_id = "feedback"
        session.add(invitation)
    with pytest.raises(InvitationRejected):
        submission_create(
            published,
            survey=survey,
            submission_id="e-1",
            language="de",
            answers={"staff": 1},
            invitation_token=token,
        )
    assert stored(published) == []


def test_concurrent_replays_in_threads_store_one_row(
    published: Database, feedback: PublishedSurvey
) -> None:
    start = threading.Barrier(8)

    def submit(_: int) -> SubmissionReceipt:
        start.wait()
        return submission_create(
            published,
            survey=feedback,
            submission_id="s-1",
            language="de",
            answers={"satisfied": "no"},
        )

    with ThreadPoolExecutor(8) as pool:
        receipts = list(pool.map(submit, range(8)))
    assert sorted(receipt.created for receipt in receipts) == [False] * 7 + [True]
    assert len({receipt.id for receipt in receipts}) == 1
    assert len(stored(published)) == 1


def test_one_token_racing_under_different_submission_ids_admits_one(
    published: Database, employers: PublishedSurvey
) -> None:
    [token] = invitations_create(published, "employers", 1)
    start = threading.Barrier(6)

    def submit(number: int) -> str:
        start.wait()
        try:
            submission_create(
                published,
                survey=employers,
                submission_id=f"e-{number}",
                language="de",
                answers={"staff": number},
                invitation_token=token,
            )
        except InvitationRejected:
            return "rejected"
        return "stored"

    with ThreadPoolExecutor(6) as pool:
        outcomes = Counter(pool.map(submit, range(6)))
    assert outcomes == {"stored": 1, "rejected": 5}
    assert len(stored(published)) == 1
