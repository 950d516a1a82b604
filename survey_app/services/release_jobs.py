"""Releases the admin page makes in the background.

The audit of a release takes seconds on a first release and can take minutes on a
later one of a large survey (every working group, against every earlier release), while
a page behind nginx has 60 s (`deploy/nginx.conf`). So the page starts a *job* and
shows its state, reloading itself, until the release is made or refused.

A job runs in a process of its own (`python -m survey_app.services.release_jobs JOB`),
not in a thread of the server: the audit is mostly Python and would hold the server's
interpreter lock for minutes, slowing every respondent's page. Its state is in the
database, so any worker process shows it; a job whose process is gone shows as
interrupted, and the office starts it again: nothing was released, since
`release_create` stores a release in one transaction at its end.

A check ("check first") keeps what the release needs to take its audit (`AUDIT`): a
release job made of the same inputs stores it instead of auditing again.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import subprocess
import sys
from dataclasses import dataclass

from sqlmodel import col, select

from survey_app.db.engine import Database
from survey_app.db.tables import ReleaseJob, utc_now
from survey_app.errors import NotFound
from survey_app.i18n import S_, StaffMessage
from survey_app.services.releases import (
    CheckedRelease,
    ReleaseCheck,
    ReleaseRefused,
    release_audit_check,
    release_create,
    release_preview,
    too_few_responses,
)

log = logging.getLogger(__name__)

RUNNING, DONE, CHECKED, REFUSED, FAILED, INTERRUPTED = (
    "running",
    "done",
    "checked",
    "refused",
    "failed",
    "interrupted",
)

CHECK = "check"
"""The key in a job's values that makes it a check only."""
AUDIT = "audit"
"""The key in a checked job's values of what a release may take of it (`CheckedRelease`:
the digest of its inputs and the audited publication), kept until a release is made
or a newer check of the survey is done."""

_children: dict[int, subprocess.Popen[bytes]] = {}
"""The processes of the jobs this process started, by id."""


@dataclass(frozen=True)
class ReleaseJobState:
    """What the admin page shows of a job."""

    id: int
    survey: str
    state: str
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    number: int | None
    message: StaffMessage | None
    seconds: int
    """How long it ran (runs, while running)."""
    note: str
    checking: bool
    """A check only: the release is audited, not made (`release_check`)."""
    check: ReleaseCheck | None
    """What the release would show, once checked."""


class NoReleaseJob(NotFound):
    """No such job of this survey."""

    def __init__(self, survey_id: str, job_id: int) -> None:
        super().__init__(
            S_("There is no release in progress with number %(job)s for '%(survey)s'."),
            values={"job": job_id, "survey": survey_id},
        )


def release_start(
    db: Database,
    survey_id: str,
    *,
    actor: str,
    note: str = "",
    with_demo: bool = True,
    check: bool = False,
) -> int:
    """Start making the next release of a survey in the background, or with `check`
    only auditing it (`release_check`); the job's id.

    Refuses at once (`ReleaseRefused`) what needs no audit to refuse: too few new
    responses, or a release of the survey already being made. Raises `UnknownSurvey`."""
    preview = release_preview(db, survey_id, with_demo=with_demo)
    if not preview.allowed:
        previous = preview.number - 1 if preview.number > 1 else None
        raise too_few_responses(preview.since_previous, preview.min_cell, previous)
    with db.write() as session:
        running = [
            job
            for job in session.execute(
                select(ReleaseJob).where(
                    col(ReleaseJob.survey_id) == survey_id, col(ReleaseJob.state) == RUNNING
                )
            ).scalars()
            if _alive(job)
        ]
        if running:
            raise ReleaseRefused(
                S_(
                    "Release %(number)s of '%(survey)s' is being made (started by %(actor)s); "
                    "its page shows when it is ready."
                ),
                values={"number": preview.number, "survey": survey_id, "actor": running[0].actor},
            )
        job = ReleaseJob(
            survey_id=survey_id,
            actor=actor,
            worker=_worker(),
            note=note,
            with_demo=with_demo,
            values={CHECK: True} if check else {},
        )
        session.add(job)
        session.flush()
        assert job.id is not None
        job_id = job.id
    # The database's address through the environment, not the command line (which
    # every user of the machine can read): it may hold a password.
    environment = {**os.environ, "SURVEY_DATABASE_URL": db.url}
    try:
        child = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "survey_app.services.release_jobs", str(job_id)],
            env=environment,
            stdin=subprocess.DEVNULL,
        )
    except OSError:
        log.exception("release job %d of %s could not be started", job_id, survey_id)
        _finish(db, job_id, {"state": FAILED})
        return job_id
    _children[child.pid] = child
    with db.write() as session:
        started = session.get(ReleaseJob, job_id)
        if started is not None and started.state == RUNNING:
            started.worker = _worker(child.pid)
            session.add(started)
    return job_id


