"""Free-text answers as working groups receive them: suggested redactions, and the
categories of a text question counted as a derived multiple choice that the audit knows
is given only where the text was."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.publication import ANSWERED, plan_publication
from analysis.texts import category_columns, suggested_redaction, with_text_categories
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from tests.services.test_texts import VOICES


@pytest.fixture
def voices() -> Questionnaire:
    loaded = load_questionnaire(VOICES / "voices.yaml", working_groups={"arbeit", "sprache"})
    assert loaded.questionnaire is not None, loaded.problems
    return loaded.questionnaire


@pytest.mark.parametrize(
    ("given", "suggested"),
    [
        ("Ich heiße Samir Haddad und suche Arbeit", "Ich heiße [Name] und suche Arbeit"),
        ("My name is John, I need a flat", "My name is [Name], I need a flat"),
        ("Frau Müller vom Jobcenter hat geholfen", "Frau [Name] vom Jobcenter hat geholfen"),
        ("اسمي أحمد، أبحث عن شقة", "اسمي [Name]، أبحث عن شقة"),
        ("Rufen Sie 0176 2345 6789 an", "Rufen Sie [Nummer] an"),
        ("Tel. +49 (0)6221 123456", "Tel. [Nummer]"),
        ("schreiben Sie an samir.h@example.org", "schreiben Sie an [E-Mail]"),
        ("siehe https://example.org/x?y=1", "siehe [Link]"),
        ("Ich wohne in der Bahnhofstraße 12a", "Ich wohne in der [Adresse]"),
        ("geboren am 03.04.1990", "geboren am [Datum]"),
        ("Aktenzeichen 123/456-789", "Aktenzeichen [Nummer]"),
    ],
)
def test_a_redaction_is_suggested_for_what_patterns_find(given: str, suggested: str) -> None:
    assert suggested_redaction(given) == suggested


@pytest.mark.parametrize(
    "kept",
    [
        "Seit 2019 in Deutschland, 3 Kinder, Kurs B1 seit 12 Monaten",
        "Mehr Sprachkurse am Abend",
        "دورة لغة مسائية",
    ],
)
def test_years_counts_and_ordinary_words_are_left_alone(kept: str) -> None:
    assert suggested_redaction(kept) == kept


def test_categories_become_a_multiple_choice_after_their_question_in_its_groups(
    voices: Questionnaire,
) -> None:
    derived = with_text_categories(voices, {"help_most": [(4, "Sprache"), (7, "Wohnen")]})

    names = [q.name for q in derived.iter_questions()]
    assert names == ["course", "help_most", "help_most__categories", "teachers"]
    question = derived.questions["help_most__categories"]
    assert question.type is QuestionType.SELECT_MULTIPLE
    assert question.working_groups == ("arbeit",)
    assert [c.name for c in derived.choices_of(question)] == ["c4", "c7"]
    assert derived.text(question.label, "en") == "What would help you most? – categories"
    assert with_text_categories(voices, {}) is voices


def test_an_answer_without_categories_counts_as_not_answered() -> None:
    columns = category_columns("help_most", [4, 7], [[4], None, [4, 7], []])

    assert pd.Series(columns["help_most__categories/c4"]).tolist() == [True, pd.NA, True, pd.NA]
    assert pd.Series(columns["help_most__categories/c7"]).tolist() == [False, pd.NA, True, pd.NA]


def test_the_audit_knows_categories_are_only_given_where_the_text_was(
    voices: Questionnaire,
) -> None:
    derived = with_text_categories(voices, {"help_most": [(4, "Sprache")]})

    plan = plan_publication(
        derived,
        groups=["arbeit"],
        reference_year=2026,
        subsets={"help_most__categories": "help_most"},
    )

    part = plan.one_way["help_most__categories"][ANSWERED]
    whole = plan.one_way["help_most"][ANSWERED]
    assert ((part, whole), (1, -1)) in plan.structure.inequalities
    by_course = plan.two_way[("help_most__categories", "course")]
    whole_by_course = plan.two_way[("help_most", "course")]
    for column in ("yes", "no", "(missing)"):
        row = ((by_course[(ANSWERED, column)], whole_by_course[(ANSWERED, column)]), (1, -1))
        assert row in plan.structure.inequalities
    assert plan.without([("help_most", "course")]).subsets == plan.subsets
