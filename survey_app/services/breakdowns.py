"""The breakdowns a working group selects for the report and the slides, stored per group
and survey series (the questionnaire's `series`, else the survey id), so the choice
carries over to the next wave of the same survey."""

from __future__ import annotations

from collections.abc import Sequence

from survey_app.db.engine import Database
from survey_app.db.tables import BreakdownSelection, utc_now
from survey_app.errors import Invalid
from survey_app.i18n import S_
from survey_app.questionnaire.schema import QuestionType
from survey_app.services.audit import audit_record
from survey_app.services.published import PublishedSurvey

__all__ = [
    "MAX_BREAKDOWNS",
    "TOO_MANY_BREAKDOWNS",
    "breakdown_choices",
    "breakdowns_of",
    "breakdowns_set",
    "series_of",
]

#: More breakdowns would make the report and the slides too long to present.
MAX_BREAKDOWNS = 3
TOO_MANY_BREAKDOWNS = S_("At most %(max)s breakdowns can be selected.")
NOT_A_BREAKDOWN = S_("'%(by)s' is not a select_one question of this working group.")


def series_of(survey: PublishedSurvey) -> str:
    """The key a selection is stored under: the questionnaire's series, else the survey."""
    return survey.questionnaire.series or survey.id


def breakdown_choices(survey: PublishedSurvey, group: str) -> list[str]:
    """The questions `group` may break its results down by: its own select_one questions
    (the rule of the results pages and `analysis.results`)."""
    return [
        q.name
        for q in survey.questionnaire.questions_of_group(group)
        if q.type is QuestionType.SELECT_ONE
    ]


def breakdowns_of(db: Database, survey: PublishedSurvey, group: str) -> tuple[str, ...]:
    """The stored breakdowns of `group` for `survey`'s series that this version still
    offers, in their order (a question dropped by a later wave is skipped)."""
    with db.read() as session:
        row = session.get(BreakdownSelection, (group, series_of(survey)))
        stored = list(row.questions) if row is not None else []
    offered = set(breakdown_choices(survey, group))
    return tuple(name for name in stored if name in offered)


def breakdowns_set(
    db: Database, *, actor: str, survey: PublishedSurvey, group: str, questions: Sequence[str]
) -> tuple[str, ...]:
    """Store `questions` (in order, duplicates dropped; empty clears the selection) as
    `group`'s breakdowns for `survey`'s series, audited in the same transaction.
    Raises `Invalid` for more than `MAX_BREAKDOWNS` or a question not offered."""
    chosen = tuple(dict.fromkeys(questions))
    if len(chosen) > MAX_BREAKDOWNS:
        raise Invalid(
            TOO_MANY_BREAKDOWNS, code="too_many_breakdowns", values={"max": MAX_BREAKDOWNS}
        )
    offered = set(breakdown_choices(survey, group))
    for name in chosen:
        if name not in offered:
            raise Invalid(NOT_A_BREAKDOWN, code="not_a_breakdown", values={"by": name})
    series = series_of(survey)
    with db.write() as session:
        row = session.get(BreakdownSelection, (group, series))
        if row is None:
            row = BreakdownSelection(group_id=group, series=series, questions=[], changed_by=actor)
        row.questions, row.changed_by, row.changed_at = list(chosen), actor, utc_now()
        session.add(row)
        audit_record(
            session,
            actor=actor,
            action="breakdowns_set",
            detail={
                "group": group,
                "series": series,
                "survey": survey.id,
                "questions": list(chosen),
            },
        )
    return chosen
