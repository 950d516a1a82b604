"""A release made right after a check of the same responses takes the check's audit
instead of running it again: the office that checked first does not wait twice. Any
change since the check (a response, an exclusion, other rules) audits again."""

from __future__ import annotations

import datetime
import json
import socket
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

import analysis.publication
from survey_app.db.engine import Database
from survey_app.db.tables import Release, ReleaseJob, Submission
from survey_app.services import live_results
from survey_app.services.audit import audit_events
from survey_app.services.demo import store_demo_responses
from survey_app.services.release_jobs import AUDIT, CHECK, CHECKED, DONE, run_job
from survey_app.services.releases import release_audit_check, release_create
from survey_app.services.review import responses_set_status
from survey_app.services.surveys import publish_questionnaire
from tests.analysis.conftest import load

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def survey(db: Database) -> Database:
    """wave1 with 60 responses, nothing released yet."""
    publish_questionnaire(db, load("wave1"))
    store_demo_responses(db, "wave1", 60, seed=1, today=TODAY)
    return db


@pytest.fixture
def audits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per audit run (`analysis.publication.publish`)."""
    runs: list[int] = []
    original = analysis.publication.publish

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(analysis.publication, "publish", counted)
    return runs


def stored_release(db: Database) -> Release:
    with db.read() as session:
        return session.execute(select(Release)).scalar_one()


def test_a_release_made_of_what_was_checked_takes_the_checks_audit(
    survey: Database, audits: list[int]
) -> None:
    checked = release_audit_check(survey, "wave1")
    again = release_audit_check(survey, "wave1")

    made = release_create(survey, "wave1", actor="office", checked=[checked])

    assert again.inputs == checked.inputs
    assert again.publication == checked.publication  # the audit would come out the same
    assert len(audits) == 2  # the two checks; the release audited nothing
    assert made.responses == 60
    assert stored_release(survey).publication == checked.publication
    (event,) = [e for e in audit_events(survey) if e.action == "release"]
    assert json.loads(event.detail)["audit_of_check"] is True


def test_a_response_that_arrived_since_the_check_is_audited_and_counted(
    survey: Database, audits: list[int]
) -> None:
    checked = release_audit_check(survey, "wave1")
    store_demo_responses(survey, "wave1", 1, seed=2, today=TODAY)

    made = release_create(survey, "wave1", actor="office", checked=[checked])

    assert len(audits) == 2
    assert made.responses == 61
    (event,) = [e for e in audit_events(survey) if e.action == "release"]
    assert json.loads(event.detail)["audit_of_check"] is False


def test_a_response_excluded_since_the_check_is_audited_again(
    survey: Database, audits: list[int]
) -> None:
    checked = release_audit_check(survey, "wave1")
    with survey.read() as session:
        first = session.execute(select(func.min(col(Submission.id)))).scalar_one()
    responses_set_status(
        survey, "wave1", [first], status="excluded", reason="Dublette", actor="office"
    )

    made = release_create(survey, "wave1", actor="office", checked=[checked])

    assert len(audits) == 2
    assert made.responses == 59
    assert stored_release(survey).excluded["ids"] == [first]


def test_a_check_made_by_other_rules_is_not_taken(
    survey: Database, audits: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = release_audit_check(survey, "wave1")
    monkeypatch.setattr(live_results, "code_identity", lambda: "the rules of another version")

    release_create(survey, "wave1", actor="office", checked=[checked])

    assert len(audits) == 2


def test_the_release_job_takes_the_newest_check_and_forgets_the_checks_after(
    survey: Database, audits: list[int]
) -> None:
    # The admin page's jobs: "check first", then "release now".
    check_job = job(survey, {CHECK: True})
    run_job(survey, check_job)
    release_job = job(survey, {})
    run_job(survey, release_job)

    with survey.read() as session:
        checked = session.get_one(ReleaseJob, check_job)
        released = session.get_one(ReleaseJob, release_job)
    assert len(audits) == 1
    assert released.state == DONE
    assert released.number == 1
    assert checked.state == CHECKED
    assert checked.values[CHECKED]["shown"] > 0  # what the page shows stays
    assert AUDIT not in checked.values  # a made release leaves nothing to take


def job(db: Database, values: dict[str, Any]) -> int:
    with db.write() as session:
        made = ReleaseJob(
            survey_id="wave1",
            actor="office",
            worker=f"{socket.gethostname()}:1",
            with_demo=True,
            values=values,
        )
        session.add(made)
        session.flush()
        assert made.id is not None
        return made.id
