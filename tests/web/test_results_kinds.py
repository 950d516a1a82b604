"""A ranking and a bounded number on a working group's results page: who ranked each
choice first and its mean place; the bounded number's statistics as any number's."""

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


def test_a_ranking_shows_who_ranked_each_choice_first_and_its_mean_place(
    settings: Settings, accounts: Any, tmp_path: Path
) -> None:
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    (directory / "working_groups.yaml").write_bytes(
        (QUESTIONNAIRES / "working_groups.yaml").read_bytes()
    )
    # Every question of the fixture in the Arbeit group (a line after each `type:`).
    text = (FIXTURES / "kinds.yaml").read_text(encoding="utf-8")
    grouped = re.sub(r"^(\s+)(type: \w+)$", r"\1\2\n\1working_groups: [arbeit]", text, flags=re.M)
    (directory / "kinds.yaml").write_text(grouped, encoding="utf-8")
    with TestClient(
        app=create_app(dataclasses.replace(settings, questionnaires=directory))
    ) as client:
        db = Database(settings.database_url)
        store_demo_responses(db, "kinds", 60, seed=3)
        db.dispose()
        login(client, "admin")
        page = client.get("/results/arbeit", params={"survey": "kinds", "live": "1"})

    assert page.status_code == 200
    section = re.search(r'<section class="result-question" id="q-helpful".*?</section>', page.text,
                        re.S)  # fmt: skip
    assert section, page.text
    assert "Auf Platz 1" in section.group(0)
    assert "Mittlerer Platz" in section.group(0)
    means = re.findall(r"<td>(\d,\d+|\d)</td>", section.group(0))
    assert means, section.group(0)
    assert all(1 <= float(mean.replace(",", ".")) <= 3 for mean in means)
    # Read-only questions are counted like calculations: not among the results.
    assert 'id="q-district"' not in page.text
    assert 'id="q-satisfaction"' in page.text
