"""E-mail invitations against a real SMTP server (aiosmtpd, in this process): the CLI's
`survey-app invitations send company --recipients FILE` and `invitations remind company`
as whole calls, and the office's web send (`POST /admin/surveys/company/recipients/send`
on a running server, after uploading the recipients as the office does).

Invitations per second are the batch over the whole call or request (the CLI's include
its start-up, ~2 s, and for `send` the import); the SMTP server's arrival times give the
transfer alone (every letter is written before the connection opens). `bench.letters`
times writing one letter in-process. The web send is one request that
answers when the whole batch is sent: behind nginx it must answer within
`proxy_read_timeout` (deploy/nginx.conf), or the office sees a 504 while sending goes on.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from typing import Any

from bench.common import (
    PROJECT_ROOT,
    PYTHON,
    SURVEY_APP,
    BenchError,
    Section,
    Server,
    free_port,
    fresh_database,
    run,
)
from bench.staff import account_add, csrf_token, logged_in

SURVEY = "company"
SENDER = "Integrationsbüro Musterkreis <integration@landkreis.example>"
FULL_BATCH = 1_000
QUICK_BATCH = 200
LANGUAGES = ("de", "de", "de", "en", "tr", "ar")
# The largest batch the office can import at once (services/mailing.py MAX_RECIPIENTS).
LARGEST_IMPORT = 10_000
ADMIN = "office@landkreis.example"


class Inbox:
    """An aiosmtpd handler that counts messages and notes when each arrived."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.arrivals.append(time.perf_counter())
        return "250 OK"

    def since(self, start: int) -> list[float]:
        with self._lock:
            return self.arrivals[start:]


def nginx_read_timeout() -> float:
    """`proxy_read_timeout` of the shipped nginx configuration, in seconds."""
    config = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text()
    found = re.search(r"proxy_read_timeout\s+(\d+)s", config)
    if found is None:
        raise BenchError("no proxy_read_timeout in deploy/nginx.conf")
    return float(found.group(1))


def recipients_csv(count: int, prefix: str) -> bytes:
    """A German Excel recipients list (semicolons, BOM) of `count` companies."""
    lines = ["E-Mail;Firma;Referenz;Sprache"]
    lines += [
        f"{prefix}{n}@betrieb{n % 97}.example;Betrieb {prefix} {n} GmbH;IHK-{n};"
        f"{LANGUAGES[n % len(LANGUAGES)]}"
        for n in range(count)
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def mailing(quick: bool, databases: tuple[str, ...]) -> list[Section]:
    """SQLite: sending is bound by writing letters and SMTP, not by the database."""
    from aiosmtpd.controller import Controller

    batch = QUICK_BATCH if quick else FULL_BATCH
    section = Section(f"E-mail invitations, {batch:,} recipients (SQLite, local aiosmtpd)")
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with fresh_database("sqlite") as database:
            env = database.env() | {
                "SURVEY_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
                "SURVEY_MAIL_FROM": SENDER,
            }
            listing = database.directory / "betriebe.csv"
            listing.write_bytes(recipients_csv(batch, "cli"))
            cli_send = [SURVEY_APP, "invitations", "send", SURVEY, "--recipients", str(listing)]
            _cli(section, inbox, env, cli_send, batch)
            _cli(section, inbox, env, [SURVEY_APP, "invitations", "remind", SURVEY], batch)
            with Server(env) as server:
                rates = {"web": _web(section, inbox, server, env, batch)}
    finally:
        smtp.stop()
    letters = json.loads(
        run([PYTHON, "-m", "bench.letters", "500"])
        .require_success("python -m bench.letters")
        .stdout
    )
    section.info(
        "writing one letter in-process (`invitation_message`): first / median of 499",
        f"{1000 * letters['first']:.1f} / {1000 * letters['median']:.2f} ms",
    )
    limit = nginx_read_timeout()
    web_rate = rates["web"]
    fits = int(limit * web_rate)
    section.check(
        f"web send of the largest import ({LARGEST_IMPORT:,} recipients) within nginx's "
        f"proxy_read_timeout {limit:g} s (at the measured rate)",
        f"~{LARGEST_IMPORT / web_rate:.0f} s; ~{fits:,} recipients fit",
        f"< {limit:g} s",
        LARGEST_IMPORT / web_rate < limit,
    )
    return [section]


def _cli(section: Section, inbox: Inbox, env: dict[str, str], args: list[str], batch: int) -> float:
    start = len(inbox.arrivals)
    call = run(args, env).require_success(" ".join(args[1:4]))
    label = f"CLI `{' '.join(args[1:3])}`" + (" (with the import)" if len(args) > 4 else "")
    return _figures(section, label, inbox.since(start), batch, call.seconds)


def _web(section: Section, inbox: Inbox, server: Server, env: dict[str, str], batch: int) -> float:
    account_add(env, ADMIN, admin=True)
    page = f"/admin/surveys/{SURVEY}/recipients"
    with contextlib.closing(logged_in(server, ADMIN)) as client:
        uploaded = client.post(
            page,
            files={"file": ("web.csv", recipients_csv(batch, "web"))},
            data={"_csrf_token": csrf_token(client, page)},
        )
        if uploaded.status_code != 200:
            raise BenchError(f"recipients upload answered {uploaded.status_code}")
        token = csrf_token(client, page)
        start = len(inbox.arrivals)
        began = time.perf_counter()
        sent = client.post(f"{page}/send", data={"_csrf_token": token})
        seconds = time.perf_counter() - began
    if sent.status_code != 200:
        raise BenchError(f"web send answered {sent.status_code}")
    label = "web send (office, one POST .../recipients/send)"
    return _figures(section, label, inbox.since(start), batch, seconds)


def _figures(
    section: Section, label: str, arrivals: list[float], batch: int, seconds: float
) -> float:
    """Rows for one batch; its invitations per second over the whole call or request."""
    received = len(arrivals)
    section.check(f"{label}: letters received", str(received), str(batch), received == batch)
    if len(arrivals) < 2:
        raise BenchError(f"{label}: {len(arrivals)} letters arrived")
    rate = batch / seconds
    section.info(
        f"{label}: whole call; invitations per second",
        f"{seconds:.2f} s; {rate:.0f}/s ({1000 / rate:.1f} ms per invitation)",
    )
    smtp = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    section.info(f"{label}: SMTP transfer alone (letters written before)", f"{smtp:.0f}/s")
    return rate
