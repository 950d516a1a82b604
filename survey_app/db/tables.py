"""The tables, as SQLModel classes; Alembic migrations in `migrations/` create them.

Answer storage: each submission keeps its answers as one canonical JSON text (sorted
keys, compact) plus a SHA-256 of that text. The text is what was acknowledged, byte for
byte, so a replay is recognised by comparing hashes, and a removed or renamed question
stays readable in old submissions because nothing depends on a per-question column.
Results read many rows at once: `analysis` parses the JSON texts in one vectorised pass
(JSON lines through pandas' C parser) and caches the frame per survey version, appending
only submissions newer than the cache, so a million responses stay within seconds
without a column per question (which would need a migration per questionnaire change).
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Table, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Survey(SQLModel, table=True):
    __tablename__ = "survey"

    id: str = Field(primary_key=True, max_length=100)
    is_open: bool = True
    created_at: datetime.datetime = Field(default_factory=utc_now)


class SurveyVersion(SQLModel, table=True):
    """A questionnaire as it was published; submissions point at the version they answered."""

    __tablename__ = "survey_version"
    __table_args__ = (
        UniqueConstraint("survey_id", "content_hash"),
        UniqueConstraint("survey_id", "number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: str = Field(foreign_key="survey.id", index=True, max_length=100)
    number: int
    label: str = Field(max_length=100)
    content_hash: str = Field(max_length=64)
    series: int = 1
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    published_at: datetime.datetime = Field(default_factory=utc_now)


class Submission(SQLModel, table=True):
    """One acknowledged response. Only the date is kept, never the time or the sender."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("survey_id", "submission_id"),
        # What identifies a version's counted answers (`results_cache.stored_answers`,
        # asked by every live results view) counts its excluded rows: with the version in
        # the status index that is a seek; SQLite, without statistics, otherwise went
        # through the version's index and read every row's status.
        Index("ix_submission_status_version", "status", "version_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: str = Field(foreign_key="survey.id", index=True, max_length=100)
    version_id: int = Field(foreign_key="survey_version.id", index=True)
    submission_id: str = Field(max_length=100)
    language: str = Field(max_length=16)
    answers: str = Field(sa_column=Column(Text, nullable=False))
    answers_hash: str = Field(max_length=64)
    created_on: datetime.date
    status: str = Field(
        default="received",
        max_length=16,
        sa_column_kwargs={"server_default": "received"},
    )
    """The office's review: received, approved, or excluded (never counted)."""
    # Quality signals, computed on arrival (`survey_app.questionnaire.quality`,
    # `services.submissions`); flags are derived from them with the thresholds in force
    # when the office looks (`analysis.quality`), so changing a threshold needs no rewrite.
    minutes: int | None = None
    """Whole minutes from the draft's first save to sending (None: no draft, e.g. API)."""
    unanswered: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Share of the questions asked that were left empty, in percent."""
    likert_same: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """How many rating-scale answers all sit at the same position (0 if they differ)."""
    crowd: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """The how-many-th submission of the survey within its arrival window (1 starts a
    window), counted in `ArrivalWindow` without storing any time or address."""
    demo: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    """Synthetic (`survey-app demo`): never in a release made in production, and
    removable (`survey-app demo SURVEY --remove`)."""


class ReviewEvent(SQLModel, table=True):
    """A change of a response's review status: who, when, to what, and why (the reason
    is for the office only; working groups never see it)."""

    __tablename__ = "review_event"

    id: int | None = Field(default=None, primary_key=True)
    submission_pk: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    survey_id: str = Field(max_length=100, index=True)
    at: datetime.datetime = Field(default_factory=utc_now)
    actor: str = Field(max_length=254)
    status: str = Field(max_length=16)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))


class Draft(SQLModel, table=True):
    """Answers of a respondent who has not submitted yet; never counted in results."""

    __tablename__ = "draft"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    resume_code_hash: str | None = Field(default=None, max_length=64, unique=True)
    survey_id: str = Field(foreign_key="survey.id", index=True, max_length=100)
    version_id: int = Field(foreign_key="survey_version.id")
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    language: str = Field(max_length=16)
    page: int = 0
    answers: str = Field(sa_column=Column(Text, nullable=False))
    updated_on: datetime.date
    expires_on: datetime.date = Field(index=True)
    started_at: datetime.datetime | None = None
    """The first save, to the minute: the response's time to complete (a quality signal);
    deleted with the draft."""


class ArrivalWindow(SQLModel, table=True):
    """How many submissions a survey received in the current short window (bursts).

    Only a counter per survey and window number; rows of past windows are deleted when
    a new window starts, so no arrival time outlives its window."""

    __tablename__ = "arrival_window"

    survey_id: str = Field(primary_key=True, max_length=100)
    window: int = Field(primary_key=True)
    count: int = 0


class Invitation(SQLModel, table=True):
    """A personal link; only the SHA-256 of its token is stored."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: str = Field(foreign_key="survey.id", index=True, max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=200)
    created_at: datetime.datetime = Field(default_factory=utc_now)
    used_on: datetime.date | None = None
    submission_pk: int | None = Field(default=None, foreign_key="submission.id")


