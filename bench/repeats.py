"""`python -m bench repeats`: what a household roster costs (issue 19).

The roster of tests/fixtures/roster.yaml (members with name, age, relation, work and
their jobs; calculations inside and over the entries), answered for a household of one
person and of ten (each working member with two jobs):

- checking the answers (`check_answers`, the gate of every submission), in process, best
  of five rounds, per response;
- storing them through the submission API (`POST /api/v1/surveys/roster/responses`) in
  a Litestar test client in this process, on each database: submissions per second (the
  client shares the process, so the figure is a comparison, not the server's rate).

The ten-person household is the case the issue names; the one-person household beside it
shows what the entries add.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import Section, fresh_database

ROOT = Path(__file__).resolve().parent.parent
ROSTER = ROOT / "tests" / "fixtures" / "roster.yaml"
ROUNDS = 5


def household(size: int) -> dict[str, object]:
    """A valid household of `size` people: the first the head, working members with two
    jobs each."""
    members: list[dict[str, object]] = []
    for position in range(1, size + 1):
        age = 40 if position <= 2 else 8 + position
        member: dict[str, object] = {
            "member_name": f"Person {position}",
            "age": age,
            "sex": "f" if position % 2 else "m",
            "relation": "head" if position == 1 else ("partner" if position == 2 else "child"),
        }
        if age >= 15:
            member["works"] = "yes" if position <= 2 else "no"
        if member.get("works") == "yes":
            member["jobs"] = [
                {"job_title": "Pflege", "job_hours": 20},
                {"job_title": "Reinigung", "job_hours": 10},
            ]
        members.append(member)
    return {"household_size": size, "members": members}


def _check_seconds(questionnaire: Any, answers: dict[str, object], repeat: int) -> float:
    from survey_app.questionnaire.rules import check_answers

    best = float("inf")
    for _round in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(repeat):
            checked = check_answers(questionnaire, answers)
        best = min(best, time.perf_counter() - started)
        assert checked.ok, checked.errors
    return best / repeat


def _store_rate(kind: str, size: int, count: int) -> float:
    from litestar.testing import TestClient

    from survey_app.app import create_app
    from survey_app.db.migrate import upgrade
    from survey_app.settings import Settings

    with fresh_database(kind) as database:
        upgrade(database.url)
        questionnaires = database.directory / "questionnaires"
        questionnaires.mkdir()
        shutil.copy(ROOT / "questionnaires" / "working_groups.yaml", questionnaires)
        shutil.copy(ROSTER, questionnaires)
        settings = Settings(
            database_url=database.url,
            questionnaires=questionnaires,
            secret_key=secrets.token_hex(32),
            var_dir=database.directory / "var",
            submission_rate_limit=0,
        )
        body = {"language": "de", "answers": household(size)}
        with TestClient(app=create_app(dataclasses.replace(settings))) as client:
            url = "/api/v1/surveys/roster/responses"
            for warm in range(20):
                client.post(url, json={**body, "submission_id": f"warm-{warm}"})
            started = time.perf_counter()
            for number in range(count):
                response = client.post(url, json={**body, "submission_id": f"b-{number}"})
                assert response.status_code == 201, response.text
            return count / (time.perf_counter() - started)


def repeats(quick: bool, databases: tuple[str, ...]) -> list[Section]:
    from survey_app.questionnaire.loader import load_questionnaire

    loaded = load_questionnaire(ROSTER, working_groups=set())
    assert loaded.questionnaire is not None, loaded.errors
    questionnaire = loaded.questionnaire
    section = Section("repeats: a household roster (tests/fixtures/roster.yaml)")
    repeat = 50 if quick else 300
    for size in (1, 10):
        seconds = _check_seconds(questionnaire, household(size), repeat)
        section.info(f"check_answers, household of {size}", f"{seconds * 1e6:.0f} µs")
    count = 100 if quick else 400
    rounds = 1 if quick else 3
    for kind in databases:
        rates: dict[int, list[float]] = {1: [], 10: []}
        for _round in range(rounds):  # alternating, so drift in load hits both alike
            for size in rates:
                rates[size].append(_store_rate(kind, size, count))
        for size, found in rates.items():
            section.info(
                f"{kind}: submissions/s through the API (in-process client), household of {size}",
                " / ".join(f"{rate:.0f}" for rate in found),
            )
    section.notes.append(
        f"check: best of {ROUNDS} rounds of {repeat} calls; API: {count} submissions after 20 "
        f"to warm up, each of {rounds} alternating rounds on a new database, one client in "
        "this process (a comparison between the two households, not the server's rate: "
        "`python -m bench submissions` measures that)"
    )
    return [section]
