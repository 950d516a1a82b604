"""The state of one questionnaire page for a set of answers, computed once.

Given a questionnaire, the answers so far, a page and what the respondent just sent from
it, `page_state` decides everything the survey pages need: which questions are relevant
and which of the page's are visible, which answers are discarded because their question
no longer applies, the page's errors, the previous and the next page, and which questions
appeared on the page (or went away with an answer) since it was shown, and which choices
each select question with a choice filter offers (and whose offer changed since the page
was shown). Pure: no HTTP, no database; the web controller only renders what it says and
stores `answers` in the draft.

The verdict is `check_answers`', so a page, the final submission and the JSON API agree.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import cast

from survey_app.questionnaire.paths import leaf_name, top_name, value_at
from survey_app.questionnaire.rules import (
    MAX_ENTRIES,
    Answer,
    AnswerError,
    CheckedAnswers,
    ErrorCode,
    InvalidDefault,
    check_answers,
    default_answer,
    expected_entries,
    is_empty,
)
from survey_app.questionnaire.schema import Page, Question, Questionnaire, QuestionType


@dataclass(frozen=True)
class PageState:
    """One page of a questionnaire for one set of answers."""

    questionnaire: Questionnaire
    index: int
    answers: dict[str, object]
    """The answers to keep: known questions, not empty, relevant (as given, uncleaned)."""
    relevant: frozenset[str]
    visible: tuple[Question, ...]
    """The page's questions to show (relevant; calculations are never shown)."""
    discarded: frozenset[str]
    """Questions whose answer was dropped because they are not (or no longer) relevant."""
    errors: dict[str, AnswerError]
    """Errors of this page's visible questions."""
    previous: int | None
    next: int | None
    appeared: tuple[str, ...] = ()
    """Questions to answer that are visible now but were neither shown nor answered when
    the page was sent."""
    withdrawn: tuple[str, ...] = ()
    """Questions that were shown and answered but no longer apply (their answer is gone)."""
    offered: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The choices offered to the visible questions that have a choice filter."""
    refiltered: tuple[str, ...] = ()
    """Questions with a choice filter whose offer changed since the page was shown, left
    unanswered or answered with a choice no longer offered: the respondent must see the
    new options before going on."""
    prefilled: Mapping[str, Answer] = field(default_factory=dict)
    """Defaults the page's fields show: of visible unanswered questions the page shows
    for the first time (when it is sent with a field emptied, the field stays empty)."""
    read_only: Mapping[str, Answer] = field(default_factory=dict)
    """The values of the visible read-only questions (calculated, or their default)."""
    values: Mapping[str, Answer] = field(default_factory=dict)
    """The cleaned answers with the calculations (`check_answers`): what `${name}` in a
    label or hint shows."""
    in_entries: frozenset[str] = frozenset()
    """Paths of the questions shown in the entries of the page's visible repeats
    (`members[2].age`; relevant in that entry; calculations are never shown)."""

    @property
    def page(self) -> Page:
        return self.questionnaire.pages[self.index]

    @property
    def visible_names(self) -> tuple[str, ...]:
        return tuple(question.name for question in self.visible)

    @property
    def shown_names(self) -> tuple[str, ...]:
        """Everything the page shows, by name or path: what `shown` is on the way back."""
        return self.visible_names + tuple(sorted(self.in_entries))

    @property
    def changed(self) -> bool:
        """The page sent is not the page as it is now: it must be shown again, so that
        no newly relevant question is skipped and no answer vanishes unseen."""
        return bool(self.appeared or self.withdrawn or self.refiltered)

    @property
    def unseen(self) -> tuple[str, ...]:
        """Questions whose missing answer is no error yet: they appeared, or their options
        changed, since the respondent saw the page."""
        waiting = tuple(
            name
            for name in self.refiltered
            if name in self.errors and self.errors[name].code is ErrorCode.REQUIRED
        )
        return self.appeared + waiting

    @property
    def offered_digests(self) -> dict[str, str]:
        """What the page offers to its filtered questions, short enough for a form field."""
        return {name: offer_digest(names) for name, names in self.offered.items()}

    @property
    def is_first(self) -> bool:
        return self.previous is None

    @property
    def is_last(self) -> bool:
        return self.next is None

    def errors_except_required(self) -> dict[str, AnswerError]:
        """Errors of answers given so far (a live check does not nag about missing ones)."""
        return {
            name: error
            for name, error in self.errors.items()
            if error.code is not ErrorCode.REQUIRED
        }


def page_state(
    questionnaire: Questionnaire,
    answers: Mapping[str, object],
    index: int,
    *,
    sent: Mapping[str, object] | None = None,
    shown: Collection[str] | None = None,
    shown_offers: Mapping[str, str] | None = None,
    today: datetime.date | None = None,
) -> PageState:
    """The state of page `index` after the answers `sent` from it (None: nothing sent).

    `answers` are the earlier answers (a draft); `sent` replaces the page's answers
    (empty values remove one). `shown` names the questions the page showed when it was
    sent; without it nothing counts as appeared or withdrawn. `shown_offers` are the
    `offered_digests` of the page as it was shown; without them no offer counts as
    changed.
    """
    if not 0 <= index < len(questionnaire.pages):
        raise IndexError(f"page {index} of {len(questionnaire.pages)}")
    page = questionnaire.pages[index]
    merged = _merged(questionnaire, answers, sent or {})
    _fit_entries(questionnaire, page, merged, today)
    names = {question.name for question in page.questions}
    checked = check_answers(questionnaire, merged, scope=names, today=today)
    relevant = frozenset(checked.relevant)
    visible = _visible(page, relevant)
    visible_names = {question.name for question in visible}
    in_entries = frozenset(
        key
        for key in relevant
        if "[" in key
        and top_name(key) in visible_names
        and questionnaire.all_questions[leaf_name(key)].type is not QuestionType.CALCULATE
    )
    offered = {
        key: choices
        for key, choices in checked.offered.items()
        if key in visible_names or key in in_entries
    }
    appeared: tuple[str, ...] = ()
    withdrawn: tuple[str, ...] = ()
    refiltered: tuple[str, ...] = ()
    if shown is not None:
        shown_names = set(shown)
        sent_values = sent or {}
        # A question the form sent an answer for was seen, whatever `shown` says.
        appeared = tuple(
            question.name
            for question in visible
            if question.takes_answer
            and question.name not in shown_names
            and is_empty(sent_values.get(question.name))
        ) + tuple(
            key
            for key in sorted(in_entries)
            if questionnaire.all_questions[leaf_name(key)].takes_answer
            and key not in shown_names
            and is_empty(value_at(sent_values, key))
        )
        withdrawn = tuple(
            question.name
            for question in page.questions
            if question.name in shown_names
            and question.name not in visible_names
            and not is_empty(sent_values.get(question.name))
        ) + tuple(
            key
            for key in sorted(shown_names)
            if "[" in key
            and top_name(key) in names
            and key not in in_entries
            and not is_empty(value_at(sent_values, key))
        )
        if shown_offers is not None:
            refiltered = tuple(
                name
                for name, choices in offered.items()
                if name in shown_names
                and shown_offers.get(name) != offer_digest(choices)
                and _to_choose_again(checked, merged, name)
            )
    prefilled = {
        question.name: value
        for question in visible
        if question.takes_answer
        and question.name not in merged
        and (shown is None or question.name not in shown)
        for value in [_default(questionnaire, question)]
        if value is not None
    } | {
        key: value
        for key in in_entries
        for question in [questionnaire.all_questions[leaf_name(key)]]
        if question.takes_answer
        and is_empty(value_at(merged, key))
        and (shown is None or key not in shown)
        for value in [_default(questionnaire, question)]
        if value is not None
    }
    read_only: dict[str, Answer] = {
        question.name: checked.answers[question.name]
        for question in visible
        if question.readonly and question.name in checked.answers
    }
    for key in in_entries:
        value = value_at(checked.answers, key)
        if questionnaire.all_questions[leaf_name(key)].readonly and value is not None:
            read_only[key] = cast(Answer, value)
    return PageState(
        questionnaire=questionnaire,
        index=index,
        answers={
            name: _relevant_entries(value, relevant, name)
            for name, value in merged.items()
            if name in relevant
        },
        relevant=relevant,
        visible=visible,
        discarded=frozenset(name for name in merged if name not in relevant),
        errors={
            name: error for name, error in checked.errors.items() if top_name(name) in visible_names
        },
        previous=_step(questionnaire, relevant, index, -1),
        next=_step(questionnaire, relevant, index, 1),
        appeared=appeared,
        withdrawn=withdrawn,
        offered=offered,
        refiltered=refiltered,
        prefilled=prefilled,
        read_only=read_only,
        values=checked.answers,
        in_entries=in_entries,
    )


def _fit_entries(
    questionnaire: Questionnaire, page: Page, merged: dict[str, object], today: datetime.date | None
) -> None:
    """Give each repeat of the page with a `repeat_count` that many entries (empty ones
    added at the end, the last ones dropped), as ODK's forms do: the page shows them all
    and the count is never the respondent's to change. The count reads the cleaned
    answers, as the check of the entries does, so a count that is a calculation
    (`repeat_count: ${n}` with `n` calculated) counts its value."""
    fixed = [
        question
        for question in page.questions
        if question.type is QuestionType.REPEAT and question.repeat_count is not None
    ]
    if not fixed:
        return
    seen = check_answers(questionnaire, merged, today=today).answers
    for question in fixed:
        count = min(expected_entries(questionnaire, question, seen, today) or 0, MAX_ENTRIES)
        entries = merged.get(question.name)
        if not isinstance(entries, list):
            entries = []
        fitted = [*entries[:count], *({} for _ in range(count - len(entries)))]
        if fitted:
            merged[question.name] = fitted
        else:
            merged.pop(question.name, None)


def _relevant_entries(value: object, relevant: frozenset[str], path: str) -> object:
    """A repeat's entries without the answers of questions not relevant in their entry
    (other answers as they are)."""
    if not isinstance(value, list) or not all(isinstance(entry, Mapping) for entry in value):
        return value
    return [
        {
            name: _relevant_entries(answer, relevant, key)
            for name, answer in entry.items()
            for key in [f"{path}[{position}].{name}"]
            if key in relevant
        }
        for position, entry in enumerate(value, 1)
    ]


def _default(questionnaire: Questionnaire, question: Question) -> Answer | None:
    if question.default is None:
        return None
    try:
        return default_answer(questionnaire, question)
    except InvalidDefault:  # a checked questionnaire has none
        return None


def _to_choose_again(checked: CheckedAnswers, merged: Mapping[str, object], name: str) -> bool:
    """Whether question `name` needs a choice among its new options: it has none, or one
    they no longer hold."""
    error = checked.errors.get(name)
    return is_empty(value_at(merged, name)) or (
        error is not None and error.code is ErrorCode.NOT_OFFERED
    )


def offer_digest(names: tuple[str, ...]) -> str:
    """A short fingerprint of the choices offered to a question (choice names hold no
    whitespace, so joined with spaces they are unambiguous)."""
    return hashlib.blake2s(" ".join(names).encode(), digest_size=6).hexdigest()


def first_page(questionnaire: Questionnaire, answers: Mapping[str, object]) -> int:
    """The first page with a question to show (page 0 when every page is empty)."""
    relevant = frozenset(check_answers(questionnaire, answers).relevant)
    return _step(questionnaire, relevant, -1, 1) or 0


def last_page(questionnaire: Questionnaire, answers: Mapping[str, object]) -> int:
    """The last page with a question to show: where the answers are sent from."""
    relevant = frozenset(check_answers(questionnaire, answers).relevant)
    found = _step(questionnaire, relevant, len(questionnaire.pages), -1)
    return len(questionnaire.pages) - 1 if found is None else found


def first_page_with_errors(
    questionnaire: Questionnaire, answers: Mapping[str, object], *, after: int = -1
) -> int | None:
    """The first page after page `after` whose answers the questionnaire refuses (a
    required question unanswered, a constraint failed), or None when all pass."""
    checked = check_answers(questionnaire, answers)
    for index in range(after + 1, len(questionnaire.pages)):
        page = questionnaire.pages[index]
        names = {question.name for question in page.questions}
        if any(top_name(key) in names for key in checked.errors):
            return index
    return None


def page_index(questionnaire: Questionnaire, name: str) -> int | None:
    """The index of the page called `name`, or None."""
    for index, page in enumerate(questionnaire.pages):
        if page.name == name:
            return index
    return None


def _merged(
    questionnaire: Questionnaire, earlier: Mapping[str, object], sent: Mapping[str, object]
) -> dict[str, object]:
    """Earlier answers of known questions, updated by the page's (empty ones removed).
    Earlier entries with nothing answered are dropped (a page adds an empty entry for the
    respondent to fill: left empty, it is no entry), except where a `repeat_count` keeps
    the number of entries."""
    merged = {
        name: _without_empty_entries(questionnaire.questions[name], value)
        for name, value in earlier.items()
        if name in questionnaire.questions and questionnaire.questions[name].takes_answer
    }
    for name, value in sent.items():
        if name not in questionnaire.questions:
            continue
        if is_empty(value):
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _visible(page: Page, relevant: frozenset[str]) -> tuple[Question, ...]:
    return tuple(
        question
        for question in page.questions
        if question.type is not QuestionType.CALCULATE and question.name in relevant
    )


def _step(
    questionnaire: Questionnaire, relevant: frozenset[str], index: int, step: int
) -> int | None:
    """The next (`step` 1) or previous (-1) page with a question to show, or None."""
    index += step
    while 0 <= index < len(questionnaire.pages):
        if _visible(questionnaire.pages[index], relevant):
            return index
        index += step
    return None


def _without_empty_entries(question: Question, value: object) -> object:
    if question.type is not QuestionType.REPEAT or question.repeat_count is not None:
        return value
    if not isinstance(value, list):
        return value
    return [entry for entry in value if not is_empty_entry(entry)]


def is_empty_entry(entry: object) -> bool:
    """Whether an entry of a repeat holds no answer (nested entries included)."""
    if not isinstance(entry, Mapping):
        return False
    return all(
        all(is_empty_entry(item) for item in value)
        if isinstance(value, list) and all(isinstance(item, Mapping) for item in value)
        else is_empty(value)
        for value in entry.values()
    )
