"""`survey-app invitations create`, `backup`, `restore` and `purge`."""

from __future__ import annotations

import csv
import datetime
import json
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from survey_app.cli import main
from survey_app.db.engine import Database
from survey_app.db.migrate import upgrade
from survey_app.db.tables import AuditEvent, Draft, Release, ReviewEvent, Submission
from survey_app.services.invitations import invitation_counts, invitation_find, invitations_create
from survey_app.services.maintenance import purge
from survey_app.services.published import PublishedSurvey
from survey_app.services.releases import release_create
from survey_app.services.review import responses_set_status
from survey_app.services.submissions import submission_create
from tests.storage.conftest import STORAGE_QUESTIONNAIRES


def run(
    database_url: str,
    tmp_path: Path,
    *args: str,
    base_url: str = "https://umfrage.example.de",
) -> Result:
    env = {
        "SURVEY_DATABASE_URL": database_url,
        "SURVEY_QUESTIONNAIRES": str(STORAGE_QUESTIONNAIRES),
        "SURVEY_VAR_DIR": str(tmp_path / "var"),
        "SURVEY_BASE_URL": base_url,
    }
    return CliRunner().invoke(main, list(args), env=env)


def submit(db: Database, survey: PublishedSurvey, count: int, prefix: str = "s") -> None:
    for number in range(count):
        submission_create(
            db,
            survey=survey,
            submission_id=f"{prefix}-{number}",
            language="ar",
            answers={"satisfied": "no", "reason": f"سبب {number}", "age": 20 + number % 50},
        )


def rows(db: Database) -> list[tuple[str, str, str]]:
    with db.read() as session:
        found = session.exec(select(Submission).order_by(Submission.submission_id)).all()
        return [(row.submission_id, row.answers, row.answers_hash) for row in found]


# -- invitations ------------------------------------------------------------------------


def test_invitations_create_writes_personal_links_and_stores_only_hashes(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    output = tmp_path / "links.csv"
    done = run(
        database_url,
        tmp_path,
        "invitations",
        "create",
        "employers",
        "--count",
        "3",
        "--label",
        "Mailing März",
        "--output",
        str(output),
    )
    assert done.exit_code == 0, done.output
    with output.open(encoding="utf-8-sig", newline="") as file:
        links = list(csv.DictReader(file, delimiter=";"))
    assert [link["label"] for link in links] == ["Mailing März"] * 3
    tokens = []
    for link in links:
        parts = urlsplit(link["link"])
        assert (
            f"{parts.scheme}://{parts.netloc}{parts.path}"
            == "https://umfrage.example.de/s/employers"
        )
        [token] = parse_qs(parts.query)["invitation"]
        assert len(token) >= 32  # 24 random bytes, base64: 192 bits
        found = invitation_find(db, "employers", token)
        assert found is not None
        assert found.token_hash != token
        tokens.append(token)
    assert len(set(tokens)) == 3
    assert invitation_counts(db, "employers").created == 3
    assert output.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [("http://localhost:8000", True), ("https://umfrage.example.de", False)],
)
def test_invitations_create_warns_when_the_links_point_to_this_computer(
    database_url: str, tmp_path: Path, base_url: str, warned: bool
) -> None:
    output = tmp_path / "links.csv"
    done = run(
        database_url,
        tmp_path,
        "invitations",
        "create",
        "employers",
        "--count",
        "1",
        "--output",
        str(output),
        base_url=base_url,
    )
    assert done.exit_code == 0, done.output
    warning = f"warning: every link in it points to this computer ({base_url})"
    assert (warning in done.output) is warned
    assert "SURVEY_BASE_URL" in done.output if warned else "warning" not in done.output


