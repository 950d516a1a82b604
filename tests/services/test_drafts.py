"""Drafts: saved answers found by key, expiry, resume codes, deletion."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import Draft
from survey_app.services import drafts
from survey_app.services.drafts import (
    RESUME_ALPHABET,
    draft_change,
    draft_delete,
    draft_delete_by_code,
    draft_load,
    draft_resume,
    draft_save,
    draft_submit,
    draft_was_sent,
    key_hash,
    new_draft_key,
    resume_code_create,
    submission_id_for,
)
from survey_app.services.published import PublishedSurvey
from survey_app.services.submissions import submission_create
from survey_app.services.surveys import publish_directory

QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "questionnaires"
SECRET = "draft-test-secret-0123456789-0123456789"
TODAY = datetime.date(2026, 5, 4)


@pytest.fixture
def newcomer(db: Database) -> PublishedSurvey:
    report = publish_directory(db, QUESTIONNAIRES)
    return next(survey for survey in report.published if survey.id == "newcomer")


def save(db: Database, survey: PublishedSurvey, key: str, answers: dict[str, object]) -> None:
    draft_save(
        db,
        survey=survey,
        key=key,
        answers=answers,
        page=2,
        language="ar",
        lifetime_days=30,
        today=TODAY,
    )


def test_a_saved_draft_is_loaded_by_its_key(db: Database, newcomer: PublishedSurvey) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {"arrival_year": "y2015_2017", "household": "alone"})
    draft = draft_load(db, "newcomer", key, today=TODAY)
    assert draft is not None
    assert draft.answers == {"arrival_year": "y2015_2017", "household": "alone"}
    assert (draft.page, draft.language) == (2, "ar")
    assert draft.expires_on == TODAY + datetime.timedelta(days=30)
    assert draft_load(db, "newcomer", new_draft_key(), today=TODAY) is None
    assert draft_load(db, "company", key, today=TODAY) is None


def test_only_the_hash_of_the_key_is_stored(db: Database, newcomer: PublishedSurvey) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {})
    with db.read() as session:
        [row] = session.exec(select(Draft)).all()
    assert row.key_hash == key_hash(key) != key


def test_a_draft_expires_after_its_lifetime(db: Database, newcomer: PublishedSurvey) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {"household": "alone"})
    last_day = TODAY + datetime.timedelta(days=30)
    assert draft_load(db, "newcomer", key, today=last_day) is not None
    assert draft_load(db, "newcomer", key, today=last_day + datetime.timedelta(days=1)) is None


def test_saving_again_replaces_the_answers_and_extends_the_expiry(
    db: Database, newcomer: PublishedSurvey
) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {"household": "alone"})
    later = TODAY + datetime.timedelta(days=20)
    draft_save(
        db,
        survey=newcomer,
        key=key,
        answers={"household": "partner"},
        page=3,
        language="de",
        lifetime_days=30,
        today=later,
    )
    draft = draft_load(db, "newcomer", key, today=later)
    assert draft is not None
    assert draft.answers == {"household": "partner"}
    assert draft.expires_on == later + datetime.timedelta(days=30)
    with db.read() as session:
        assert len(session.exec(select(Draft)).all()) == 1


def test_saving_without_a_page_keeps_the_page_the_draft_is_at(
    db: Database, newcomer: PublishedSurvey
) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {"household": "alone"})
    draft_save(
        db,
        survey=newcomer,
        key=key,
        answers={"household": "partner"},
        page=None,
        language="ar",
        lifetime_days=30,
        today=TODAY,
    )
    draft = draft_load(db, "newcomer", key, today=TODAY)
    assert draft is not None
    assert (draft.page, draft.answers) == (2, {"household": "partner"})


def test_a_change_is_applied_to_the_answers_saved_since_it_was_made(
    db: Database, newcomer: PublishedSurvey
) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {"household": "alone"})
    # Next saved a later answer while the change was on its way.
    save(db, newcomer, key, {"household": "alone", "flat_looking": "yes"})

    changed = draft_change(
        db,
        survey_id="newcomer",
        key=key,
        change=lambda now: {**now, "household": "partner"},
        lifetime_days=30,
        today=TODAY,
    )

    assert changed is not None
    assert (changed.page, changed.answers) == (2, {"household": "partner", "flat_looking": "yes"})


def test_changes_made_at_the_same_time_are_all_kept(
    db: Database, newcomer: PublishedSurvey
) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {})
    names = [f"answer_{number}" for number in range(24)]

    def change(name: str) -> None:
        draft_change(
            db,
            survey_id="newcomer",
            key=key,
            change=lambda now: {**now, name: "yes"},
            lifetime_days=30,
            today=TODAY,
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(change, names))

    draft = draft_load(db, "newcomer", key, today=TODAY)
    assert draft is not None
    assert sorted(draft.answers) == sorted(names)


def test_no_change_is_saved_without_an_unexpired_draft(
    db: Database, newcomer: PublishedSurvey
) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {"household": "alone"})
    later = TODAY + datetime.timedelta(days=31)

    def unchanged(now: Mapping[str, object]) -> dict[str, object]:
        return dict(now)

    assert (
        draft_change(
            db, survey_id="newcomer", key=key, change=unchanged, lifetime_days=30, today=later
        )
        is None
    )
    assert (
        draft_change(
            db,
            survey_id="newcomer",
            key=new_draft_key(),
            change=unchanged,
            lifetime_days=30,
            today=TODAY,
        )
        is None
    )


def test_a_resume_code_is_ten_unambiguous_characters(
    db: Database, newcomer: PublishedSurvey
) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {})
    code = resume_code_create(db, survey_id="newcomer", key=key, secret=SECRET, today=TODAY)
    assert code is not None
    assert len(code) == 10
    assert set(code) <= set(RESUME_ALPHABET)
    assert not set(code) & set("0O1IL25SB8Z")
    with db.read() as session:
        [row] = session.exec(select(Draft)).all()
    assert row.resume_code_hash is not None
    assert code not in row.resume_code_hash


def test_resuming_moves_the_draft_to_a_new_key(db: Database, newcomer: PublishedSurvey) -> None:
    old_key = new_draft_key()
    save(db, newcomer, old_key, {"household": "alone"})
    code = resume_code_create(db, survey_id="newcomer", key=old_key, secret=SECRET, today=TODAY)
    assert code is not None
    typed = f" {code[:5].lower()}-{code[5:]} "
    new_key = draft_resume(db, survey_id="newcomer", code=typed, secret=SECRET, today=TODAY)
    assert new_key is not None
    draft = draft_load(db, "newcomer", new_key, today=TODAY)
    assert draft is not None
    assert draft.answers == {"household": "alone"}
    assert draft_load(db, "newcomer", old_key, today=TODAY) is None


PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
CYRILLIC_LOOK_ALIKES = str.maketrans("ACEHKMPTXY", "АСЕНКМРТХУ")
GREEK_LOOK_ALIKES = str.maketrans("ACEHKMPTXY", "ΑCΕΗΚΜΡΤΧΥ")


@pytest.mark.parametrize(
    "typed_as",
    [
        lambda code: f"{code[:5]}-{code[5:]}".translate(PERSIAN_DIGITS),
        lambda code: f"{code[:5]} {code[5:]}".translate(ARABIC_INDIC_DIGITS),
        lambda code: f"{code[:5]}–{code[5:]}".translate(CYRILLIC_LOOK_ALIKES).lower(),
        lambda code: f"{code[:5]}\u00a0{code[5:]}".translate(GREEK_LOOK_ALIKES),
        lambda code: "".join(chr(ord(char) + 0xFEE0) for char in code),
        lambda code: f"{code[:5]}\u0640{code[5:]}".translate(PERSIAN_DIGITS),
    ],
    ids=["persian-digits", "arabic-indic-digits", "cyrillic", "greek", "full-width", "tatweel"],
)
def test_a_resume_code_typed_on_another_keyboard_resumes_the_draft(
    db: Database,
    newcomer: PublishedSurvey,
    typed_as: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn = iter("AC4E7HK9MT")  # letters with look-alikes, and digits
    monkeypatch.setattr(drafts.secrets, "choice", lambda _alphabet: next(drawn))
    key = new_draft_key()
    save(db, newcomer, key, {"household": "alone"})
    code = resume_code_create(db, survey_id="newcomer", key=key, secret=SECRET, today=TODAY)
    assert code == "AC4E7HK9MT"
    typed = typed_as(code)
    assert typed.replace("-", "") != code
    resumed = draft_resume(db, survey_id="newcomer", code=typed, secret=SECRET, today=TODAY)
    assert resumed is not None


def test_a_code_of_look_alikes_of_other_letters_does_not_match(
    db: Database, newcomer: PublishedSurvey
) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {})
    code = resume_code_create(db, survey_id="newcomer", key=key, secret=SECRET, today=TODAY)
    assert code is not None
    other = code[:-1] + ("3" if code[-1] != "3" else "4")
    assert draft_resume(db, survey_id="newcomer", code=other, secret=SECRET, today=TODAY) is None


def test_a_resume_code_works_only_for_its_survey_and_secret(
    db: Database, newcomer: PublishedSurvey
) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {})
    code = resume_code_create(db, survey_id="newcomer", key=key, secret=SECRET, today=TODAY)
    assert code is not None
    assert draft_resume(db, survey_id="company", code=code, secret=SECRET, today=TODAY) is None
    assert draft_resume(db, survey_id="newcomer", code=code, secret="other", today=TODAY) is None
    assert draft_resume(db, survey_id="newcomer", code="", secret=SECRET, today=TODAY) is None


def test_an_expired_draft_cannot_be_resumed(db: Database, newcomer: PublishedSurvey) -> None:
    key = new_draft_key()
    save(db, newcomer, key, {})
    code = resume_code_create(db, survey_id="newcomer", key=key, secret=SECRET, today=TODAY)
    assert code is not None
    much_later = TODAY + datetime.timedelta(days=31)
    assert (
        draft_resume(db, survey_id="newcomer", code=code, secret=SECRET, today=much_later) is None
    )


def test_a_draft_is_deleted_by_key_or_by_resume_code(
    db: Database, newcomer: PublishedSurvey
) -> None:
    first, second = new_draft_key(), new_draft_key()
    save(db, newcomer, first, {})
    save(db, newcomer, second, {})
    code = resume_code_create(db, survey_id="newcomer", key=second, secret=SECRET, today=TODAY)
    assert code is not None
    assert draft_delete(db, "newcomer", first)
    assert not draft_delete(db, "newcomer", first)
    assert draft_delete_by_code(db, survey_id="newcomer", code=code, secret=SECRET)
    with db.read() as session:
        assert session.exec(select(Draft)).all() == []


def test_the_submission_id_is_stable_and_not_the_key_hash() -> None:
    key = new_draft_key()
    assert submission_id_for(key) == submission_id_for(key)
    assert submission_id_for(key) != submission_id_for(new_draft_key())
    assert key_hash(key)[:40] not in submission_id_for(key)
    assert len(submission_id_for(key)) <= 100


def test_a_sent_draft_is_recognised(db: Database, newcomer: PublishedSurvey) -> None:
    key = new_draft_key()
    assert not draft_was_sent(db, "newcomer", key)
    submission_create(
        db,
        survey=newcomer,
        submission_id=submission_id_for(key),
        language="de",
        answers={
            "arrival_year": "y2018_2021",
            "german_level": "a2",
            "integration_course": "attending",
            "main_activity": "employed",
            "housing_situation": "own_flat",
        },
    )
    assert draft_was_sent(db, "newcomer", key)


ANSWERS = {
    "arrival_year": "y2018_2021",
    "german_level": "a2",
    "integration_course": "attending",
    "main_activity": "employed",
    "housing_situation": "own_flat",
}


def test_sending_a_draft_stores_the_answers_and_deletes_the_draft(
    db: Database, newcomer: PublishedSurvey
) -> None:
    key = new_draft_key()
    save(db, newcomer, key, ANSWERS)

    receipt = draft_submit(db, survey=newcomer, key=key, language="de", answers=ANSWERS)

    assert receipt.created
    assert draft_was_sent(db, "newcomer", key)
    assert draft_load(db, "newcomer", key, today=TODAY) is None


def test_a_draft_whose_deletion_fails_is_not_sent_either(
    db: Database, newcomer: PublishedSurvey, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_draft_key()
    save(db, newcomer, key, ANSWERS)

    def failing_delete(*_args: object) -> bool:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(drafts, "_draft_delete", failing_delete)
    with pytest.raises(RuntimeError, match="the disk is full"):
        draft_submit(db, survey=newcomer, key=key, language="de", answers=ANSWERS)

    assert not draft_was_sent(db, "newcomer", key)  # one transaction: nothing stored
    assert draft_load(db, "newcomer", key, today=TODAY) is not None
