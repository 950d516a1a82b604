"""Fixtures for the storage tests: two small published surveys (anonymous, invitation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_app.db.engine import Database
from survey_app.questionnaire.errors import errors_only
from survey_app.services.published import PublishedSurvey, get_survey
from survey_app.services.surveys import publish_directory

STORAGE_QUESTIONNAIRES = Path(__file__).resolve().parent / "questionnaires"


@pytest.fixture
def published(db: Database) -> Database:
    """The database with `feedback` (anonymous) and `employers` (invitation) published."""
    report = publish_directory(db, STORAGE_QUESTIONNAIRES)
    assert not errors_only(report.problems)
    return db


@pytest.fixture
def feedback(published: Database) -> PublishedSurvey:
    survey = get_survey(published, "feedback")
    assert survey is not None
    return survey


@pytest.fixture
def employers(published: Database) -> PublishedSurvey:
    survey = get_survey(published, "employers")
    assert survey is not None
    return survey
