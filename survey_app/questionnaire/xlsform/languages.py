"""Language columns: 'German (de)', 'english', or none, turned into language codes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache

from babel import Locale, UnknownLocaleError

from survey_app.questionnaire.errors import ProblemCode
from survey_app.questionnaire.schema import Text

UNDETERMINED_LANGUAGE = "und"
"""BCP 47 'undetermined': the language of a form whose columns name none."""

_LANGUAGE_WITH_CODE = re.compile(
    r"^(?P<name>.*?)\s*\((?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)\)$"
)


@cache
def _english_language_names() -> dict[str, str]:
    """'english' -> 'en', 'arabic' -> 'ar': for columns that give only a language's name."""
    codes: dict[str, str] = {}
    for code, name in Locale("en").languages.items():
        key = name.lower()
        if "_" not in code and (key not in codes or len(code) < len(codes[key])):
            codes[key] = code
    return codes


def language_column(code: str) -> str:
    """The XLSForm column suffix for a language code: 'German (de)', as KoboToolbox writes."""
    name: str | None = None
    try:
        locale = Locale.parse(code, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        locale = None
    # Babel maps unknown tags such as 'und' to a default locale; only trust an exact language.
    if locale is not None and locale.language == code.split("-")[0].lower():
        name = locale.get_display_name("en")
    else:
        name = Locale("en").languages.get(code)
    return f"{name} ({code})" if name else code


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


class Languages:
    """Turns column language names ('Deutsch (de)', 'english', None) into language codes."""

    def __init__(self, warn: Callable[[str, ProblemCode, str], None]) -> None:
        self._warn = warn
        self._codes: dict[str, str] = {}
        self.default = UNDETERMINED_LANGUAGE
        self.order: list[str] = []

    def resolve(self, name: str, where: str) -> str:
        if name in self._codes:
            return self._codes[name]
        match = _LANGUAGE_WITH_CODE.match(name.strip())
        if match:
            primary, *rest = match.group("code").replace("_", "-").split("-")
            code = "-".join([primary.lower(), *rest])
        elif name.strip().lower() in _english_language_names():
            code = _english_language_names()[name.strip().lower()]
            self._warn(
                where,
                ProblemCode.LANGUAGE_WITHOUT_CODE,
                f"language '{name}' has no code; taken as '{code}' "
                f"(write '{language_column(code)}')",
            )
        else:
            code = _slug(name) or UNDETERMINED_LANGUAGE
            self._warn(
                where,
                ProblemCode.UNKNOWN_LANGUAGE,
                f"language '{name}' has no code such as 'German (de)'; it is called '{code}'",
            )
        self._codes[name] = code
        if code not in self.order:
            self.order.append(code)
        return code

    def code(self, name: str | None) -> str:
        return self.default if name is None else self._codes.get(name) or self.resolve(name, "1")

    def text(self, pairs: Iterator[tuple[str | None, str]]) -> Text:
        """A text from a row's translated columns; a column without a language fills in
        the default language only where no column names it (as in pyxform)."""
        found: Text = {}
        plain: str | None = None
        for name, value in pairs:
            if name is None:
                plain = value
            else:
                found.setdefault(self.code(name), value)
        if plain is not None:
            found.setdefault(self.default, plain)
        return found
