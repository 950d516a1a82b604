"""The demo's earlier wave: a closed survey of the same series with answers a year older,
released, so a new user can compare two waves before a second real round exists."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from analysis.demo import read_demo_priors
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.errors import Invalid
from survey_app.services.audit import audit_events
from survey_app.services.demo import demo_earlier_wave, store_demo_responses
from survey_app.services.published import get_survey
from survey_app.services.released import release_results
from survey_app.services.releases import release_create
from survey_app.services.surveys import publish_directory
from tests.conftest import QUESTIONNAIRES
from tests.services.test_publishing import make_directory

TODAY = datetime.date(2026, 11, 30)


@pytest.fixture
def newcomer(db: Database) -> Database:
    publish_directory(db, QUESTIONNAIRES)
    store_demo_responses(db, "newcomer", 200, seed=1, today=TODAY)
    release_create(db, "newcomer", actor="test")
    return db


def test_the_earlier_wave_is_a_closed_released_survey_of_the_same_series(
    newcomer: Database,
) -> None:
    priors = read_demo_priors(QUESTIONNAIRES / "demo.yaml", "newcomer")
    wave = demo_earlier_wave(
        newcomer, "newcomer", 200, seed=1, priors=priors, actor="office", today=TODAY
    )

    assert (wave.survey_id, wave.responses, wave.release.responses) == (
        "newcomer-demo-earlier",
        200,
        200,
    )
    earlier = get_survey(newcomer, "newcomer-demo-earlier")
    current = get_survey(newcomer, "newcomer")
    assert earlier is not None
    assert current is not None
    assert not earlier.is_open
    assert earlier.questionnaire.series == current.questionnaire.series == "newcomer"
    assert earlier.questionnaire.questions.keys() == current.questionnaire.questions.keys()
    assert earlier.questionnaire.title["de"].endswith("(Demo: frühere Welle)")
    with newcomer.read() as session:
        latest = session.execute(
            select(func.max(col(Submission.created_on))).where(
                col(Submission.survey_id) == "newcomer-demo-earlier"
            )
        ).scalar_one()
    assert latest <= TODAY - datetime.timedelta(days=365)
    assert any(event.action == "demo_earlier_wave" for event in audit_events(newcomer))
    with pytest.raises(Invalid, match="has 200 responses already"):
        demo_earlier_wave(newcomer, "newcomer", 10, actor="office")


def test_results_compare_the_survey_with_its_earlier_wave_and_the_waves_differ(
    newcomer: Database,
) -> None:
    priors = read_demo_priors(QUESTIONNAIRES / "demo.yaml", "newcomer")
    demo_earlier_wave(newcomer, "newcomer", 200, seed=1, priors=priors, actor="office")

    results = release_results(newcomer, "newcomer", compare="newcomer-demo-earlier")

    compared = [q for q in results.questions if q.compare is not None]
    assert compared, "no question was set beside the earlier wave"
    moved = [q for q in compared if any(v not in (None, 0) for v in q.compare.change.values())]
    assert len(moved) > len(compared) / 2


def test_a_survey_without_a_series_has_no_earlier_wave(db: Database, tmp_path: Path) -> None:
    publish_directory(db, make_directory(tmp_path))

    with pytest.raises(Invalid, match="no series"):
        demo_earlier_wave(db, "example", 10, actor="office")
    assert get_survey(db, "example-demo-earlier") is None
