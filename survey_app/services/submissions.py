"""Storing submitted answers exactly once.

`submission_create` is the one way a response enters the database, for the survey pages
and for the JSON API alike. It checks the answers with the questionnaire's rules, stores
the cleaned answers as canonical JSON with their SHA-256, and lets the unique constraint
(survey_id, submission_id) decide between concurrent writers: whoever loses the race
re-reads the stored row and answers with it (a replay) or refuses (a conflict). All of it
happens in one write transaction, so a response is either wholly stored, with its
invitation marked used, or not at all; the caller acknowledges only after the commit,
which is durable (see `survey_app.db.engine`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey_app.db.engine import Database
from survey_app.db.tables import Invitation, Submission, Survey, SurveyVersion
from survey_app.i18n import N_, answer_error_message, translations
from survey_app.questionnaire.rules import check_answers
from survey_app.services.invitations import token_hash
from survey_app.services.surveys import WITHOUT_DEFINITION, PublishedSurvey, questionnaire_of

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


@dataclass(frozen=True)
class SubmissionReceipt:
    """What a client learns about a stored submission; `created` is False for a replay."""

    id: int
    submission_id: str
    survey: str
    version: int
    created: bool

    def body(self) -> dict[str, object]:
        """The JSON body of a 201 or 200 response."""
        return {
            "id": self.id,
            "submission_id": self.submission_id,
            "survey": self.survey,
            "version": self.version,
        }


class SubmissionInvalid(Exception):
    """The submission is refused; `errors` maps question or field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"invalid submission: {', '.join(sorted(errors))}")
        self.errors = errors


class SubmissionConflict(Exception):
    """The submission id was already stored with different answers."""

    def __init__(self, message: str = CONFLICT_MESSAGE) -> None:
        super().__init__(message)


class InvitationRejected(Exception):
    """An invitation survey was answered without a valid, unused token for it."""

    def __init__(self, message: str = INVITATION_REJECTED_MESSAGE) -> None:
        super().__init__(message)


class SurveyClosed(Exception):
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
) -> SubmissionReceipt:
    """Store one response to the current version of `survey`, exactly once.

    Raises `SubmissionInvalid` (nothing stored), `SubmissionConflict` (the id is taken by
    different answers), `InvitationRejected` or `SurveyClosed`. A replay (same id, same
    cleaned answers) returns the stored receipt with `created=False`.
    """
    return submission_create_from_json(
        db,
        survey=survey,
        payload={
            "submission_id": submission_id,
            "language": language,
            "answers": answers,
            "invitation": invitation_token,
        },
    )


def submission_create_from_json(
    db: Database, *, survey: PublishedSurvey, payload: object
) -> SubmissionReceipt:
    """`submission_create` for a decoded JSON body of the submission API.

    Every failing field and question is reported at once in `SubmissionInvalid.errors`.
    """
    fields = payload if isinstance(payload, dict) else {}
    survey = _answered_version(db, survey, fields.get("submission_id"))
    new, token = _checked_submission(survey, fields)
    needs_invitation = survey.questionnaire.audience == "invitation"
    hashed_token = token_hash(token) if needs_invitation and token else None
    try:
        with db.write() as session:
            return _store(session, new, survey.number, hashed_token, needs_invitation)
    except IntegrityError:
        # Another request stored this submission id between our check and our insert;
        # its transaction has committed, so the stored row decides.
        with db.read() as session:
            stored = _stored(session, new.survey_id, new.submission_id)
            if stored is None:
                raise
            return _replay(session, *stored, new, hashed_token, needs_invitation)


def _answered_version(
    db: Database, survey: PublishedSurvey, submission_id: object
) -> PublishedSurvey:
    """The version a stored submission answered, else `survey`: a retry that arrives
    after a new version was published is judged by the questionnaire it answered."""
    if not isinstance(submission_id, str):
        return survey
    with db.read() as session:
        version = session.exec(
            select(SurveyVersion)
            .options(WITHOUT_DEFINITION)
            .join(Submission, col(Submission.version_id) == col(SurveyVersion.id))
            .where(Submission.survey_id == survey.id, Submission.submission_id == submission_id)
        ).first()
        if version is None or version.id is None or version.id == survey.version_id:
            return survey
        return replace(
            survey,
            version_id=version.id,
            number=version.number,
            questionnaire=questionnaire_of(version),
        )


