"""Exactly once through a real multi-process server: racing replays and SIGKILL mid-stream."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.web.submissions import receipt_id
from tests.live_server import SECRET_KEY
from tests.storage.live import storage_server

PATH = "/api/v1/surveys/feedback/responses"
RACERS = 20
CLIENTS = 4
PER_CLIENT = 40


def stored_ids(db: Database) -> dict[str, str]:
    """Submission id -> the receipt id of its row, as the server answers it."""
    with db.read() as session:
        rows = session.exec(select(Submission.submission_id, Submission.id)).all()
    counts = Counter(submission_id for submission_id, _ in rows)
    assert max(counts.values(), default=1) == 1, "a submission id is stored twice"
    return {
        submission_id: receipt_id(SECRET_KEY, "feedback", pk)
        for submission_id, pk in rows
        if pk is not None
    }


def body(submission_id: str, number: int) -> dict[str, object]:
    return {
        "submission_id": submission_id,
        "language": "en",
        "answers": {"satisfied": "no", "age": 16 + number % 80, "reason": f"answer {number}"},
    }


def test_twenty_racing_replays_store_one_row(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    payload = body("race-1", 1)
    start = threading.Barrier(RACERS)

    def post(_: int) -> httpx.Response:
        with httpx.Client(timeout=30) as client:
            start.wait()
            return client.post(server.base_url + PATH, json=payload)

    with (
        storage_server(database_url, tmp_path / "var") as server,
        ThreadPoolExecutor(RACERS) as pool,
    ):
        responses = list(pool.map(post, range(RACERS)))
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 200: RACERS - 1}
    assert len({response.json()["id"] for response in responses}) == 1
    rows = stored_ids(db)
    print(f"\nracing replays: {RACERS} requests, statuses {dict(statuses)}, rows {len(rows)}")
    assert rows == {"race-1": responses[0].json()["id"]}


def test_acknowledged_submissions_survive_a_sigkill_and_retries_store_nothing_twice(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    plans = {
        client: [
            (f"c{client}-{n}", body(f"c{client}-{n}", client * PER_CLIENT + n))
            for n in range(PER_CLIENT)
        ]
        for client in range(CLIENTS)
    }
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    server = storage_server(database_url, tmp_path / "var")

    def first_pass(client: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            for submission_id, payload in plans[client]:
                try:
                    response = http.post(PATH, json=payload)
                except httpx.TransportError:
                    return  # the server is gone; what was acknowledged is recorded
                if response.status_code in (200, 201):
                    with lock:
                        acknowledged[submission_id] = response.json()["id"]

    def retry_everything(client: int) -> dict[str, str]:
        ids: dict[str, str] = {}
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            for submission_id, payload in plans[client]:
                for _attempt in range(50):
                    try:
                        response = http.post(PATH, json=payload)
                    except httpx.TransportError:
                        time.sleep(0.1)
                        continue
                    if response.status_code != 503:
                        break
                assert response.status_code in (200, 201), response.text
                ids[submission_id] = response.json()["id"]
        return ids

    server.start()
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            clients = [pool.submit(first_pass, client) for client in plans]
            while len(acknowledged) < CLIENTS * PER_CLIENT // 3:
                time.sleep(0.005)
            server.kill()
            for finished in clients:
                finished.result()
        acknowledged_before_kill = dict(acknowledged)
        stored_after_kill = stored_ids(db)
        server.start()
        with ThreadPoolExecutor(CLIENTS) as pool:
            retried = list(pool.map(retry_everything, plans))
    finally:
        server.kill()

    final_ids = {submission_id: pk for ids in retried for submission_id, pk in ids.items()}
    lost = [sid for sid, pk in acknowledged_before_kill.items() if stored_after_kill.get(sid) != pk]
    print(
        f"\ncrash test: acknowledged before kill {len(acknowledged_before_kill)}, "
        f"stored at kill {len(stored_after_kill)}, lost {len(lost)}, "
        f"total after retries {len(stored_ids(db))} of {CLIENTS * PER_CLIENT}"
    )
    assert lost == []
    assert 0 < len(acknowledged_before_kill) < CLIENTS * PER_CLIENT
    assert all(final_ids[sid] == pk for sid, pk in acknowledged_before_kill.items())
    assert stored_ids(db) == final_ids
    assert len(final_ids) == CLIENTS * PER_CLIENT
