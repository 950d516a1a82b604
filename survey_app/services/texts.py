"""The office's review of free-text answers, and what a release takes of it.

Per text question the office defines categories (`category_add`, `category_remove`),
reads the answers per language (`text_answers`), and saves a review of an answer
(`text_review_save`): the text as it may be shown (redacted; a suggestion from
`analysis.texts.suggested_redaction` is offered), a German translation, its categories,
and whether releases show it. The answer as given stays untouched in the submission.

`texts_for_release` is what a release freezes (`services.releases`): the categories and
each counted response's tags (for the audited category counts), and the selected
answers of the responses the release counts. Nothing else reaches a working group:
an answer not selected, or selected after the release, never appears in it.

Once a release has counted a question's categories, the tags of the answers it counted
can no longer change, nor can a category it counted be removed: the next release is
audited as the earlier counts plus what came since, and a changed tag would make that
sum untrue, so the difference of two releases could again be about fewer than the
minimum cell size of people (a re-tag of one answer would hide as "noise of one").

Every change is audited in its own transaction, without the answer's text (answers
never go into a log).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import delete
from sqlmodel import Session, col, select

from analysis.texts import ReleasedAnswer, suggested_redaction, text_questions
from survey_app.db.engine import Database
from survey_app.db.tables import Release, Submission, TextCategory, TextReview, utc_now
from survey_app.errors import Invalid, NotFound
from survey_app.i18n import S_
from survey_app.questionnaire.schema import Question
from survey_app.services.audit import audit_record
from survey_app.services.published import PublishedSurvey
from survey_app.services.released import ReleasedTexts

__all__ = [
    "FILTERS",
    "MAX_TEXT",
    "Category",
    "TextAnswer",
    "TextAnswers",
    "TextQuestionSummary",
    "TextReviewRefused",
    "categories_of",
    "category_add",
    "category_remove",
    "text_answers",
    "text_overview",
    "text_question",
    "text_review_save",
    "texts_for_release",
]

MAX_TEXT = 5000
MAX_LABEL = 100
PAGE_SIZE = 30
FILTERS = ("all", "open", "released")
"""Which answers the review page lists: all, not yet reviewed, selected for release."""


class TextReviewRefused(Invalid):
    """A review or category that cannot be saved; the message says why."""

    code = "text_review_refused"


@dataclass(frozen=True)
class Category:
    id: int
    label: str
    counted_in: int | None = None
    """The first release that counted it (it can no longer be removed), or None."""


def _counting_releases(session: Session, survey_id: str) -> list[Release]:
    """The survey's releases that counted categories of some text question, oldest first."""
    releases = session.execute(
        select(Release).where(col(Release.survey_id) == survey_id).order_by(col(Release.number))
    ).scalars()
    return [release for release in releases if (release.texts or {}).get("categories")]


def _counted_categories(release: Release, question: str) -> set[int]:
    categories = cast(Mapping[str, list[list[Any]]], release.texts.get("categories") or {})
    return {int(pair[0]) for pair in categories.get(question, [])}


def _tags_frozen_by(
    releases: Sequence[Release], question: str, version_id: int, submission: int
) -> int | None:
    """The first release that counted the categories of `question` with this answer among
    them: its tags can no longer change (see the module doc). None if there is none."""
    for release in releases:
        if _counted_categories(release, question) and release.counts(version_id, submission):
            return release.number
    return None


def text_question(survey: PublishedSurvey, name: str) -> Question:
    """The text question `name` of the survey; raises `NotFound`."""
    for question in text_questions(survey.questionnaire):
        if question.name == name:
            return question
    raise NotFound(
        S_("Survey '%(survey)s' has no free-text question '%(question)s'."),
        values={"survey": survey.id, "question": name},
    )


def categories_of(db: Database, survey_id: str) -> dict[str, list[Category]]:
    """The categories per text question, in the order they were defined."""
    with db.read() as session:
        rows = session.execute(
            select(TextCategory)
            .where(col(TextCategory.survey_id) == survey_id)
            .order_by(col(TextCategory.id))
        ).scalars()
        releases = _counting_releases(session, survey_id)
        found: dict[str, list[Category]] = {}
        for row in rows:
            assert row.id is not None
            counted_in = next(
                (r.number for r in releases if row.id in _counted_categories(r, row.question)),
                None,
            )
            found.setdefault(row.question, []).append(Category(row.id, row.label, counted_in))
    return found