def _checked_submission(
    survey: PublishedSurvey, fields: Mapping[str, object]
) -> tuple[Submission, str | None]:
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
    if not isinstance(submission_id, str) or not 0 < len(submission_id) <= MAX_SUBMISSION_ID:
        errors["submission_id"] = gettext(SUBMISSION_ID_MESSAGE)
    if not known_language:
        errors["language"] = gettext(LANGUAGE_MESSAGE)
    if token is not None and (not isinstance(token, str) or len(token) > MAX_INVITATION):
        errors["invitation"] = gettext(INVITATION_MESSAGE)
    if not isinstance(raw_answers, Mapping):
        errors["answers"] = gettext(ANSWERS_MESSAGE)
        raw_answers = {}
    checked = check_answers(questionnaire, raw_answers)
    for name, error in checked.errors.items():
        errors[name] = answer_error_message(error, questionnaire, message_language)
    if errors or not isinstance(submission_id, str) or not isinstance(language, str):
        raise SubmissionInvalid(errors)
    canonical = canonical_json(checked.answers)
    new = Submission(
        survey_id=survey.id,
        version_id=survey.version_id,
        submission_id=submission_id,
        language=language,
        answers=canonical,
        answers_hash=answers_hash(canonical),
        created_on=datetime.datetime.now(datetime.UTC).date(),
    )
    return new, token if isinstance(token, str) else None


def _store(
    session: Session,
    new: Submission,
    version_number: int,
    hashed_token: str | None,
    needs_invitation: bool,
) -> SubmissionReceipt:
    stored = _stored(session, new.survey_id, new.submission_id)
    if stored is not None:
        return _replay(session, *stored, new, hashed_token, needs_invitation)
    survey = session.get(Survey, new.survey_id)
    if survey is None or not survey.is_open:
        raise SurveyClosed()
    invitation = _invitation(session, new.survey_id, hashed_token) if needs_invitation else None
    if needs_invitation and (invitation is None or invitation.used_on is not None):
        raise InvitationRejected()
    session.add(new)
    session.flush()
    if invitation is not None:
        # Conditional, so two different submissions racing on one token cannot both win.
        marked = session.execute(
            update(Invitation)
            .where(col(Invitation.id) == invitation.id, col(Invitation.used_on).is_(None))
            .values(used_on=new.created_on, submission_pk=new.id)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            raise InvitationRejected()
    return _receipt(new, version_number, created=True)


def _receipt(row: Submission, version_number: int, *, created: bool) -> SubmissionReceipt:
    if row.id is None:
        raise RuntimeError("a stored submission has an id")
    return SubmissionReceipt(row.id, row.submission_id, row.survey_id, version_number, created)


def _stored(session: Session, survey_id: str, submission_id: str) -> tuple[Submission, int] | None:
    row = session.exec(
        select(Submission, SurveyVersion.number)
        .join(SurveyVersion, col(SurveyVersion.id) == col(Submission.version_id))
        .where(Submission.survey_id == survey_id, Submission.submission_id == submission_id)
    ).first()
    return None if row is None else (row[0], row[1])


def _replay(
    session: Session,
    stored: Submission,
    version_number: int,
    new: Submission,
    hashed_token: str | None,
    needs_invitation: bool,
) -> SubmissionReceipt:
    if needs_invitation:
        # Only the holder of the invitation that stored a response may learn about it.
        invitation = _invitation(session, stored.survey_id, hashed_token)
        if invitation is None or invitation.submission_pk != stored.id:
            raise InvitationRejected()
    if stored.answers_hash != new.answers_hash:
        raise SubmissionConflict()
    return _receipt(stored, version_number, created=False)


def _invitation(session: Session, survey_id: str, hashed_token: str | None) -> Invitation | None:
    if hashed_token is None:
        return None
    return session.exec(
        select(Invitation).where(
            Invitation.survey_id == survey_id, Invitation.token_hash == hashed_token
        )
    ).first()
