"""The on-disk results cache: parsed answers kept between processes, exact and private."""

from __future__ import annotations

import datetime
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import delete, select

from analysis.frames import frame_from_texts
from survey_app.db.engine import Database
from survey_app.db.migrate import upgrade
from survey_app.db.tables import Submission
from survey_app.services import live_results, results_cache
from survey_app.services import results as service
from survey_app.services.demo import store_demo_responses
from survey_app.services.live_results import survey_results
from survey_app.services.maintenance import backup_database, purge, restore_database
from survey_app.services.published import get_survey
from survey_app.services.results import read_answers
from survey_app.services.review import responses_set_status
from survey_app.services.surveys import publish_questionnaire
from survey_app.settings import PROJECT_ROOT
from tests.analysis.conftest import load, variant

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def published(db: Database) -> Iterator[Database]:
    publish_questionnaire(db, load("wave1"))
    service._cache.clear()
    yield db
    service._cache.clear()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "var" / "results-cache"


@pytest.fixture
def database_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The id ranges (after_id, max_id) read from the database and parsed."""
    calls: list[tuple[int, int]] = []
    original = service._read_version

    def spy(*args: Any) -> pd.DataFrame:
        calls.append((args[4], args[5]))
        return original(*args)

    monkeypatch.setattr(service, "_read_version", spy)
    return calls


def fresh_process(db: Database) -> Database:
    """What a new `survey-app results` call has: no frames in memory, its own engine."""
    service._cache.clear()
    return Database(db.url)


def parsed_from_scratch(db: Database) -> pd.DataFrame:
    with db.read() as session:
        texts = list(session.execute(select(Submission.answers).order_by(Submission.id)).scalars())
    return frame_from_texts(load("wave1"), [(load("wave1"), texts)])


def assert_same_rows(frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal as sets of rows with their types (PostgreSQL's string_agg keeps no order)."""

    def ordered(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.sort_values(list(rows.columns)).reset_index(drop=True)

    pd.testing.assert_frame_equal(ordered(frame), ordered(expected))


def cache_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*.arrow")) if cache_dir.is_dir() else []


def test_a_new_process_reads_the_cache_file_instead_of_the_database(
    published: Database, cache_dir: Path, database_reads: list[tuple[int, int]]
) -> None:
    store_demo_responses(published, "wave1", 300, seed=1, today=TODAY)
    first = read_answers(published, "wave1", cache_dir=cache_dir).frame
    assert len(database_reads) == 1

    other = fresh_process(published)
    try:
        again = read_answers(other, "wave1", cache_dir=cache_dir).frame
    finally:
        other.dispose()

    assert len(database_reads) == 1
    assert_same_rows(again, first)
    assert_same_rows(again, parsed_from_scratch(published))


def test_a_cache_file_written_by_another_process_is_read_exactly(
    published: Database, cache_dir: Path, database_reads: list[tuple[int, int]]
) -> None:
    store_demo_responses(published, "wave1", 200, seed=3, today=TODAY)
    script = (
        "import sys; from pathlib import Path\n"
        "from survey_app.db.engine import Database\n"
        "from survey_app.services.results import read_answers\n"
        "db = Database(sys.argv[1])\n"
        "print(len(read_answers(db, 'wave1', cache_dir=Path(sys.argv[2])).frame))\n"
        "db.dispose()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, published.url, str(cache_dir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "200"

    frame = read_answers(fresh_process(published), "wave1", cache_dir=cache_dir).frame

    assert database_reads == []
    assert_same_rows(frame, parsed_from_scratch(published))


def test_responses_that_arrive_between_calls_are_read_alone_and_appended(
    published: Database, cache_dir: Path, database_reads: list[tuple[int, int]]
) -> None:
    store_demo_responses(published, "wave1", 300, seed=1, today=TODAY)
    read_answers(published, "wave1", cache_dir=cache_dir)
    with published.read() as session:
        cached_max = max(session.execute(select(Submission.id)).scalars())
    store_demo_responses(published, "wave1", 120, seed=2, today=TODAY)

    frame = read_answers(fresh_process(published), "wave1", cache_dir=cache_dir).frame

    assert database_reads[-1][0] == cached_max  # only ids after the cached ones
    assert len(frame) == 420
    assert_same_rows(frame, parsed_from_scratch(published))
    # The file now holds all 420: the next process reads nothing from the database.
    reads = len(database_reads)
    read_answers(fresh_process(published), "wave1", cache_dir=cache_dir)
    assert len(database_reads) == reads


def test_a_deleted_response_makes_the_version_be_read_again(
    published: Database, cache_dir: Path
) -> None:
    store_demo_responses(published, "wave1", 250, seed=1, today=TODAY)
    read_answers(published, "wave1", cache_dir=cache_dir)
    with published.write() as session:
        session.execute(delete(Submission).where(Submission.id == 7))
    store_demo_responses(published, "wave1", 10, seed=2, today=TODAY)

    frame = read_answers(fresh_process(published), "wave1", cache_dir=cache_dir).frame

    assert len(frame) == 259
    assert_same_rows(frame, parsed_from_scratch(published))


def test_ids_given_out_again_after_a_deletion_are_not_taken_for_the_cached_rows(
    published: Database, cache_dir: Path
) -> None:
    # SQLite hands out the ids of deleted rows again: the same count and highest id then
    # belong to other answers, which the row's submission_id tells apart.
    store_demo_responses(published, "wave1", 150, seed=1, today=TODAY)
    read_answers(published, "wave1", cache_dir=cache_dir)
    with published.write() as session:
        session.execute(delete(Submission))
    store_demo_responses(published, "wave1", 150, seed=9, today=TODAY)

    in_memory = read_answers(published, "wave1").frame
    from_file = read_answers(fresh_process(published), "wave1", cache_dir=cache_dir).frame

    expected = parsed_from_scratch(published)
    assert_same_rows(in_memory, expected)
    assert_same_rows(from_file, expected)


def test_a_corrupt_cache_file_is_ignored_and_rebuilt(
    published: Database, cache_dir: Path, database_reads: list[tuple[int, int]]
) -> None:
    store_demo_responses(published, "wave1", 200, seed=1, today=TODAY)
    read_answers(published, "wave1", cache_dir=cache_dir)
    [path] = cache_files(cache_dir)
    path.write_bytes(path.read_bytes()[:300])

    frame = read_answers(fresh_process(published), "wave1", cache_dir=cache_dir).frame

    assert len(database_reads) == 2
    assert_same_rows(frame, parsed_from_scratch(published))
    read_answers(fresh_process(published), "wave1", cache_dir=cache_dir)
    assert len(database_reads) == 2  # the rebuilt file is read


def test_a_cache_file_of_other_columns_is_ignored(
    published: Database, cache_dir: Path, database_reads: list[tuple[int, int]]
) -> None:
    store_demo_responses(published, "wave1", 100, seed=1, today=TODAY)
    read_answers(published, "wave1", cache_dir=cache_dir)
    [path] = cache_files(cache_dir)
    survey = get_survey(published, "wave1")
    assert survey is not None
    target = load("wave1").content_hash
    cached = results_cache.load_frame(
        cache_dir, published.url, survey.version_id, target, parsed_from_scratch(published)
    )
    assert cached is not None
    stored, frame = cached
    narrower = frame.iloc[:, :3]
    results_cache.save_frame(cache_dir, published.url, survey.version_id, target, stored, narrower)
    assert cache_files(cache_dir) == [path]

    again = read_answers(fresh_process(published), "wave1", cache_dir=cache_dir).frame

    assert len(database_reads) == 2
    assert_same_rows(again, parsed_from_scratch(published))


def test_cache_files_are_private_and_written_whole(published: Database, cache_dir: Path) -> None:
    old = os.umask(0o022)  # what most processes run with: files would be world-readable
    try:
        store_demo_responses(published, "wave1", 50, seed=1, today=TODAY)
        read_answers(published, "wave1", cache_dir=cache_dir)
    finally:
        os.umask(old)

    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    [path] = cache_files(cache_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in cache_dir.iterdir()) == [path.name]  # no temporary left
    assert published.url.split("@")[-1] not in path.name  # no URL (password) in names


def test_a_new_questionnaire_version_replaces_the_file_of_the_older_target(
    published: Database, cache_dir: Path
) -> None:
    store_demo_responses(published, "wave1", 80, seed=1, today=TODAY)
    read_answers(published, "wave1", cache_dir=cache_dir)
    [before] = cache_files(cache_dir)
    publish_questionnaire(published, variant(load("wave1"), version="2025-b", min_cell=3))

    answers = read_answers(published, "wave1", cache_dir=cache_dir)

    assert len(answers.frame) == 80
    [after] = cache_files(cache_dir)
    assert after != before


def test_purging_a_survey_deletes_its_cached_answers(published: Database, cache_dir: Path) -> None:
    store_demo_responses(published, "wave1", 120, seed=1, today=TODAY)
    survey_results(published, "wave1", cache_dir=cache_dir)
    assert cache_files(cache_dir)
    publish_questionnaire(
        published,
        variant(load("wave1"), version="2025-b", retention=datetime.date(2026, 1, 31)),
    )

    report = purge(published, today=TODAY, results_cache_dir=cache_dir)

    assert report.submissions == {"wave1": 120}
    assert cache_files(cache_dir) == []
    assert list(cache_dir.glob("*.json")) == []
    assert read_answers(fresh_process(published), "wave1", cache_dir=cache_dir).responses == 0
    assert cache_files(cache_dir) == []


def test_a_file_written_after_a_purge_is_deleted_by_the_next_read(
    published: Database, cache_dir: Path
) -> None:
    # A results call that read before the purge may write its file after the purge
    # deleted the others: the next read finds no submissions and deletes it.
    store_demo_responses(published, "wave1", 60, seed=1, today=TODAY)
    read_answers(published, "wave1", cache_dir=cache_dir)
    with published.write() as session:
        session.execute(delete(Submission))
    assert cache_files(cache_dir)

    assert read_answers(published, "wave1", cache_dir=cache_dir).responses == 0
    assert cache_files(cache_dir) == []


def before_the_file_is_written(
    monkeypatch: pytest.MonkeyPatch, event: Callable[[], object]
) -> None:
    """Let `event` happen after the answers were read and parsed, before their cache
    file is written (what another process may do meanwhile)."""
    save = results_cache.save_frame

    def event_then_save(*args: Any) -> bool:
        event()
        return save(*args)

    monkeypatch.setattr(results_cache, "save_frame", event_then_save)


def test_a_file_whose_answers_are_purged_while_it_is_written_is_deleted_by_its_writer(
    published: Database, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server parses answers for a live view while `survey-app purge` deletes them
    # and their cache files; the view writes its file after that. No later read may be
    # needed to remove it: a survey past retention may never be looked at again.
    store_demo_responses(published, "wave1", 60, seed=1, today=TODAY)

    def purge_of_every_response() -> None:
        with published.write() as session:
            session.execute(delete(Submission))
        results_cache.delete_database_files(cache_dir, published.url)

    before_the_file_is_written(monkeypatch, purge_of_every_response)

    assert read_answers(published, "wave1", cache_dir=cache_dir).responses == 60
    assert cache_files(cache_dir) == []


def test_responses_arriving_while_a_file_is_written_keep_it(
    published: Database, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_demo_responses(published, "wave1", 60, seed=1, today=TODAY)

    before_the_file_is_written(
        monkeypatch, lambda: store_demo_responses(published, "wave1", 5, seed=2, today=TODAY)
    )

    assert read_answers(published, "wave1", cache_dir=cache_dir).responses == 60
    assert len(cache_files(cache_dir)) == 1


@pytest.mark.sqlite_only
def test_restoring_a_database_deletes_the_cache_of_the_one_that_was_there(
    tmp_path: Path, cache_dir: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    upgrade(url)
    db = Database(url)
    publish_questionnaire(db, load("wave1"))
    store_demo_responses(db, "wave1", 40, seed=1, today=TODAY)
    read_answers(db, "wave1", cache_dir=cache_dir)
    backup_database(url, tmp_path / "backup.sqlite3")
    db.dispose()
    (tmp_path / "live.sqlite3").unlink()
    assert cache_files(cache_dir)

    restore_database(url, tmp_path / "backup.sqlite3", results_cache_dir=cache_dir)

    assert cache_files(cache_dir) == []


def test_results_are_the_same_with_and_without_the_cache(
    published: Database, cache_dir: Path
) -> None:
    store_demo_responses(published, "wave1", 300, seed=4, today=TODAY)
    plain = survey_results(published, "wave1", by="german_level").to_json()
    survey_results(fresh_process(published), "wave1", by="german_level", cache_dir=cache_dir)

    cached = survey_results(
        fresh_process(published), "wave1", by="german_level", cache_dir=cache_dir
    ).to_json()

    assert cached == plain


def test_a_cache_that_cannot_be_written_only_costs_speed(
    published: Database, tmp_path: Path
) -> None:
    store_demo_responses(published, "wave1", 40, seed=1, today=TODAY)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory would be")

    frame = read_answers(published, "wave1", cache_dir=blocked).frame

    assert_same_rows(frame, parsed_from_scratch(published))
    assert blocked.read_text() == "a file where the cache directory would be"


def test_a_process_writes_the_file_only_when_the_answers_changed(
    published: Database, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[int] = []
    original = results_cache.save_frame

    def save(*args: Any) -> bool:
        written.append(len(args[5]))
        return original(*args)

    monkeypatch.setattr(results_cache, "save_frame", save)
    store_demo_responses(published, "wave1", 30, seed=1, today=TODAY)

    for _ in range(3):
        read_answers(published, "wave1", cache_dir=cache_dir)
    read_answers(fresh_process(published), "wave1", cache_dir=cache_dir)
    store_demo_responses(published, "wave1", 5, seed=2, today=TODAY)
    read_answers(published, "wave1", cache_dir=cache_dir)

    assert written == [30, 35]


# -- live publications -------------------------------------------------------------------


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The surveys whose answers a live view read to compute its publication."""
    calls: list[str] = []
    original = service.read_answers

    def spy(db: Database, survey_id: str, **options: Any) -> Any:
        calls.append(survey_id)
        return original(db, survey_id, **options)

    monkeypatch.setattr(service, "read_answers", spy)
    return calls


def test_a_later_live_view_reads_the_audited_numbers_instead_of_the_answers(
    published: Database, cache_dir: Path, computed: list[str]
) -> None:
    store_demo_responses(published, "wave1", 150, seed=3, today=TODAY)
    first = survey_results(published, "wave1", by="german_level", cache_dir=cache_dir)
    assert computed == ["wave1"]

    later = survey_results(
        fresh_process(published), "wave1", by="german_level", cache_dir=cache_dir
    )

    assert computed == ["wave1"]
    assert later.to_json() == first.to_json()
    [stored] = cache_dir.glob("*-live-*.json")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert "german_level" not in stored.name, "file names hold no questions"


def test_each_group_and_breakdown_has_its_own_live_publication(
    published: Database, cache_dir: Path, computed: list[str]
) -> None:
    store_demo_responses(published, "wave1", 150, seed=3, today=TODAY)
    whole = survey_results(published, "wave1", cache_dir=cache_dir).to_json()

    broken_down = survey_results(published, "wave1", by="german_level", cache_dir=cache_dir)

    assert computed == ["wave1", "wave1"]
    assert broken_down.to_json() != whole
    assert survey_results(published, "wave1", cache_dir=cache_dir).to_json() == whole
    assert computed == ["wave1", "wave1"]


def test_a_new_response_makes_the_live_view_count_again(
    published: Database, cache_dir: Path, computed: list[str]
) -> None:
    store_demo_responses(published, "wave1", 150, seed=3, today=TODAY)
    survey_results(published, "wave1", cache_dir=cache_dir)

    store_demo_responses(published, "wave1", 7, seed=4, today=TODAY)
    later = survey_results(published, "wave1", cache_dir=cache_dir)

    assert computed == ["wave1", "wave1"]
    assert later.responses == 157


def test_an_excluded_response_makes_the_live_view_count_again(
    published: Database, cache_dir: Path, computed: list[str]
) -> None:
    store_demo_responses(published, "wave1", 150, seed=3, today=TODAY)
    survey_results(published, "wave1", cache_dir=cache_dir)
    with published.read() as session:
        first = session.execute(select(Submission.id).order_by(Submission.id)).scalars().first()
    assert first is not None

    responses_set_status(published, "wave1", [first], status="excluded", reason="Test", actor="lea")
    later = survey_results(published, "wave1", cache_dir=cache_dir)

    assert computed == ["wave1", "wave1"]
    assert later.responses == 149


def test_excluding_another_response_in_place_of_one_taken_back_makes_the_live_view_count_again(
    published: Database, cache_dir: Path, computed: list[str]
) -> None:
    # As many count as before and the newest is the same: only the review tells.
    store_demo_responses(published, "wave1", 150, seed=3, today=TODAY)
    with published.read() as session:
        ids = session.execute(select(Submission.id).order_by(Submission.id).limit(2)).scalars()
        first, second = ids.all()
    responses_set_status(published, "wave1", [first], status="excluded", reason="Test", actor="lea")
    survey_results(published, "wave1", cache_dir=cache_dir)

    responses_set_status(published, "wave1", [first], status="approved", reason="Test", actor="lea")
    responses_set_status(
        published, "wave1", [second], status="excluded", reason="Test", actor="lea"
    )
    later = survey_results(published, "wave1", cache_dir=cache_dir)

    assert computed == ["wave1", "wave1"]
    assert later.responses == 149


def test_a_publication_made_by_other_counting_code_is_not_shown(
    published: Database, cache_dir: Path, computed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Numbers audited under older rules could show what the current rules hide.
    store_demo_responses(published, "wave1", 150, seed=3, today=TODAY)
    first = survey_results(published, "wave1", cache_dir=cache_dir).to_json()

    monkeypatch.setattr(live_results, "code_identity", lambda: "other rules")
    again = survey_results(fresh_process(published), "wave1", cache_dir=cache_dir).to_json()

    assert computed == ["wave1", "wave1"]
    assert again == first


def test_a_damaged_live_publication_is_computed_again(
    published: Database, cache_dir: Path, computed: list[str]
) -> None:
    store_demo_responses(published, "wave1", 150, seed=3, today=TODAY)
    first = survey_results(published, "wave1", cache_dir=cache_dir).to_json()
    [stored] = cache_dir.glob("*-live-*.json")
    stored.write_text(stored.read_text()[:100])

    again = survey_results(fresh_process(published), "wave1", cache_dir=cache_dir).to_json()

    assert computed == ["wave1", "wave1"]
    assert again == first
