"""Results at scale: `survey-app results newcomer` (all questions, `--group arbeit`,
`--by german_level`) over data sets made by `survey-app demo`, timed as a whole CLI call
(wall time, peak RSS of the child) and in-process (`bench.inprocess`: read, compute,
cold and warm).

Each is timed twice: the first call finds no results cache (it reads and parses the
stored JSON and writes `var/results-cache/`), the second is an ordinary later call,
which reads the cache file."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from bench.common import (
    DATA_DIR,
    PYTHON,
    SURVEY,
    SURVEY_APP,
    Run,
    Section,
    app_env,
    demo_dataset,
    run,
)

VARIANTS: dict[str, list[str]] = {
    "all questions": [],
    "--group arbeit": ["--group", "arbeit"],
    "--by german_level": ["--by", "german_level"],
}
FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (2_000, 10_000)
# (whole CLI call, cold computation in-process), seconds; peak memory in MB
TARGETS = {100_000: (3.0, 1.0, None), 1_000_000: (5.0, 5.0, 2048.0)}


def results(quick: bool, databases: tuple[str, ...]) -> list[Section]:
    """Benchmark 2 (SQLite data sets; the read is one aggregate query per 250k ids)."""
    section = Section("Results at scale (SQLite)")
    curve: dict[str, list[tuple[int, float, float]]] = {name: [] for name in VARIANTS}
    for size in QUICK_SIZES if quick else FULL_SIZES:
        dataset = demo_dataset(size)
        if dataset.demo_seconds is not None:
            section.info(
                f"{size:,} responses: survey-app demo took", f"{dataset.demo_seconds:.0f} s"
            )
        env = app_env(dataset.url, DATA_DIR / "var")
        for name, extra in VARIANTS.items():
            label = f"{size:,} responses, {name}"
            cli_limit, cold_limit, memory_limit = TARGETS.get(size, (None, None, None))
            shutil.rmtree(DATA_DIR / "var" / "results-cache", ignore_errors=True)
            with tempfile.TemporaryDirectory(prefix="bench-results-cache-") as cache:
                first_cli = _cli(extra, env)
                first = _inprocess(dataset.url, extra, env, Path(cache))
                cli = _cli(extra, env)
                timed = _inprocess(dataset.url, extra, env, Path(cache))
            responses = json.loads(cli.stdout)["responses"]
            curve[name].append((size, cli.seconds, timed["cold_seconds"]))
            for when, call, computation in (
                ("first call (no cache yet)", first_cli, first),
                ("later call (cache file)", cli, timed),
            ):
                _limited(section, f"{label}, {when}: whole CLI call", call.seconds, cli_limit, "s")
                _limited(
                    section,
                    f"{label}, {when}: computation (in-process, cold)",
                    computation["cold_seconds"],
                    cold_limit,
                    "s",
                )
                section.info(
                    f"{label}, {when}: of which reading the answers / compute; warm call",
                    f"{computation['read_seconds']:.2f} s / {computation['compute_seconds']:.2f} s;"
                    f" {computation['warm_seconds']:.2f} s",
                )
                _limited(
                    section, f"{label}, {when}: peak RSS of the CLI", call.max_rss_mb,
                    memory_limit, "MB", 0,
                )  # fmt: skip
            if responses != size:
                section.check(f"{label}: responses counted", str(responses), str(size), False)
    for name, points in curve.items():
        section.info(f"growth, {name}: CLI / computation", _growth(points))
    section.notes.append(
        "growth: seconds of later calls (cache file) at each size, and how much longer than "
        "at the previous size"
    )
    return [section]


def _cli(extra: list[str], env: dict[str, str]) -> Run:
    return run([SURVEY_APP, "results", SURVEY, *extra], env).require_success(
        f"survey-app results {' '.join(extra)}"
    )


def _inprocess(url: str, extra: list[str], env: dict[str, str], cache: Path) -> dict[str, float]:
    command = [PYTHON, "-m", "bench.inprocess", url, SURVEY, *extra, "--cache-dir", str(cache)]
    timed: dict[str, float] = json.loads(
        run(command, env).require_success("bench.inprocess").stdout
    )
    return timed


def _limited(
    section: Section, figure: str, value: float, limit: float | None, unit: str, digits: int = 2
) -> None:
    if limit is None:
        section.info(figure, f"{value:.{digits}f} {unit}")
    else:
        section.at_most(figure, value, limit, unit, digits)


def _growth(points: list[tuple[int, float, float]]) -> str:
    parts = []
    for index, (size, cli, cold) in enumerate(points):
        text = f"{size // 1000}k: {cli:.2f} / {cold:.2f} s"
        if index:
            previous_size, previous_cli, previous_cold = points[index - 1]
            text += (
                f" (×{cli / previous_cli:.1f} / ×{cold / previous_cold:.1f}"
                f" for ×{size / previous_size:g} responses)"
            )
        parts.append(text)
    return "; ".join(parts)
