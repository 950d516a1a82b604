"""Respondent pages: weight of the first newcomer page with everything it loads, time to
first byte at rest, caching and compression headers of the assets, and a crowd of
concurrent respondents paging through the survey (`bench.respondents`)."""

from __future__ import annotations

import http.client
import json
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

from bench.common import (
    PYTHON,
    SURVEY,
    BenchError,
    Section,
    Server,
    count_submissions,
    fresh_database,
    median,
    percentile,
    run,
)
from bench.forms import css_assets, parse_page, survey_form
from bench.peers import ahead_in_size

START = f"/s/{SURVEY}?lang=de"
WEIGHT_LIMIT = 60_000
LONG_CACHE = 30 * 24 * 3600
VERSIONED = re.compile(r"[?&]v=[0-9a-zA-Z]{6,}|[.-][0-9a-f]{8,}\.")
TEXT_TYPES = ("text/", "javascript", "json", "svg", "xml")
FIXED_ADDRESSES = {"/favicon.ico"}
"""Assets browsers ask for at a fixed address whatever the page links: they cannot carry a
content hash, and a year in caches would keep an old one a year (the app gives a week)."""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    transferred: int
    ttfb: float
    cookies: list[str]

    def text(self) -> str:
        return _inflate(self) if _compressed(self) else self.body.decode("utf-8", "replace")


def _accept_encoding() -> str:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return "gzip"
    return "gzip, br"