def category_add(
    db: Database, *, actor: str, survey: PublishedSurvey, question: str, label: str
) -> Category:
    """Define a category for a text question (labels unique per question)."""
    text_question(survey, question)
    label = " ".join(label.split())
    if not label or len(label) > MAX_LABEL:
        raise TextReviewRefused(
            S_("A category needs a name of 1 to %(max)s characters."),
            errors={"label": S_("1 to %(max)s characters")},
            values={"max": MAX_LABEL},
        )
    with db.write() as session:
        exists = session.execute(
            select(col(TextCategory.id)).where(
                col(TextCategory.survey_id) == survey.id,
                col(TextCategory.question) == question,
                col(TextCategory.label) == label,
            )
        ).first()
        if exists is not None:
            raise TextReviewRefused(
                S_("The category '%(label)s' exists already."),
                errors={"label": S_("exists already")},
                values={"label": label},
            )
        row = TextCategory(survey_id=survey.id, question=question, label=label)
        session.add(row)
        session.flush()
        assert row.id is not None
        audit_record(
            session,
            actor=actor,
            action="text_category_add",
            detail={"survey": survey.id, "question": question, "category": label},
        )
        return Category(row.id, label)


def category_remove(db: Database, *, actor: str, survey: PublishedSurvey, category_id: int) -> None:
    """Remove a category and its tags (answers keep their other categories). Refused for
    a category a release counted (see the module doc); that release keeps it anyway."""
    with db.write() as session:
        row = session.get(TextCategory, category_id)
        if row is None or row.survey_id != survey.id:
            raise NotFound(S_("No such category."))
        for release in _counting_releases(session, survey.id):
            if category_id in _counted_categories(release, row.question):
                raise TextReviewRefused(
                    S_(
                        "The category '%(label)s' was counted in release %(number)s. "
                        "Releases cannot be undone, so it stays; simply tag no further "
                        "answers with it."
                    ),
                    values={"label": row.label, "number": release.number},
                )
        reviews = session.execute(
            select(TextReview).where(
                col(TextReview.survey_id) == survey.id, col(TextReview.question) == row.question
            )
        ).scalars()
        for review in reviews:
            if category_id in review.categories:
                review.categories = [c for c in review.categories if c != category_id]
        session.execute(delete(TextCategory).where(col(TextCategory.id) == category_id))
        audit_record(
            session,
            actor=actor,
            action="text_category_remove",
            detail={"survey": survey.id, "question": row.question, "category": row.label},
        )


@dataclass(frozen=True)
class TextAnswer:
    """A free-text answer with its review (as given, if not reviewed yet)."""

    submission: int
    """The response's row id (`Submission.id`), which the review form posts back."""
    language: str
    original: str
    text: str
    """The text as it may be shown: the reviewed one, else the suggested redaction."""
    translation: str
    categories: tuple[int, ...]
    released: bool
    reviewed: bool
    categories_frozen_by: int | None = None
    """The release that counted this answer's categories: they can no longer change."""

    @property
    def suggested(self) -> bool:
        """Whether the shown text is an unsaved suggestion that differs from the original."""
        return not self.reviewed and self.text != self.original


@dataclass(frozen=True)
class TextAnswers:
    """One page of the answers to a text question, with what the filters offer."""

    question: str
    answers: list[TextAnswer]
    total: int
    """Answers that match the filters (on every page)."""
    languages: dict[str, int]
    """Answers per language, before the language filter."""
    page: int
    pages: int
    released: int
    reviewed: int


def _answers_of(answers: str, questions: Collection[str]) -> dict[str, str]:
    """The non-empty text answers to `questions` in a response's stored answers."""
    return {
        name: value
        for name, value in json.loads(answers).items()
        if name in questions and isinstance(value, str) and value.strip()
    }


def _answer_of(answers: str, question: str) -> str | None:
    return _answers_of(answers, (question,)).get(question)


