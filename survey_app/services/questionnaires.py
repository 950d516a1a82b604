"""Questionnaires in the browser: uploads checked as `survey-app check` checks files, kept
in the database until published (and afterwards, as the record of where a version came
from), published as new versions, and published versions written as XLSForms.

Every write opens one transaction and audits in it. An upload is never a published
survey: answering, results and exports only know published versions.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import Session, col, select

from survey_app.db.engine import Database
from survey_app.db.tables import QuestionnaireUpload, SurveyVersion
from survey_app.errors import Conflict, Invalid, NotFound
from survey_app.i18n import S_, StaffMessage, catalogue_languages, ui_text
from survey_app.questionnaire.check import check_upload
from survey_app.questionnaire.errors import Problem, ProblemCode, Severity
from survey_app.questionnaire.schema import Questionnaire
from survey_app.questionnaire.xlsform import export_xlsform
from survey_app.services.audit import audit_record
from survey_app.services.groups import group_ids
from survey_app.services.published import PublishedSurvey
from survey_app.services.surveys import WITHOUT_DEFINITION, questionnaire_of, survey_publish
from survey_app.services.versions import BreakingChange, breaking_changes

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
"""The largest questionnaire file accepted (the newcomer survey's YAML is 250 KB)."""
BREAKING_NOT_CONFIRMED = S_(
    "This edition changes questions answered already. It can be published only as a new "
    "series; please confirm that."
)
HAS_ERRORS = S_("This questionnaire has errors and cannot be published.")
ALREADY_PUBLISHED = S_("This questionnaire is published already (version %(number)s).")
SAME_CONTENT = S_(
    "This questionnaire has the same content as the published version %(number)s; "
    "publishing would change nothing."
)
NO_UPLOAD = S_("There is no uploaded questionnaire %(id)s.")
NO_PREVIEW = S_("The uploaded questionnaire %(id)s has errors and no preview.")
NO_VERSION = S_("There is no version %(number)s of the survey “%(survey)s”.")
PUBLISHED_MEANWHILE = S_(
    "Another version of this survey was published just now. Please look at the check again."
)
KEPT_AS_ORIGIN = S_(
    "A published questionnaire is kept as the origin of its version and cannot be discarded."
)


@dataclass(frozen=True)
class Change:
    """A breaking change in plain words: which question, what happens to its answers."""

    question: str
    explanation: StaffMessage


@dataclass(frozen=True)
class UploadView:
    """One upload as its page shows it."""

    id: int
    filename: str
    actor: str
    uploaded_at: datetime.datetime
    survey_id: str | None
    questionnaire: Questionnaire | None
    problems: list[Problem]
    missing: dict[str, int]
    published_number: int | None
    """The version this upload became, once published."""
    newest_number: int | None
    """The survey's newest published version (None: a new survey)."""
    changes: list[Change]
    """Breaking changes against the newest published version."""
    same_as: int | None = None
    """The published version with exactly this content (publishing would change nothing)."""

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity is Severity.WARNING]

    @property
    def publishable(self) -> bool:
        return (
            self.questionnaire is not None
            and self.published_number is None
            and self.same_as is None
        )


@dataclass(frozen=True)
class VersionEntry:
    survey_id: str
    number: int
    series: int
    label: str
    published_on: datetime.date
    uploaded: bool


@dataclass(frozen=True)
class UploadSummary:
    """An upload waiting to be published, as the overview lists it."""

    id: int
    filename: str
    actor: str
    uploaded_at: datetime.datetime
    survey_id: str | None
    errors: int
    warnings: int


@dataclass(frozen=True)
class QuestionnairesOverview:
    uploads: list[UploadSummary]
    """Uploads not published yet, newest first."""
    versions: list[VersionEntry]
    """Every published version, by survey and newest first."""


def questionnaire_upload(db: Database, *, filename: str, data: bytes, actor: str) -> int:
    """Check an uploaded file and keep it with its report (also when it has errors, so the
    office sees them); returns the upload's id. Audited."""
    report = check_upload(
        filename,
        data,
        working_groups=group_ids(db),
        ui_languages=catalogue_languages(),
        max_bytes=MAX_UPLOAD_BYTES,
        translate=ui_text,
    )
    questionnaire = report.questionnaire
    upload = QuestionnaireUpload(
        actor=actor,
        filename=report.filename,
        survey_id=questionnaire.id if questionnaire else None,
        definition=questionnaire.to_definition() if questionnaire else None,
        report={
            "problems": [_problem_json(problem) for problem in report.problems],
            "missing": report.missing,
        },
    )
    with db.write() as session:
        session.add(upload)
        session.flush()
        assert upload.id is not None
        audit_record(
            session,
            actor=actor,
            action="questionnaire_upload",
            detail={
                "upload": upload.id,
                "file": report.filename,
                "survey": upload.survey_id,
                "errors": len(report.errors),
            },
        )
        return upload.id


