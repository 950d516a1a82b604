"""Write services own their transaction: an audit entry commits with its change, and a
failing audit write leaves the change undone (on an ORM session, `services.admin`, and
on a Core connection, `services.accounts`)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import Invitation, Survey
from survey_app.errors import UnknownSurvey
from survey_app.services import accounts, admin
from survey_app.services.accounts import Account, user_add, user_list, user_remove
from survey_app.services.admin import invitation_links, survey_open_close
from survey_app.services.audit import audit_events
from survey_app.services.surveys import publish_directory
from tests.conftest import QUESTIONNAIRES


@pytest.fixture
def published(db: Database) -> Database:
    publish_directory(db, QUESTIONNAIRES)
    return db


def refused_audit_record(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("the audit log cannot be written")


@pytest.fixture
def failing_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin, "audit_record", refused_audit_record)


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


PASSWORD = "Lange-Passphrase-fuer-Tests"


def add_lea(db: Database) -> Account:
    return user_add(
        db,
        email="Lea@Example.org",
        password=PASSWORD,
        groups=["sprache", "arbeit"],
        is_admin=False,
        known_groups={"arbeit", "sprache"},
        actor="office@example.org",
    )


def test_adding_an_account_is_audited_in_the_same_transaction(db: Database) -> None:
    added = add_lea(db)

    assert user_list(db) == [added]
    assert (added.email, added.is_admin, added.groups) == (
        "lea@example.org",
        False,
        {"arbeit", "sprache"},
    )
    [event] = [e for e in audit_events(db) if e.action == "user_add"]
    assert event.actor == "office@example.org"
    assert json.loads(event.detail) == {
        "admin": False,
        "email": "lea@example.org",
        "groups": ["arbeit", "sprache"],
    }


def test_a_failing_audit_write_adds_no_account(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "audit_record", refused_audit_record)

    with pytest.raises(RuntimeError, match="audit log"):
        add_lea(db)

    assert user_list(db) == []


def test_a_failing_audit_write_keeps_the_account_and_its_groups(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = add_lea(db)
    monkeypatch.setattr(accounts, "audit_record", refused_audit_record)

    with pytest.raises(RuntimeError, match="audit log"):
        user_remove(db, email="lea@example.org", actor="office@example.org")

    assert user_list(db) == [added]
