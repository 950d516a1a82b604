"""The office's review of responses: a status per response, kept with its history.

`received` (every response starts so), `approved`, or `excluded` with a reason (a test
answer left in, a duplicate, junk). Excluded responses never count: releases leave them
out (the next release is audited for the difference, see `services.releases`), and so
do live results and group exports. The answers themselves stay as given (editing them
is deliberately not offered), and excluding is reversible. Every change is
a `ReviewEvent` and an audit entry, in the transaction of the change.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy
from sqlalchemy import update
from sqlmodel import col, select

from survey_app.db.engine import Database
from survey_app.db.tables import ReviewEvent, Submission, SurveyVersion
from survey_app.errors import Invalid, NotFound, UnknownSurvey
from survey_app.i18n import S_
from survey_app.questionnaire.rules import is_empty
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType
from survey_app.services.audit import audit_record
from survey_app.services.published import get_survey
from survey_app.services.surveys import WITHOUT_DEFINITION, questionnaire_of
from survey_app.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

    from analysis.quality import Thresholds

__all__ = [
    "ORDERS",
    "STATUSES",
    "ResponseView",
    "ReviewPage",
    "ReviewRefused",
    "Selection",
    "response_view",
    "responses_review",
    "responses_set_status",
    "responses_set_status_selected",
    "review_history",
    "thresholds_of",
]

STATUSES = ("received", "approved", "excluded")
ORDERS = ("arrival", "newest", "fastest")
MAX_REASON = 500
PAGE_SIZE = 50
NAMED_IN_AUDIT = 20
"""A status change of at most this many responses names them in the audit log (a bulk
change of more says how many)."""


class ReviewRefused(Invalid):
    """A status change that cannot be made; the message says why."""


def responses_set_status(
    db: Database,
    survey_id: str,
    submission_pks: Collection[int],
    *,
    status: str,
    reason: str = "",
    actor: str,
) -> int:
    """Set the status of responses of a survey (all or nothing); how many changed.

    An exclusion needs a reason. The audit entry names the responses changed (their
    numbers, as on the review pages) when they are at most `NAMED_IN_AUDIT`, and never
    the reason (the audit log is kept after `purge`). Raises `ReviewRefused`."""
    if status not in STATUSES:
        raise ReviewRefused(
            S_("Unknown status '%(status)s': one of %(statuses)s."),
            values={"status": status, "statuses": ", ".join(STATUSES)},
        )
    reason = reason.strip()[:MAX_REASON]
    if status == "excluded" and not reason:
        raise ReviewRefused(S_("Please say why the responses are excluded."))
    wanted = sorted(set(submission_pks))
    if not wanted:
        return 0
    with db.write() as session:
        found = session.execute(
            select(col(Submission.id), col(Submission.status)).where(
                col(Submission.survey_id) == survey_id, col(Submission.id).in_(wanted)
            )
        ).all()
        if len(found) != len(wanted):
            raise ReviewRefused(
                S_("Not every response named belongs to survey '%(survey)s'."),
                values={"survey": survey_id},
            )
        changing = [int(pk) for pk, current in found if current != status]
        if not changing:
            return 0
        session.execute(
            update(Submission).where(col(Submission.id).in_(changing)).values(status=status)
        )
        for pk in changing:
            session.add(
                ReviewEvent(
                    submission_pk=pk, survey_id=survey_id, actor=actor, status=status, reason=reason
                )
            )
        detail: dict[str, object] = {"survey": survey_id, "responses": len(changing)}
        if len(changing) <= NAMED_IN_AUDIT:
            detail["ids"] = sorted(changing)
        audit_record(session, actor=actor, action=f"responses_{status}", detail=detail)
    return len(changing)


def review_history(db: Database, submission_pk: int) -> list[ReviewEvent]:
    """The status changes of one response, oldest first."""
    with db.read() as session:
        return list(
            session.exec(
                select(ReviewEvent)
                .where(ReviewEvent.submission_pk == submission_pk)
                .order_by(col(ReviewEvent.id))
            ).all()
        )


# -- reading: the office's table of responses -----------------------------------------


def thresholds_of(settings: Settings) -> Thresholds:
    """The quality thresholds in force (`SURVEY_QUALITY_*`)."""
    from analysis.quality import Thresholds

    return Thresholds(
        fast_minutes=settings.quality_fast_minutes,
        unanswered_percent=settings.quality_unanswered_percent,
        straightlined=settings.quality_straightlined,
        burst=settings.quality_burst,
    )


@dataclass(frozen=True)
class Selection:
    """Which responses the office looks at; empty fields select everything."""

    status: str = ""
    flag: str = ""
    """One flag of `analysis.quality.FLAGS`, "any" (at least one) or "" (all)."""
    language: str = ""
    version: int | None = None
    order: str = "arrival"

    def query(self) -> dict[str, str]:
        """The selection as URL query parameters (only those set)."""
        pairs = {
            "status": self.status,
            "flag": self.flag,
            "language": self.language,
            "version": "" if self.version is None else str(self.version),
            "order": "" if self.order == "arrival" else self.order,
        }
        return {name: value for name, value in pairs.items() if value}


@dataclass(frozen=True)
class ReviewRow:
    pk: int
    submitted_on: datetime.date
    version: int
    language: str
    status: str
    minutes: int | None
    unanswered_share: int
    flags: tuple[str, ...]


@dataclass(frozen=True)
class ReviewPage:
    """One page of the selected responses, with counts for the filters."""

    survey: str
    title: str
    selection: Selection
    rows: list[ReviewRow]
    selected: int
    page: int
    pages: int
    responses: int
    statuses: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)
    languages: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)


def _signals(db: Database, survey_id: str) -> pd.DataFrame:
    """Every response of a survey with its stored signals, in arrival order."""
    import pandas as pd

    names = (
        "pk",
        "submitted_on",
        "version",
        "language",
        "status",
        "minutes",
        "unanswered_share",
        "likert_same",
        "crowd",
        "answers_hash",
    )
    with db.read() as session:
        rows = session.execute(
            sqlalchemy.select(
                col(Submission.id),
                col(Submission.created_on),
                col(SurveyVersion.number),
                col(Submission.language),
                col(Submission.status),
                col(Submission.minutes),
                col(Submission.unanswered),
                col(Submission.likert_same),
                col(Submission.crowd),
                col(Submission.answers_hash),
            )
            .join(SurveyVersion, col(SurveyVersion.id) == col(Submission.version_id))
            .where(col(Submission.survey_id) == survey_id)
            .order_by(col(Submission.id))
        ).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=list(names))


def _flagged(db: Database, survey_id: str, thresholds: Thresholds) -> pd.DataFrame:
    from analysis.quality import flag_responses

    return flag_responses(_signals(db, survey_id), thresholds)


def _select(frame: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    from analysis.quality import FLAGS

    keep = frame
    if selection.status:
        keep = keep[keep["status"] == selection.status]
    if selection.flag == "any":
        keep = keep[keep["flags"] != ""]
    elif selection.flag in FLAGS:
        keep = keep[keep[selection.flag]]
    if selection.language:
        keep = keep[keep["language"] == selection.language]
    if selection.version is not None:
        keep = keep[keep["version"] == selection.version]
    if selection.order == "newest":
        keep = keep.iloc[::-1]
    elif selection.order == "fastest":
        # Responses without a time (sent through the API) come last.
        keep = keep.sort_values(["minutes", "pk"], na_position="last", kind="stable")
    return keep


def responses_review(
    db: Database,
    survey_id: str,
    selection: Selection,
    thresholds: Thresholds,
    *,
    page: int = 1,
) -> ReviewPage:
    """One page (of `PAGE_SIZE`) of a survey's responses as selected. Raises
    `UnknownSurvey`."""
    import pandas as pd

    from analysis.quality import FLAGS

    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    frame = _flagged(db, survey_id, thresholds)
    chosen = _select(frame, selection)
    pages = max(math.ceil(len(chosen) / PAGE_SIZE), 1)
    page = min(max(page, 1), pages)
    shown = chosen.iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    records = cast(list[dict[str, Any]], shown.astype(object).to_dict("records"))
    rows = [
        ReviewRow(
            pk=int(row["pk"]),
            submitted_on=row["submitted_on"],
            version=int(row["version"]),
            language=str(row["language"]),
            status=str(row["status"]),
            minutes=None if pd.isna(row["minutes"]) else int(row["minutes"]),
            unanswered_share=int(row["unanswered_share"]),
            flags=tuple(str(row["flags"]).split()),
        )
        for row in records
    ]
    questionnaire = survey.questionnaire
    return ReviewPage(
        survey=survey_id,
        title=questionnaire.text(questionnaire.title, questionnaire.default_language),
        selection=selection,
        rows=rows,
        selected=len(chosen),
        page=page,
        pages=pages,
        responses=len(frame),
        statuses={s: int((frame["status"] == s).sum()) for s in STATUSES},
        flags={flag: int(frame[flag].sum()) for flag in FLAGS},
        languages=sorted(set(frame["language"])),
        versions=sorted({int(v) for v in frame["version"]}),
    )


def responses_set_status_selected(
    db: Database,
    survey_id: str,
    selection: Selection,
    thresholds: Thresholds,
    *,
    status: str,
    reason: str = "",
    actor: str,
) -> int:
    """`responses_set_status` for every response the selection holds now (all pages)."""
    chosen = _select(_flagged(db, survey_id, thresholds), selection)
    pks = [int(pk) for pk in chosen["pk"]]
    return responses_set_status(db, survey_id, pks, status=status, reason=reason, actor=actor)


# -- one response -----------------------------------------------------------------------


@dataclass(frozen=True)
class ShownAnswer:
    name: str
    label: str
    answer: str
    """The answer in the survey's labels; "" when left empty."""
    asked: bool