def upload_view(db: Database, upload_id: int) -> UploadView:
    """An upload with its report and what publishing it would change."""
    with db.read() as session:
        return _view(session, _upload(session, upload_id))


def upload_questionnaire(db: Database, upload_id: int) -> Questionnaire:
    """The questionnaire of an upload without errors (for its preview)."""
    with db.read() as session:
        upload = _upload(session, upload_id)
        if upload.definition is None:
            raise NotFound(NO_PREVIEW, values={"id": upload_id})
        return Questionnaire.model_validate(upload.definition)


def questionnaires_overview(db: Database) -> QuestionnairesOverview:
    """Uploads waiting to be published, and every published version."""
    with db.read() as session:
        pending = session.exec(
            select(QuestionnaireUpload)
            .options(defer(cast(QueryableAttribute[Any], QuestionnaireUpload.definition)))
            .where(col(QuestionnaireUpload.version_id).is_(None))
            .order_by(col(QuestionnaireUpload.id).desc())
        ).all()
        uploaded = set(
            session.exec(
                select(QuestionnaireUpload.version_id).where(
                    col(QuestionnaireUpload.version_id).is_not(None)
                )
            ).all()
        )
        versions = session.exec(
            select(SurveyVersion)
            .options(WITHOUT_DEFINITION)
            .order_by(col(SurveyVersion.survey_id), col(SurveyVersion.number).desc())
        ).all()
        return QuestionnairesOverview(
            uploads=[_summary(upload) for upload in pending],
            versions=[
                VersionEntry(
                    v.survey_id,
                    v.number,
                    v.series,
                    v.label,
                    v.published_at.date(),
                    v.id in uploaded,
                )
                for v in versions
            ],
        )


def upload_publish(
    db: Database, upload_id: int, *, actor: str, new_series: bool = False
) -> PublishedSurvey:
    """Publish an upload as the survey's next version, in one transaction with its audit.

    Refused when it has errors or is published already, and when it changes questions
    that were answered before (renamed in place, another type) unless `new_series`
    confirms that it starts a new series."""
    try:
        return _publish_upload(db, upload_id, actor=actor, new_series=new_series)
    except IntegrityError:
        # Another admin (or a starting process) published a version of the survey at the
        # same moment; its number is taken: the office looks at the new state first.
        raise Conflict(PUBLISHED_MEANWHILE) from None


def _publish_upload(
    db: Database, upload_id: int, *, actor: str, new_series: bool
) -> PublishedSurvey:
    with db.write() as session:
        upload = _upload(session, upload_id)
        view = _view(session, upload)
        if view.published_number is not None:
            raise Conflict(ALREADY_PUBLISHED, values={"number": view.published_number})
        if view.questionnaire is None:
            raise Invalid(HAS_ERRORS)
        if view.same_as is not None:
            raise Conflict(SAME_CONTENT, values={"number": view.same_as})
        if view.changes and not new_series:
            raise Conflict(BREAKING_NOT_CONFIRMED, code="breaking_change")
        published = survey_publish(
            session, view.questionnaire, new_series=bool(view.changes) and new_series
        )
        upload.version_id = published.version_id
        session.add(upload)
        audit_record(
            session,
            actor=actor,
            action="questionnaire_publish",
            detail={
                "upload": upload_id,
                "survey": published.id,
                "version": published.number,
                "new_series": bool(view.changes) and new_series,
            },
        )
        return published


def upload_discard(db: Database, upload_id: int, *, actor: str) -> None:
    """Delete an upload that was not published (a failed attempt, say). Audited."""
    with db.write() as session:
        upload = _upload(session, upload_id)
        if upload.version_id is not None:
            raise Conflict(KEPT_AS_ORIGIN)
        session.delete(upload)
        audit_record(
            session,
            actor=actor,
            action="questionnaire_discard",
            detail={"upload": upload_id, "file": upload.filename, "survey": upload.survey_id},
        )


