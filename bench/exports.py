"""Exports: `survey-app export newcomer --format csv|xlsx` of demo data sets, wall time and
peak RSS of the child. A streamed export keeps its peak memory flat as the data grows."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import DATA_DIR, SURVEY, SURVEY_APP, Section, app_env, demo_dataset, run
from bench.peers import ahead_in_export

FULL = {"csv": (100_000, 1_000_000), "xlsx": (100_000,)}
QUICK = {"csv": (2_000, 10_000), "xlsx": (10_000,)}
TARGET_SECONDS = {("csv", 1_000_000): 20.0, ("xlsx", 100_000): 30.0}


def exports(quick: bool, databases: tuple[str, ...]) -> list[Section]:
    """Benchmark 3."""
    section = Section("Exports (SQLite)")
    memory: dict[int, float] = {}
    for output_format, sizes in (QUICK if quick else FULL).items():
        for size in sizes:
            dataset = demo_dataset(size)
            with tempfile.TemporaryDirectory(prefix="bench-export-") as directory:
                output = Path(directory) / f"export.{output_format}"
                exported = run(
                    [
                        SURVEY_APP,
                        "export",
                        SURVEY,
                        "--format",
                        output_format,
                        "--output",
                        str(output),
                    ],
                    app_env(dataset.url, DATA_DIR / "var"),
                ).require_success(f"survey-app export --format {output_format}")
                megabytes = output.stat().st_size / 1e6
                rows = _rows(output) if output_format == "csv" else None
            label = f"{output_format.upper()} of {size:,} responses"
            limit = TARGET_SECONDS.get((output_format, size))
            if limit is None:
                section.info(f"{label}: wall time", f"{exported.seconds:.1f} s")
            else:
                section.at_most(f"{label}: wall time", exported.seconds, limit, "s", 1)
            if (output_format, size) == ("csv", 100_000):
                ahead_in_export(section, f"{label}: wall time", exported.seconds)
            section.info(
                f"{label}: peak RSS, file size", f"{exported.max_rss_mb:.0f} MB, {megabytes:.1f} MB"
            )
            if rows is not None:
                section.check(f"{label}: data rows in the file", str(rows), str(size), rows == size)
                memory[size] = exported.max_rss_mb
    if len(memory) >= 2:
        (small, small_mb), (large, large_mb) = sorted(memory.items())[0], sorted(memory.items())[-1]
        growth = large_mb / small_mb
        section.check(
            f"CSV peak RSS {large:,} vs. {small:,} responses",
            f"×{growth:.2f} for ×{large / small:g} responses",
            "flat (< ×1.5)",
            growth < 1.5,
        )
    return [section]


def _rows(path: Path) -> int:
    """Data rows of a CSV export (records, not lines: answers may hold newlines)."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1