def test_invitations_create_is_the_admin_pages_service_audited_and_neutralised(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    output = tmp_path / "links.csv"
    done = run(
        database_url,
        tmp_path,
        "invitations",
        "create",
        "employers",
        "--count",
        "2",
        "--label",
        "=HYPERLINK(1)",
        "--output",
        str(output),
    )
    assert done.exit_code == 0, done.output
    with output.open(encoding="utf-8-sig", newline="") as file:
        header, *links = list(csv.reader(file, delimiter=";"))
    assert header == ["label", "link"]  # as on /admin
    assert [label for label, _link in links] == ["'=HYPERLINK(1)"] * 2
    with db.read() as session:
        [event] = session.exec(
            select(AuditEvent).where(AuditEvent.action == "invitations_create")
        ).all()
    assert event.actor == "cli"
    assert json.loads(event.detail) == {"survey": "employers", "count": 2, "label": "=HYPERLINK(1)"}
    assert all(token not in event.detail for _label, link in links for token in [link[-32:]])


def test_invitations_create_writes_an_excel_workbook_with_the_admin_pages_columns(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    output = tmp_path / "links.xlsx"
    done = run(
        database_url,
        tmp_path,
        "invitations",
        "create",
        "employers",
        "--count",
        "2",
        "--label",
        "Mailing März",
        "--output",
        str(output),
    )
    assert done.exit_code == 0, done.output
    sheet = load_workbook(output, read_only=True).active
    header, *links = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == ["label", "link"]
    assert [label for label, _link in links] == ["Mailing März"] * 2
    assert all(link.startswith("https://umfrage.example.de/s/employers?") for _l, link in links)
    assert output.stat().st_mode & 0o777 == 0o600


def test_invitations_create_refuses_a_file_it_cannot_write_as_a_link_list(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    output = tmp_path / "links.txt"
    done = run(
        database_url, tmp_path, "invitations", "create", "employers", "--count", "1",
        "--output", str(output),
    )  # fmt: skip
    assert done.exit_code == 1
    assert "must end in .xlsx or .csv" in done.output
    assert not output.exists()
    assert invitation_counts(db, "employers").created == 0


def test_invitations_create_never_overwrites_a_file_of_links(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    output = tmp_path / "links.csv"
    output.write_text("earlier links\n")
    done = run(
        database_url,
        tmp_path,
        "invitations",
        "create",
        "employers",
        "--count",
        "1",
        "--output",
        str(output),
    )
    assert done.exit_code == 1
    assert "exists" in done.output
    assert output.read_text() == "earlier links\n"


@pytest.mark.parametrize(
    ("survey_id", "message"),
    [("feedback", "is anonymous"), ("nope", "no survey 'nope'")],
)
def test_invitations_are_only_for_invitation_surveys(
    database_url: str, tmp_path: Path, survey_id: str, message: str
) -> None:
    done = run(
        database_url,
        tmp_path,
        "invitations",
        "create",
        survey_id,
        "--count",
        "1",
        "--output",
        str(tmp_path / "links.csv"),
    )
    assert done.exit_code == 1
    assert message in done.output


# -- backup and restore -----------------------------------------------------------------


def empty_target(database_url: str, tmp_path: Path) -> str:
    """A second, empty database: another SQLite file, or the same PostgreSQL schema emptied."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'survey.sqlite3'}"
    schema = make_url(database_url).query["options"].split("=")[-1]
    admin = create_engine(make_url(database_url).difference_update_query(["options"]))
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return database_url


def test_a_backup_restores_every_response_byte_for_byte(
    database_url: str, db: Database, feedback: PublishedSurvey, tmp_path: Path
) -> None:
    submit(db, feedback, 25)
    before = rows(db)
    backup = tmp_path / "backup.bin"
    done = run(database_url, tmp_path, "backup", "--output", str(backup))
    assert done.exit_code == 0, done.output
    db.dispose()
    target_url = empty_target(database_url, tmp_path)
    done = run(target_url, tmp_path, "restore", str(backup))
    assert done.exit_code == 0, done.output
    restored = Database(target_url)
    try:
        assert rows(restored) == before
    finally:
        restored.dispose()


def test_restore_refuses_a_database_that_holds_data(
    database_url: str, db: Database, feedback: PublishedSurvey, tmp_path: Path
) -> None:
    submit(db, feedback, 2)
    backup = tmp_path / "backup.bin"
    assert run(database_url, tmp_path, "backup", "--output", str(backup)).exit_code == 0
    submit(db, feedback, 1, prefix="later")
    done = run(database_url, tmp_path, "restore", str(backup))
    assert done.exit_code == 1
    assert "the database is not empty" in done.output
    assert len(rows(db)) == 3


def test_restore_into_a_migrated_but_empty_database_is_allowed(
    database_url: str, db: Database, feedback: PublishedSurvey, tmp_path: Path
) -> None:
    submit(db, feedback, 3)
    backup = tmp_path / "backup.bin"
    assert run(database_url, tmp_path, "backup", "--output", str(backup)).exit_code == 0
    before = rows(db)
    db.dispose()
    target_url = empty_target(database_url, tmp_path)
    upgrade(target_url)
    assert run(target_url, tmp_path, "restore", str(backup)).exit_code == 0
    restored = Database(target_url)
    try:
        assert rows(restored) == before
    finally:
        restored.dispose()


@pytest.mark.sqlite_only  # pg_dump's snapshot consistency is PostgreSQL's own guarantee
def test_a_sqlite_backup_is_consistent_while_responses_arrive(
    database_url: str, db: Database, feedback: PublishedSurvey, tmp_path: Path
) -> None:
    submit(db, feedback, 10, prefix="early")
    writing = threading.Thread(target=submit, args=(db, feedback, 150, "during"))
    writing.start()
    backup = tmp_path / "backup.sqlite3"
    done = run(database_url, tmp_path, "backup", "--output", str(backup))
    writing.join()
    assert done.exit_code == 0, done.output
    copy = Database(f"sqlite:///{backup}")
    try:
        copied = rows(copy)
    finally:
        copy.dispose()
    assert set(copied) <= set(rows(db))
    assert len(copied) >= 10
    assert not Path(f"{backup}-wal").exists()


# -- purge ------------------------------------------------------------------------------


def add_draft(
    db: Database, survey: PublishedSurvey, key: str, updated: datetime.date, expires: datetime.date
) -> None:
    with db.write() as session:
        session.add(
            Draft(
                key_hash=key,
                survey_id=survey.id,
                version_id=survey.version_id,
                language="de",
                answers="{}",
                updated_on=updated,
                expires_on=expires,
            )
        )


def test_purge_deletes_expired_and_old_drafts_and_audits_the_counts(
    database_url: str, db: Database, feedback: PublishedSurvey, tmp_path: Path
) -> None:
    today = datetime.date.today()
    day = datetime.timedelta(days=1)
    add_draft(db, feedback, "expired", today - 40 * day, today - day)
    add_draft(db, feedback, "old", today - 31 * day, today + 60 * day)
    add_draft(db, feedback, "recent", today - 2 * day, today + 28 * day)
    submit(db, feedback, 2)
    done = run(database_url, tmp_path, "purge", "--drafts-older-than", "30d")
    assert done.exit_code == 0, done.output
    assert "drafts deleted: 2" in done.output
    with db.read() as session:
        assert [draft.key_hash for draft in session.exec(select(Draft)).all()] == ["recent"]
        [event] = session.exec(select(AuditEvent)).all()
    assert (event.actor, event.action) == ("cli", "purge")
    assert json.loads(event.detail) == {"drafts": 2, "submissions": {}}
    assert len(rows(db)) == 2


def test_purge_rejects_a_duration_it_cannot_read(database_url: str, tmp_path: Path) -> None:
    done = run(database_url, tmp_path, "purge", "--drafts-older-than", "a month")
    assert done.exit_code == 2
    assert "30d or 4w" in done.output


def answered_invitation(db: Database, employers: PublishedSurvey) -> tuple[str, int]:
    """A personal link of the employers' survey, used by one response: (token, its id)."""
    [token] = invitations_create(db, "employers", 1)
    receipt = submission_create(
        db,
        survey=employers,
        submission_id="e-1",
        language="de",
        answers={"staff": 4},
        invitation_token=token,
    )
    return token, receipt.id


def test_purge_deletes_the_responses_of_surveys_past_their_retention_date(
    db: Database, feedback: PublishedSurvey, employers: PublishedSurvey, tmp_path: Path
) -> None:
    token, _pk = answered_invitation(db, employers)
    submit(db, feedback, 3)
    assert employers.questionnaire.retention == datetime.date(2030, 12, 31)

    cache = tmp_path / "results-cache"
    on_the_day = purge(db, today=datetime.date(2030, 12, 31), results_cache_dir=cache)
    after = purge(db, today=datetime.date(2031, 1, 1), results_cache_dir=cache)

    assert on_the_day.submissions == {}
    assert after.submissions == {"employers": 1}
    assert [submission_id for submission_id, _, _ in rows(db)] == ["s-0", "s-1", "s-2"]
    invitation = invitation_find(db, "employers", token)
    assert invitation is not None
    assert invitation.used_on is not None  # the link stays used: no second response
    assert invitation.submission_pk is None
    with db.read() as session:
        details = [json.loads(event.detail) for event in session.exec(select(AuditEvent)).all()]
    assert details[-1] == {"drafts": 0, "submissions": {"employers": 1}}


def test_purge_deletes_excluded_responses_and_the_reasons_given_for_them(
    db: Database, employers: PublishedSurvey, tmp_path: Path
) -> None:
    _token, pk = answered_invitation(db, employers)
    responses_set_status(
        db, "employers", [pk], status="excluded", reason="Test by Ms Example", actor="lea"
    )

    purge(db, today=datetime.date(2031, 1, 1), results_cache_dir=tmp_path / "cache")

    with db.read() as session:
        left = session.exec(select(Submission)).all()
        reasons = session.exec(select(ReviewEvent)).all()
    assert (left, reasons) == ([], [])


def test_purge_leaves_releases_the_counts_of_exclusions_but_not_their_reasons(
    db: Database, employers: PublishedSurvey, tmp_path: Path
) -> None:
    tokens = invitations_create(db, "employers", 8)
    pks = [
        submission_create(
            db, survey=employers, submission_id=f"e-{n}", language="de",
            answers={"staff": 10 + n}, invitation_token=token,
        ).id
        for n, token in enumerate(tokens)
    ]  # fmt: skip
    responses_set_status(db, "employers", pks[:1], status="excluded", reason="Test by Ms Example",
                         actor="lea")  # fmt: skip
    responses_set_status(db, "employers", pks[1:3], status="excluded", reason="Dublette",
                         actor="lea")  # fmt: skip
    release_create(db, "employers", actor="lea")

    purge(db, today=datetime.date(2031, 1, 1), results_cache_dir=tmp_path / "cache")

    with db.read() as session:
        [release] = session.exec(select(Release)).all()
    assert (release.number, release.responses) == (1, 5)
    assert release.excluded == {"ids": pks[:3], "reason_counts": [2, 1]}
    assert "Test by Ms Example" not in json.dumps(release.excluded)
