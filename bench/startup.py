"""Start-up: `survey-app serve` until the first 200 on GET /api/v1/surveys (both surveys
published), the command line's start-up (`--help` of the app and of the commands issue 19
names: each under 0.3 s), the wall time of `survey-app check questionnaires`, and whole calls of
`results` (live and of a release), of a row-level `export --format csv`, of `check` of one
questionnaire against its published version and of `user list`, over 10,000 demo
responses (issue 19: each under 1 s); and the live view as during fieldwork, with 20
responses new since the call before (the stored answers read and appended, every
number counted and audited again).

When a call is slow, `python -X importtime` says which imports dominate.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from bench.common import (
    PYTHON,
    SURVEY,
    SURVEY_APP,
    BenchError,
    Run,
    Section,
    Server,
    app_env,
    demo_dataset,
    fresh_database,
    get_json,
    median,
    run,
)

IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def startup(quick: bool, databases: tuple[str, ...]) -> list[Section]:
    """Benchmark 5."""
    section = Section("Start-up")
    repeats = 1 if quick else 3
    for kind in databases:
        first: list[float] = []
        again: list[float] = []
        for _ in range(repeats):
            with fresh_database(kind) as database:
                env = database.env()
                with Server(env) as server:
                    first.append(server.startup_seconds)
                    surveys = _published(server)
                with Server(env) as server:
                    again.append(server.startup_seconds)
        section.at_most(
            f"serve on an empty {kind} database: migrate, publish {surveys}, first 200",
            median(first),
            2.0,
            "s",
        )
        section.at_most(
            f"serve again on the same {kind} database, first 200", median(again), 2.0, "s"
        )
    with fresh_database("sqlite") as database:
        env = database.env()
        _help_calls(section, env, repeats + 2)
        checks = [
            run([SURVEY_APP, "check", "questionnaires"], env).require_success("check")
            for _ in range(repeats + 2)
        ]
        bare = median([run([PYTHON, "-c", "pass"], env).seconds for _ in range(3)])
        imports = median(
            [run([PYTHON, "-c", "import survey_app.cli"], env).seconds for _ in range(3)]
        )
        profile = run(
            [
                PYTHON,
                "-X",
                "importtime",
                "-c",
                "from survey_app.cli import main; main()",
                "check",
                "questionnaires",
            ],
            env,
        )
    section.at_most(
        "survey-app check questionnaires (wall time, median)",
        median([c.seconds for c in checks]),
        1.0,
        "s",
    )
    section.info("of which: Python start-up alone (python -c pass)", f"{bare:.2f} s")
    section.info("of which: import survey_app.cli (incl. start-up)", f"{imports:.2f} s")
    section.info(
        "import time by package during check (own modules)", _slowest_imports(profile.stderr)
    )
    _whole_calls(section, repeats + 2)
    return [section]


HELP_CALLS = ((), ("check",), ("results",), ("export",), ("release",), ("user",))
"""The commands whose start-up issue 19 bounds (0.3 s): `--help` of each loads what the
command needs before it does anything, and nothing else."""


def _help_calls(section: Section, env: dict[str, str], repeats: int) -> None:
    """`survey-app [COMMAND] --help`, best of `repeats` wall times each (the best: what
    the call costs, not what else the machine did meanwhile)."""
    for command in HELP_CALLS:
        args = [SURVEY_APP, *command, "--help"]
        label = " ".join(["survey-app", *command, "--help"])
        calls = [run(args, env).require_success(label) for _ in range(repeats)]
        section.at_most(
            f"{label}, whole call (best of {repeats})",
            min(call.seconds for call in calls),
            0.3,
            "s",
        )


WHOLE_CALLS = {
    f"results {SURVEY} (live)": ["results", SURVEY],
    f"results {SURVEY} --group arbeit (live)": ["results", SURVEY, "--group", "arbeit"],
    f"results {SURVEY} --release 1": ["results", SURVEY, "--release", "1"],
    f"results {SURVEY} --release 1 --group arbeit": ["results", SURVEY, "--release", "1",
                                                      "--group", "arbeit"],
    f"export {SURVEY} --format csv": ["export", SURVEY, "--format", "csv"],
    f"check questionnaires/{SURVEY}.yaml (against its published version)": [
        "check", f"questionnaires/{SURVEY}.yaml"],
    "user list": ["user", "list"],
}  # fmt: skip


def _whole_calls(section: Section, repeats: int) -> None:
    """The calls of `WHOLE_CALLS` over a copy of the 10,000-response data set with its
    first release, each after one call that writes the results cache: best of `repeats`,
    wall and CPU time (on a shared machine the CPU time is the steadier figure)."""
    dataset = demo_dataset(10_000)
    with tempfile.TemporaryDirectory(prefix="bench-whole-calls-") as directory:
        copy = Path(directory) / "survey.sqlite3"
        shutil.copyfile(dataset.path, copy)
        env = app_env(f"sqlite:///{copy}", Path(directory) / "var")
        run([SURVEY_APP, "release", SURVEY], env).require_success("survey-app release")
        output = ["--output", str(Path(directory) / "export.csv")]
        for label, arguments in WHOLE_CALLS.items():
            command = [SURVEY_APP, *arguments, *(output if arguments[0] == "export" else [])]
            run(command, env).require_success(label)  # a first call writes the results cache
            calls: list[Run] = [run(command, env).require_success(label) for _ in range(repeats)]
            section.at_most(
                f"{label}, 10,000 responses, whole call (best of {repeats})",
                min(call.seconds for call in calls),
                1.0,
                "s",
            )
            section.info(f"{label}: CPU time (best)", f"{min(c.cpu_seconds for c in calls):.2f} s")
        _fieldwork_calls(section, env, repeats)


def _fieldwork_calls(section: Section, env: dict[str, str], repeats: int) -> None:
    """`results` live after 20 new responses each time (stored by `survey-app demo`,
    not timed): the call an office makes during fieldwork."""
    command = [SURVEY_APP, "results", SURVEY]
    calls: list[Run] = []
    for seed in range(repeats):
        new = [SURVEY_APP, "demo", SURVEY, "--responses", "20", "--seed", str(100 + seed)]
        run(new, env).require_success("survey-app demo")
        calls.append(run(command, env).require_success("results after new responses"))
    label = f"results {SURVEY} (live) after 20 new responses, 10,000 responses, whole call"
    section.at_most(f"{label} (best of {repeats})", min(c.seconds for c in calls), 1.0, "s")
    section.info(f"{label}: CPU time (best)", f"{min(c.cpu_seconds for c in calls):.2f} s")


def _published(server: Server) -> int:
    surveys = get_json(server.port, "/api/v1/surveys")
    if not isinstance(surveys, list) or len(surveys) < 2:
        raise BenchError(f"expected both surveys published, got {surveys}")
    return len(surveys)


def _slowest_imports(stderr: str, top: int = 8) -> str:
    """Packages by the import time of their own modules (self time summed per top-level
    package, so nothing is counted twice), from `-X importtime` output."""
    totals: dict[str, int] = {}
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match is None:
            continue
        own, _cumulative, _indent, name = match.groups()
        root = name.split(".")[0]
        totals[root] = totals.get(root, 0) + int(own)
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return ", ".join(f"{name} {micros / 1e6:.2f} s" for name, micros in ranked) or "(none)"
