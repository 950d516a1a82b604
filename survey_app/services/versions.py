"""Breaking changes between a published questionnaire version and its edited file.

Each submission keeps the version it answered, so any change is safe for storage. But
results compare answers across versions of one *series* by question name: a question
renamed in place (its answers would split into two columns) or given another type (old
and new answers would be mixed as one) breaks that comparison. Such a change is only
published on purpose, as a new series (`check --allow-breaking`). Removing a question
without a replacement is not breaking: old submissions keep its answers, readable
through their own version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from survey_app.db.engine import Database
from survey_app.questionnaire.schema import Question, Questionnaire
from survey_app.services.published import PublishedSurvey, get_survey


@dataclass(frozen=True)
class BreakingChange:
    """One breaking change; `path` locates it in the questionnaire file."""

    path: tuple[str | int, ...]
    message: str


def breaking_changes(published: Questionnaire, edited: Questionnaire) -> list[BreakingChange]:
    """Questions of `published` that `edited` renames in place or gives another type."""
    old_questions = published.questions
    new_questions = edited.questions
    changes: list[BreakingChange] = []
    for page_index, page in enumerate(edited.pages):
        for index, question in enumerate(page.questions):
            where = ("pages", page_index, "questions", index)
            old = old_questions.get(question.name)
            if old is not None and old.type != question.type:
                changes.append(
                    BreakingChange(
                        (*where, "type"),
                        f"question '{question.name}' changed type from {old.type.value} to "
                        f"{question.type.value}; old and new answers would be mixed",
                    )
                )
            if old is None:
                replaced = _at(published, page_index, index)
                if replaced is not None and replaced.name not in new_questions:
                    changes.append(
                        BreakingChange(
                            (*where, "name"),
                            f"question '{question.name}' replaces '{replaced.name}' in the "
                            "same place (renamed?); their answers would be split",
                        )
                    )
    return changes


def _at(questionnaire: Questionnaire, page_index: int, index: int) -> Question | None:
    if page_index >= len(questionnaire.pages):
        return None
    questions = questionnaire.pages[page_index].questions
    return questions[index] if index < len(questions) else None


def published_version(database_url: str, survey_id: str) -> PublishedSurvey | None:
    """The newest published version of a survey, or None when the database is missing,
    unreachable, not migrated or does not know the survey (never creates a database)."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not Path(path).is_file():
            return None
    db = Database(database_url)
    try:
        return get_survey(db, survey_id)
    except SQLAlchemyError:
        return None
    finally:
        db.dispose()
