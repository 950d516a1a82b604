"""Stored XSS in a real browser: the payload corpus of `tests/security/xss_corpus.py`,
in every text of the `xss` survey in every language (Arabic right-to-left included) and
in the answers, rendered by headless Chromium from a real server. No payload runs: no
dialog opens, no `alert`/`confirm`/`prompt` is called, no request goes to evil.example,
and no page carries markup a payload injected (`xss_site.Watch`).

The respondent walks through every page as a person would: the landing page, the start
screen, each questionnaire page, the same page with errors that echo the typed payloads,
"continue later", the draft resumed with its code in another browser, the thank-you
page and the poster. Then an admin and a working-group member read the results and the
report, and an admin the administration pages, where failed logins with payload email
addresses are in the audit log. (The HTTP-level check of the same pages, that every
payload is escaped, is `tests/security/test_xss.py`.)

Content-Security-Policy violations are counted apart: the policy blocking a payload is
the second line of defence, so a test reports them as a warning instead of failing (and
as the user properties `csp_violations` and `pages_checked` of each test).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.xss_site import Watch, XssServer, htmx_submit, text_of
from tests.conftest import ACCOUNTS, PASSWORD
from tests.security.xss_corpus import CORPUS, LANGUAGES

# One worker runs the module (pytest-xdist `--dist loadgroup`): one server for it all.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("xss_browser")]

# Every payload at once, as a respondent could type it into a text answer (< 5000 chars).
ALL_PAYLOADS = " ".join(CORPUS)
RESUME_CODE = re.compile(r"[A-Z0-9]{4,}(-[A-Z0-9]{4,})+")


@pytest.fixture(scope="session")
def xss_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XssServer]:
    server = XssServer(tmp_path_factory.mktemp("xss-browser"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Visitors:
    """Fresh browser contexts (visitors), each watched; CSP violations are reported."""

    def __init__(
        self, browser: Browser, base_url: str, record: Callable[[str, object], None]
    ) -> None:
        self.browser = browser
        self.base_url = base_url
        self.record = record
        self.watches: list[Watch] = []

    def new(self) -> Watch:
        watch = Watch.open(self.browser, self.base_url)
        self.watches.append(watch)
        return watch

    def close(self) -> None:
        violations = sum(watch.csp_violations for watch in self.watches)
        pages = sum(len(watch.checked) for watch in self.watches)
        self.record("pages_checked", pages)
        self.record("csp_violations", violations)
        if violations:
            details = [text for watch in self.watches for text in watch.csp_events]
            warnings.warn(
                f"{violations} Content-Security-Policy violations (blocked): {details[:5]}",
                stacklevel=1,
            )
        for watch in self.watches:
            watch.close()


@pytest.fixture
def visitors(
    browser: Browser, xss_server: XssServer, request: pytest.FixtureRequest
) -> Iterator[Visitors]:
    """`browser`: the session's headless Chromium (tests/browser/conftest.py)."""

    def record(name: str, value: object) -> None:
        request.node.user_properties.append((name, value))

    opened = Visitors(browser, xss_server.base_url, record)
    try:
        yield opened
    finally:
        opened.close()


def log_in(page: Page, who: str) -> None:
    page.goto("/login")
    page.fill("#email", ACCOUNTS[who][0])
    page.fill("#password", PASSWORD)
    htmx_submit(page, "form.login-form button[type=submit]")
    assert "/login" not in page.url, text_of(page)


# -- the watch itself --------------------------------------------------------------------


def test_the_watch_sees_a_payload_that_runs(visitors: Visitors) -> None:
    # The checks must be able to fail: a page that serves the payloads raw, without
    # any policy, is caught by every one of them.
    watch = visitors.new()
    page = watch.new_page()
    raw = f"<!doctype html><title>raw</title><body>{''.join(CORPUS)}</body>"
    page.route(
        "**/raw", lambda route: route.fulfill(body=raw, content_type="text/html; charset=utf-8")
    )
    page.goto("/raw", wait_until="networkidle")

    with pytest.raises(AssertionError, match="payload markup in the DOM"):
        watch.check(page, "raw")
    assert page.evaluate("window.__xssFired") is True
    assert watch.dialogs, "no dialog seen"
    assert any(call.startswith("alert(") for call in watch.script_calls)
    assert watch.evil_requests, "no request to evil.example seen"


def test_the_policy_blocks_an_inline_script_and_the_watch_counts_it(visitors: Visitors) -> None:
    watch = visitors.new()
    page = watch.new_page()
    policy = {"content-security-policy": "script-src 'self'"}
    page.route(
        "**/blocked",
        lambda route: route.fulfill(
            body="<!doctype html><p>x</p><script>alert(1)</script>",
            content_type="text/html",
            headers=policy,
        ),
    )
    page.goto("/blocked", wait_until="networkidle")

    assert watch.csp_violations == 1
    assert watch.nothing_ran(), watch.ran()
    # This violation was the point of the test; it is not one to report.
    watch.csp_events.clear()
    watch.csp_console.clear()