def text_answers(
    db: Database,
    survey: PublishedSurvey,
    question: str,
    *,
    language: str | None = None,
    show: str = "all",
    page: int = 1,
    only: int | None = None,
) -> TextAnswers:
    """The answers to a text question of the responses that count (excluded ones are
    left out, as no release counts them), oldest first, a page at a time; with `only`,
    just the answer of that submission (raises `NotFound` if there is none)."""
    text_question(survey, question)
    # With `only`, one row is read (and the counts are of it alone).
    one = () if only is None else (col(Submission.id) == only,)
    reviewed_one = () if only is None else (col(TextReview.submission_pk) == only,)
    with db.read() as session:
        rows = session.execute(
            select(
                col(Submission.id),
                col(Submission.language),
                col(Submission.answers),
                col(Submission.version_id),
            )
            .where(
                col(Submission.survey_id) == survey.id, col(Submission.status) != "excluded", *one
            )
            .order_by(col(Submission.id))
        ).all()
        reviews = {
            review.submission_pk: review
            for review in session.execute(
                select(TextReview).where(
                    col(TextReview.survey_id) == survey.id,
                    col(TextReview.question) == question,
                    *reviewed_one,
                )
            ).scalars()
        }
        releases = _counting_releases(session, survey.id)
    versions = {int(pk): int(version) for pk, _lang, _answers, version in rows}
    given = [
        (int(pk), str(lang), text)
        for pk, lang, answers, _version in rows
        if (text := _answer_of(answers, question)) is not None
    ]
    languages: dict[str, int] = {}
    for _pk, lang, _text in given:
        languages[lang] = languages.get(lang, 0) + 1
    if only is not None and not given:
        raise NotFound(S_("No such answer."))
    chosen = [
        (pk, lang, text)
        for pk, lang, text in given
        if only is not None
        or (
            (language is None or lang == language)
            and (
                show == "all"
                or (show == "open" and pk not in reviews)
                or (show == "released" and pk in reviews and reviews[pk].released)
            )
        )
    ]
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    answers = []
    for pk, lang, text in shown:
        review = reviews.get(pk)
        answers.append(
            TextAnswer(
                submission=pk,
                language=lang,
                original=text,
                text=review.text if review is not None else suggested_redaction(text),
                translation=review.translation if review is not None else "",
                categories=tuple(review.categories) if review is not None else (),
                released=review is not None and review.released,
                reviewed=review is not None,
                categories_frozen_by=_tags_frozen_by(releases, question, versions[pk], pk),
            )
        )
    counted = {pk for pk, _lang, _text in given}
    return TextAnswers(
        question=question,
        answers=answers,
        total=len(chosen),
        languages=dict(sorted(languages.items())),
        page=page,
        pages=pages,
        released=sum(1 for pk, r in reviews.items() if r.released and pk in counted),
        reviewed=sum(1 for pk in reviews if pk in counted),
    )


@dataclass(frozen=True)
class TextQuestionSummary:
    """A text question on the overview: how many answers, how far the review is."""

    name: str
    label: str
    answers: int
    reviewed: int
    released: int
    categories: int


def text_overview(db: Database, survey: PublishedSurvey) -> list[TextQuestionSummary]:
    """Every text question of the survey with its answers (of responses that count) and
    the state of their review."""
    questions = text_questions(survey.questionnaire)
    names = {q.name for q in questions}
    with db.read() as session:
        rows = session.execute(
            select(col(Submission.id), col(Submission.answers)).where(
                col(Submission.survey_id) == survey.id, col(Submission.status) != "excluded"
            )
        ).all()
        reviews = session.execute(
            select(
                col(TextReview.submission_pk), col(TextReview.question), col(TextReview.released)
            ).where(col(TextReview.survey_id) == survey.id)
        ).all()
    answered: dict[str, set[int]] = {name: set() for name in names}
    for pk, answers in rows:
        for name, _text in _answers_of(answers, names).items():
            answered[name].add(int(pk))
    categories = categories_of(db, survey.id)
    language = survey.questionnaire.default_language
    return [
        TextQuestionSummary(
            name=q.name,
            label=survey.questionnaire.text(q.label, language),
            answers=len(answered[q.name]),
            reviewed=sum(1 for pk, name, _r in reviews if name == q.name and pk in answered[name]),
            released=sum(
                1 for pk, name, r in reviews if name == q.name and r and pk in answered[name]
            ),
            categories=len(categories.get(q.name, ())),
        )
        for q in questions
    ]


