"""A full disk under SQLite: writes fail cleanly (503), `/readyz` says why, and storing
works again as soon as a little space is free (the WAL is checkpointed and reused)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.db.migrate import upgrade
from survey_app.settings import Settings
from tests.operations.conftest import fill, free, tmpfs
from tests.storage.conftest import STORAGE_QUESTIONNAIRES

URL = "/api/v1/surveys/feedback/responses"
FILESYSTEM_KB = 6 * 1024
# Large enough that every submission adds pages to the WAL and the database.
REASON = "Mein Grund, ausführlich. " * 120


def post(client: TestClient[Any], number: int) -> int:
    body = {
        "submission_id": f"s-{number}",
        "language": "de",
        "answers": {"satisfied": "no", "reason": REASON},
    }
    return client.post(URL, json=body).status_code


@pytest.mark.sqlite_only
def test_a_full_disk_is_503_and_storing_recovers_when_a_little_space_is_free(
    settings: Settings, tmp_path: Path
) -> None:
    with tmpfs(tmp_path / "data", FILESYSTEM_KB) as data:
        url = f"sqlite:///{data / 'survey.sqlite3'}"
        upgrade(url)
        site = dataclasses.replace(
            settings,
            database_url=url,
            var_dir=data / "var",
            questionnaires=STORAGE_QUESTIONNAIRES,
            min_free_mb=1,
        )
        with TestClient(app=create_app(site)) as client:
            assert [post(client, n) for n in range(120)] == [201] * 120
            filler = fill(data)
            on_full_disk = {post(client, n) for n in range(120, 130)}
            not_ready = client.get("/readyz")
            free(filler, 256)
            after_freeing = [post(client, n) for n in range(130, 170)]
    assert on_full_disk <= {201, 503}
    assert not_ready.status_code == 503
    assert any("KB free" in problem for problem in not_ready.json()["problems"])
    # 256 KB hold the 40 new rows; the WAL must not need to grow to its old 4 MB first.
    assert after_freeing == [201] * 40
