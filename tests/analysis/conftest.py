"""Fixtures of the analysis tests: two waves of a small newcomer-style survey."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Questionnaire

QUESTIONNAIRES = Path(__file__).resolve().parent / "questionnaires"
#: The slides' titles of the Arbeit group's deck of wave1: title, key figures, questions.
WAVE1_SLIDES = [
    "Befragung Welle 1",
    "Auf einen Blick",
    "Wie gut sprechen Sie Deutsch?",
    "Wie alt sind Sie?",
    "Haben Sie Arbeit?",
    "Wochenstunden",
]
#: The sheets of the Arbeit group's workbook of wave1: the info sheet, then one per
#: question, named after its German label.
WAVE1_SHEETS = [
    "Info",
    "Wie gut sprechen Sie Deutsch",
    "Wie alt sind Sie",
    "Haben Sie Arbeit",
    "Wochenstunden",
]
GROUPS = {"sprache", "arbeit", "beratung", "wohnen", "projekte", "schulen", "gesundheit", "kultur"}


def load(name: str) -> Questionnaire:
    result = load_questionnaire(QUESTIONNAIRES / f"{name}.yaml", working_groups=GROUPS)
    assert result.questionnaire is not None, result.problems
    return result.questionnaire


def texts(*answers: dict[str, Any]) -> list[str]:
    """Answers as stored: canonical JSON texts."""
    return [
        json.dumps(a, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for a in answers
    ]


def variant(questionnaire: Questionnaire, **changes: Any) -> Questionnaire:
    """The questionnaire with top-level fields replaced (pages, choices, ...)."""
    definition = questionnaire.to_definition() | changes
    return Questionnaire.model_validate(definition)


@pytest.fixture(scope="session")
def wave1() -> Questionnaire:
    return load("wave1")


@pytest.fixture(scope="session")
def wave2() -> Questionnaire:
    return load("wave2")
