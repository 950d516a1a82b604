"""Storing submitted answers exactly once.

`submission_create` is the one way a respondent's response enters the database, for the
survey pages and for the JSON API alike. It checks the answers with the questionnaire's
rules, stores the cleaned answers as canonical JSON with their SHA-256 and their quality
signals (`NewSubmission.from_checked`, which demo data goes through too, see
`checked_submissions_create`), and lets the unique constraint
(survey_id, submission_id) decide between concurrent writers: the insert is optimistic
(`ON CONFLICT DO NOTHING`), and only when the id is taken is the stored row read, to
answer with it (a replay) or refuse (a conflict). All of it
happens in one write transaction, so a response is either wholly stored, with its
invitation marked used, or not at all; the caller acknowledges only after the commit,
which is durable (see `survey_app.db.engine`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Insert, bindparam, insert, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from survey_app.db.engine import Database
from survey_app.db.tables import (
    ArrivalWindow,
    Invitation,
    Submission,
    SurveyVersion,
    core_table,
)
from survey_app.errors import Conflict, DomainError, Forbidden, Invalid
from survey_app.i18n import N_, answer_error_message, translations
from survey_app.questionnaire.characters import CONTROL_CHARACTERS_IN_NAMES
from survey_app.questionnaire.quality import answer_quality
from survey_app.questionnaire.rules import CheckedAnswers, check_answers
from survey_app.services.invitations import token_hash
from survey_app.services.published import PublishedSurvey, SurveyChanged, is_newest, newest_version
from survey_app.services.surveys import WITHOUT_DEFINITION, questionnaire_of

MAX_SUBMISSION_ID = 100
MAX_INVITATION = 200

# Field messages, marked for the UI catalogues like the answer messages in `i18n`.
SUBMISSION_ID_MESSAGE = N_("A submission id of 1 to 100 characters is required.")
LANGUAGE_MESSAGE = N_("This language is not offered by the survey.")
ANSWERS_MESSAGE = N_("The answers must be an object of question names and values.")
INVITATION_MESSAGE = N_("The invitation must be text.")
INVITATION_REJECTED_MESSAGE = N_("This survey needs a valid, unused personal invitation link.")
SURVEY_CLOSED_MESSAGE = N_("This survey is closed and accepts no more answers.")
CONFLICT_MESSAGE = N_("This submission id was already used for different answers.")
VERSION_MESSAGE = N_("The version must be a whole number.")
UNKNOWN_VERSION_MESSAGE = N_("This survey has no version %(version)s.")
REPLACED_VERSION_MESSAGE = N_(
    "Version %(version)s of this survey was replaced by version %(current)s, which asks "
    "different questions. Please answer version %(current)s."
)
MAX_VERSION = 2**31 - 1  # the largest number the version column holds


@dataclass(frozen=True)
class SubmissionReceipt:
    """A stored submission; `created` is False for a replay. `id` is the row's, which
    counts every response stored: clients see a keyed hash of it instead."""

    id: int
    submission_id: str
    survey: str
    version: int
    created: bool


@dataclass(frozen=True)
class NewSubmission:
    """Checked answers ready to be stored as a `Submission` row (`from_checked`)."""

    survey_id: str
    version_id: int
    submission_id: str
    language: str
    answers: str
    answers_hash: str
    created_on: datetime.date
    unanswered: int = 0
    likert_same: int = 0
    minutes: int | None = None
    demo: bool = False

    @classmethod
    def from_checked(
        cls,
        survey: PublishedSurvey,
        checked: CheckedAnswers,
        *,
        submission_id: str,
        language: str,
        created_on: datetime.date,
        demo: bool = False,
    ) -> NewSubmission:
        """The row that stores answers which passed `check_answers` against `survey`'s
        questionnaire: the cleaned answers as canonical JSON, its hash and the quality
        signals. Every stored response is made here, a respondent's and a demo one alike,
        so the office's review treats them the same."""
        canonical = canonical_json(checked.answers)
        quality = answer_quality(survey.questionnaire, checked)
        return cls(
            survey_id=survey.id,
            version_id=survey.version_id,
            submission_id=submission_id,
            language=language,
            answers=canonical,
            answers_hash=answers_hash(canonical),
            created_on=created_on,
            unanswered=quality.unanswered,
            likert_same=quality.likert_same,
            demo=demo,
        )

    def row(self) -> dict[str, object]:
        # Every field is a scalar, so a shallow copy is the row; `asdict` copies deeply
        # and cost a quarter of a second per 10,000 demo responses.
        return dict(vars(self))