def fetch(
    port: int,
    path: str,
    connection: http.client.HTTPConnection | None = None,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Fetched:
    """Request `path` as a phone browser does (compressed); the body stays compressed."""
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        started = time.perf_counter()
        sent = {"Accept-Encoding": _accept_encoding(), **(headers or {})}
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        ttfb = time.perf_counter() - started
        body = response.read()
        received = {key.lower(): value for key, value in response.getheaders()}
        cookies = [value for key, value in response.getheaders() if key.lower() == "set-cookie"]
        header_bytes = sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17
        return Fetched(
            path, response.status, received, body, len(body) + header_bytes, ttfb, cookies
        )
    finally:
        if own:
            connection.close()


def pages(quick: bool, databases: tuple[str, ...]) -> list[Section]:
    """Benchmark 4 (SQLite)."""
    section = Section("Respondent pages (SQLite)")
    with fresh_database("sqlite") as database, Server(database.env()) as server:
        first = fetch(server.port, START)
        if first.status != 200:
            raise BenchError(f"GET {START} answered {first.status}: no respondent pages yet")
        _weight(section, server, first)
        _time_to_first_byte(section, server, 20 if quick else 100)
        if quick:
            _crowd(section, server, database.url, 20, think=2.0, target=True)
        else:
            _crowd(section, server, database.url, 200, think=10.0, target=True)
            _crowd(section, server, database.url, 200, think=2.0, target=False)
    section.notes.append(
        "a page step is what a respondent waits for: the start GET, or a POST with the GET "
        "of the 303 it answers with; respondents wait the stated time before each post "
        "(a newcomer on a phone takes a minute or more per page, so both crowds page "
        "faster than a real one)"
    )
    return [section]


def _crowd(
    section: Section, server: Server, url: str, count: int, *, think: float, target: bool
) -> None:
    """`count` respondents answer the whole survey at once, `think` seconds per page."""
    stored_before = count_submissions(url)
    cpu_before = server.cpu_seconds()
    crowd_run = run(
        [PYTHON, "-m", "bench.respondents", server.base, str(count), "--think", str(think)]
    ).require_success("bench.respondents")
    crowd = json.loads(crowd_run.stdout)
    server_cpu = (server.cpu_seconds() - cpu_before) / crowd["seconds"]
    stored = count_submissions(url) - stored_before
    label = f"{count} respondents, {think * 0.5:g}–{think * 1.5:g} s per page"
    if target:
        section.at_most(f"{label}: p99 latency of a page step", crowd["p99_ms"], 200, "ms", 1)
    else:
        section.info(f"{label}: p99 latency of a page step", f"{crowd['p99_ms']:.1f} ms")
    section.info(
        f"{label}: p50 / p90 / max",
        f"{crowd['p50_ms']:.1f} / {crowd['p90_ms']:.1f} / {crowd['max_ms']:.1f} ms",
    )
    section.check(
        f"{label}: finished the survey / submissions stored",
        f"{crowd['finished']} / {stored} (stuck: {crowd['stuck_count']} {crowd['stuck']})",
        f"{count} / {count}",
        crowd["finished"] == count == stored,
    )
    errors = {s: n for s, n in crowd["statuses"].items() if int(s) >= 400}
    section.check(
        f"{label}: responses with status >= 400", str(errors or "none"), "none", not errors
    )
    section.info(
        f"{label}: load",
        f"{crowd['requests']} page steps in {crowd['seconds']:.1f} s "
        f"({crowd['requests'] / crowd['seconds']:.0f}/s); server used {100 * server_cpu:.0f}% "
        f"of a core ({1000 * server_cpu * crowd['seconds'] / crowd['requests']:.1f} ms per "
        f"step), the client {100 * crowd['client_cpu_seconds'] / crowd['seconds']:.0f}%",
    )


def _weight(section: Section, server: Server, first: Fetched) -> None:
    page = first.text()
    seen = {urlsplit(first.url).path}
    fetched = [first]
    queue = [urljoin(first.url, url) for url in parse_page(page).assets]
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != f"127.0.0.1:{server.port}":
            section.check(f"asset from another site: {url}", "loaded", "none (no CDN)", False)
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path in seen:
            continue
        seen.add(path)
        asset = fetch(server.port, path)
        fetched.append(asset)
        if "css" in asset.headers.get("content-type", ""):
            queue += [urljoin(url, found) for found in css_assets(asset.text())]
    total = sum(item.transferred for item in fetched)
    section.at_most(
        f"first page {START} with everything it loads (compressed, with headers)",
        total / 1000,
        WEIGHT_LIMIT / 1000,
        "KB",
        1,
    )
    ahead_in_size(section, f"first page {START} with everything it loads", total / 1000)
    questions = _first_question_page(server, first)
    assets = total - first.transferred
    section.info(
        "first page with questions: its HTML",
        f"{urlsplit(questions.url).path} {questions.transferred / 1000:.1f} KB"
        f" ({questions.headers.get('content-encoding', 'uncompressed')},"
        f" {len(questions.text()) / 1000:.1f} KB uncompressed)",
    )
    section.at_most(
        "first page with questions (after the start page) with everything it loads",
        (questions.transferred + assets) / 1000,
        WEIGHT_LIMIT / 1000,
        "KB",
        1,
    )
    section.info(
        "of which",
        ", ".join(
            f"{urlsplit(f.url).path} {f.transferred / 1000:.1f} KB"
            f" ({f.headers.get('content-encoding', 'uncompressed')})"
            for f in fetched
        ),
    )
    for item in fetched:
        name = urlsplit(item.url).path
        text_like = any(kind in item.headers.get("content-type", "") for kind in TEXT_TYPES)
        if text_like and len(item.body) > 1000:
            encoding = item.headers.get("content-encoding", "none")
            section.check(f"{name}: compressed", encoding, "gzip or br", encoding in ("gzip", "br"))
        if item is first or name in FIXED_ADDRESSES:
            continue
        max_age = _max_age(item.headers.get("cache-control", ""))
        section.check(
            f"{name}: cache lifetime",
            item.headers.get("cache-control", "(no Cache-Control)"),
            f"max-age >= {LONG_CACHE // 86400} days",
            max_age >= LONG_CACHE,
        )
        section.check(
            f"{name}: versioned URL",
            item.url,
            "content hash in the URL",
            bool(VERSIONED.search(item.url)),
        )


def _first_question_page(server: Server, start: Fetched) -> Fetched:
    """Press the start button like a browser without JavaScript; the page it leads to."""
    jar = SimpleCookie()
    for header in start.cookies:
        jar.load(header)
    form = survey_form(start.text())
    if form is None:
        raise BenchError(f"no post form on {START}")
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())
    posted = fetch(
        server.port,
        urljoin(START, form.action or START),
        method="POST",
        body=urlencode(form.fill({})).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    for header in posted.cookies:
        jar.load(header)
    location = posted.headers.get("location")
    if posted.status not in (302, 303) or location is None:
        raise BenchError(f"the start button answered {posted.status}, not a redirect")
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())
    page = fetch(server.port, location, headers={"Cookie": cookie})
    parsed = survey_form(page.text())
    if page.status != 200 or parsed is None or not parsed.questions:
        raise BenchError(f"{location} answered {page.status} without questions")
    return page


def _time_to_first_byte(section: Section, server: Server, repeats: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        fetch(server.port, START, connection)
        times = [fetch(server.port, START, connection).ttfb for _ in range(repeats)]
    finally:
        connection.close()
    section.at_most(
        f"time to first byte of {START} at rest (median of {repeats})",
        1000 * median(times),
        50,
        "ms",
        1,
    )
    section.info("time to first byte, p95", f"{1000 * percentile(times, 0.95):.1f} ms")


def _compressed(item: Fetched) -> bool:
    return item.headers.get("content-encoding") in ("gzip", "br")


def _inflate(item: Fetched) -> str:
    import gzip

    if item.headers.get("content-encoding") == "br":
        import brotli

        return str(brotli.decompress(item.body).decode("utf-8", "replace"))
    return gzip.decompress(item.body).decode("utf-8", "replace")


def _max_age(cache_control: str) -> int:
    found = re.search(r"max-age=(\d+)", cache_control)
    return int(found.group(1)) if found else 0
