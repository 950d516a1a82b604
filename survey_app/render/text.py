"""Texts as a phone should show them: runs of the other writing direction isolated, and
numbers in the digits of the language.

Isolation. A German term inside an Arabic sentence ("… (Migrationsberatung für
Erwachsene – MBE) …") is reordered by the Unicode bidirectional algorithm together with
the punctuation around it, and where the line wraps the brackets and dashes land on the
wrong side. Wrapped in `<bdi>` (or, where markup is not allowed, between Unicode isolate
marks), the term becomes one unit that keeps its own order. Authors write plain text;
the runs are found here. This is hand-written because no maintained library marks them:
python-bidi and the like reorder text for display (a renderer's job, done by the
browser), they do not find runs to isolate. The rules are small: a run starts at a
strong character of the other direction, takes in neutrals (spaces, dashes, digits) up
to its last such character, the number that directly follows it ("A1", "B2"), the
closing brackets of brackets it opened, and a pair of brackets or quotes right around
it; it never takes a closing bracket whose opening one is outside it.

Digits. Babel's CLDR data names each locale's default numbering system: `fa` uses
`arabext` (Persian digits ۰–۹), generic `ar` uses `latn` (CLDR chose Latin digits for
Arabic as a whole; Syria, Iraq or Egypt would be `arab`, ٠–٩). We follow the data for
the language code a survey declares, which also matches the questionnaires: the Farsi
texts write ۱۰ دقیقه, the Arabic ones 10 دقائق. Babel formats numbers with the locale's
symbols but leaves digits Latin, so the digits are mapped here, from the numbering
system's zero (Unicode keeps digits contiguous).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from markupsafe import Markup, escape

_LEFT_TO_RIGHT = frozenset({"L"})
_RIGHT_TO_LEFT = frozenset({"R", "AL"})
_DIGITS = frozenset({"EN", "AN"})
_NUMBER_PARTS = frozenset({"EN", "AN", "ET", "NSM"})
_NUMBER_JOINERS = frozenset({"ES", "CS"})
_BRACKETS = {"(": ")", "[": "]", "{": "}", "«": "»", "‹": "›"}
_CLOSING = frozenset(_BRACKETS.values())
_WRAPPERS = {**_BRACKETS, "<": ">", '"': '"', "'": "'", "„": "“", "“": "”"}
# Unicode isolates, for text where no markup is allowed (<title>, <option>).
_ISOLATE = {"ltr": "\u2066", "rtl": "\u2067"}
_POP_ISOLATE = "\u2069"
# Every character of bidi class R or AL (right to left) lies in these blocks, and no
# character of class L (left to right) does (tests/web/test_respond_text.py checks every
# code point): the Hebrew to Arabic Extended-A blocks, the right-to-left mark, the
# Hebrew and Arabic presentation forms, and the right-to-left scripts above U+10800.
_RIGHT_TO_LEFT_BLOCKS = (
    "\u0590-\u08ff\u200f\ufb1d-\ufdff\ufe70-\ufeff\U00010800-\U00010fff\U0001e800-\U0001efff"
)
_MAY_BE = {
    "rtl": re.compile(f"[{_RIGHT_TO_LEFT_BLOCKS}]"),
    # Anything but ASCII's non-letters and those blocks may be of class L.
    "ltr": re.compile(f"[^\\x00-\\x40\\x5b-\\x60\\x7b-\\x7f{_RIGHT_TO_LEFT_BLOCKS}]"),
}
# The zero of each numbering system a survey language may use (CLDR names).
_ZEROS = {"arab": "٠", "arabext": "۰", "latn": "0"}


def _kind(char: str) -> str:
    return unicodedata.bidirectional(char)


def other_direction_runs(text: str, direction: str) -> list[tuple[int, int]]:
    """Start and end of every run of `text` written against `direction` ('rtl'/'ltr')."""
    if _MAY_BE["ltr" if direction == "rtl" else "rtl"].search(text) is None:
        # Nothing written against the page: no run. Every text of every page comes here,
        # and a regular expression finds that out without a Python step per character
        # (the loop below took about a tenth of a respondent page's CPU).
        return []
    other = _LEFT_TO_RIGHT if direction == "rtl" else _RIGHT_TO_LEFT
    own = _RIGHT_TO_LEFT if direction == "rtl" else _LEFT_TO_RIGHT
    runs: list[tuple[int, int]] = []
    index = 0
    while index < len(text):
        if _kind(text[index]) not in other:
            index += 1
            continue
        start = last = index
        scan = index + 1
        opened: list[str] = []
        while scan < len(text) and _kind(text[scan]) not in own:
            char = text[scan]
            if char in _BRACKETS:
                opened.append(_BRACKETS[char])
            elif char in _CLOSING:
                if not opened or char != opened[-1]:
                    break  # it closes a bracket opened before the run: the run ends
                opened.pop()
            if _kind(char) in other:
                last = scan
            scan += 1
        end = _closed_brackets(text, start, _number_after(text, last + 1), own)
        if start > 0 and end < len(text) and _WRAPPERS.get(text[start - 1]) == text[end]:
            start, end = start - 1, end + 1  # "(MBE)", "«Jobcenter»": the pair goes along
        runs.append((start, end))
        index = end
    if runs and not any(_kind(char) in own for char in text):
        # Nothing of the page's direction (a text missing in this language, shown in the
        # default one): the whole text is one run, with its "?" or "." at its own end.
        return [(0, len(text))]
    return runs


def _number_after(text: str, end: int) -> int:
    """The end of a number written right after a run ("A1", "B2", "v1.5")."""
    while end < len(text):
        kind = _kind(text[end])
        joined = kind in _NUMBER_JOINERS and end + 1 < len(text) and _kind(text[end + 1]) in _DIGITS
        if kind not in _NUMBER_PARTS and not joined:
            break
        end += 1
    return end


def _closed_brackets(text: str, start: int, end: int, own: frozenset[str]) -> int:
    """Extend a run over the closing brackets of the brackets it opened, so a pair is
    never split between the run and its surroundings."""
    expected: list[str] = []
    for char in text[start:end]:
        if char in _BRACKETS:
            expected.append(_BRACKETS[char])
        elif expected and char == expected[-1]:
            expected.pop()
    while expected and end < len(text) and _kind(text[end]) not in own:
        if text[end] == expected[-1]:
            expected.pop()
        end += 1
    return end


def isolated(text: str, direction: str) -> Markup:
    """`text` as HTML: escaped, with every run against `direction` in a `<bdi>`."""
    parts: list[Markup] = []
    position = 0
    for start, end in other_direction_runs(text, direction):
        parts.append(escape(text[position:start]))
        parts.append(Markup("<bdi>%s</bdi>") % text[start:end])
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


QUESTIONNAIRE_TEXTS_REMEMBERED = 4096
"""Texts whose isolated form each process keeps: every label, hint and choice of the
questionnaires in two directions, with room to spare (an entry is a few hundred bytes)."""


@lru_cache(maxsize=QUESTIONNAIRE_TEXTS_REMEMBERED)
def isolated_text(text: str, direction: str) -> Markup:
    """`isolated`, remembered: a page shows the same labels, hints and choices to every
    respondent, and finding the runs of a text that mixes scripts (an Arabic label with
    "Jobcenter" in it) was about a tenth of an Arabic page's CPU. For questionnaire and
    interface texts only: a text made of a respondent's answers goes through `isolated`,
    so that no answer stays in the process after its request."""
    return isolated(text, direction)


@lru_cache(maxsize=QUESTIONNAIRE_TEXTS_REMEMBERED)
def isolated_plain_text(text: str, direction: str) -> str:
    """`isolated_plain`, remembered; for questionnaire and interface texts only, as
    `isolated_text`."""
    return isolated_plain(text, direction)


def isolated_plain(text: str, direction: str) -> str:
    """`text` with every run against `direction` between Unicode isolate marks, for
    places that take no markup (`<title>`, `<option>`)."""
    other = "ltr" if direction == "rtl" else "rtl"
    parts: list[str] = []
    position = 0
    for start, end in other_direction_runs(text, direction):
        parts += [text[position:start], _ISOLATE[other], text[start:end], _POP_ISOLATE]
        position = end
    parts.append(text[position:])
    return "".join(parts)


@lru_cache(maxsize=64)
def numbering_system(language: str) -> str:
    """The default numbering system of `language` in CLDR ('latn', 'arab', 'arabext')."""
    try:
        return str(Locale.parse(language.replace("-", "_")).default_numbering_system)
    except (ValueError, UnknownLocaleError):
        return "latn"


@lru_cache(maxsize=64)
def _digit_table(language: str) -> dict[int, str]:
    zero = _ZEROS.get(numbering_system(language), "0")
    return {ord("0") + digit: chr(ord(zero) + digit) for digit in range(10)}


def local_digits(text: str, language: str) -> str:
    """`text` with its Latin digits written in the digits of `language`."""
    return text.translate(_digit_table(language))