def release_job(db: Database, survey_id: str, job_id: int) -> ReleaseJobState:
    """The state of a job (raises `NoReleaseJob`)."""
    with db.read() as session:
        job = session.get(ReleaseJob, job_id)
    if job is None or job.survey_id != survey_id:
        raise NoReleaseJob(survey_id, job_id)
    state = job.state
    if state == RUNNING and not _alive(job):
        state = INTERRUPTED
    assert job.id is not None
    end = _aware(job.finished_at) if job.finished_at is not None else utc_now()
    return ReleaseJobState(
        id=job.id,
        survey=job.survey_id,
        state=state,
        started_at=job.started_at,
        finished_at=job.finished_at,
        number=job.number,
        message=StaffMessage(job.message, job.values) if job.message else None,
        seconds=int((end - _aware(job.started_at)).total_seconds()),
        note=job.note,
        checking=bool(job.values.get(CHECK)),
        check=ReleaseCheck(**job.values[CHECKED]) if state == CHECKED else None,
    )


def run_job(db: Database, job_id: int) -> None:
    """Make the release of a job and store what came of it (in the job's process)."""
    with db.read() as session:
        job = session.get(ReleaseJob, job_id)
    if job is None or job.state != RUNNING:
        return
    outcome: dict[str, object] = {}
    try:
        if job.values.get(CHECK):
            audited = release_audit_check(db, job.survey_id, with_demo=job.with_demo)
            kept = {"inputs": audited.inputs, "publication": audited.publication}
            outcome = {
                "state": CHECKED,
                "values": {CHECK: True, CHECKED: audited.check.to_json(), AUDIT: kept},
            }
        else:
            made = release_create(
                db,
                job.survey_id,
                actor=job.actor,
                note=job.note,
                with_demo=job.with_demo,
                checked=_kept_checks(db, job.survey_id),
            )
            outcome = {"state": DONE, "number": made.number}
    except ReleaseRefused as refusal:
        outcome = {"state": REFUSED, "message": refusal.template, "values": dict(refusal.values)}
    except Exception:
        # Logged like any unforeseen error of a request (never with answers); the page
        # says that nothing was released.
        log.exception("release job %d of %s failed", job_id, job.survey_id)
        outcome = {"state": FAILED}
    _finish(db, job_id, outcome)


def _kept_checks(db: Database, survey_id: str) -> list[CheckedRelease]:
    """The checks of a survey whose audit a release may take (newest first)."""
    with db.read() as session:
        jobs = session.execute(
            select(ReleaseJob)
            .where(col(ReleaseJob.survey_id) == survey_id, col(ReleaseJob.state) == CHECKED)
            .order_by(col(ReleaseJob.id).desc())
        ).scalars()
        return [
            CheckedRelease(
                ReleaseCheck(**job.values[CHECKED]),
                str(job.values[AUDIT]["inputs"]),
                str(job.values[AUDIT]["publication"]),
            )
            for job in jobs
            if AUDIT in job.values
        ]


def _finish(db: Database, job_id: int, outcome: dict[str, object]) -> None:
    with db.write() as session:
        stored = session.get(ReleaseJob, job_id)
        if stored is None:
            return
        for name, value in outcome.items():
            setattr(stored, name, value)
        stored.finished_at = utc_now()
        session.add(stored)
        if stored.state in (CHECKED, DONE):
            # A release made, or a newer check, leaves nothing to take from older checks.
            older = session.execute(
                select(ReleaseJob).where(
                    col(ReleaseJob.survey_id) == stored.survey_id,
                    col(ReleaseJob.state) == CHECKED,
                    col(ReleaseJob.id) != job_id,
                )
            ).scalars()
            for job in older:
                if AUDIT in job.values:
                    job.values = {k: v for k, v in job.values.items() if k != AUDIT}
                    session.add(job)


def _worker(pid: int | None = None) -> str:
    return f"{socket.gethostname()}:{pid if pid is not None else os.getpid()}"


def _alive(job: ReleaseJob) -> bool:
    """Whether the process making a job still runs (a process on another host is assumed
    to, for a day)."""
    host, _, pid_text = job.worker.rpartition(":")
    if host != socket.gethostname():
        return utc_now() - _aware(job.started_at) < datetime.timedelta(days=1)
    pid = int(pid_text)
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None  # and collects an ended one
    if pid == os.getpid():
        return True  # started here a moment ago: its process is being made
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _aware(moment: datetime.datetime) -> datetime.datetime:
    """A stored time in UTC (SQLite gives it back without a zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    database = Database(os.environ["SURVEY_DATABASE_URL"])
    try:
        run_job(database, int(sys.argv[1]))
    finally:
        database.dispose()
