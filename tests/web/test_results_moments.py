"""Times and date-times on a working group's results page: how many answered and why no
more, never a time (a time of day or a moment can identify someone)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.services.demo import store_demo_responses
from survey_app.settings import Settings
from tests.conftest import FIXTURES, QUESTIONNAIRES, login


def test_a_time_question_shows_how_many_answered_and_why_no_more(
    settings: Settings, accounts: Any, tmp_path: Path
) -> None:
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    (directory / "working_groups.yaml").write_bytes(
        (QUESTIONNAIRES / "working_groups.yaml").read_bytes()
    )
    # Every question of the fixture in the Arbeit group (a line after each `type:`).
    text = (FIXTURES / "moments.yaml").read_text(encoding="utf-8")
    grouped = re.sub(r"^(\s+)(type: \w+)$", r"\1\2\n\1working_groups: [arbeit]", text, flags=re.M)
    (directory / "moments.yaml").write_text(grouped, encoding="utf-8")
    with TestClient(
        app=create_app(dataclasses.replace(settings, questionnaires=directory))
    ) as client:
        db = Database(settings.database_url)
        store_demo_responses(db, "moments", 40, seed=2)
        db.dispose()
        login(client, "admin")

        page = client.get("/results/arbeit", params={"survey": "moments", "live": "1"})

    assert page.status_code == 200
    assert page.text.count("Uhrzeiten werden den Arbeitsgruppen nicht gezeigt") == 2
    for hour in ("06:", "07:", "08:", "09:", "10:"):
        assert f">{hour}" not in page.text