class Recipient(SQLModel, table=True):
    """Whom the office invites by e-mail to an invitation survey, and how far that got.

    The personal link is not stored: its token is derived again from the app's secret
    and `nonce` for a reminder (`services.mailing`), and only its hash is in
    `Invitation`. Pages show whether the link was used, never which response it gave.
    Contact data is deleted by `survey-app purge --contacts SURVEY` and at retention."""

    __tablename__ = "recipient"
    __table_args__ = (UniqueConstraint("survey_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: str = Field(foreign_key="survey.id", index=True, max_length=100)
    invitation_id: int = Field(foreign_key="invitation.id", ondelete="CASCADE")
    nonce: str = Field(max_length=64)
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=200)
    language: str = Field(default="", max_length=16)
    status: str = Field(default="created", max_length=16)
    """created, sent, reminded or failed (the link's use is read from the invitation)."""
    sent_on: datetime.date | None = None
    reminded_on: datetime.date | None = None
    error: str = Field(default="", max_length=500)
    claimed_at: datetime.datetime | None = None
    """When a sending run took this recipient's letter; another run leaves it alone until
    the first has written the outcome (or for `services.mailing.CLAIM_MINUTES`)."""


class QuestionnaireUpload(SQLModel, table=True):
    """A questionnaire file uploaded in the browser (`/admin/questionnaires`): its check
    report, and the questionnaire itself when it has no errors, kept in the database so
    that previews and publishing survive restarts. `version_id` is set when it is
    published; the directory of questionnaire files never replaces a version published
    from here (`services.surveys.publish_directory`)."""

    __tablename__ = "questionnaire_upload"

    id: int | None = Field(default=None, primary_key=True)
    uploaded_at: datetime.datetime = Field(default_factory=utc_now)
    actor: str = Field(max_length=254)
    filename: str = Field(max_length=255)
    survey_id: str | None = Field(default=None, max_length=100, index=True)
    definition: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """The checked questionnaire (`Questionnaire.to_definition()`); None when it has errors."""
    report: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The check: {"problems": [{location, message, severity, code}], "missing": {lang: n}}."""
    version_id: int | None = Field(default=None, foreign_key="survey_version.id")


class Release(SQLModel, table=True):
    """Results of a survey as published to working groups: which responses count (per
    version, every id up to `boundaries[version_id]`), and every number shown, audited
    (`analysis.publication.Publication` as JSON). Kept for good: a later release is
    audited against exactly what earlier ones showed."""

    __tablename__ = "result_release"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: str = Field(foreign_key="survey.id", index=True, max_length=100)
    number: int
    released_at: datetime.datetime = Field(default_factory=utc_now)
    actor: str = Field(max_length=254)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    version_id: int = Field(foreign_key="survey_version.id")
    """The questionnaire version whose questions and labels the release shows."""
    responses: int
    boundaries: dict[str, int] = Field(sa_column=Column(JSON, nullable=False))
    excluded: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    """Responses within the boundaries that the release left out: {"ids": [...],
    "reasons": {reason: count}} (the ids, so later releases know what this one counted).
    `purge` replaces the reasons by {"reason_counts": [count, ...]}: their texts go with
    the responses."""
    publication: str = Field(sa_column=Column(Text, nullable=False))
    texts: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    """Free-text answers the release shows, frozen (`services.released.ReleasedTexts`): per
    question the office's categories and the answers it selected, as reviewed then."""

    @property
    def edges(self) -> dict[int, int]:
        """`boundaries` with whole-number keys (JSON keeps them as strings)."""
        return {int(version_id): int(last) for version_id, last in self.boundaries.items()}

    @property
    def excluded_ids(self) -> set[int]:
        return {int(pk) for pk in (self.excluded or {}).get("ids", [])}

    def counts(self, version_id: int, submission_id: int) -> bool:
        """Whether this release counted the submission `submission_id` of `version_id`."""
        within = submission_id <= self.edges.get(version_id, 0)
        return within and submission_id not in self.excluded_ids


class ReleaseJob(SQLModel, table=True):
    """A release the office started on the admin page, made in the background
    (`services.release_jobs`): its state is here so that every worker process can show
    it."""

    __tablename__ = "release_job"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: str = Field(foreign_key="survey.id", index=True, max_length=100)
    actor: str = Field(max_length=254)
    worker: str = Field(max_length=300)
    """Host and process id of the process making it: a job whose process is gone was
    interrupted."""
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    with_demo: bool = False
    started_at: datetime.datetime = Field(default_factory=utc_now)
    finished_at: datetime.datetime | None = None
    state: str = Field(default="running", max_length=20)
    """running, done (`number` is the release), refused (`message`) or failed."""
    number: int | None = None
    message: str = Field(default="", sa_column=Column(Text, nullable=False))
    """Why it was refused: a staff message (translated where shown) with `values`."""
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=200)
    is_admin: bool = False
    created_at: datetime.datetime = Field(default_factory=utc_now)


