"""Free-text answers as working groups receive them: reviewed, categorised, released.

The office reads the free-text answers ("what would help you most"), redacts what could
identify someone, tags answers with categories it defines, and selects answers for the
next release (`survey_app.services.texts`). Working groups then see:

- the selected answers, as redacted, with the office's German translation, in
  alphabetical order and without their categories (see `ReleasedAnswer`);
- how many answers fall in each category. Those counts are published like any other:
  each categorised text question becomes a *derived* `select_multiple` question
  `<name>__categories` (choices `c<id>`, one per category; answered = the answer has at
  least one category) that the release plans, audits and suppresses with the rest of
  the publication (`analysis.publication`), breakdowns included.

`suggested_redaction` proposes a redaction for the patterns a machine can find reliably
(e-mail addresses, links, phone and file numbers, dates, street addresses, names after
"my name is" and forms of address). Names on their own and places are not found by any
pattern (no gazetteer of the district's people), so the office reads every answer it
releases; the suggestion saves typing, it does not decide.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from survey_app.questionnaire.schema import (
    CATEGORIES_SUFFIX,
    Choice,
    Question,
    Questionnaire,
    QuestionType,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CATEGORIES_SUFFIX",
    "ReleasedAnswer",
    "categories_question",
    "category_choice",
    "category_columns",
    "suggested_redaction",
    "text_questions",
    "with_text_categories",
]

_SUFFIX_LABEL = {"de": "Kategorien", "en": "categories"}


def text_questions(questionnaire: Questionnaire) -> list[Question]:
    """The questions answered in free text, in questionnaire order."""
    return [q for q in questionnaire.iter_questions() if q.type is QuestionType.TEXT]


def categories_question(name: str) -> str:
    """Name of the derived question counting the categories of text question `name`."""
    return f"{name}{CATEGORIES_SUFFIX}"


def category_choice(category_id: int) -> str:
    """Choice name of a category in the derived question (stable: the category's id)."""
    return f"c{category_id}"


def with_text_categories(
    questionnaire: Questionnaire, categories: Mapping[str, Sequence[tuple[int, str]]]
) -> Questionnaire:
    """`questionnaire` with a derived `select_multiple` after each text question that has
    categories (`categories[name]`: (id, label) pairs in display order), in the same
    working groups, so the publication counts and audits them like answers."""
    wanted = {
        name: pairs
        for name, pairs in categories.items()
        if pairs
        and name in questionnaire.questions
        and questionnaire.questions[name].type is QuestionType.TEXT
    }
    if not wanted:
        return questionnaire
    choices = dict(questionnaire.choices)
    pages = []
    for page in questionnaire.pages:
        questions: list[Question] = []
        for question in page.questions:
            questions.append(question)
            pairs = wanted.get(question.name)
            if pairs is None:
                continue
            derived = categories_question(question.name)
            if derived in questionnaire.questions or derived in choices:
                raise ValueError(f"the questionnaire already has a question '{derived}'")
            choices[derived] = tuple(
                Choice(
                    name=category_choice(pk),
                    label=dict.fromkeys(questionnaire.languages, label),
                )
                for pk, label in pairs
            )
            questions.append(
                Question(
                    name=derived,
                    type=QuestionType.SELECT_MULTIPLE,
                    label={
                        language: f"{text} – {_SUFFIX_LABEL.get(language, _SUFFIX_LABEL['en'])}"
                        for language in questionnaire.languages
                        if (text := questionnaire.text(question.label, language))
                    },
                    choices=derived,
                    working_groups=question.working_groups,
                )
            )
        pages.append(page.model_copy(update={"questions": tuple(questions)}))
    fields = {name: getattr(questionnaire, name) for name in type(questionnaire).model_fields}
    return type(questionnaire)(**(fields | {"pages": tuple(pages), "choices": choices}))


def category_columns(
    name: str, category_ids: Sequence[int], tags: Sequence[Collection[int] | None]
) -> dict[str, pd.arrays.BooleanArray]:
    """The frame columns of the derived question of text question `name`: one per
    category, a row per response (`tags[row]`: the categories of its answer; None or
    empty: not categorised, which counts as not answered)."""
    # Here, not at the top: reading a release (its categories) needs no pandas.
    import numpy as np
    import pandas as pd

    from analysis.frames import choice_column

    missing = np.array([not row for row in tags], dtype=np.bool_)
    columns = {}
    for pk in category_ids:
        ticked = np.array([bool(row) and pk in (row or ()) for row in tags], dtype=np.bool_)
        columns[choice_column(categories_question(name), category_choice(pk))] = (
            pd.arrays.BooleanArray(ticked, missing.copy())
        )
    return columns


@dataclass(frozen=True)
class ReleasedAnswer:
    """A free-text answer as a release shows it: redacted, maybe translated. Nothing else
    of the response goes with it: no date, no id, not the language the questionnaire was
    answered in (in a small district, "the one who answered in Tigrinya" can be a
    person; the text shows its script anyway), and not its categories: with every answer
    of a category released, its tags would count the category exactly, also where the
    audited count is hidden."""

    text: str
    translation: str

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "translation": self.translation,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReleasedAnswer:
        return cls(
            text=str(data["text"]),
            translation=str(data.get("translation", "")),
        )


# -- suggested redactions --------------------------------------------------------------

_NAME_WORD = r"[A-ZÄÖÜ][\w'-]+"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[E-Mail]"),
    (re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE), "[Link]"),
    (
        re.compile(
            r"\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)"
            r"\s*\d+\s*[a-zA-Z]?\b"
        ),
        "[Adresse]",
    ),
    (re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b"), "[Datum]"),
    # Phone and file numbers: seven or more digits, maybe grouped by spaces, dashes,
    # slashes, dots or brackets (years and counts have fewer).
    (re.compile(r"(?<![\w])\+?\(?\d(?:[\s/().-]*\d){6,}"), "[Nummer]"),
    (
        re.compile(
            r"(?i:\b(?:ich\s+hei(?:ß|ss)e|mein\s+name\s+ist|my\s+name\s+is|i\s+am\s+called"
            r"|herrn?|frau|hr\.|fr\.|mr\.?|mrs\.?|ms\.?))\s+"
            rf"({_NAME_WORD}(?:\s+{_NAME_WORD})?)"
        ),
        "[Name]",
    ),
    (re.compile(r"(?:اسمي|اسم من|نام من)\s+([^\s،,.]+)"), "[Name]"),
)


def suggested_redaction(text: str) -> str:
    """`text` with what the patterns find replaced by a bracketed placeholder (see the
    module doc for what they find and what they cannot)."""
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(_Placeholder(placeholder), text)
    return text


@dataclass(frozen=True)
class _Placeholder:
    """Replaces a match by the placeholder, or only its first group if it has one (the
    name after "my name is", not the phrase)."""

    placeholder: str

    def __call__(self, match: re.Match[str]) -> str:
        if match.re.groups == 0:
            return self.placeholder
        whole, offset = match.group(0), match.start()
        start, end = match.span(1)
        return whole[: start - offset] + self.placeholder + whole[end - offset :]
