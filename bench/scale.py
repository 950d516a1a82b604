"""Scale past one process: `survey-app serve --workers N` over one PostgreSQL, submission
throughput per worker count with exactly-once and durability checked as in the
submission benchmark, and how much of the machine PostgreSQL itself used."""

from __future__ import annotations

import time

from bench.common import Section, cpu_seconds_of
from bench.submissions import measure


def scale(quick: bool, databases: tuple[str, ...]) -> list[Section]:
    """Benchmark 6."""
    if "postgresql" not in databases:
        return [Section("Scale: workers over one PostgreSQL", notes=["skipped: no PostgreSQL"])]
    section = Section("Scale: workers over one PostgreSQL")
    rates: dict[int, float] = {}
    for workers in (1, 2) if quick else (1, 2, 4):
        postgres_before = cpu_seconds_of("postgres")
        started = time.perf_counter()
        measured = measure(
            "postgresql",
            connections=(32,),
            seconds=3 if quick else 10,
            rounds=1,
            workers=workers,
            bodies=300 if quick else 2000,
        )
        postgres_share = (cpu_seconds_of("postgres") - postgres_before) / (
            time.perf_counter() - started
        )
        writes = measured.writes[32]
        rates[workers] = measured.submissions_per_second(32)
        label = f"--workers {workers}"
        section.info(
            f"{label}: submissions/s (201), 32 clients; reads/s",
            f"{rates[workers]:.0f}; {measured.reads_per_second(32):.0f}",
        )
        section.info(
            f"{label}: p50 / p99 latency of a submission",
            f"{max(w.p50_ms for w in writes):.1f} / {measured.p99_ms(writes):.1f} ms",
        )
        section.check(
            f"{label}: rows after SIGKILL vs. 201s (sent)",
            f"{measured.stored} rows, {measured.acknowledged} acknowledged ({measured.sent} sent)",
            "acknowledged <= rows <= sent",
            measured.acknowledged <= measured.stored <= measured.sent,
        )
        unexpected = measured.unexpected()
        section.check(
            f"{label}: responses other than 201/200",
            str(unexpected or "none"),
            "none",
            not unexpected,
        )
        section.info(
            f"{label}: CPU per submission: app / PostgreSQL",
            f"{sum(w.server_cpu_ms_per_request() for w in writes) / len(writes):.2f} ms / "
            f"PostgreSQL busy {100 * postgres_share:.0f}% of a core over the whole run",
        )
    if 1 in rates and 2 in rates:
        section.info("speed-up of 2 workers over 1", f"×{rates[2] / rates[1]:.2f}")
    section.notes.append(
        "app, PostgreSQL and wrk share the same 2 cores: more workers than cores only add "
        "contention here; on a larger machine the app tier scales out, PostgreSQL is the "
        "shared part"
    )
    return [section]