class SubmissionInvalid(Invalid):
    """The submission is refused; `errors` maps question or field names to messages."""

    code = "invalid_submission"
    errors: dict[str, str]

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"invalid submission: {', '.join(sorted(errors))}", errors=errors)


class SubmissionConflict(Conflict):
    """The submission id was already stored with different answers."""

    def __init__(self, message: str = CONFLICT_MESSAGE) -> None:
        super().__init__(message)


class InvitationRejected(Forbidden):
    """An invitation survey was answered without a valid, unused token for it;
    `unknown` when no invitation has the token (a guess), not when it was used."""

    def __init__(self, message: str = INVITATION_REJECTED_MESSAGE, *, unknown: bool) -> None:
        super().__init__(message)
        self.unknown = unknown


class SurveyClosed(Forbidden):
    """The survey was closed by an administrator."""

    def __init__(self, message: str = SURVEY_CLOSED_MESSAGE) -> None:
        super().__init__(message)


def canonical_json(answers: Mapping[str, object]) -> str:
    """The stored form of answers: sorted keys, compact, UTF-8 text kept as is."""
    return json.dumps(answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def answers_hash(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def submission_create(
    db: Database,
    *,
    survey: PublishedSurvey,
    submission_id: str,
    language: str,
    answers: Mapping[str, object],
    invitation_token: str | None = None,
    version: int | None = None,
    started_at: datetime.datetime | None = None,
    also: Callable[[Session], object] | None = None,
) -> SubmissionReceipt:
    """Store one response to the current version of `survey` (or to its earlier
    `version`, see `submission_create_from_json`), exactly once. `also` runs in the
    transaction that stores it (a draft's deletion, say): both commit, or neither.

    Raises `SubmissionInvalid` (nothing stored), `SubmissionConflict` (the id is taken by
    different answers, or `version` was replaced by a breaking change),
    `InvitationRejected` or `SurveyClosed`. A replay (same id, same cleaned answers)
    returns the stored receipt with `created=False`. `started_at` is when the
    respondent's draft was first saved (the time to complete is kept in minutes).
    """
    payload: dict[str, object] = {
        "submission_id": submission_id,
        "language": language,
        "answers": answers,
        "invitation": invitation_token,
    }
    if version is not None:
        payload["version"] = version
    return submission_create_from_json(
        db, survey=survey, payload=payload, started_at=started_at, also=also
    )


def submission_create_from_json(
    db: Database,
    *,
    survey: PublishedSurvey,
    payload: object,
    started_at: datetime.datetime | None = None,
    also: Callable[[Session], object] | None = None,
    remembered: bool = False,
) -> SubmissionReceipt:
    """`submission_create` for a decoded JSON body of the submission API.

    Every failing field and question is reported at once in `SubmissionInvalid.errors`.
    An optional `"version": N` names the version the client answered (offline clients
    collect answers for days): they are checked and stored as that version while it is
    in the newest version's series (no breaking change since); a version that does not
    exist is a `SubmissionInvalid`, one replaced by a breaking change a
    `SubmissionConflict`, both naming it.

    `remembered`: `survey` comes from `remembered_survey` and may be outdated. It is
    confirmed in the write transaction, and a refusal by reading the survey again;
    `SurveyChanged` when it is not the newest version any more (nothing stored).
    """
    fields = payload if isinstance(payload, dict) else {}
    confirm = survey if remembered else None
    try:
        if fields.get("version") is not None:
            requested = _requested_version(db, survey, fields)
            new, token = _checked_submission(requested, fields)
            return _stored_submission(
                db, requested, fields, _timed(new, started_at), token, also, confirm
            )
        answered = survey
        try:
            new, token = _checked_submission(survey, fields)
        except SubmissionInvalid:
            # A retry that arrives after a new version was published is judged by the
            # questionnaire it answered; only a refused submission needs the lookup.
            answered = _answered_version(db, survey, fields.get("submission_id"))
            if answered is survey:
                raise
            new, token = _checked_submission(answered, fields)
        return _stored_submission(
            db, answered, fields, _timed(new, started_at), token, also, confirm
        )
    except DomainError:
        # Refused by what an outdated version asks? Confirming costs a read, but only
        # for refusals, which are rare; a stored submission was confirmed in its write.
        if confirm is not None and not is_newest(confirm, _newest_version_of(db, survey.id)):
            raise SurveyChanged() from None
        raise


def _newest_version_of(db: Database, survey_id: str) -> Sequence[Any] | None:
    with db.read_connection() as connection:
        return newest_version(connection, survey_id)


def checked_submissions_create(
    db: Database, new_submissions: Iterable[NewSubmission], *, chunk: int = 10_000
) -> int:
    """Store many responses whose answers were checked already (`NewSubmission.from_checked`),
    `chunk` rows per transaction; returns how many. For demo data: unlike
    `submission_create` this neither replays nor refuses (closed survey, invitation), and
    counts no arrival window, so every submission id must be new (a duplicate fails the
    whole chunk)."""
    stored = 0
    rows: list[dict[str, object]] = []
    for new in new_submissions:
        rows.append(new.row())
        if len(rows) == chunk:
            stored += _insert_rows(db, rows)
            rows = []
    if rows:
        stored += _insert_rows(db, rows)
    return stored


def _insert_rows(db: Database, rows: list[dict[str, object]]) -> int:
    with db.write() as session:
        session.execute(insert(core_table(Submission)), rows)
    return len(rows)


def _timed(new: NewSubmission, started_at: datetime.datetime | None) -> NewSubmission:
    """`new` with its time to complete in whole minutes (coarse on purpose)."""
    if started_at is None:
        return new
    if started_at.tzinfo is None:
        started_at = started_at.replace(tzinfo=datetime.UTC)
    seconds = (datetime.datetime.now(datetime.UTC) - started_at).total_seconds()
    return replace(new, minutes=max(int(seconds // 60), 0))


def _stored_submission(
    db: Database,
    survey: PublishedSurvey,
    fields: Mapping[str, object],
    new: NewSubmission,
    token: str | None,
    also: Callable[[Session], object] | None,
    confirm: PublishedSurvey | None = None,
) -> SubmissionReceipt:
    needs_invitation = survey.questionnaire.audience == "invitation"
    hashed_token = token_hash(token) if needs_invitation and token else None
    with db.write() as session:
        receipt = _store(session, survey, fields, new, hashed_token, needs_invitation, confirm)
        if also is not None:
            also(session)
        return receipt


def _requested_version(
    db: Database, survey: PublishedSurvey, fields: Mapping[str, object]
) -> PublishedSurvey:
    """The version a submission names, if answers may still be stored against it."""
    number = fields.get("version")
    language = fields.get("language")
    known = isinstance(language, str) and language in survey.questionnaire.languages
    gettext = translations(language if isinstance(language, str) and known else "en").gettext
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= MAX_VERSION:
        raise SubmissionInvalid({"version": gettext(VERSION_MESSAGE)})
    if number == survey.number:
        return survey
    with db.read() as session:
        versions = {
            version.number: version
            for version in session.exec(
                select(SurveyVersion)
                .options(WITHOUT_DEFINITION)
                .where(
                    SurveyVersion.survey_id == survey.id,
                    col(SurveyVersion.number).in_([number, survey.number]),
                )
            ).all()
        }
        requested, newest = versions.get(number), versions.get(survey.number)
        if requested is None or newest is None:
            message = gettext(UNKNOWN_VERSION_MESSAGE) % {"version": number}
            raise SubmissionInvalid({"version": message})
        if requested.series != newest.series:
            values = {"version": number, "current": survey.number}
            raise SubmissionConflict(REPLACED_VERSION_MESSAGE % values)
        return _as_version(survey, requested)


def _answered_version(
    db: Database, survey: PublishedSurvey, submission_id: object
) -> PublishedSurvey:
    """The version a stored submission answered, else `survey` itself."""
    if not _is_submission_id(submission_id):
        return survey
    with db.read() as session:
        version = session.exec(
            select(SurveyVersion)
            .options(WITHOUT_DEFINITION)
            .join(Submission, col(Submission.version_id) == col(SurveyVersion.id))
            .where(Submission.survey_id == survey.id, Submission.submission_id == submission_id)
        ).first()
        return survey if version is None else _as_version(survey, version)


def _as_version(survey: PublishedSurvey, version: SurveyVersion) -> PublishedSurvey:
    if version.id is None or version.id == survey.version_id:
        return survey
    return replace(
        survey,
        version_id=version.id,
        number=version.number,
        questionnaire=questionnaire_of(version),
    )


def _checked_submission(
    survey: PublishedSurvey, fields: Mapping[str, object]
) -> tuple[NewSubmission, str | None]:
    """The row to store and the invitation token; raises `SubmissionInvalid`."""
    questionnaire = survey.questionnaire
    submission_id = fields.get("submission_id")
    language = fields.get("language")
    token = fields.get("invitation")
    raw_answers = fields.get("answers")
    known_language = isinstance(language, str) and language in questionnaire.languages
    message_language = language if isinstance(language, str) and known_language else "en"
    gettext = translations(message_language).gettext

    errors: dict[str, str] = {}
    if not _is_submission_id(submission_id):
        errors["submission_id"] = gettext(SUBMISSION_ID_MESSAGE)
    if not known_language:
        errors["language"] = gettext(LANGUAGE_MESSAGE)
    if token is not None and (
        not isinstance(token, str)
        or len(token) > MAX_INVITATION
        or CONTROL_CHARACTERS_IN_NAMES.search(token)
    ):
        errors["invitation"] = gettext(INVITATION_MESSAGE)
    if not isinstance(raw_answers, Mapping):
        errors["answers"] = gettext(ANSWERS_MESSAGE)
        raw_answers = {}
    checked = check_answers(questionnaire, raw_answers)
    for name, error in checked.errors.items():
        errors[name] = answer_error_message(error, questionnaire, message_language)
    if errors or not isinstance(submission_id, str) or not isinstance(language, str):
        raise SubmissionInvalid(errors)
    new = NewSubmission.from_checked(
        survey,
        checked,
        submission_id=submission_id,
        language=language,
        created_on=datetime.datetime.now(datetime.UTC).date(),
    )
    return new, token if isinstance(token, str) else None


def _is_submission_id(submission_id: object) -> bool:
    return (
        isinstance(submission_id, str)
        and 0 < len(submission_id) <= MAX_SUBMISSION_ID
        and not CONTROL_CHARACTERS_IN_NAMES.search(submission_id)
    )


def _store(
    session: Session,
    survey: PublishedSurvey,
    fields: Mapping[str, object],
    new: NewSubmission,
    hashed_token: str | None,
    needs_invitation: bool,
    confirm: PublishedSurvey | None,
) -> SubmissionReceipt:
    """Insert `new` optimistically: a new submission costs one lookup and the insert; the
    stored row is read only when the id is taken, the survey closed or the invitation
    unusable (a replay may still be answered then). The lookup reads the survey's newest
    version and whether it is open; `SurveyChanged` before anything is written when
    `confirm` (the newest version the submission was judged by) is not that version."""
    newest = newest_version(session, survey.id)
    if confirm is not None and not is_newest(confirm, newest):
        raise SurveyChanged()
    is_open = newest is not None and newest[3]
    invitation = _invitation(session, survey.id, hashed_token) if needs_invitation else None
    refusal: Exception | None = None
    if not is_open:
        refusal = SurveyClosed()
    elif needs_invitation and (invitation is None or invitation.used_on is not None):
        refusal = InvitationRejected(unknown=invitation is None)
    if refusal is None:
        dialect = session.get_bind().dialect.name
        window, crowd = _count_arrival(session, survey.id)
        inserted = session.execute(_INSERT_NEW[dialect], new.row() | {"crowd": crowd})
        pk = inserted.scalar_one_or_none()
        if pk is not None:
            if invitation is not None:
                _mark_used(session, invitation, pk, new.created_on)
            return SubmissionReceipt(pk, new.submission_id, survey.id, survey.number, created=True)
        _uncount_arrival(session, survey.id, window)
    stored = _stored(session, survey.id, new.submission_id)
    if stored is None:
        if refusal is None:
            raise RuntimeError("the submission id was taken but no row holds it")
        raise refusal
    row, version = stored
    if row.version_id != new.version_id:
        # Judge the replay by the answers as the version it answered cleaned them.
        new, _token = _checked_submission(_as_version(survey, version), fields)
    return _replay(session, row, version.number, new, hashed_token, needs_invitation)


def _new_row_insert(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the unique constraint decides
    between concurrent writers without an exception (and without an error in
    PostgreSQL's log); no row returned means the submission id is taken."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = core_table(Submission)  # no ORM bulk-insert machinery per row
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["survey_id", "submission_id"])
        .returning(table.c.id)
    )


_INSERT_NEW = {dialect: _new_row_insert(dialect) for dialect in ("sqlite", "postgresql")}

WINDOW_SECONDS = 600
"""Bursts are counted per survey in windows of ten minutes."""


def _window_upsert(dialect: str) -> Insert:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = core_table(ArrivalWindow)
    statement = insert(table).values(
        survey_id=bindparam("survey_id"), window=bindparam("window"), count=1
    )
    return statement.on_conflict_do_update(
        index_elements=["survey_id", "window"], set_={"count": table.c.count + 1}
    ).returning(table.c.count)


_WINDOW_UPSERT = {dialect: _window_upsert(dialect) for dialect in ("sqlite", "postgresql")}
_WINDOW = core_table(ArrivalWindow)


def _count_arrival(session: Session, survey_id: str) -> tuple[int, int]:
    """Count a new submission in its survey's current window: the window and the
    submission's number in it (`Submission.crowd`), stored with its row.

    Only a counter per survey and window is kept, and a new window deletes the survey's
    older ones: bursts are found without keeping arrival times or addresses. Counted
    before the insert, so the number goes into the row's one INSERT (a replay is then
    uncounted). The counter's row lock orders concurrent submissions of one survey for
    a moment."""
    window = int(datetime.datetime.now(datetime.UTC).timestamp()) // WINDOW_SECONDS
    upsert = _WINDOW_UPSERT[session.get_bind().dialect.name]
    crowd = session.execute(upsert, {"survey_id": survey_id, "window": window}).scalar_one()
    if crowd == 1:
        session.execute(
            _WINDOW.delete().where(_WINDOW.c.survey_id == survey_id, _WINDOW.c.window < window)
        )
    return window, int(crowd)


def _uncount_arrival(session: Session, survey_id: str, window: int) -> None:
    """Take back `_count_arrival` for a submission that was not new (a replay)."""
    session.execute(
        _WINDOW.update()
        .where(_WINDOW.c.survey_id == survey_id, _WINDOW.c.window == window)
        .values(count=_WINDOW.c.count - 1)
    )


def _mark_used(
    session: Session, invitation: Invitation, submission_pk: int, on: datetime.date
) -> None:
    # Conditional, so two different submissions racing on one token cannot both win.
    marked = session.execute(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id, col(Invitation.used_on).is_(None))
        .values(used_on=on, submission_pk=submission_pk)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise InvitationRejected(unknown=False)


def _stored(
    session: Session, survey_id: str, submission_id: str
) -> tuple[Submission, SurveyVersion] | None:
    row = session.exec(
        select(Submission, SurveyVersion)
        .options(WITHOUT_DEFINITION)
        .join(SurveyVersion, col(SurveyVersion.id) == col(Submission.version_id))
        .where(Submission.survey_id == survey_id, Submission.submission_id == submission_id)
    ).first()
    return None if row is None else (row[0], row[1])


def _replay(
    session: Session,
    stored: Submission,
    version_number: int,
    new: NewSubmission,
    hashed_token: str | None,
    needs_invitation: bool,
) -> SubmissionReceipt:
    if needs_invitation:
        # Only the holder of the invitation that stored a response may learn about it.
        invitation = _invitation(session, stored.survey_id, hashed_token)
        if invitation is None or invitation.submission_pk != stored.id:
            raise InvitationRejected(unknown=invitation is None)
    if stored.answers_hash != new.answers_hash:
        raise SubmissionConflict()
    if stored.id is None:
        raise RuntimeError("a stored submission has an id")
    return SubmissionReceipt(
        stored.id, stored.submission_id, stored.survey_id, version_number, created=False
    )


def _invitation(session: Session, survey_id: str, hashed_token: str | None) -> Invitation | None:
    if hashed_token is None:
        return None
    return session.exec(
        select(Invitation).where(
            Invitation.survey_id == survey_id, Invitation.token_hash == hashed_token
        )
    ).first()
