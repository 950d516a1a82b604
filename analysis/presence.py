"""What a roster's entries answered, counted by household: for each top-level repeat and
each `select_one` or `select_multiple` question of its entries (not of a nested
repeat), how many *responses* have at least one entry with each choice ("Person:
Geschlecht – households with at least one member: weiblich 312, männlich 298").

Entries are never counted themselves: the audit's units are respondents, and a count of
household members could come from a single household. Instead each such question
becomes a *derived* respondent-level `select_multiple` question `<question>__in_<repeat>`
(`with_entry_presence`, labelled "Person: Geschlecht – Antworten mit mindestens einem
solchen Eintrag"), placed after its repeat, in the repeat's working groups: a
choice is ticked where at least one entry of the response chose it, and the question is
answered where at least one entry answered it. Publication and results see it like any
other question, so the audit protects its counts as it protects answers: one-way,
broken down by the group's questions, and across releases. Respondents never see it: it
exists only in the questionnaire that results and releases are computed from (as the
text categories of `analysis.texts`), never in the one pages, the API, exports and
`check_answers` use.

Entries counted (how many household members chose each choice, "members aged 0–5: 57")
are worked out from respondent-level counts too. For each choice c of such a question, a
derived `select_one` `<question>__in_<repeat>__<c>` (`entry_count_question`) classifies
the responses by how many of their entries chose c: its choices are "0" to "J" (J =
`MAX_ENTRIES`, the most entries an answer can have: the structure of a publication must
not depend on the data), so its count of "j" is x_j, the responses with exactly j such
entries. It follows the presence question, labelled "Person: Geschlecht: weiblich –
Antworten nach Zahl solcher Einträge", and is kept out of pages, the API and exports in
the same way. The audit knows how it relates to the presence question
(`entry_count_links`, made equalities by `analysis.publication`): c's ticks are the sum
of x_1..x_J, and the answered counts are the same, one-way and in every column of a
breakdown. The number of entries, E = sum of j * x_j, is never itself a published
number: results compute it from a publication where every x_j (j >= 1) is shown
(`analysis.kinds.entries`). A repeat with a fixed number of entries gets no entry-count
questions (`has_fixed_count`). Choices whose names cannot be part of a question name
(spaces aside, only letters, digits, `_`, `.` and `-`) are not counted by entry.

Its frame columns are computed where answers are parsed (`analysis.frames`), from the
entries frame of the repeat (`presence_columns`), for every derived question the target
questionnaire has: a questionnaire without repeats gets none and costs what it did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from survey_app.questionnaire.rules import MAX_ENTRIES
from survey_app.questionnaire.schema import (
    PRESENCE_INFIX,
    Choice,
    Question,
    Questionnaire,
    QuestionType,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ENTRY_COUNT",
    "ENTRY_PRESENCE",
    "PRESENCE_INFIX",
    "EntryCount",
    "entry_count_links",
    "entry_count_question",
    "entry_count_sources",
    "entry_presence_sources",
    "presence_columns",
    "presence_question",
    "presence_subsets",
    "with_entry_presence",
]

_COUNTED = (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE)
_SUFFIX_LABEL = {
    "de": "Antworten mit mindestens einem solchen Eintrag",
    "en": "responses with at least one such entry",
}
"""Says in the label what is counted: responses (households), not entries (members)."""
_COUNT_SUFFIX_LABEL = {
    "de": "Antworten nach Zahl solcher Einträge",
    "en": "responses by number of such entries",
}
ENTRY_PRESENCE = "entry-presence"
ENTRY_COUNT = "entry-count"
"""The `appearance` of a derived presence and entry-count question: it picks their kinds
(`analysis.kinds.entries`), which show the entries counted. Derived questions are never
on a page, so the appearance has no other meaning for them."""
_NAMEABLE = re.compile(r"^[A-Za-z0-9_.-]+$")
"""Choice names that can end a question name (`NAME_PATTERN`)."""


@dataclass(frozen=True)
class EntryCount:
    """What a derived entry-count question counts: responses by how many entries of
    `repeat` chose `choice` of `question`; `presence` names the presence question of the
    same entry question, whose tick of `choice` counts the responses with at least one."""

    repeat: Question
    question: Question
    choice: str
    presence: str


def presence_question(question: str, repeat: str) -> str:
    """Name of the derived question of entry question `question` of `repeat`."""
    return f"{question}{PRESENCE_INFIX}{repeat}"


def entry_count_question(question: str, choice: str, repeat: str) -> str:
    """Name of the derived question counting responses by their number of entries of
    `repeat` whose answer to `question` is (or ticks) `choice`."""
    return f"{presence_question(question, repeat)}__{choice}"


def has_fixed_count(repeat: Question) -> bool:
    """Whether every answer to `repeat` has the same number of entries (`repeat_count` a
    number). Its entries are then counted by household only, not by entry: in every
    household the entries per choice of a question each entry answers add up to that
    number, so with two choices the households with j of one are exactly those with J - j
    of the other. The audit sees each entry-count question on its own and would not
    know that a count hidden in one is shown in the other."""
    return (repeat.repeat_count or "").strip().isdigit()


def _counts_list(limit: int) -> str:
    return f"__entries_0_{limit}"


def _counted_entry_questions(repeat: Question) -> list[Question]:
    """The questions of a repeat's entries counted by household (not those of a nested
    repeat: their entries belong to entries, not to the response)."""
    return [q for q in repeat.questions if q.type in _COUNTED and q.takes_answer]


def with_entry_presence(
    questionnaire: Questionnaire, *, entry_counts: bool = True
) -> Questionnaire:
    """`questionnaire` with a derived `select_multiple` after each top-level repeat per
    counted question of its entries, each followed by its entry-count questions unless
    `entry_counts` is false (a release made before they existed; see the module doc);
    the same questionnaire when there is none. Raises ValueError when a derived name is
    already taken."""
    pages = []
    added = False
    taken = set(questionnaire.all_questions)
    lists = dict(questionnaire.choices)
    for page in questionnaire.pages:
        questions: list[Question] = []
        for question in page.questions:
            questions.append(question)
            if question.type is not QuestionType.REPEAT or not question.takes_answer:
                continue
            for entry_question in _counted_entry_questions(question):
                derived = presence_question(entry_question.name, question.name)
                if derived in taken:
                    raise ValueError(f"the questionnaire already has a question '{derived}'")
                taken.add(derived)
                questions.append(_derived(questionnaire, question, entry_question, derived))
                added = True
                if not entry_counts or has_fixed_count(question):
                    continue
                limit = MAX_ENTRIES
                lists.setdefault(
                    _counts_list(limit),
                    tuple(
                        Choice(name=str(j), label=dict.fromkeys(questionnaire.languages, str(j)))
                        for j in range(limit + 1)
                    ),
                )
                for choice in _countable_choices(questionnaire, entry_question):
                    name = entry_count_question(entry_question.name, choice.name, question.name)
                    if name in taken:
                        raise ValueError(f"the questionnaire already has a question '{name}'")
                    taken.add(name)
                    questions.append(
                        _derived_count(questionnaire, question, entry_question, choice, name)
                    )
        pages.append(page.model_copy(update={"questions": tuple(questions)}))
    if not added:
        return questionnaire
    fields = {name: getattr(questionnaire, name) for name in type(questionnaire).model_fields}
    return type(questionnaire)(**(fields | {"pages": tuple(pages), "choices": lists}))


def _countable_choices(questionnaire: Questionnaire, question: Question) -> list[Choice]:
    return [c for c in questionnaire.choices_of(question) if _NAMEABLE.fullmatch(c.name)]


def _derived_count(
    questionnaire: Questionnaire, repeat: Question, question: Question, choice: Choice, name: str
) -> Question:
    label = {}
    for language in questionnaire.languages:
        parts = [
            text
            for text in (
                questionnaire.text(repeat.label, language),
                questionnaire.text(question.label, language),
            )
            if text
        ]
        chosen = questionnaire.text(choice.label, language) or choice.name
        suffix = _COUNT_SUFFIX_LABEL.get(language, _COUNT_SUFFIX_LABEL["en"])
        label[language] = f"{': '.join([*parts, chosen])} – {suffix}"
    return Question(
        name=name,
        type=QuestionType.SELECT_ONE,
        label=label,
        choices=_counts_list(MAX_ENTRIES),
        appearance=ENTRY_COUNT,
        working_groups=repeat.working_groups,
    )


def _derived(
    questionnaire: Questionnaire, repeat: Question, question: Question, name: str
) -> Question:
    label = {}
    for language in questionnaire.languages:
        parts = [
            text
            for text in (
                questionnaire.text(repeat.label, language),
                questionnaire.text(question.label, language),
            )
            if text
        ]
        if parts:
            suffix = _SUFFIX_LABEL.get(language, _SUFFIX_LABEL["en"])
            label[language] = f"{': '.join(parts)} – {suffix}"
    return Question(
        name=name,
        type=QuestionType.SELECT_MULTIPLE,
        label=label,
        choices=question.choices,
        appearance=ENTRY_PRESENCE,
        working_groups=repeat.working_groups,
    )


def entry_presence_sources(questionnaire: Questionnaire) -> dict[str, tuple[Question, Question]]:
    """The derived questions `questionnaire` has (from `with_entry_presence`), by name:
    (the top-level repeat, the entry question) each counts."""
    found = {}
    for repeat in questionnaire.iter_questions():
        if repeat.type is not QuestionType.REPEAT or not repeat.takes_answer:
            continue
        for question in _counted_entry_questions(repeat):
            name = presence_question(question.name, repeat.name)
            derived = questionnaire.questions.get(name)
            if derived is not None and derived.type is QuestionType.SELECT_MULTIPLE:
                found[name] = (repeat, question)
    return found


def entry_count_sources(questionnaire: Questionnaire) -> dict[str, EntryCount]:
    """The derived entry-count questions `questionnaire` has, by name."""
    found = {}
    for presence, (repeat, question) in entry_presence_sources(questionnaire).items():
        for choice in _countable_choices(questionnaire, question):
            name = entry_count_question(question.name, choice.name, repeat.name)
            derived = questionnaire.questions.get(name)
            if derived is not None and derived.appearance == ENTRY_COUNT:
                found[name] = EntryCount(repeat, question, choice.name, presence)
    return found


def entry_count_links(questionnaire: Questionnaire) -> dict[str, tuple[str, str]]:
    """Derived entry-count question -> (its presence question, the choice), for the audit
    (`plan_publication`): the presence question's ticks of the choice are its responses
    with one entry or more, and both are answered by the same responses."""
    return {
        name: (source.presence, source.choice)
        for name, source in entry_count_sources(questionnaire).items()
    }


def presence_subsets(questionnaire: Questionnaire) -> dict[str, str]:
    """Derived question -> its repeat, for the audit (`plan_publication`'s `subsets`):
    only responses that gave entries answer a derived question, as an attacker knows."""
    return {
        name: repeat.name for name, (repeat, _q) in entry_presence_sources(questionnaire).items()
    }


def presence_columns(
    target: Questionnaire, repeat: Question, entries: pd.DataFrame, rows: int
) -> dict[str, pd.arrays.BooleanArray | pd.Categorical[Any]]:
    """The frame columns of `target`'s derived questions of `repeat`, `rows` responses,
    from the repeat's entries frame (`analysis.frames`): `<derived>/<choice>` is true
    where at least one entry of the response chose it, missing where no entry answered
    the question (none given, or all skipped it); an entry-count question's column is
    the number of entries that chose its choice ("0" to "J"), missing where that of
    its presence question is."""
    import numpy as np
    import pandas as pd

    from analysis.frames import RESPONSE, choice_column, choice_names

    owners = entries[RESPONSE].to_numpy(dtype=np.int64)

    def per_response(of_entry: np.ndarray) -> np.ndarray:
        return entries_per_response(of_entry) > 0

    def entries_per_response(of_entry: np.ndarray) -> np.ndarray:
        return np.bincount(owners[of_entry], minlength=rows)[:rows]

    counted: dict[tuple[str, str], str] = {
        (source.presence, source.choice): name
        for name, source in entry_count_sources(target).items()
    }
    columns: dict[str, pd.arrays.BooleanArray | pd.Categorical[Any]] = {}
    for name, (own_repeat, question) in entry_presence_sources(target).items():
        if own_repeat.name != repeat.name:
            continue
        choices = choice_names(target, question)
        if question.type is QuestionType.SELECT_ONE:
            answers = entries[question.name]
            chosen = {c: (answers == c).to_numpy(dtype=bool, na_value=False) for c in choices}
            answered = answers.notna().to_numpy()
        else:
            flags = {c: entries[choice_column(question.name, c)] for c in choices}
            chosen = {c: f.to_numpy(dtype=bool, na_value=False) for c, f in flags.items()}
            answered = np.zeros(len(entries), dtype=bool)
            for f in flags.values():
                answered |= f.notna().to_numpy()
        missing = ~per_response(answered)
        for choice in choices:
            columns[choice_column(name, choice)] = pd.arrays.BooleanArray(
                per_response(chosen[choice]), missing.copy()
            )
            count = counted.get((name, choice))
            if count is not None:
                categories = choice_names(target, target.questions[count])
                # No more than the questionnaire allows are stored (`check_answers`); an
                # older version's answers beyond it would be the last category.
                codes = np.minimum(entries_per_response(chosen[choice]), len(categories) - 1)
                columns[count] = pd.Categorical.from_codes(
                    np.where(missing, -1, codes), categories=pd.Index(categories)
                )
    return columns