# -- respondent ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_payload_runs_while_answering_the_survey(visitors: Visitors, language: str) -> None:
    watch = visitors.new()
    page = watch.new_page()

    page.goto(f"/?lang={language}")
    watch.check(page, "landing page")
    page.goto(f"/s/xss?lang={language}")
    watch.check(page, "start screen (description, privacy notice)")
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")

    htmx_submit(page, "button[value=start]")
    watch.check(page, "first page")
    shown = text_of(page)
    assert [payload for payload in CORPUS if payload not in shown] == []

    # Answers typed back into the form: a payload where a number belongs ...
    page.fill("#q-comment", ALL_PAYLOADS)
    page.fill("#q-age", CORPUS[4])
    htmx_submit(page, "button[value=next]")
    watch.check(page, "first page, a payload as the age")
    assert page.locator(".error-summary").is_visible()
    assert page.input_value("#q-comment") == ALL_PAYLOADS
    assert page.input_value("#q-age") == CORPUS[4]

    # ... and an age below the constraint, whose message is a payload.
    page.fill("#q-age", "3")
    htmx_submit(page, "button[value=next]")
    watch.check(page, "first page, constraint message")
    assert page.input_value("#q-comment") == ALL_PAYLOADS

    page.fill("#q-age", "40")
    page.check("#q-pick-0")
    htmx_submit(page, "button[value=next]")
    watch.check(page, "second page")
    page.check("#q-many-1")
    htmx_submit(page, "button[value=back]")
    watch.check(page, "first page from the draft")
    assert page.input_value("#q-comment") == ALL_PAYLOADS

    htmx_submit(page, "button[value=save]")
    watch.check(page, "continue later (resume code)")
    code = RESUME_CODE.search(page.inner_text(".resume-code"))
    assert code, page.inner_text(".resume-code")

    # Another device: the draft comes back with the code.
    other = visitors.new()
    device = other.new_page()
    device.goto(f"/s/xss/resume?lang={language}")
    other.check(device, "resume form")
    device.fill("#resume-code", code.group(0))
    with device.expect_navigation():
        device.click("button[value=resume]")
    other.check(device, "draft resumed on another device")
    assert device.input_value("#q-comment") == ALL_PAYLOADS
    htmx_submit(device, "button[value=next]")
    other.check(device, "second page on another device")
    htmx_submit(device, "button[value=submit]")
    other.check(device, "thank-you page")
    assert "/s/xss/thanks" in device.url

    device.goto(f"/s/xss/poster?lang={language}")
    other.check(device, "poster")


# -- results and administration ------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["admin", "arbeit"])
def test_no_payload_runs_in_results_and_reports(
    visitors: Visitors, language: str, who: str
) -> None:
    watch = visitors.new()
    page = watch.new_page()
    log_in(page, who)
    for label, url in [
        ("results overview", f"/results/?lang={language}"),
        ("results of the group", f"/results/arbeit?survey=xss&lang={language}"),
        ("results by a payload question", f"/results/arbeit?survey=xss&by=pick&lang={language}"),
        ("printable report", f"/results/arbeit/report?survey=xss&lang={language}"),
    ]:
        response = page.goto(url)
        assert response is not None
        assert response.status == 200, (url, response.status)
        watch.check(page, f"{label} ({who})")


def test_no_payload_runs_in_the_login_form_and_the_administration(visitors: Visitors) -> None:
    watch = visitors.new()
    page = watch.new_page()
    # Payloads in the `next` address and as email addresses of failed logins: the form
    # echoes them, and the audit log lists every failed login.
    page.goto("/login?" + urlencode({"next": "/" + CORPUS[2]}))
    watch.check(page, "login form with a payload in next")
    assert page.get_attribute("input[name=next]", "value") == "/" + CORPUS[2]
    email = ""
    for payload in CORPUS:
        if len(email) + len(payload) > 250:
            break
        email += payload
    # An attacker does not need the form's own validation of email addresses.
    page.evaluate("document.querySelector('form.login-form').noValidate = true")
    page.fill("#email", email)
    page.fill("#password", "wrong")
    htmx_submit(page, "form.login-form button[type=submit]")
    watch.check(page, "login form, failed, email echoed")
    assert page.input_value("#email") == email.lower()

    log_in(page, "admin")
    for label, url in [
        ("surveys", "/admin"),
        ("accounts and working groups", "/admin/users"),
        ("audit log", "/admin/audit"),
    ]:
        response = page.goto(url)
        assert response is not None
        assert response.status == 200, (url, response.status)
        watch.check(page, f"admin: {label}")
    assert email.lower() in text_of(page), "the failed login is not in the audit log"
