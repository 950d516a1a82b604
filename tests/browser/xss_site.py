"""What `test_xss_browser.py` needs: the XSS survey served by a real `survey-app serve`
(uvicorn) on a fresh SQLite database, and a watch on a Chromium browser context that
notices every way a payload could run.

The watch sees:
- dialogs (`alert`, `confirm`, `prompt`; `print` too), through `page.on("dialog")` and
  through wrappers that set `window.__xssFired` and call an exposed binding;
- requests to evil.example (the payloads' `<base>`, `<form action>` and `<script src>`);
  no request leaves the test server, they are aborted after being counted;
- markup a payload could have injected into the live DOM: `on*` attributes,
  `javascript:` URLs, inline `style`, scripts other than the vendored htmx, frames,
  objects, `<base>`, `<meta http-equiv>`;
- Content-Security-Policy violations, counted apart: the policy blocking a payload is
  a second line of defence, so the tests report them instead of failing on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page, Request

from survey_app.db.migrate import upgrade
from tests.conftest import create_accounts, release
from tests.live_server import LiveServer
from tests.security.xss_corpus import submit_payload_answers, write_xss_questionnaires

EVIL_HOST = "evil.example"
START_TIMEOUT_S = 30
ACTION_TIMEOUT_MS = 10_000

# Runs in every frame before the page's own scripts (and is not subject to its CSP).
WATCH_SCRIPT = """
(() => {
  const report = (kind, detail) => {
    window.__xssFired = true;
    try { window.__xssReport(kind, String(detail)); } catch (error) {}
  };
  window.__xssFired = false;
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    const original = window[name];
    window[name] = function (...args) {
      report(name, args[0]);
      return original.apply(this, args);
    };
  }
  window.__settled = 0;
  document.addEventListener("htmx:afterSettle", () => { window.__settled += 1; });
  document.addEventListener("securitypolicyviolation", (event) => {
    try {
      window.__cspReport(`${event.effectiveDirective} ${event.blockedURI}`);
    } catch (error) {}
  }, true);
})();
"""

# Everything in the live DOM that could run script or send the browser elsewhere.
DOM_PROBLEMS = """
() => {
  const problems = [];
  const urlAttributes = ["href", "src", "action", "formaction", "data", "xlink:href",
                         "srcdoc", "background", "poster"];
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on")) problems.push(`<${element.localName} ${name}>`);
      if (name === "style") problems.push(`<${element.localName} style>`);
      const value = attribute.value;
      if (urlAttributes.includes(name) && /^\\s*javascript:|evil\\.example/i.test(value)) {
        problems.push(`<${element.localName} ${name}=${attribute.value}>`);
      }
    }
  }
  for (const script of document.scripts) {
    const allowed = ["/static/htmx.min.js?v=", "/static/respond.js?v="];
    if (!allowed.some((path) => script.src.includes(path))) {
      problems.push(`<script src=${script.src}>${script.textContent.slice(0, 40)}`);
    }
  }
  const forbidden = "iframe, frame, object, embed, base, meta[http-equiv], math, details";
  for (const element of document.querySelectorAll(forbidden)) {
    problems.push(`<${element.localName}>`);
  }
  return problems;
}
"""


class XssServer(LiveServer):
    """`survey-app serve` with only the XSS survey, payload answers stored, accounts."""

    def __init__(self, directory: Path) -> None:
        self.database_url = f"sqlite:///{directory / 'xss.sqlite3'}"
        super().__init__(
            self.database_url,
            directory / "var",
            questionnaires=write_xss_questionnaires(directory / "questionnaires"),
            ready_path="/api/v1/surveys/xss",
        )

    def start(self) -> None:
        upgrade(self.database_url)
        create_accounts(self.database_url)
        super().start()
        with httpx.Client(base_url=self.base_url) as client:
            submit_payload_answers(client)
        release(self.database_url, "xss")


@dataclass
class Watch:
    """One browser context (one visitor) and everything its pages did that they should not."""

    context: BrowserContext
    base_url: str
    dialogs: list[str] = field(default_factory=list)
    script_calls: list[str] = field(default_factory=list)
    evil_requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_console: list[str] = field(default_factory=list)
    csp_events: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Browser, base_url: str) -> Watch:
        context = browser.new_context(base_url=base_url, locale="de-DE")
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        watch = cls(context, base_url)
        context.add_init_script(WATCH_SCRIPT)
        context.expose_binding(
            "__xssReport",
            lambda _source, kind, detail: watch.script_calls.append(f"{kind}({detail})"),
        )
        context.expose_binding("__cspReport", lambda _source, text: watch.csp_events.append(text))
        context.on("request", watch._on_request)
        context.on("page", watch._on_page)
        # Nothing leaves the test server (a request elsewhere is counted above first).
        context.route(lambda url: not url.startswith(base_url), lambda route: route.abort())
        return watch

    def _on_request(self, request: Request) -> None:
        if EVIL_HOST in request.url:
            self.evil_requests.append(request.url)

    def _on_page(self, page: Page) -> None:
        page.on("dialog", self._on_dialog)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_console.append(message.text)

    def new_page(self) -> Page:
        return self.context.new_page()

    def ran(self) -> dict[str, list[str]]:
        """Everything that shows a payload ran or tried to (empty lists: nothing did)."""
        return {
            "dialogs": self.dialogs,
            "alert/confirm/prompt calls": self.script_calls,
            "requests to evil.example": self.evil_requests,
            "uncaught page errors": self.page_errors,
        }

    def nothing_ran(self) -> bool:
        return not any(self.ran().values())

    def check(self, page: Page, label: str) -> None:
        """Assert that the page as it is now shows no injected markup and that nothing
        ran so far; `label` names the page in failures."""
        page.wait_for_load_state("load")
        problems = page.evaluate(DOM_PROBLEMS)
        fired = page.evaluate("window.__xssFired === true")
        assert problems == [], f"{label}: payload markup in the DOM: {problems}"
        assert not fired, f"{label}: a payload called alert/confirm/prompt"
        assert self.nothing_ran(), f"{label}: {self.ran()}"
        assert len(page.frames) == 1, f"{label}: {len(page.frames)} frames"
        self.checked.append(label)

    @property
    def csp_violations(self) -> int:
        """CSP violations seen (events and console errors can report the same one)."""
        return max(len(self.csp_events), len(self.csp_console))

    def close(self) -> None:
        self.context.close()


def htmx_submit(page: Page, selector: str) -> None:
    """Click a submit button of a boosted form and wait until htmx has swapped in the
    answer (redirects after a POST are followed by htmx as well)."""
    settled = page.evaluate("window.__settled")
    page.click(selector)
    # A function, not an expression string: the page's CSP forbids the eval of a string.
    page.wait_for_function(f"() => window.__settled > {settled}")


def text_of(page: Page) -> str:
    text: Any = page.evaluate("document.body.innerText")
    return str(text)