@dataclass(frozen=True)
class ResponseView:
    survey: str
    pk: int
    submitted_on: datetime.date
    version: int
    language: str
    status: str
    minutes: int | None
    unanswered_share: int
    answers: list[ShownAnswer]
    history: list[ReviewEvent]


def response_view(db: Database, survey_id: str, pk: int, *, actor: str) -> ResponseView:
    """One response in the labels of the version it answered (the survey's default
    language), with its review history; the view is audited in the same transaction.
    Raises `NotFound` when the survey has no such response."""
    with db.write() as session:
        found = session.execute(
            select(Submission, SurveyVersion)
            .options(WITHOUT_DEFINITION)
            .join(SurveyVersion, col(SurveyVersion.id) == col(Submission.version_id))
            .where(col(Submission.id) == pk, col(Submission.survey_id) == survey_id)
        ).first()
        if found is None:
            raise NotFound(
                S_("Survey '%(survey)s' has no response %(number)s."),
                values={"survey": survey_id, "number": pk},
            )
        row, version = found
        questionnaire = questionnaire_of(version)
        history = list(
            session.exec(
                select(ReviewEvent)
                .where(ReviewEvent.submission_pk == pk)
                .order_by(col(ReviewEvent.id))
            ).all()
        )
        audit_record(
            session,
            actor=actor,
            action="response_viewed",
            detail={"survey": survey_id, "response": pk},
        )
        view = ResponseView(
            survey=survey_id,
            pk=pk,
            submitted_on=row.created_on,
            version=version.number,
            language=row.language,
            status=row.status,
            minutes=row.minutes,
            unanswered_share=row.unanswered,
            answers=_shown_answers(questionnaire, json.loads(row.answers)),
            history=history,
        )
        session.flush()  # the audit entry, before the events are detached for the page
        session.expunge_all()
    return view


