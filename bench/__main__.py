"""`python -m bench [NAME ...] [--quick]`: run benchmarks, print the table, keep a copy.

Each run's tables are written to bench/results/<timestamp>.md (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import sys
import time
import traceback
from collections.abc import Callable

from bench.common import RESULTS_DIR, BenchError, Section, conditions, postgres_available

Benchmark = Callable[[bool, tuple[str, ...]], list[Section]]

# name -> module of the same name under bench/ with a function of the same name.
BENCHMARKS = (
    "startup",
    "submissions",
    "pages",
    "results",
    "releases",
    "exports",
    "scale",
    "downloads",
    "mailing",
    "crowd",
    "repeats",
)


def _benchmark(name: str) -> Benchmark:
    function: Benchmark = getattr(importlib.import_module(f"bench.{name}"), name)
    return function


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"default: all of {', '.join(BENCHMARKS)}"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small smoke version: short loads, small data sets"
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="comma-separated: sqlite, postgresql (default: both)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    databases = tuple(kind for kind in args.databases.split(",") if kind)
    if "postgresql" in databases and not postgres_available():
        print("PostgreSQL is not reachable: running on SQLite only", file=sys.stderr)
        databases = tuple(kind for kind in databases if kind != "postgresql")

    started = datetime.datetime.now().astimezone()
    header = [
        f"# Benchmarks {started:%Y-%m-%d %H:%M %Z}{' (quick)' if args.quick else ''}",
        "",
        f"- before: {conditions()}",
    ]
    print("\n".join(header), flush=True)
    sections: list[Section] = []
    failed = False
    for name in names:
        began = time.perf_counter()
        try:
            produced = _benchmark(name)(args.quick, databases)
        except BenchError as error:
            produced = [Section(name, notes=[f"could not run: {error}"])]
            failed = True
        except Exception:
            produced = [Section(name, notes=["crashed:", "```", traceback.format_exc(), "```"])]
            failed = True
        for section in produced:
            section.notes.append(f"({name} took {time.perf_counter() - began:.0f} s)")
            print("\n" + section.markdown(), flush=True)
        sections.extend(produced)
    footer = f"- after: {conditions()}"
    print("\n" + footer)
    text = "\n".join(header) + "\n" + "".join("\n" + s.markdown() for s in sections)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{started:%Y%m%d-%H%M%S}{'-quick' if args.quick else ''}.md"
    path.write_text(text + "\n" + footer + "\n", encoding="utf-8")
    print(f"\nwritten to {path.relative_to(RESULTS_DIR.parent.parent)}")
    missed = [
        f"{s.title}: {row.figure}" for s in sections for row in s.rows if row.verdict == "MISSED"
    ]
    if missed:
        print("missed targets:\n  " + "\n  ".join(missed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
