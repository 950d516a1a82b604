"""A crowd of respondents paging through the newcomer survey without JavaScript
(`bench.respondents`: own cookies, CSRF token from the form, redirects followed), 1–5 s
of think time before every page, on SQLite and PostgreSQL: dropped connections, 5xx
and 503 answers, p50/p95/p99 of every page step overall and per page, and where the
time goes.

On SQLite, `py-spy` (when installed and allowed to attach) samples the server while the
crowd runs, so the wait for SQLite's write lock is measured, not guessed: threads whose
innermost Python frame is `Database.write` are waiting for the writer's turn (the lock
in `survey_app/db/engine.py`: its C code has no Python frame); those under it in a
`commit` are committing (the fsync of `synchronous=FULL`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import (
    BIN,
    PYTHON,
    Section,
    Server,
    count_submissions,
    fresh_database,
    run,
)

FULL_COUNT = 300
QUICK_COUNT = 40
THINK = (1.0, 5.0)
P99_LIMIT_MS = 500.0
SAMPLES_PER_SECOND = 50
WORKERS = (1, 2)  # `serve --workers`: one process, and one per core of this machine
# py-spy names a frame `Class.method (file:line)`.
WRITE_FRAME = "Database.write (survey_app/db/engine.py"


def crowd(quick: bool, databases: tuple[str, ...]) -> list[Section]:
    """The same crowd on each database, one after the other, served by one worker and by
    `serve --workers 2` (one GIL per worker: the crowd asks for more than one core)."""
    count = QUICK_COUNT if quick else FULL_COUNT
    ramp = count / 30  # 30 new respondents a second: a poster seen by a class at once
    sections = []
    for kind in databases:
        for workers in (1,) if quick else WORKERS:
            sections.append(_crowd(kind, workers, count, ramp))
    return sections


def _crowd(kind: str, workers: int, count: int, ramp: float) -> Section:
    section = Section(
        f"A crowd of {count} respondents, {THINK[0]:g}–{THINK[1]:g} s per page ({kind}, "
        f"{workers} worker{'s' if workers > 1 else ''})"
    )
    with fresh_database(kind) as database, Server(database.env(), workers) as server:
        stored_before = count_submissions(database.url)
        cpu_before = server.cpu_seconds()
        # py-spy follows one process: the lock waits are sampled with one worker.
        sampling = _sampled(server, kind == "sqlite" and workers == 1)
        with sampling as profile:
            measured = run(
                [PYTHON, "-m", "bench.respondents", server.base, str(count), "--ramp",
                 f"{ramp:g}", "--think-min", f"{THINK[0]:g}", "--think-max", f"{THINK[1]:g}"]
            ).require_success("bench.respondents")  # fmt: skip
        figures = json.loads(measured.stdout)
        server_cpu = server.cpu_seconds() - cpu_before
        stored = count_submissions(database.url) - stored_before
        if figures["dropped"]:
            # What the server said is the only trace of why connections were dropped.
            exited = server.process.poll() if server.process else None
            section.notes.append(f"server exit status: {exited}; its log ends with:")
            section.notes.append(f"```\n{server.log()[-3000:]}\n```")
    _rows(section, figures, count, stored, server_cpu, ramp, workers)
    if profile.exists():
        _lock_waits(section, profile, figures["requests"])
        profile.unlink()
    return section


def _rows(
    section: Section,
    crowd: dict[str, Any],
    count: int,
    stored: int,
    server_cpu: float,
    ramp: float,
    workers: int,
) -> None:
    statuses = {int(s): int(n) for s, n in crowd["statuses"].items()}
    dropped = int(crowd["dropped"])
    section.check(
        "dropped connections",
        f"{dropped} {crowd['dropped_kinds'] or ''}".strip(),
        "0",
        dropped == 0,
    )
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    section.check(
        "answers 5xx (of which 503)",
        f"{server_errors} ({statuses.get(503, 0)})",
        "0",
        server_errors == 0,
    )
    section.check(
        "finished the survey / submissions stored",
        f"{crowd['finished']} / {stored} (stuck: {crowd['stuck_count']} {crowd['stuck']})",
        f"{count} / {count}",
        crowd["finished"] == count == stored,
    )
    section.at_most("p99 of a page step", float(crowd["p99_ms"]), P99_LIMIT_MS, "ms", 0)
    section.info(
        "p50 / p95 / max of a page step",
        f"{crowd['p50_ms']:.0f} / {crowd['p95_ms']:.0f} / {crowd['max_ms']:.0f} ms",
    )
    pages: dict[str, dict[str, float]] = crowd["per_page"]
    for page, of_page in pages.items():
        section.info(
            f"{page}: p50 / p95 / p99 ({of_page['steps']:.0f} steps)",
            f"{of_page['p50_ms']:.0f} / {of_page['p95_ms']:.0f} / {of_page['p99_ms']:.0f} ms",
        )
    seconds = float(crowd["seconds"])
    requests = int(crowd["requests"])
    client_cpu = float(crowd["client_cpu_seconds"])
    section.info(
        "load",
        f"{requests} page steps in {seconds:.0f} s ({requests / seconds:.0f}/s), everybody "
        f"started within {ramp:.0f} s; server {100 * server_cpu / seconds:.0f}% of a core "
        f"({1000 * server_cpu / requests:.1f} ms CPU per step), client "
        f"{100 * client_cpu / seconds:.0f}%",
    )
    # What the crowd asks for if every page were answered at once: one worker has one GIL,
    # so beyond 100 % of a core requests queue whatever the database.
    asked = count / (sum(THINK) / 2)
    section.info(
        "what the crowd asks for at zero latency",
        f"{asked:.0f} page steps/s x {1000 * server_cpu / requests:.1f} ms = "
        f"{asked * server_cpu / requests * 100:.0f}% of a core; {workers} worker(s) can use "
        f"{100 * workers}%",
    )


@contextlib.contextmanager
def _sampled(server: Server, wanted: bool) -> Iterator[Path]:
    """py-spy recording the server while the block runs (raw collapsed stacks, idle
    threads included); yields the path of its output, which exists only if it worked."""
    output = Path(tempfile.mkstemp(prefix="bench-crowd-", suffix=".txt")[1])
    output.unlink()
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if not wanted or spy is None or server.process is None:
        yield output
        return
    process = subprocess.Popen(
        [spy, "record", "--pid", str(server.process.pid), "--idle", "--nonblocking",
         "--rate", str(SAMPLES_PER_SECOND), "--format", "raw", "--output", str(output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield output
    finally:
        os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _lock_waits(section: Section, profile: Path, steps: int) -> None:
    """Thread-seconds waiting for the writer's turn and committing (py-spy samples)."""
    waiting = committing = 0
    for line in profile.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if WRITE_FRAME not in stack or not number.isdigit():
            continue
        if WRITE_FRAME in stack.rsplit(";", 1)[-1]:
            waiting += int(number)  # blocked in the lock's C code: no deeper Python frame
        elif "commit" in stack.split(WRITE_FRAME, 1)[1]:
            committing += int(number)
    rate = SAMPLES_PER_SECOND
    section.info(
        "SQLite writes (py-spy, every thread): waiting for the writer's turn / committing",
        f"{waiting / rate:.1f} / {committing / rate:.1f} thread-seconds; per page step "
        f"{1000 * waiting / rate / steps:.1f} / {1000 * committing / rate / steps:.1f} ms",
    )