def version_xlsform(db: Database, survey_id: str, number: int, *, actor: str) -> bytes:
    """A published version as an XLSForm workbook (for translators). Audited."""
    with db.write() as session:
        version = session.exec(
            select(SurveyVersion).where(
                SurveyVersion.survey_id == survey_id, SurveyVersion.number == number
            )
        ).first()
        if version is None:
            raise NotFound(NO_VERSION, values={"number": number, "survey": survey_id})
        workbook = export_xlsform(questionnaire_of(version))
        audit_record(
            session,
            actor=actor,
            action="questionnaire_download",
            detail={"survey": survey_id, "version": number},
        )
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def _summary(upload: QuestionnaireUpload) -> UploadSummary:
    assert upload.id is not None
    severities = [entry.get("severity") for entry in upload.report.get("problems", [])]
    return UploadSummary(
        id=upload.id,
        filename=upload.filename,
        actor=upload.actor,
        uploaded_at=upload.uploaded_at,
        survey_id=upload.survey_id,
        errors=severities.count(Severity.ERROR.value),
        warnings=severities.count(Severity.WARNING.value),
    )


def _upload(session: Session, upload_id: int) -> QuestionnaireUpload:
    upload = session.get(QuestionnaireUpload, upload_id)
    if upload is None:
        raise NotFound(NO_UPLOAD, values={"id": upload_id})
    return upload


def _view(session: Session, upload: QuestionnaireUpload) -> UploadView:
    assert upload.id is not None
    questionnaire = (
        Questionnaire.model_validate(upload.definition) if upload.definition is not None else None
    )
    newest = None
    if upload.survey_id is not None:
        newest = session.exec(
            select(SurveyVersion)
            .where(SurveyVersion.survey_id == upload.survey_id)
            .order_by(col(SurveyVersion.number).desc())
        ).first()
    published_number = None
    if upload.version_id is not None:
        published = session.get(SurveyVersion, upload.version_id)
        published_number = published.number if published else None
    changes: list[Change] = []
    same_as = None
    if questionnaire is not None and newest is not None and published_number is None:
        same = session.exec(
            select(SurveyVersion.number).where(
                SurveyVersion.survey_id == questionnaire.id,
                SurveyVersion.content_hash == questionnaire.content_hash,
            )
        ).first()
        same_as = int(same) if same is not None else None
        before = questionnaire_of(newest)
        changes = [
            _in_plain_words(change, before, questionnaire)
            for change in breaking_changes(before, questionnaire)
        ]
    return UploadView(
        id=upload.id,
        filename=upload.filename,
        actor=upload.actor,
        uploaded_at=upload.uploaded_at,
        survey_id=upload.survey_id,
        questionnaire=questionnaire,
        problems=[_problem_of(entry) for entry in upload.report.get("problems", [])],
        missing=dict(upload.report.get("missing", {})),
        published_number=published_number,
        newest_number=newest.number if newest else None,
        changes=changes,
        same_as=same_as,
    )


def _in_plain_words(change: BreakingChange, before: Questionnaire, after: Questionnaire) -> Change:
    """What a breaking change does to the answers, said for the office."""
    _pages, page_index, _questions, index, what = change.path
    assert isinstance(page_index, int)
    assert isinstance(index, int)
    question = after.pages[page_index].questions[index]
    if what == "type":
        old = before.questions[question.name]
        return Change(
            question.name,
            StaffMessage(
                S_(
                    "The question “%(question)s” has another kind of answer (%(old)s → "
                    "%(new)s): old and new answers would be mixed up in the results."
                ),
                {"question": question.name, "old": old.type.value, "new": question.type.value},
            ),
        )
    replaced = before.pages[page_index].questions[index].name
    return Change(
        question.name,
        StaffMessage(
            S_(
                "The question “%(question)s” stands in the place of “%(replaced)s” (renamed?): "
                "its answers would be counted apart in the results instead of together."
            ),
            {"question": question.name, "replaced": replaced},
        ),
    )


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "location": problem.location,
        "message": problem.message,
        "severity": problem.severity.value,
        "code": problem.code.value if problem.code else None,
    }


def _problem_of(entry: Mapping[str, Any]) -> Problem:
    try:
        code = ProblemCode(entry["code"]) if entry.get("code") else None
    except ValueError:  # a code renamed since the upload was checked
        code = None
    return Problem(
        str(entry["location"]),
        str(entry["message"]),
        Severity(entry.get("severity", "error")),
        code,
    )
