"""Results at scale: `survey-app results newcomer` (all questions, `--group arbeit`,
`--by german_level`) over data sets made by `survey-app demo`, timed as a whole CLI call
(wall time, peak RSS of the child) and in-process (`bench.inprocess`: read, compute,
cold and warm)."""

from __future__ import annotations

import json

from bench.common import DATA_DIR, PYTHON, SURVEY, SURVEY_APP, Section, app_env, demo_dataset, run

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
            cli = run([SURVEY_APP, "results", SURVEY, *extra], env).require_success(
                f"survey-app results {' '.join(extra)}"
            )
            responses = json.loads(cli.stdout)["responses"]
            timed = json.loads(
                run([PYTHON, "-m", "bench.inprocess", dataset.url, SURVEY, *extra], env)
                .require_success("bench.inprocess")
                .stdout
            )
            curve[name].append((size, cli.seconds, timed["cold_seconds"]))
            label = f"{size:,} responses, {name}"
            cli_limit, cold_limit, memory_limit = TARGETS.get(size, (None, None, None))
            if cli_limit is None:
                section.info(f"{label}: whole CLI call", f"{cli.seconds:.2f} s")
            else:
                section.at_most(f"{label}: whole CLI call", cli.seconds, cli_limit, "s")
            if cold_limit is None:
                section.info(
                    f"{label}: computation (in-process, cold)", f"{timed['cold_seconds']:.2f} s"
                )
            else:
                section.at_most(
                    f"{label}: computation (in-process, cold)",
                    timed["cold_seconds"],
                    cold_limit,
                    "s",
                )
            section.info(
                f"{label}: of which read+parse / compute; warm (cached) call",
                f"{timed['read_seconds']:.2f} s / {timed['compute_seconds']:.2f} s; "
                f"{timed['warm_seconds']:.2f} s",
            )
            if memory_limit is None:
                section.info(f"{label}: peak RSS of the CLI", f"{cli.max_rss_mb:.0f} MB")
            else:
                section.at_most(
                    f"{label}: peak RSS of the CLI", cli.max_rss_mb, memory_limit, "MB", 0
                )
            if responses != size:
                section.check(f"{label}: responses counted", str(responses), str(size), False)
    for name, points in curve.items():
        section.info(f"growth, {name}: CLI / computation", _growth(points))
    section.notes.append(
        "growth: seconds at each size, and how much longer than at the previous size"
    )
    return [section]


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
