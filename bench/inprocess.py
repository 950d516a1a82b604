"""`python -m bench.inprocess DATABASE_URL SURVEY [--group G] [--by Q] [--cache-dir DIR]`:
time the results computation inside one process, without interpreter start-up, imports
or output.

Prints one JSON object: `cold_seconds` (the whole `survey_results` call on a fresh
process, what `survey-app results` pays: with `--cache-dir` holding the files of this data
set, it reads the stored live publication; with an empty one it reads the database,
computes and writes the files),
`read_seconds` (stored answers -> frame again after emptying the in-process cache: from
the cache file with `--cache-dir`, else the database read and JSON parse),
`compute_seconds` (frame -> suppressed results, pure pandas), `warm_seconds` (the same
call again, with the per-process frame cache filled) and `responses`. Run in a child
process so every measurement starts cold.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("survey")
    parser.add_argument("--group")
    parser.add_argument("--by")
    parser.add_argument("--cache-dir", type=Path)
    args = parser.parse_args()

    from analysis.results import build_results
    from survey_app.db.engine import Database
    from survey_app.services import results as service
    from survey_app.services.live_results import survey_results

    db = Database(args.url)
    cache = args.cache_dir
    started = time.perf_counter()
    found = survey_results(db, args.survey, group=args.group, by=args.by, cache_dir=cache)
    cold = time.perf_counter() - started

    service._cache.clear()  # measure the read alone, cold again
    started = time.perf_counter()
    answers = service.read_answers(db, args.survey, cache_dir=cache)
    read = time.perf_counter() - started

    started = time.perf_counter()
    build_results(answers, group=args.group, by=args.by)
    compute = time.perf_counter() - started

    started = time.perf_counter()
    survey_results(db, args.survey, group=args.group, by=args.by, cache_dir=cache)
    warm = time.perf_counter() - started
    db.dispose()
    print(
        json.dumps(
            {
                "responses": answers.responses,
                "questions": len(found.questions),
                "cold_seconds": cold,
                "read_seconds": read,
                "compute_seconds": compute,
                "warm_seconds": warm,
            }
        )
    )


if __name__ == "__main__":
    main()
