"""`python -m bench.respondents BASE_URL COUNT --think SECONDS`: COUNT concurrent
respondents answer the newcomer survey through its HTML pages, like a browser without
JavaScript (own cookie jar each, CSRF token from the form, redirects followed).

Each respondent opens `/s/newcomer?lang=xx`, then fills and posts the page's form with a
demo response's answers until a page without a post form (the thank-you page) comes
back, waiting a random think time (uniform 0.5×–1.5× `--think`, or between
`--think-min` and `--think-max`) before every post.
Prints one JSON object: latency of every step (what the respondent waits for: a GET,
or a POST with the redirect it answers with), overall and per page (the page the step
left: `GET /s/newcomer` for the start, then the path of the page whose form was posted),
statuses, dropped connections (a transport error: refused, reset, closed before the
answer, timed out; that respondent gives up, as a browser shows an error page),
finished and stuck respondents, and the client's own CPU time (to show the client is
not the bottleneck).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import ssl
import time
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from bench.bodies import demo_bodies
from bench.common import SURVEY, percentile
from bench.forms import survey_form

MAX_STEPS = 30


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.pages: defaultdict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[int] = Counter()
        self.dropped: Counter[str] = Counter()
        self.finished = 0
        self.stuck: list[str] = []

    def record(self, started: float, response: httpx.Response, page: str) -> None:
        latency = time.perf_counter() - started
        self.latencies.append(latency)
        self.pages[page].append(latency)
        self.statuses[response.status_code] += 1

    def per_page(self) -> dict[str, dict[str, float]]:
        return {
            page: {
                "steps": len(times),
                "p50_ms": 1000 * percentile(times, 0.5),
                "p95_ms": 1000 * percentile(times, 0.95),
                "p99_ms": 1000 * percentile(times, 0.99),
            }
            for page, times in self.pages.items()
        }


async def respondent(
    base: str,
    body: dict[str, Any],
    think: tuple[float, float],
    delay: float,
    stats: Stats,
    tls: ssl.SSLContext,
) -> None:
    """One respondent; a dropped connection ends its survey and is counted."""
    await asyncio.sleep(delay)
    try:
        await _answer(base, body, think, stats, tls)
    except httpx.TransportError as error:
        stats.dropped[type(error).__name__] += 1


async def _answer(
    base: str, body: dict[str, Any], think: tuple[float, float], stats: Stats, tls: ssl.SSLContext
) -> None:
    answers = body["answers"]
    # One TLS context for all: making one per client loads the CA bundle (~17 ms of
    # this process's CPU each), which delayed the other respondents' measured steps by
    # seconds while the crowd started.
    async with httpx.AsyncClient(
        base_url=base, follow_redirects=True, timeout=60, verify=tls
    ) as client:
        started = time.perf_counter()
        response = await client.get(f"/s/{SURVEY}", params={"lang": body["language"]})
        stats.record(started, response, f"GET /s/{SURVEY}")
        previous: set[str] | None = None
        repeats = 0
        posted = False
        for _step in range(MAX_STEPS):
            if response.status_code != 200:
                stats.stuck.append(f"{response.status_code} at {response.url}")
                return
            form = survey_form(response.text)
            if form is None:
                if posted:
                    stats.finished += 1
                else:
                    stats.stuck.append(f"no form on the first page {response.url}")
                return
            # The same questions again: the server refused the page; answer everything.
            repeats = repeats + 1 if form.questions == previous and form.questions else 0
            if repeats >= 3:
                stats.stuck.append(f"page refused 3 times at {response.url}")
                return
            fields = form.fill(answers) if repeats == 0 else form.fill_everything()
            previous = form.questions
            await asyncio.sleep(random.uniform(*think))
            data: dict[str, list[str]] = {}
            for name, value in fields:
                data.setdefault(name, []).append(value)
            url = urljoin(str(response.url), form.action or str(response.url))
            page = urlsplit(str(response.url)).path
            started = time.perf_counter()
            response = await client.post(url, data=data)
            stats.record(started, response, page)
            posted = True
        stats.stuck.append(f"more than {MAX_STEPS} pages")


async def crowd(base: str, count: int, think: tuple[float, float], ramp: float) -> dict[str, Any]:
    bodies = demo_bodies(count)
    stats = Stats()
    tls = ssl.create_default_context()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    await asyncio.gather(
        *(
            respondent(base, body, think, ramp * index / count, stats, tls)
            for index, body in enumerate(bodies)
        )
    )
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    latencies = stats.latencies or [0.0]
    return {
        "respondents": count,
        "finished": stats.finished,
        "stuck": stats.stuck[:5],
        "stuck_count": len(stats.stuck),
        "requests": len(stats.latencies),
        "seconds": seconds,
        "p50_ms": 1000 * percentile(latencies, 0.5),
        "p90_ms": 1000 * percentile(latencies, 0.9),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "max_ms": 1000 * max(latencies),
        "statuses": dict(stats.statuses),
        "dropped": sum(stats.dropped.values()),
        "dropped_kinds": dict(stats.dropped),
        "per_page": stats.per_page(),
        "client_cpu_seconds": usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("count", type=int)
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds per page")
    parser.add_argument("--think-min", type=float, help="shortest think time (with --think-max)")
    parser.add_argument("--think-max", type=float, help="longest think time")
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds to start everybody")
    args = parser.parse_args()
    think = (args.think * 0.5, args.think * 1.5)
    if args.think_min is not None and args.think_max is not None:
        think = (args.think_min, args.think_max)
    print(json.dumps(asyncio.run(crowd(args.base, args.count, think, args.ramp))))


if __name__ == "__main__":
    main()
