"""The real server of the race and crash tests: the storage questionnaires, two workers."""

from __future__ import annotations

from pathlib import Path

from tests.live_server import LiveServer
from tests.storage.conftest import STORAGE_QUESTIONNAIRES


def storage_server(database_url: str, var_dir: Path, workers: int = 2) -> LiveServer:
    return LiveServer(
        database_url,
        var_dir,
        questionnaires=STORAGE_QUESTIONNAIRES,
        ready_path="/api/v1/surveys/feedback",
        workers=workers,
    )
