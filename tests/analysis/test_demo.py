"""Demo data: valid by the questionnaire's own rules, skewed like real answers, reproducible."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

import pytest

from analysis.demo import Prior, demo_responses, read_demo_priors
from survey_app.questionnaire.loader import load_questionnaire, load_working_group_catalog
from survey_app.questionnaire.rules import Answer, check_answers
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from tests.conftest import FIXTURES, QUESTIONNAIRES

TODAY = datetime.date(2026, 3, 1)


def test_every_demo_response_passes_check_answers(wave1: Questionnaire) -> None:
    for response in demo_responses(wave1, 2000, seed=7, today=TODAY):
        checked = check_answers(wave1, response.answers, today=TODAY)
        assert checked.ok, checked.errors
        assert checked.answers == response.answers
        assert response.language in wave1.languages


def test_demo_answers_respect_relevance_and_constraints(wave1: Questionnaire) -> None:
    responses = list(demo_responses(wave1, 2000, seed=3, today=TODAY))

    for response in responses:
        answers = response.answers
        assert ("hours" in answers) <= (answers["employed"] == "yes")
        assert 16 <= int(answers["age"]) <= 99  # type: ignore[call-overload]
        assert str(answers.get("arrived", "2000-01-01")) <= TODAY.isoformat()
    assert any("hours" in r.answers for r in responses)


def test_demo_choices_are_skewed_not_uniform(wave1: Questionnaire) -> None:
    levels = Counter(
        r.answers["german_level"] for r in demo_responses(wave1, 5000, seed=11, today=TODAY)
    )

    assert len(levels) >= 3
    assert max(levels.values()) > 2 * min(levels.values())


def test_demo_is_reproducible_with_a_seed(wave1: Questionnaire) -> None:
    first = [r.answers for r in demo_responses(wave1, 300, seed=5, today=TODAY)]
    again = [r.answers for r in demo_responses(wave1, 300, seed=5, today=TODAY)]
    other = [r.answers for r in demo_responses(wave1, 300, seed=6, today=TODAY)]

    assert first == again
    assert first != other


@pytest.mark.parametrize("survey", ["newcomer", "company"])
@pytest.mark.parametrize("seed", range(8))
def test_demo_data_for_the_real_surveys_is_made_with_any_seed(survey: str, seed: int) -> None:
    groups = {group.id for group in load_working_group_catalog(QUESTIONNAIRES)[0]}
    loaded = load_questionnaire(QUESTIONNAIRES / f"{survey}.yaml", working_groups=groups)
    assert loaded.questionnaire is not None

    responses = list(demo_responses(loaded.questionnaire, 200, seed=seed, today=TODAY))

    assert len(responses) == 200


@dataclass(frozen=True)
class NewcomerDemo:
    questionnaire: Questionnaire
    priors: dict[str, Prior]
    responses: list[dict[str, Answer]]


@pytest.fixture(scope="module")
def newcomer_demo() -> NewcomerDemo:
    """2,000 demo responses to the newcomer survey drawn with the priors of demo.yaml."""
    groups = {group.id for group in load_working_group_catalog(QUESTIONNAIRES)[0]}
    newcomer = load_questionnaire(QUESTIONNAIRES / "newcomer.yaml", working_groups=groups)
    assert newcomer.questionnaire is not None
    priors = read_demo_priors(QUESTIONNAIRES / "demo.yaml", "newcomer")
    responses = [
        r.answers
        for r in demo_responses(newcomer.questionnaire, 2000, seed=3, today=TODAY, priors=priors)
    ]
    return NewcomerDemo(newcomer.questionnaire, priors, responses)


def test_demo_priors_make_the_newcomer_results_plausible(newcomer_demo: NewcomerDemo) -> None:
    priors, responses = newcomer_demo.priors, newcomer_demo.responses
    assert priors["age_group"].weights["a27_34"] > priors["age_group"].weights["a65_plus"]

    ages = Counter(answers["age_group"] for answers in responses if "age_group" in answers)
    assert max(ages.values()) < 0.45 * sum(ages.values())  # no band holds most people
    assert ages["a65_plus"] < ages["a27_34"] / 5
    with_children = Counter(
        answers.get("children_u18")
        for answers in responses
        if answers.get("household") == "children"
    )
    assert with_children["yes"] > 4 * with_children["no"]
    # only people living with children or others are asked about children
    assert not any(
        "children_u18" in answers for answers in responses if answers.get("household") == "partner"
    )


def _ticked_shares(responses: list[dict[str, Answer]], question: str) -> dict[str, float]:
    answered = [answers[question] for answers in responses if question in answers]
    ticks = Counter(choice for ticked in answered for choice in ticked)  # type: ignore[union-attr]
    return {choice: count / len(answered) for choice, count in ticks.items()}


def test_newcomer_demo_ticks_no_choice_by_most_unless_the_prior_does(
    newcomer_demo: NewcomerDemo,
) -> None:
    several = [
        question
        for question in newcomer_demo.questionnaire.iter_questions()
        if question.type is QuestionType.SELECT_MULTIPLE
    ]
    assert len(several) >= 8
    for question in several:
        prior = newcomer_demo.priors.get(question.name, Prior())
        for choice, share in _ticked_shares(newcomer_demo.responses, question.name).items():
            allowed = max(0.6, prior.highest(choice) + 0.1)
            assert share <= allowed, (question.name, choice, share)


def test_newcomer_demo_gives_the_none_of_these_answers_as_often_as_the_prior_says(
    newcomer_demo: NewcomerDemo,
) -> None:
    for question, choice in [
        ("leisure", "nothing"),
        ("counselling_barriers", "nothing"),
        ("counselling_barriers", "no_need"),
    ]:
        wanted = newcomer_demo.priors[question].weights[choice]
        share = _ticked_shares(newcomer_demo.responses, question).get(choice, 0.0)
        assert share > wanted / 2, (question, choice, share)


def test_newcomer_demo_uses_only_services_it_knows(newcomer_demo: NewcomerDemo) -> None:
    users = [answers for answers in newcomer_demo.responses if "services_used" in answers]
    assert len(users) > 1000
    for answers in users:
        used = set(answers["services_used"]) - {"none"}  # type: ignore[arg-type]
        assert used <= set(answers["services_known"]), answers  # type: ignore[arg-type]


def test_newcomer_demo_youth_migration_service_is_used_under_27_and_mbe_mostly_from_27(
    newcomer_demo: NewcomerDemo,
) -> None:
    def ages_of(service: str) -> Counter[Answer | None]:
        return Counter(
            answers.get("age_group")
            for answers in newcomer_demo.responses
            if service in answers.get("services_used", [])  # type: ignore[operator]
        )

    jmd, mbe = ages_of("jmd"), ages_of("mbe")
    assert jmd["a18_26"] > 20
    assert set(jmd) == {"a18_26"}
    assert mbe["a18_26"] < 0.05 * sum(mbe.values())


def test_newcomer_demo_has_children_under_18_rarely_from_55(newcomer_demo: NewcomerDemo) -> None:
    older = [
        answers
        for answers in newcomer_demo.responses
        if answers.get("age_group") in ("a55_64", "a65_plus")
    ]
    assert len(older) > 50
    with_children = [answers for answers in older if answers.get("children_u18") == "yes"]
    assert len(with_children) < 0.1 * len(older)
    assert not any(
        answers.get("kita_place") in ("has_place", "waiting") for answers in with_children
    )


def test_newcomer_demo_names_work_as_a_course_barrier_only_when_in_work(
    newcomer_demo: NewcomerDemo,
) -> None:
    in_work = {"employed", "self_employed", "training"}
    naming_work = Counter(
        answers["main_activity"] in in_work
        for answers in newcomer_demo.responses
        if "work" in answers.get("course_barriers", [])  # type: ignore[operator]
    )
    assert naming_work[True] > 50
    assert naming_work[False] == 0


def test_without_priors_no_choice_takes_nearly_everybody(wave1: Questionnaire) -> None:
    levels = Counter(
        r.answers["german_level"] for r in demo_responses(wave1, 3000, seed=2, today=TODAY)
    )
    assert max(levels.values()) < 0.7 * sum(levels.values())


def test_demo_answers_of_cascading_selects_are_among_the_offered_choices() -> None:
    result = load_questionnaire(FIXTURES / "cascade.yaml", working_groups=set())
    assert result.questionnaire is not None
    responses = list(demo_responses(result.questionnaire, 200, seed=3))
    assert all(check_answers(result.questionnaire, r.answers).ok for r in responses)
    assert {r.answers["state"] for r in responses} == {"texas", "washington"}
    assert {r.answers["county"] for r in responses} == {"brazos", "harris", "king", "pierce"}


def test_demo_times_and_date_times_are_valid_iso_answers() -> None:
    result = load_questionnaire(FIXTURES / "moments.yaml", working_groups=set())
    moments = result.questionnaire
    assert moments is not None
    responses = list(demo_responses(moments, 500, seed=5, today=TODAY))
    for response in responses:
        checked = check_answers(moments, response.answers, today=TODAY)
        assert checked.ok, checked.errors
        assert checked.answers == response.answers
    opens = {str(r.answers["opens"]) for r in responses}
    assert len(opens) > 10
    assert all(len(time) == 5 and "06:00" <= time < "22:00" for time in opens)
    moments_given = [str(r.answers["appointment"]) for r in responses if "appointment" in r.answers]
    assert moments_given
    assert all(given < f"{TODAY.isoformat()}T00:00" for given in moments_given)


def test_demo_households_have_one_to_six_members_each_with_none_to_two_jobs(
    roster: Questionnaire,
) -> None:
    responses = list(demo_responses(roster, 400, seed=2, today=TODAY))

    for response in responses:
        assert check_answers(roster, response.answers, today=TODAY).ok
        members = response.answers["members"]
        assert len(members) == response.answers["household_size"]  # its repeat_count
        assert [m["relation"] == "head" for m in members] == [True] + [False] * (len(members) - 1)
        for entry in members:
            jobs = entry.get("jobs", [])
            assert len(jobs) <= 2
            assert not jobs or entry["works"] == "yes"
    sizes = Counter(len(r.answers["members"]) for r in responses)
    assert set(sizes) == {1, 2, 3, 4, 5, 6}
    jobs = Counter(len(m.get("jobs", [])) for r in responses for m in r.answers["members"])
    assert set(jobs) == {0, 1, 2}


def test_demo_households_are_reproducible_with_a_seed(roster: Questionnaire) -> None:
    first = [r.answers for r in demo_responses(roster, 50, seed=4, today=TODAY)]
    again = [r.answers for r in demo_responses(roster, 50, seed=4, today=TODAY)]

    assert first == again
