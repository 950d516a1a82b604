"""Realistic, valid submission bodies for the submission benchmarks.

The answers come from `analysis.demo` (skewed choices, skipped optional questions, skip
logic applied and checked by the same rules as real submissions), so the server does the
work a real respondent's submission costs.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from bench.common import QUESTIONNAIRES, SURVEY, BenchError


def demo_bodies(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """`count` submission bodies without `submission_id` (the load tool adds a fresh one)."""
    from analysis.demo import demo_responses
    from survey_app.questionnaire.loader import load_questionnaire, load_working_group_catalog

    groups, _problems = load_working_group_catalog(QUESTIONNAIRES)
    loaded = load_questionnaire(
        QUESTIONNAIRES / f"{SURVEY}.yaml", working_groups={group.id for group in groups}
    )
    if loaded.questionnaire is None:
        raise BenchError(f"{SURVEY}.yaml does not load: {loaded.problems}")
    return [
        {"language": response.language, "answers": dict(response.answers)}
        for response in demo_responses(loaded.questionnaire, count, seed=seed)
    ]


def _json_value(value: object) -> object:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def write_tails(bodies: list[dict[str, Any]], path: Path) -> Path:
    """One body per line without its opening brace, for bench/wrk/load.lua to append to
    `{"submission_id":"...",`."""
    lines = []
    for body in bodies:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_value)
        lines.append(text.removeprefix("{"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def with_id(body: dict[str, Any], submission_id: str) -> dict[str, Any]:
    """A whole submission body, with JSON-ready values."""
    text = json.dumps({"submission_id": submission_id, **body}, default=_json_value)
    whole: dict[str, Any] = json.loads(text)
    return whole
