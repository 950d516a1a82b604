"""Right-to-left pages on a 360 px phone in Chromium: German terms inside Arabic and
Farsi labels keep their brackets where lines wrap, Back and Next are mirrored, Farsi
counts in Persian digits, and the consent button is on the first screen in every
language. Screenshots go to test-artifacts/screenshots/ for people to look at."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from survey_app.render.text import local_digits
from survey_app.settings import PROJECT_ROOT
from tests.browser.live import LiveApp
from tests.browser.survey_tab import (
    COMPANY_LANGUAGES,
    NEWCOMER_LANGUAGES,
    SurveyTab,
    gettext,
)
from tests.web.respondent import NEWCOMER_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-answering")]

NewContext = Callable[..., BrowserContext]
PHONE = {"width": 360, "height": 740}
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
# The first choice of "which offices do you know" as the questionnaire writes it.
MBE = {
    "ar": "(Migrationsberatung für Erwachsene – MBE)",
    "fa": "(Migrationsberatung für Erwachsene، MBE)",
    "ps": "(Migrationsberatung für Erwachsene، MBE)",
}
COUNSELLING_PAGE = 4

# Where each character of a text node is drawn: [left, right, top] per character.
CHARACTER_BOXES = """(element) => {
  const text = element.firstChild;
  const boxes = [];
  for (let i = 0; i < text.length; i++) {
    const range = document.createRange();
    range.setStart(text, i);
    range.setEnd(text, i + 1);
    const box = range.getBoundingClientRect();
    boxes.push([box.left, box.right, box.top]);
  }
  return boxes;
}"""


def phone_tab(new_context: NewContext, language: str) -> SurveyTab:
    tab = SurveyTab(new_context(viewport=PHONE).new_page())
    tab.open(language)
    return tab


def to_page(tab: SurveyTab, index: int) -> None:
    tab.start()
    for number in range(index):
        tab.answer_page(number, NEWCOMER_PAGES[number])


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


@pytest.mark.parametrize("language", ["ar", "fa", "ps"])
def test_a_german_term_in_a_right_to_left_label_keeps_its_brackets_where_it_wraps(
    new_context: NewContext, language: str
) -> None:
    tab = phone_tab(new_context, language)
    to_page(tab, COUNSELLING_PAGE)
    screenshot(tab.page, f"newcomer-{language}-counselling-360")
    term = tab.page.locator('label[for="q-services_known-0"] bdi')
    expect(term).to_have_text(MBE[language])

    boxes = term.evaluate(CHARACTER_BOXES)
    text = MBE[language]
    opening, closing = boxes[0], boxes[-1]
    first_letter, last_letter = boxes[1], boxes[text.index(")") - 1]
    lines = sorted({round(box[2]) for box in boxes})
    assert len(lines) == 2  # it wraps on a 360 px phone: the case that went wrong
    # Each bracket stands on the line of the word it encloses, on the outer side.
    assert round(opening[2]) == round(first_letter[2])
    assert opening[1] <= first_letter[0] + 0.5
    assert round(closing[2]) == round(last_letter[2])
    assert closing[0] >= last_letter[1] - 0.5
    # Left to right inside the term: "Migrationsberatung" reads from left to right.
    assert boxes[1][0] < boxes[2][0] < boxes[3][0]


@pytest.mark.parametrize(
    ("language", "mirrored"),
    [("de", False), ("uk", False), ("ti", False), ("ar", True), ("fa", True), ("ps", True)],
)
def test_back_and_next_point_the_way_they_go_mirrored_right_to_left(
    new_context: NewContext, language: str, mirrored: bool
) -> None:
    tab = phone_tab(new_context, language)
    to_page(tab, 1)
    back = tab.button("back").bounding_box()
    following = tab.button("next").bounding_box()
    assert back is not None
    assert following is not None
    assert (back["x"] > following["x"]) is mirrored
    screenshot(tab.page, f"newcomer-{language}-language-360")


def test_farsi_pages_count_in_persian_digits_and_arabic_ones_in_latin_digits(
    new_context: NewContext,
) -> None:
    for language, shown in [("fa", "۲ از ۷"), ("ar", "2 من 7"), ("ps", "۲ له ۷")]:
        tab = phone_tab(new_context, language)
        to_page(tab, 1)
        progress = gettext(language, "Page %(number)s of %(total)s") % {
            "number": local_digits("2", language),
            "total": local_digits("7", language),
        }
        expect(tab.page.locator(".progress")).to_have_text(progress)
        assert shown in progress


@pytest.mark.parametrize(
    ("survey", "language"),
    [("newcomer", language) for language in NEWCOMER_LANGUAGES]
    + [("company", language) for language in COMPANY_LANGUAGES],
)
def test_the_consent_button_is_on_the_first_screen_of_a_phone(
    new_context: NewContext, live_app: LiveApp, survey: str, language: str
) -> None:
    invitation = live_app.invitation() if survey == "company" else None
    tab = SurveyTab(new_context(viewport=PHONE).new_page(), survey, invitation=invitation)
    tab.open(language)
    screenshot(tab.page, f"{survey}-{language}-start-360")
    button = tab.button("start")
    expect(button).to_have_text(gettext(language, "I agree – start the survey"))
    box = button.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= PHONE["height"]

    details = tab.page.locator("details.privacy-details")
    expect(details.locator("p").first).to_be_hidden()
    details.locator("summary").click()
    expect(details.locator("p").first).to_be_visible()


@pytest.mark.parametrize(
    ("language", "family"), [("ti", "Ethiopic"), ("ps", "Arabic"), ("fa", "Arabic")]
)
def test_every_script_is_drawn_with_a_font_that_has_its_letters(
    new_context: NewContext, language: str, family: str
) -> None:
    """Ge'ez (Tigrinya) and Arabic script come from installed fonts (fonts-noto-core in
    `.ci/system-deps`), not from boxes of a fallback that lacks them."""
    tab = phone_tab(new_context, language)
    cdp = tab.page.context.new_cdp_session(tab.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    heading = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": heading})["fonts"]
    assert any(family in font["familyName"] and font["glyphCount"] > 5 for font in fonts), fonts
