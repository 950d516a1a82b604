"""`python -m bench.audit DATABASE_URL`: time the disclosure audit and releases inside one
process, without interpreter start-up. Prints one JSON object:

- `group_seconds`, `group_rounds`, `group_programs`, `group_numbers`, `group_hidden`: the
  audit of the newcomer survey for one working group (arbeit) with every breakdown its
  members may request, one release, on the answers already read (the issue's target);
- `release_seconds`: `release_create` whole (freeze, read, every group, store);
- `second_release_seconds`: the next release after 2 % more responses, audited against
  the first, as the office makes it on the admin page with "check first": the check
  (freeze, read, audit: what `release_create` alone took before it could take a check's
  audit, but for storing the row) (null with `--first-only`);
- `release_after_check_seconds`: then "release now", which takes the check's audit
  (nothing changed in between);
- `release_read_ms`, `live_read_ms`: one results call of a member (arbeit, broken down by
  german_level) from the stored release, warm, and the same as live results (warm cache).

The database is changed (releases, responses added): give it a copy.
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--first-only", action="store_true", help="no second release")
    args = parser.parse_args()

    from analysis.publication import plan_publication, publish
    from survey_app.db.engine import Database
    from survey_app.services.demo import store_demo_responses
    from survey_app.services.live_results import survey_results
    from survey_app.services.released import release_results
    from survey_app.services.releases import release_audit_check, release_create
    from survey_app.services.results import read_answers

    db = Database(args.url)
    answers = read_answers(db, "newcomer")
    plan = plan_publication(answers.questionnaire, groups=["arbeit"], reference_year=2026)
    started = time.perf_counter()
    group = publish(plan, [answers.frame])
    group_seconds = time.perf_counter() - started

    started = time.perf_counter()
    release_create(db, "newcomer", actor="bench")
    release_seconds = time.perf_counter() - started

    second_seconds = after_check_seconds = None
    if not args.first_only:
        store_demo_responses(db, "newcomer", max(answers.responses // 50, 10), seed=2)
        started = time.perf_counter()
        checked = release_audit_check(db, "newcomer")
        second_seconds = time.perf_counter() - started
        started = time.perf_counter()
        release_create(db, "newcomer", actor="bench", checked=[checked])
        after_check_seconds = time.perf_counter() - started

    def best(call: object) -> float:
        times = []
        for _ in range(5):
            begun = time.perf_counter()
            call()  # type: ignore[operator]
            times.append(time.perf_counter() - begun)
        return min(times) * 1000

    read = {"group": "arbeit", "by": "german_level", "language": "de"}
    release_ms = best(lambda: release_results(db, "newcomer", **read))
    live_ms = best(lambda: survey_results(db, "newcomer", **read))
    db.dispose()
    print(
        json.dumps(
            {
                "responses": answers.responses,
                "group_seconds": group_seconds,
                "group_rounds": group.report.rounds,
                "group_programs": group.report.programs,
                "group_numbers": len(group.publication.numbers),
                "group_hidden": group.publication.hidden,
                "release_seconds": release_seconds,
                "second_release_seconds": second_seconds,
                "release_after_check_seconds": after_check_seconds,
                "release_read_ms": release_ms,
                "live_read_ms": live_ms,
            }
        )
    )


if __name__ == "__main__":
    main()
