"""UI message catalogues (gettext, managed with Babel), in two domains with English as
the source language:

- `messages`, the respondents' pages, in every survey language (`N_`, `_` in
  `templates/respond/` and `templates/errors/`);
- `staff`, the pages of the integration office and the working groups (results, admin,
  login) and the messages services show them, in German (the default) and English
  (`S_` in Python, `_` and `t` in `templates/results/`, `templates/admin/`,
  `templates/auth/`).

Catalogues live in `survey_app/locale/<lang>/LC_MESSAGES/<domain>.po` and are compiled to
`.mo` by `survey-app compile-translations` (run by `make install`). Questionnaire texts
are not here: they are translated in the questionnaire files themselves.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from markupsafe import Markup, escape

if TYPE_CHECKING:
    # For annotations only: the UI catalogues load without the questionnaire model.
    from survey_app.questionnaire.rules import AnswerError
    from survey_app.questionnaire.schema import Questionnaire


LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
STAFF_DOMAIN = "staff"
DOMAINS = (DOMAIN, STAFF_DOMAIN)
SOURCE_LANGUAGE = "en"
#: The languages of the staff pages; the first is the default.
STAFF_LANGUAGES = ("de", "en")


def catalogue_languages(domain: str = DOMAIN) -> list[str]:
    """Languages that have a UI catalogue in `domain` (the source language needs none)."""
    found = {path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{domain}.po")}
    return sorted(found | {SOURCE_LANGUAGE})


def compile_catalogues() -> list[Path]:
    """Compile every `.po` of both domains whose `.mo` is missing or older; return the
    files written."""
    written: list[Path] = []
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    translations.cache_clear()
    return written


@lru_cache(maxsize=64)
def translations(language: str, domain: str = DOMAIN) -> NullTranslations:
    """The UI translations of `domain` for `language` (untranslated English when there
    are none).

    Reads the compiled `.mo` when it is up to date, else compiles the `.po` in memory:
    a fresh checkout (or a test run) shows translated pages before `compile-translations`.
    """
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    mo_path = po_path.with_suffix(".mo")
    if not po_path.exists() or (
        mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        return Translations.load(str(LOCALE_DIR), [language], domain)
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def staff_language(requested: str | None) -> str:
    """`requested` if the staff pages speak it, else German."""
    return requested if requested in STAFF_LANGUAGES else STAFF_LANGUAGES[0]


@dataclass(frozen=True)
class StaffMessage:
    """A staff message with its values, translated where it is shown (a notice of a
    handler, the message of a service's error): `_(StaffMessage(S_("%(n)s sent"), {...}))`.
    `str()` is the English text."""

    message: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.values if self.values else self.message


def staff_join(messages: Sequence[str]) -> StaffMessage:
    """Staff messages joined by commas, each translated where the whole is shown."""
    names = [f"m{index}" for index in range(len(messages))]
    return StaffMessage(
        ", ".join(f"%({name})s" for name in names),
        {name: StaffMessage(message) for name, message in zip(names, messages, strict=True)},
    )


def staff_gettext(language: str) -> Callable[..., str]:
    """`_` of the staff pages in `language`: the message (a string or a `StaffMessage`)
    translated, then `%(name)s` filled from the keyword arguments (a `StaffMessage`
    among them translated too). When a value is markup (a link built in the template),
    the message is escaped and the result is markup."""
    gettext = translations(staff_language(language), STAFF_DOMAIN).gettext

    def _(message: str | StaffMessage, **values: object) -> str:
        if isinstance(message, StaffMessage):
            values = {**message.values, **values}
            message = message.message
        text = gettext(message)
        if not values:
            return text
        values = {
            name: _(value) if isinstance(value, StaffMessage) else value
            for name, value in values.items()
        }
        if any(isinstance(value, Markup) for value in values.values()):
            return Markup(escape(text)) % values  # noqa: S704 - escaped, and so are the values
        return text % values

    return _


def S_(message: str) -> str:
    """Marks a string for extraction into the staff catalogue; translated where shown."""
    return message


#: Names on the language buttons where CLDR's differ from what speakers look for: Dari
#: speakers read Persian but look for "دری"; CLDR calls Kurmanji "kurdî (kurmancî)" and adds
#: script and country from its likely subtags.
LANGUAGE_NAMES = {"fa": "فارسی / دری", "kmr": "Kurmancî"}


@lru_cache(maxsize=256)
def language_name(language: str) -> str:
    """The name of a language in its own script, capitalised (`Українська`, `العربية`).

    Remembered: every respondent page names each of the survey's languages, and Babel
    parses the locale and looks the name up each time (3 % of a page's CPU)."""
    if language in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[language]
    try:
        name = Locale.parse(language.replace("-", "_")).get_display_name(language) or language
    except (ValueError, UnknownLocaleError):
        return language
    return name[:1].upper() + name[1:]


def negotiate_language(accept_language: str | None, available: Sequence[str]) -> str | None:
    """The best of `available` for an `Accept-Language` header, or None.

    Weights are honoured; `de-AT` matches `de`. Malformed parts are ignored.
    """
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        code, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        if code and quality > 0:
            wanted.append((-quality, position, code.strip().lower()))
    lowered = {language.lower(): language for language in available}
    for _quality, _position, code in sorted(wanted):
        for candidate in (code, code.split("-")[0]):
            if candidate in lowered:
                return lowered[candidate]
    return None


PAGE_DEFAULT_LANGUAGE = "de"


def page_language(requested: str | None, accept_language: str | None) -> str:
    """The language of a page outside a survey (landing, not found, errors): the `lang`
    asked for, else the browser's best of the catalogues, else German."""
    available = catalogue_languages()
    if requested in available:
        return requested
    return negotiate_language(accept_language, available) or PAGE_DEFAULT_LANGUAGE


def N_(message: str) -> str:
    """Marks a string for extraction into the catalogues; translated where it is shown."""
    return message


ANSWER_ERROR_MESSAGES = {
    "required": N_("Please answer this question."),
    "constraint": N_("This answer is not possible. Please check it."),
    "integer": N_("Please enter a whole number."),
    "decimal": N_("Please enter a number."),
    "date": N_("Please enter a date (year-month-day)."),
    "time": N_("Please enter a time (hours:minutes, for example 14:30)."),
    "datetime": N_("Please enter a date and a time (year-month-day hours:minutes)."),
    "text": N_("Please enter text."),
    "too_long": N_("This answer is too long."),
    "choice": N_("Please choose one of the options."),
    "choices": N_("Please choose only from the options."),
    "not_offered": N_(
        "This choice does not fit your earlier answer. Please choose one of the options shown."
    ),
    "unknown_question": N_("This question is not part of the survey."),
    "range": N_("Please enter a number from %(start)s to %(end)s."),
    "step": N_("Please enter a number from %(start)s to %(end)s in steps of %(step)s."),
    "rank": N_("Please choose each option only once."),
    "entries": N_("This list of entries cannot be read."),
    "entry_count": N_("Please check the number of entries."),
}


OR_OTHER_LABELS = (N_("Other"), N_("Specify other."))
"""The labels an XLSForm's `or_other` adds (the 'other' choice, its text question), as the
importer writes them in English (`OTHER_LABEL`, `SPECIFY_OTHER_LABEL`)."""


def ui_text(language: str, text: str) -> str:
    """`text` from the respondents' catalogue of `language`; as it is without one."""
    if language not in catalogue_languages():
        return text
    return translations(language).gettext(text)


def answer_error_message(error: AnswerError, questionnaire: Questionnaire, language: str) -> str:
    """The message for a refused answer in `language`: the questionnaire's own
    `constraint_message` when it has one, otherwise the translated UI message."""
    if error.constraint_message:
        return questionnaire.text(error.constraint_message, language)
    message = translations(language).gettext(ANSWER_ERROR_MESSAGES[error.code.value])
    if not error.values or "%(" not in message:
        return message
    return message % {name: _number(value, language) for name, value in error.values.items()}


def _number(value: float, language: str) -> str:
    """A number of a message as people of `language` write it (decimal sign)."""
    try:
        return format_decimal(value, format="0.##########", locale=language)
    except (UnknownLocaleError, ValueError):
        return format_decimal(value, format="0.##########", locale="en")