def _shown_answers(questionnaire: Questionnaire, answers: dict[str, object]) -> list[ShownAnswer]:
    """Every question a respondent answers, with the answer as the office reads it; a
    repeat as its number of entries, then each entry's answers (`members[2].age`,
    labelled "Person 2 · Age")."""
    from survey_app.questionnaire.rules import check_answers

    relevant = check_answers(questionnaire, answers).relevant
    return _answers_shown(questionnaire, questionnaire.iter_questions(), answers, relevant)


def _answers_shown(
    questionnaire: Questionnaire,
    questions: Iterable[Question],
    answers: Mapping[str, object],
    relevant: Collection[str],
    prefix: str = "",
    label_prefix: str = "",
) -> list[ShownAnswer]:
    language = questionnaire.default_language
    shown = []
    for question in questions:
        if not question.takes_answer:
            continue
        value = answers.get(question.name)
        label = label_prefix + questionnaire.text(question.label, language)
        labels = {
            c.name: questionnaire.text(c.label, language)
            for c in questionnaire.choices_of(question)
        }
        entries = (
            [entry for entry in value if isinstance(entry, Mapping)]
            if question.type is QuestionType.REPEAT and isinstance(value, list)
            else []
        )
        if is_empty(value):
            text = ""
        elif question.type is QuestionType.REPEAT:
            text = str(len(entries))
        elif question.type is QuestionType.SELECT_MULTIPLE and isinstance(value, list):
            text = "; ".join(labels.get(str(v), str(v)) for v in value)
        elif question.type is QuestionType.RANK and isinstance(value, list):
            text = "; ".join(f"{n}. {labels.get(str(v), str(v))}" for n, v in enumerate(value, 1))
        elif question.type is QuestionType.SELECT_ONE:
            text = labels.get(str(value), str(value))
        else:
            text = str(value)
        path = prefix + question.name
        shown.append(ShownAnswer(name=path, label=label, answer=text, asked=path in relevant))
        for position, entry in enumerate(entries, 1):
            shown += _answers_shown(
                questionnaire,
                question.questions,
                entry,
                relevant,
                prefix=f"{path}[{position}].",
                label_prefix=f"{label} {position} · ",
            )
    return shown
