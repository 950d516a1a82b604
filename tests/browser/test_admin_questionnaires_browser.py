"""The office's way from a translator's XLSForm to a live survey, in a real browser: upload
it, see the error with its row, upload the fixed file, preview it in Arabic (nothing is
stored), publish it after confirming, and answer it as a respondent. Every page of the
way has no axe-core violation of any impact."""

from __future__ import annotations

import io
import re
import sqlite3
from contextlib import closing

import pytest
from openpyxl import Workbook
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.live import LiveApp, log_in_as_admin
from tests.browser.test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ADMIN = "fragebogen@landkreis.example"
SURVEY = "nachbarschaft"


def xlsform(privacy_notice: str) -> bytes:
    """A two-language neighbourhood survey as a translator sends it back."""
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label::German (de)", "label::Arabic (ar)", "required"])
    survey.append(
        ["select_one yes_no", "neighbours", "Kennen Sie Ihre Nachbarn?", "هل تعرف جيرانك؟", "yes"]
    )
    survey.append(["text", "wish", "Was wünschen Sie sich?", "ماذا تتمنى؟", ""])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::German (de)", "label::Arabic (ar)"])
    choices.append(["yes_no", "yes", "Ja", "نعم"])
    choices.append(["yes_no", "no", "Nein", "لا"])
    settings = book.create_sheet("settings")
    header = ["form_id", "title::German (de)", "title::Arabic (ar)", "default_language"]
    settings.append([*header, "privacy_notice::German (de)", "privacy_notice::Arabic (ar)"])
    settings.append([SURVEY, "Nachbarschaft", "الجيرة", "German (de)", privacy_notice, "مجهول."])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def responses(live_app: LiveApp) -> int:
    with closing(sqlite3.connect(live_app.database_path)) as connection:
        [(count,)] = connection.execute(
            "SELECT count(*) FROM submission WHERE survey_id = ?", (SURVEY,)
        ).fetchall()
    return int(count)


class Audit:
    """axe-core's violations on every page it is shown, by page."""

    def __init__(self) -> None:
        self.violations: dict[str, list[str]] = {}

    def check(self, page: Page, name: str) -> None:
        found = axe_violations(page)
        self.violations[name] = [f"{v['id']} ({v['impact']}): {v['targets']}" for v in found]


def upload(page: Page, content: bytes) -> None:
    page.goto("/admin/questionnaires")
    workbook: FilePayload = {
        "name": "nachbarschaft.xlsx",
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": content,
    }
    page.set_input_files("input[type=file]", files=workbook)
    page.get_by_role("button", name="Hochladen und prüfen").click()
    expect(page.get_by_role("heading", name="Prüfung")).to_be_visible()


def test_an_xlsform_is_fixed_previewed_in_arabic_published_and_answered(
    page: Page, live_app: LiveApp
) -> None:
    log_in_as_admin(page, live_app, ADMIN)

    audit = Audit()
    page.goto("/admin/questionnaires")
    audit.check(page, "overview")
    upload(page, xlsform("Anonym. Fragen an {emial}."))
    expect(page.get_by_text("nachbarschaft.xlsx:settings:2")).to_be_visible()
    expect(page.get_by_role("button", name="Veröffentlichen …")).to_have_count(0)
    audit.check(page, "report with an error")

    upload(page, xlsform("Anonym. Fragen an {email}."))
    expect(page.get_by_text("Keine Fehler.")).to_be_visible()
    audit.check(page, "report")
    report_url = page.url

    page.goto(f"{report_url}/preview?lang=ar")
    audit.check(page, "preview start")
    page.goto(f"{report_url}/preview?lang=ar&page=0")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_text("هل تعرف جيرانك؟")).to_be_visible()
    audit.check(page, "preview page")
    page.get_by_label("نعم").check()
    page.locator("button[value=submit]").click()
    expect(
        page.get_by_text("Vorschau: Antworten werden weder gespeichert noch gezählt.")
    ).to_be_visible()
    assert responses(live_app) == 0

    page.goto(report_url)
    page.get_by_role("button", name="Veröffentlichen …").click()
    expect(page.get_by_role("heading", name="Fragebogen veröffentlichen?")).to_be_visible()
    audit.check(page, "confirmation")
    page.get_by_role("button", name="Ja, veröffentlichen").click()
    expect(page.get_by_text("Veröffentlicht als Version 1")).to_be_visible()

    page.goto(f"/s/{SURVEY}?lang=ar")
    page.locator("button[value=start]").click()
    page.get_by_label("لا").check()
    page.locator("button[value=submit]").click()
    expect(page).to_have_url(re.compile(rf"/s/{SURVEY}/thanks"))
    assert responses(live_app) == 1
    checked = ["overview", "report with an error", "report", "preview start", "preview page"]
    assert audit.violations == {name: [] for name in [*checked, "confirmation"]}
