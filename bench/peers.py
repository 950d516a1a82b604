"""The peers' figures: the bar this product keeps ahead of (issue 19).

Measured side by side on one machine by the engineer who filed issue 19, against LimeSurvey
6 (php-fpm + nginx) and ODK Central (Node + PostgreSQL); the issue gives the figures, not
the runs, so they are quoted here, not measured by this package. The product is to stay
at least `AHEAD` times ahead of the better peer on submissions, page weight and the
100,000-row CSV export; `bench.submissions`, `bench.pages` and `bench.exports` report
each of their figures against that bar.
"""

from __future__ import annotations

from bench.common import Section

AHEAD = 5

SUBMISSIONS_PER_SECOND = {"LimeSurvey 6": 79.0, "ODK Central": 71.0}
FIRST_PAGE_KB = {"LimeSurvey 6": 833.0}
"""The first page with everything it loads (ODK Central's Enketo was not given)."""
CSV_100K_SECONDS = {"LimeSurvey 6": 35.5, "ODK Central": 11.7}


def _named(figures: dict[str, float], unit: str) -> str:
    return ", ".join(f"{peer} {value:g} {unit}" for peer, value in figures.items())


def ahead_in_throughput(section: Section, figure: str, value: float) -> None:
    """`value` submissions/s against `AHEAD` times the better peer's."""
    best = max(SUBMISSIONS_PER_SECOND.values())
    section.at_least(
        f"{figure}, against {AHEAD}× the better peer ({_named(SUBMISSIONS_PER_SECOND, '/s')})",
        value,
        AHEAD * best,
        "/s",
        0,
    )


def ahead_in_size(section: Section, figure: str, kilobytes: float) -> None:
    """A page of `kilobytes` against a `AHEAD`th of the peer's."""
    best = min(FIRST_PAGE_KB.values())
    section.at_most(
        f"{figure}, against 1/{AHEAD} of the peer's ({_named(FIRST_PAGE_KB, 'KB')})",
        kilobytes,
        best / AHEAD,
        "KB",
        1,
    )


def ahead_in_export(section: Section, figure: str, seconds: float) -> None:
    """A 100,000-row CSV export of `seconds` against a `AHEAD`th of the faster peer's."""
    best = min(CSV_100K_SECONDS.values())
    section.at_most(
        f"{figure}, against 1/{AHEAD} of the faster peer's ({_named(CSV_100K_SECONDS, 's')})",
        seconds,
        best / AHEAD,
        "s",
        2,
    )
