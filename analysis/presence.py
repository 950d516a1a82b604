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

Its frame columns are computed where answers are parsed (`analysis.frames`), from the
entries frame of the repeat (`presence_columns`), for every derived question the target
questionnaire has: a questionnaire without repeats gets none and costs what it did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey_app.questionnaire.schema import PRESENCE_INFIX, Question, Questionnaire, QuestionType

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PRESENCE_INFIX",
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


def presence_question(question: str, repeat: str) -> str:
    """Name of the derived question of entry question `question` of `repeat`."""
    return f"{question}{PRESENCE_INFIX}{repeat}"


def _counted_entry_questions(repeat: Question) -> list[Question]:
    """The questions of a repeat's entries counted by household (not those of a nested
    repeat: their entries belong to entries, not to the response)."""
    return [q for q in repeat.questions if q.type in _COUNTED and q.takes_answer]


def with_entry_presence(questionnaire: Questionnaire) -> Questionnaire:
    """`questionnaire` with a derived `select_multiple` after each top-level repeat per
    counted question of its entries (see the module doc); the same questionnaire when
    there is none. Raises ValueError when a derived name is already taken."""
    pages = []
    added = False
    taken = set(questionnaire.all_questions)
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
        pages.append(page.model_copy(update={"questions": tuple(questions)}))
    if not added:
        return questionnaire
    fields = {name: getattr(questionnaire, name) for name in type(questionnaire).model_fields}
    return type(questionnaire)(**(fields | {"pages": tuple(pages)}))


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


def presence_subsets(questionnaire: Questionnaire) -> dict[str, str]:
    """Derived question -> its repeat, for the audit (`plan_publication`'s `subsets`):
    only responses that gave entries answer a derived question, as an attacker knows."""
    return {
        name: repeat.name for name, (repeat, _q) in entry_presence_sources(questionnaire).items()
    }


def presence_columns(
    target: Questionnaire, repeat: Question, entries: pd.DataFrame, rows: int
) -> dict[str, pd.arrays.BooleanArray]:
    """The frame columns of `target`'s derived questions of `repeat`, `rows` responses,
    from the repeat's entries frame (`analysis.frames`): `<derived>/<choice>` is true
    where at least one entry of the response chose it, missing where no entry answered
    the question (none given, or all skipped it)."""
    import numpy as np
    import pandas as pd

    from analysis.frames import RESPONSE, choice_column, choice_names

    owners = entries[RESPONSE].to_numpy(dtype=np.int64)

    def per_response(of_entry: np.ndarray) -> np.ndarray:
        return np.bincount(owners[of_entry], minlength=rows)[:rows] > 0

    columns: dict[str, pd.arrays.BooleanArray] = {}
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
    return columns