class UserGroup(SQLModel, table=True):
    """Membership of a user in a working group (ids from `working_groups.yaml`)."""

    __tablename__ = "user_group"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    group_id: str = Field(primary_key=True, max_length=100)


class AuditEvent(SQLModel, table=True):
    """Who did what when: logins, user changes, exports, purges. Never answers or IPs."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime.datetime = Field(default_factory=utc_now, index=True)
    actor: str = Field(max_length=254)
    action: str = Field(max_length=64)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


def core_table(model: type[SQLModel]) -> Table:
    """The Core table of a model, for statements on hot paths that skip the ORM's
    per-row bookkeeping (the submission insert)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


class WorkingGroupRow(SQLModel, table=True):
    """A working group as published with the questionnaires (`working_groups.yaml`):
    what every page, the API and the CLI read (`services.groups`), so that a file edited
    while the app runs changes nothing until it is published again."""

    __tablename__ = "working_group"

    id: str = Field(primary_key=True, max_length=100)
    position: int
    name: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))


class DistrictSetting(SQLModel, table=True):
    """One field of the district profile as the office set it on `/admin/district`; it
    takes precedence over `district.yaml` beside the questionnaires (kept for teams that
    keep the profile in git), whose fields fill in what the office left empty."""

    __tablename__ = "district_setting"

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(sa_column=Column(Text, nullable=False))


class BreakdownSelection(SQLModel, table=True):
    """The breakdowns a working group chose for a series of surveys (the questionnaire's
    `series`, else the survey id, so the choice carries over to the next wave): question
    names in the order the report and the slides show them (at most three)."""

    __tablename__ = "breakdown_selection"

    group_id: str = Field(primary_key=True, max_length=100)
    series: str = Field(primary_key=True, max_length=100)
    questions: list[str] = Field(sa_column=Column(JSON, nullable=False))
    changed_by: str = Field(max_length=254)
    changed_at: datetime.datetime = Field(default_factory=utc_now)


class TextCategory(SQLModel, table=True):
    """A category the office defined for the free-text answers of one question ("Sprache",
    "Wohnen"): answers are tagged with categories, and released results count them."""

    __tablename__ = "text_category"
    __table_args__ = (UniqueConstraint("survey_id", "question", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: str = Field(foreign_key="survey.id", index=True, max_length=100)
    question: str = Field(max_length=100)
    label: str = Field(max_length=100)


class TextReview(SQLModel, table=True):
    """The office's review of one free-text answer: the text as it may be shown (names,
    numbers and places redacted), a German translation, its categories, and whether the
    next release shows it. The answer itself stays as given in `Submission.answers`."""

    __tablename__ = "text_review"
    __table_args__ = (UniqueConstraint("submission_pk", "question"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_pk: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    survey_id: str = Field(max_length=100, index=True)
    question: str = Field(max_length=100)
    text: str = Field(sa_column=Column(Text, nullable=False))
    translation: str = Field(default="", sa_column=Column(Text, nullable=False))
    categories: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    released: bool = False
    """Selected for release: shown by every release made from now on that counts it."""
    changed_by: str = Field(max_length=254)
    changed_at: datetime.datetime = Field(default_factory=utc_now)
