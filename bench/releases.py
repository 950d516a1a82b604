"""Releases: the disclosure audit of the newcomer survey for one working group with every
breakdown (target: < 2 s over 100,000 responses, once per release), a whole release of
every group, the next release audited against it, and a member's results call from a
release against the live call (`bench.audit` in a child process, on a copy of the demo
data set)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from bench.common import PYTHON, Section, demo_dataset, run

FULL_SIZES = (10_000, 100_000)
QUICK_SIZES = (2_000, 10_000)
GROUP_AUDIT_LIMIT = {100_000: 2.0, 10_000: 2.0}
SECOND_RELEASE_FROM = 10_000
"""Smaller data sets get no second release: 2 % of 2,000 is 40 new responses, a release
the admin page warns about (fewer than 10 k new: most changes hidden) and whose audit
takes minutes, which is not what a quick run is for."""


def releases(quick: bool, databases: tuple[str, ...]) -> list[Section]:
    """SQLite data sets; the audit itself does not touch the database."""
    section = Section("Releases and the disclosure audit (SQLite)")
    for size in QUICK_SIZES if quick else FULL_SIZES:
        dataset = demo_dataset(size)
        with tempfile.TemporaryDirectory(prefix="bench-releases-") as directory:
            copy = Path(directory) / "copy.sqlite3"
            shutil.copyfile(dataset.path, copy)
            first_only = ["--first-only"] if size < SECOND_RELEASE_FROM else []
            measured = run([PYTHON, "-m", "bench.audit", f"sqlite:///{copy}", *first_only])
            measured.require_success("python -m bench.audit")
        figures = json.loads(measured.stdout)
        label = f"{size:,} responses"
        limit = GROUP_AUDIT_LIMIT.get(size)
        group = figures["group_seconds"]
        if limit is not None:
            section.at_most(f"{label}: audit of group arbeit, every breakdown", group, limit, "s")
        section.info(
            f"{label}: that audit's work",
            f"{figures['group_rounds']} rounds, {figures['group_programs']} linear programs, "
            f"{figures['group_hidden']} of {figures['group_numbers']} numbers hidden",
        )
        section.info(f"{label}: release of every group", f"{figures['release_seconds']:.2f} s")
        second = figures["second_release_seconds"]
        section.info(
            f"{label}: next release (+2 %), audited against the first (its check)",
            "not measured (a sparse release)" if second is None else f"{second:.2f} s",
        )
        if second is not None:
            section.info(
                f"{label}: that release made after its check (the check's audit taken)",
                f"{figures['release_after_check_seconds']:.2f} s",
            )
        section.info(
            f"{label}: member's results call, release / live (warm)",
            f"{figures['release_read_ms']:.1f} ms / {figures['live_read_ms']:.1f} ms",
        )
    return [section]
