"""Repeats in frames: a response's row holds a repeat's number of entries; each repeat
has an entries frame, one row per entry, linked to its response (and a nested repeat's
to its enclosing entry) and typed by the same kinds as a response's columns
(tests/fixtures/roster.yaml: household members, jobs per member)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis.frames import (
    ENTRY,
    PARENT,
    PARENT_ENTRY,
    RESPONSE,
    empty_entries,
    frame_from_texts,
    join_texts,
    parse_answers,
    parse_responses,
    responses_from_texts,
    take_responses,
)
from survey_app.questionnaire.schema import Questionnaire
from tests.analysis.conftest import household, member, texts

AMAL = member("Amal", 41, "head", works="yes", jobs=[{"job_title": "Köchin", "job_hours": 20}])
LINA = member("Lina", 4, "child", sex="f")
OMAR = member(
    "Omar", 38, "partner", works="yes", jobs=[{"job_title": "Fahrer"}, {"job_title": "=1+1"}]
)
SAMI = member("Sami", 70, "head", works="no")


def alone(someone: dict[str, object]) -> dict[str, object]:
    """The member as the only one of a household: its head."""
    return someone | {"relation": "head"}


def test_a_repeat_is_its_number_of_entries_in_the_response_frame(roster: Questionnaire) -> None:
    frame = frame_from_texts(
        roster, [(roster, texts(household(AMAL, LINA, OMAR), {}, household(SAMI)))]
    )

    assert frame["members"].dtype == "Int64"
    assert frame["members"].tolist() == [3, pd.NA, 1]
    assert "jobs" not in frame
    assert "age" not in frame


def test_each_entry_is_a_row_of_its_repeats_frame_with_its_response_and_position(
    roster: Questionnaire,
) -> None:
    responses = responses_from_texts(
        roster, [(roster, texts(household(AMAL, LINA, OMAR), {}, household(SAMI)))]
    )
    members = responses.entries["members"]

    assert list(members.columns) == [
        RESPONSE, ENTRY, "member_name", "age", "sex", "relation", "works", "jobs",
    ]  # fmt: skip
    assert members[[RESPONSE, ENTRY]].values.tolist() == [[0, 1], [0, 2], [0, 3], [2, 1]]
    assert members["member_name"].tolist() == ["Amal", "Lina", "Omar", "Sami"]
    assert members["age"].dtype == "Int64"
    assert members["age"].tolist() == [41, 4, 38, 70]
    assert list(members["relation"].cat.categories) == ["head", "partner", "child", "other"]
    assert members["sex"].tolist()[1] == "f"
    assert members["works"].isna().tolist() == [False, True, False, False]  # irrelevant at 4
    assert members["jobs"].tolist() == [1, pd.NA, 2, pd.NA]


def test_a_nested_repeats_entries_point_to_their_enclosing_entry(roster: Questionnaire) -> None:
    responses = responses_from_texts(
        roster, [(roster, texts(household(SAMI), household(AMAL, LINA, OMAR)))]
    )
    jobs = responses.entries["jobs"]
    members = responses.entries["members"]

    assert list(jobs.columns) == [RESPONSE, PARENT, PARENT_ENTRY, ENTRY, "job_title", "job_hours"]
    assert jobs[[RESPONSE, PARENT_ENTRY, ENTRY]].values.tolist() == [
        [1, 1, 1], [1, 3, 1], [1, 3, 2],
    ]  # fmt: skip
    assert members.loc[jobs[PARENT], "member_name"].tolist() == ["Amal", "Omar", "Omar"]
    assert jobs["job_title"].tolist() == ["Köchin", "Fahrer", "=1+1"]
    assert jobs["job_hours"].tolist() == [20, pd.NA, pd.NA]


def test_no_entry_is_lost_or_doubled(roster: Questionnaire) -> None:
    answers = [
        household(AMAL, LINA, OMAR),
        household(SAMI),
        {},
        household(alone(LINA) | {"age": 9}),
    ]
    responses = responses_from_texts(roster, [(roster, texts(*answers))])

    assert responses.entries["members"].groupby(RESPONSE).size().to_dict() == {0: 3, 1: 1, 3: 1}
    assert responses.frame["members"].sum() == len(responses.entries["members"])
    assert responses.entries["members"]["jobs"].sum() == len(responses.entries["jobs"])


def test_the_careful_path_reads_entries_as_the_fast_one(roster: Questionnaire) -> None:
    stored = texts(household(AMAL, LINA, OMAR), household(SAMI))
    broken = '{"household_size": 1, "members": [{"member_name": "X", "age": "old"}, 7]}'
    fast = responses_from_texts(roster, [(roster, stored)])
    careful = responses_from_texts(roster, [(roster, [*stored, broken, "not json"])])

    for name, frame in fast.entries.items():
        pd.testing.assert_frame_equal(careful.entries[name].head(len(frame)), frame)
    extra = careful.entries["members"].iloc[-1]
    assert (extra[RESPONSE], extra["member_name"], extra["age"]) == (2, "X", pd.NA)
    assert careful.frame["members"].tolist() == [3, 1, 1, pd.NA]


def test_versions_joined_keep_entries_with_their_responses(roster: Questionnaire) -> None:
    responses = responses_from_texts(
        roster,
        [(roster, texts(household(AMAL, LINA, OMAR))), (roster, texts({}, household(alone(OMAR))))],
    )

    assert responses.entries["members"][[RESPONSE, ENTRY]].values.tolist() == [
        [0, 1], [0, 2], [0, 3], [2, 1],
    ]  # fmt: skip
    jobs = responses.entries["jobs"]
    members = responses.entries["members"]
    assert members.loc[jobs[PARENT], RESPONSE].tolist() == jobs[RESPONSE].tolist()
    assert jobs[PARENT].tolist() == [0, 2, 2, 3, 3]


def test_reordered_responses_take_their_entries_along(roster: Questionnaire) -> None:
    responses = responses_from_texts(
        roster,
        [(roster, texts(household(AMAL, LINA, OMAR), household(SAMI), household(alone(OMAR))))],
    )
    moved = take_responses(roster, responses, np.array([2, 0, 1]))

    members = moved.entries["members"]
    assert members[[RESPONSE, "member_name"]].values.tolist() == [
        [0, "Omar"], [1, "Amal"], [1, "Lina"], [1, "Omar"], [2, "Sami"],
    ]  # fmt: skip
    jobs = moved.entries["jobs"]
    assert members.loc[jobs[PARENT], "member_name"].tolist() == [
        "Omar",
        "Omar",
        "Amal",
        "Omar",
        "Omar",
    ]
    assert jobs[RESPONSE].tolist() == [0, 0, 1, 1, 1]


def test_an_earlier_version_without_the_repeat_gives_no_entries(roster: Questionnaire) -> None:
    before = Questionnaire.model_validate(
        roster.to_definition()
        | {"pages": [{"name": "p", "questions": [{"name": "household_size", "type": "integer"}]}]}
    )
    responses = parse_responses(roster, before, join_texts(texts({"household_size": 2})), 1)

    assert responses.frame["members"].isna().all()
    assert len(responses.entries["members"]) == 0
    assert list(responses.entries["jobs"].columns) == list(
        empty_entries(roster, roster.all_questions["jobs"]).columns
    )


def test_the_response_frame_alone_is_the_same_with_or_without_entries(
    roster: Questionnaire,
) -> None:
    stored = texts(household(AMAL, LINA, OMAR), {}, household(SAMI))
    lines = join_texts(stored)

    pd.testing.assert_frame_equal(
        parse_answers(roster, roster, lines, 3), parse_responses(roster, roster, lines, 3).frame
    )
    assert json.loads(stored[0])["members"][0]["member_name"] == "Amal"