def text_review_save(
    db: Database,
    *,
    actor: str,
    survey: PublishedSurvey,
    question: str,
    submission: int,
    text: str,
    translation: str = "",
    categories: Collection[int] = (),
    released: bool = False,
) -> None:
    """Save the review of one answer (creating or replacing it). Refused: an empty text
    selected for release, texts over `MAX_TEXT` characters, unknown categories, other
    categories for an answer whose categories a release counted (see the module doc)."""
    text_question(survey, question)
    text, translation = text.strip(), translation.strip()
    errors = {}
    if len(text) > MAX_TEXT:
        errors["text"] = S_("at most %(max)s characters")
    if len(translation) > MAX_TEXT:
        errors["translation"] = S_("at most %(max)s characters")
    if released and not text:
        errors["text"] = S_("an answer without text cannot be released")
    with db.write() as session:
        row = session.get(Submission, submission)
        if row is None or row.survey_id != survey.id or _answer_of(row.answers, question) is None:
            raise NotFound(S_("No such answer."))
        known = {
            int(pk)
            for pk in session.execute(
                select(col(TextCategory.id)).where(
                    col(TextCategory.survey_id) == survey.id,
                    col(TextCategory.question) == question,
                )
            ).scalars()
        }
        if set(categories) - known:
            errors["categories"] = S_("unknown category")
        review = _review(session, submission, question)
        frozen_by = _tags_frozen_by(
            _counting_releases(session, survey.id), question, row.version_id, submission
        )
        tagged = sorted(review.categories) if review is not None else []
        if frozen_by is not None and sorted(set(categories)) != tagged:
            errors["categories"] = S_(
                "release %(number)s counted this answer with these categories: they can "
                "no longer change"
            )
        if errors:
            raise TextReviewRefused(
                S_("The review was not saved; see the messages at the fields."),
                errors=errors,
                values={"max": MAX_TEXT, "number": frozen_by},
            )
        if review is None:
            review = TextReview(
                submission_pk=submission,
                survey_id=survey.id,
                question=question,
                text=text,
                changed_by=actor,
            )
        review.text = text
        review.translation = translation
        review.categories = sorted(set(categories))
        review.released = released
        review.changed_by = actor
        review.changed_at = utc_now()
        session.add(review)
        audit_record(
            session,
            actor=actor,
            action="text_review",
            detail={
                "survey": survey.id,
                "question": question,
                "submission": submission,
                "released": released,
                "categories": len(review.categories),
            },
        )


def _review(session: Session, submission: int, question: str) -> TextReview | None:
    return session.execute(
        select(TextReview).where(
            col(TextReview.submission_pk) == submission, col(TextReview.question) == question
        )
    ).scalar_one_or_none()


def texts_for_release(
    db: Database, survey: PublishedSurvey, counted: Callable[[int, int], bool]
) -> ReleasedTexts:
    """The review as a release takes it: categories of the survey's current text
    questions, tags of every response, and the selected answers of the responses
    `counted(version_id, submission_id)` says the release counts, in alphabetical order
    (never by arrival, which would tie them to a date, nor by category, which would
    count the categories) and without their tags (see `ReleasedAnswer`)."""
    questions = {q.name for q in text_questions(survey.questionnaire)}
    defined = {q: c for q, c in categories_of(db, survey.id).items() if q in questions}
    labels = {c.id: c.label for found in defined.values() for c in found}
    with db.read() as session:
        rows = session.execute(
            select(TextReview, col(Submission.version_id))
            .join(Submission, col(Submission.id) == col(TextReview.submission_pk))
            .where(col(TextReview.survey_id) == survey.id)
        ).all()
    tags: dict[int, dict[str, list[int]]] = {}
    answers: dict[str, list[ReleasedAnswer]] = {}
    for review, version_id in rows:
        if review.question not in questions:
            continue
        own = [pk for pk in review.categories if pk in labels]
        if own:
            tags.setdefault(review.submission_pk, {})[review.question] = own
        if review.released and review.text and counted(version_id, review.submission_pk):
            answers.setdefault(review.question, []).append(
                ReleasedAnswer(text=review.text, translation=review.translation)
            )
    for found in answers.values():
        found.sort(key=lambda a: (a.text.casefold(), a.text))
    return ReleasedTexts(
        categories={q: [(c.id, c.label) for c in found] for q, found in defined.items()},
        tags=tags,
        answers={q: found for q, found in answers.items() if found},
    )
