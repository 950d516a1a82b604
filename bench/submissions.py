"""Submission throughput against the same server's cheapest read, durability checked.

For each database: a fresh database, `survey-app serve`, then alternately `wrk` reads of
GET /api/v1/surveys and `wrk` POSTs of new, valid newcomer submissions from 8 and 32
keep-alive connections. Afterwards the server is killed with SIGKILL and the stored rows
are counted straight from the database: every 201 must be there (rows >= 201s), and no
more rows than requests sent. The disk's fsync rate is measured beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.bodies import demo_bodies, with_id, write_tails
from bench.common import (
    SURVEY,
    BenchError,
    Section,
    Server,
    count_submissions,
    fresh_database,
    fsyncs_per_second,
    post_json,
)
from bench.load import Load, wrk
from bench.peers import ahead_in_throughput

DEPLOYED_WORKERS = 2
"""`serve --workers` in deploy/survey-app.service."""

READ_PATH = "/api/v1/surveys"
SUBMIT_PATH = f"/api/v1/surveys/{SURVEY}/responses"
LABELS = {"sqlite": "SQLite (WAL, synchronous=FULL)", "postgresql": "PostgreSQL"}


@dataclass
class Measured:
    """Reads and submissions per connection count, from one server."""

    kind: str
    workers: int
    reads: dict[int, list[Load]] = field(default_factory=dict)
    writes: dict[int, list[Load]] = field(default_factory=dict)
    acknowledged: int = 0
    sent: int = 0
    stored: int = 0
    fsyncs: float = 0.0
    startup_seconds: float = 0.0

    def rate(self, loads: list[Load], status: int | None = None) -> float:
        seconds = sum(load.seconds for load in loads)
        if status is None:
            return sum(load.requests for load in loads) / seconds
        return sum(load.count(status) for load in loads) / seconds

    def reads_per_second(self, connections: int) -> float:
        return self.rate(self.reads[connections], 200)

    def submissions_per_second(self, connections: int) -> float:
        return self.rate(self.writes[connections], 201)

    def p99_ms(self, loads: list[Load]) -> float:
        return max(load.p99_ms for load in loads)

    def unexpected(self) -> dict[int, int]:
        """Responses other than 201 to submissions and 200 to reads, by status."""
        found: dict[int, int] = {}
        for loads, expected in ((self.writes, 201), (self.reads, 200)):
            for runs in loads.values():
                for load in runs:
                    for status, count in load.statuses.items():
                        if status != expected:
                            found[status] = found.get(status, 0) + count
        return found


def measure(
    kind: str,
    *,
    connections: tuple[int, ...],
    seconds: float,
    rounds: int,
    workers: int = 1,
    bodies: int = 2000,
    reads: bool = True,
) -> Measured:
    """Run the alternating read/submission load on a fresh database and count the rows."""
    measured = Measured(kind, workers)
    tails_source = demo_bodies(bodies)
    with fresh_database(kind) as database:
        tails = write_tails(tails_source, database.directory / "bodies.jsonl")
        server = Server(database.env(), workers=workers).start()
        try:
            measured.startup_seconds = server.startup_seconds
            status, answer = post_json(
                server.port, SUBMIT_PATH, with_id(tails_source[0], "bench-probe")
            )
            if status != 201:
                raise BenchError(
                    f"POST {SUBMIT_PATH} answered {status}, not 201: {answer}; "
                    f"server log: {server.log()[-1500:]}"
                )
            measured.acknowledged += 1
            measured.sent += 1
            # Warm-up: connection pools, caches and the first compiled statements.
            warm = wrk(server, SUBMIT_PATH, connections=8, seconds=1, bodies=tails)
            wrk(server, READ_PATH, connections=8, seconds=1)
            measured.acknowledged += warm.count(201)
            measured.sent += warm.sent
            for count in connections:
                measured.reads[count] = []
                measured.writes[count] = []
                for _round in range(rounds):
                    if reads:
                        measured.reads[count].append(
                            wrk(server, READ_PATH, connections=count, seconds=seconds)
                        )
                    write = wrk(
                        server, SUBMIT_PATH, connections=count, seconds=seconds, bodies=tails
                    )
                    measured.writes[count].append(write)
                    measured.acknowledged += write.count(201)
                    measured.sent += write.sent
            server.kill()
        finally:
            server.stop()
        measured.stored = count_submissions(database.url)
        measured.fsyncs = fsyncs_per_second(database.directory)
    return measured


def submissions(quick: bool, databases: tuple[str, ...]) -> list[Section]:
    """Benchmark 1: the submission API on each database."""
    sections = []
    for kind in databases:
        measured = measure(
            kind,
            connections=(8, 32),
            seconds=3 if quick else 10,
            rounds=1 if quick else 2,
            bodies=300 if quick else 2000,
        )
        section = report(measured)
        # The peers' bar against the set-up that is deployed (deploy/survey-app.service).
        deployed = measure(
            kind,
            connections=(8, 32),
            seconds=3 if quick else 10,
            rounds=1,
            workers=DEPLOYED_WORKERS,
            bodies=300 if quick else 2000,
            reads=False,
        )
        best = max(deployed.submissions_per_second(count) for count in deployed.writes)
        ahead_in_throughput(section, f"best submissions/s, --workers {DEPLOYED_WORKERS}", best)
        section.check(
            f"--workers {DEPLOYED_WORKERS}: rows after SIGKILL vs. 201s acknowledged (sent)",
            f"{deployed.stored} rows, {deployed.acknowledged} acknowledged ({deployed.sent} sent)",
            "acknowledged <= rows <= sent",
            deployed.acknowledged <= deployed.stored <= deployed.sent,
        )
        sections.append(section)
    return sections


def report(measured: Measured) -> Section:
    section = Section(f"Submission throughput, {LABELS[measured.kind]}")
    for count in sorted(measured.writes):
        reads = measured.reads_per_second(count)
        writes = measured.submissions_per_second(count)
        section.info(f"reads/s GET {READ_PATH}, {count} clients", f"{reads:.0f}")
        section.info(f"submissions/s (201), {count} clients", f"{writes:.0f}")
        section.at_least(f"submissions/s ÷ reads/s, {count} clients", writes / reads, 0.5)
        p99 = measured.p99_ms(measured.writes[count])
        if count == 32:
            section.at_most(f"p99 latency of a submission, {count} clients", p99, 100, "ms", 1)
        else:
            section.info(f"p99 latency of a submission, {count} clients", f"{p99:.1f} ms")
    unexpected = measured.unexpected()
    section.check(
        "responses other than 201 (POST) / 200 (GET)",
        ", ".join(f"{s}: {n}" for s, n in sorted(unexpected.items())) or "none",
        "none",
        not unexpected,
    )
    section.check(
        "rows after SIGKILL vs. 201s acknowledged (sent)",
        f"{measured.stored} rows, {measured.acknowledged} acknowledged ({measured.sent} sent)",
        "acknowledged <= rows <= sent",
        measured.acknowledged <= measured.stored <= measured.sent,
    )
    best = max(measured.submissions_per_second(count) for count in measured.writes)
    ahead_in_throughput(section, "best submissions/s, --workers 1", best)
    section.info("fsync/s of the disk (4 KiB write + fsync, one file)", f"{measured.fsyncs:.0f}")
    section.info(
        "best submissions/s as share of the disk's fsync/s",
        f"{100 * best / measured.fsyncs:.1f} %",
    )
    for count in sorted(measured.writes):
        posts = measured.writes[count]
        gets = measured.reads[count]
        cpu_write = sum(load.server_cpu_ms_per_request() for load in posts) / len(posts)
        cpu_read = sum(load.server_cpu_ms_per_request() for load in gets) / len(gets)
        section.info(
            f"server CPU per request, {count} clients",
            f"{cpu_write:.2f} ms per submission, {cpu_read:.2f} ms per read",
        )
    for count in sorted(measured.writes):
        for load in measured.reads[count] + measured.writes[count]:
            section.notes.append(load.describe())
    return section
