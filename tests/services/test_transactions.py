"""Write services own their transaction: an audit entry commits with its change, and a
failing audit write leaves the change undone."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import Invitation, Survey
from survey_app.errors import UnknownSurvey
from survey_app.services import admin
from survey_app.services.admin import invitation_links, survey_open_close
from survey_app.services.audit import audit_events
from survey_app.services.surveys import publish_directory
from tests.conftest import QUESTIONNAIRES


@pytest.fixture
def published(db: Database) -> Database:
    publish_directory(db, QUESTIONNAIRES)
    return db


@pytest.fixture
def failing_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    def audit_record(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(admin, "audit_record", audit_record)


def is_open(db: Database, survey_id: str) -> bool:
    with db.read() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        return survey.is_open


def invitations(db: Database) -> int:
    with db.read() as session:
        return len(session.exec(select(Invitation)).all())


def test_closing_a_survey_is_audited_in_the_same_transaction(published: Database) -> None:
    survey_open_close(published, "newcomer", is_open=False, actor="lea@example.org")

    assert not is_open(published, "newcomer")
    [event] = [e for e in audit_events(published) if e.action == "survey_close"]
    assert event.actor == "lea@example.org"


@pytest.mark.usefixtures("failing_audit")
def test_a_failing_audit_write_leaves_the_survey_open(published: Database) -> None:
    with pytest.raises(RuntimeError, match="audit log"):
        survey_open_close(published, "newcomer", is_open=False, actor="lea@example.org")

    assert is_open(published, "newcomer")


@pytest.mark.usefixtures("failing_audit")
def test_a_failing_audit_write_creates_no_invitations(published: Database) -> None:
    with pytest.raises(RuntimeError, match="audit log"):
        invitation_links(
            published,
            "company",
            count=3,
            label="März",
            base_url="https://umfrage.example.de",
            actor="lea@example.org",
        )

    assert invitations(published) == 0


def test_an_unknown_survey_is_neither_changed_nor_audited(published: Database) -> None:
    with pytest.raises(UnknownSurvey):
        survey_open_close(published, "nothing", is_open=False, actor="lea@example.org")

    assert not [e for e in audit_events(published) if e.action == "survey_close"]
