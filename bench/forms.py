"""Reading survey pages the way a browser without JavaScript does: the post form, its
fields and submit buttons, and the assets a page loads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

BACK_WORDS = re.compile(r"back|prev|zur(ü|ue)ck|language|lang|resume|save", re.IGNORECASE)
FORWARD_WORDS = re.compile(r"next|submit|send|finish|start|weiter|absenden", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


@dataclass
class Form:
    action: str
    method: str
    hidden: list[tuple[str, str]] = field(default_factory=list)
    radios: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    """name -> input type (text, number, date, textarea, ...)"""
    selects: dict[str, list[str]] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)
    """(name, value, label) of each submit button"""

    @property
    def questions(self) -> set[str]:
        return set(self.radios) | set(self.checkboxes) | set(self.texts) | set(self.selects)

    def fill(self, answers: dict[str, Any]) -> list[tuple[str, str]]:
        """Form fields for `answers` (question name -> value as in the JSON API), falling
        back to the first choice where a radio group's answer is not offered."""
        fields = list(self.hidden)
        for name, options in self.radios.items():
            value = answers.get(name)
            if value is not None and str(value) in options:
                fields.append((name, str(value)))
            elif value is not None and options:
                fields.append((name, options[0]))
        for name, options in self.checkboxes.items():
            chosen = answers.get(name)
            if isinstance(chosen, list):
                fields += [(name, value) for value in chosen if value in options]
        for name, kind in self.texts.items():
            value = answers.get(name)
            if value is not None:
                fields.append((name, str(value)))
            elif kind not in ("text", "textarea", "search"):
                fields.append((name, ""))
        for name, options in self.selects.items():
            value = answers.get(name)
            fields.append((name, str(value) if value is not None and str(value) in options else ""))
        button = self.forward_button()
        if button is not None and button[0]:
            fields.append((button[0], button[1]))
        return fields

    def fill_everything(self) -> list[tuple[str, str]]:
        """Every radio group and select answered with its first choice (a retry after
        the server asked for missing answers)."""
        answers: dict[str, Any] = {name: options[0] for name, options in self.radios.items()}
        answers.update({n: o[1] if len(o) > 1 else o[0] for n, o in self.selects.items() if o})
        return self.fill(answers)

    def forward_button(self) -> tuple[str, str, str] | None:
        if not self.buttons:
            return None
        for button in self.buttons:
            if FORWARD_WORDS.search(" ".join(button)):
                return button
        forward = [b for b in self.buttons if not BACK_WORDS.search(" ".join(b))]
        return (forward or self.buttons)[-1]


class PageParser(HTMLParser):
    """Forms (with their fields) and loaded assets of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.assets: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._button: tuple[str, str] | None = None
        self._button_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "script" and a.get("src"):
            self.assets.append(a["src"])
        elif tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower()
            if any(word in rel for word in ("stylesheet", "icon", "preload", "manifest")):
                self.assets.append(a["href"])
        elif tag in ("img", "source") and a.get("src"):
            self.assets.append(a["src"])
        elif tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is not None:
            self._field(tag, a)

    def _field(self, tag: str, a: dict[str, str]) -> None:
        form = self._form
        assert form is not None
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "hidden" and name:
                form.hidden.append((name, a.get("value", "")))
            elif kind == "radio" and name:
                form.radios.setdefault(name, []).append(a.get("value", "on"))
            elif kind == "checkbox" and name:
                form.checkboxes.setdefault(name, []).append(a.get("value", "on"))
            elif kind in ("submit", "image"):
                form.buttons.append((name, a.get("value", ""), a.get("value", "")))
            elif kind not in ("button", "reset", "file") and name:
                form.texts[name] = kind
        elif tag == "textarea" and name:
            form.texts[name] = "textarea"
        elif tag == "select" and name:
            self._select = name
            form.selects[name] = []
        elif tag == "option" and self._select is not None:
            form.selects[self._select].append(a.get("value", ""))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._button = (name, a.get("value", ""))
            self._button_text = []

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "button" and self._button is not None and self._form is not None:
            name, value = self._button
            self._form.buttons.append((name, value, " ".join("".join(self._button_text).split())))
            self._button = None


def parse_page(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser


def survey_form(html: str) -> Form | None:
    """The form that posts answers (a POST form with questions or a start button), not
    a language switcher."""
    forms = [form for form in parse_page(html).forms if form.method == "post"]
    with_questions = [form for form in forms if form.questions]
    chosen = with_questions or forms
    return chosen[0] if chosen else None


def css_assets(css: str) -> list[str]:
    return [url for url in CSS_URL.findall(css) if not url.startswith("data:")]
