"""Accounts of integration-office staff (admins) and working-group members.

Respondents have no accounts. Passwords are hashed with Argon2id (argon2-cffi); the
answer to a failed login is the same, and takes the same time, whether the email is
unknown or the password wrong.

Accounts are read and written through Core (`survey_app.db.core`), not the table classes:
importing SQLModel and SQLAlchemy's ORM took longer than all the rest of a `survey-app
user ...` call (issue 19), and a staff page asks for its viewer's account on every request.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from survey_app.db import core
from survey_app.db.engine import Database
from survey_app.errors import Invalid
from survey_app.i18n import S_, StaffMessage
from survey_app.questionnaire.characters import CONTROL_CHARACTERS_IN_NAMES
from survey_app.services.audit import audit_record

MIN_PASSWORD_LENGTH = 12
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"

_hasher = PasswordHasher()


class AccountError(Invalid):
    """A refused account change; the message says why, for a person to read."""


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    is_admin: bool
    groups: frozenset[str]


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(COMMON_PASSWORDS.read_text().split())


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not a password of anybody")


def password_problem(password: str) -> StaffMessage | None:
    """Why `password` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return StaffMessage(
            S_("The password must have at least %(length)s characters."),
            {"length": MIN_PASSWORD_LENGTH},
        )
    if password.lower() in _common_passwords():
        return StaffMessage(S_("This password is too common. Please choose another one."))
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _check_email(email: str) -> str:
    email = normalise_email(email)
    local, _, domain = email.partition("@")
    if (
        not local
        or "." not in domain
        or len(email) > 254
        or " " in email
        or CONTROL_CHARACTERS_IN_NAMES.search(email)
    ):
        raise AccountError(S_("'%(email)s' is not an email address."), values={"email": email})
    return email


def _check_groups(groups: Iterable[str], known_groups: Collection[str]) -> list[str]:
    groups = sorted(set(groups))
    unknown = [group for group in groups if group not in known_groups]
    if unknown:
        raise AccountError(
            S_("Unknown working group(s): %(unknown)s. Known: %(known)s."),
            values={"unknown": ", ".join(unknown), "known": ", ".join(sorted(known_groups))},
        )
    return groups


_USERS = select(
    core.user_account.c.id,
    core.user_account.c.email,
    core.user_account.c.is_admin,
    core.user_account.c.password_hash,
)
_MEMBERSHIPS = select(core.user_group.c.user_id, core.user_group.c.group_id)


def _user_by_email(connection: Connection, email: str) -> Any:
    """The row (of `_USERS`) of the account of `email`, or None."""
    return connection.execute(_USERS.where(core.user_account.c.email == email)).first()


def _account(connection: Connection, user: Any) -> Account:
    """The account of a row of `_USERS`, with its working groups."""
    memberships = connection.execute(_MEMBERSHIPS.where(core.user_group.c.user_id == user.id))
    groups = frozenset(group_id for _user_id, group_id in memberships)
    return Account(user.id, user.email, user.is_admin, groups)


def user_add(
    db: Database,
    *,
    email: str,
    password: str,
    groups: Iterable[str],
    is_admin: bool,
    known_groups: Collection[str],
    actor: str,
) -> Account:
    """Create an account; raises `AccountError` for a bad email, password or group."""
    email = _check_email(email)
    group_ids = _check_groups(groups, known_groups)
    problem = password_problem(password)
    if problem:
        raise AccountError(problem.message, values=problem.values)
    if not group_ids and not is_admin:
        raise AccountError(S_("A member needs at least one working group (or --admin)."))
    with db.write_connection() as connection:
        if _user_by_email(connection, email) is not None:
            raise AccountError(
                S_("An account for %(email)s exists already."), values={"email": email}
            )
        user_id = connection.execute(
            insert(core.user_account)
            .values(
                email=email,
                password_hash=_hasher.hash(password),
                is_admin=is_admin,
                created_at=datetime.datetime.now(datetime.UTC),
            )
            .returning(core.user_account.c.id)
        ).scalar_one()
        if group_ids:
            connection.execute(
                insert(core.user_group),
                [{"user_id": user_id, "group_id": group} for group in group_ids],
            )
        detail = {"email": email, "groups": group_ids, "admin": is_admin}
        audit_record(connection, actor=actor, action="user_add", detail=detail)
        return Account(user_id, email, is_admin, frozenset(group_ids))


def user_remove(db: Database, *, email: str, actor: str) -> bool:
    """Delete an account; False if there is none."""
    email = normalise_email(email)
    with db.write_connection() as connection:
        user = _user_by_email(connection, email)
        if user is None:
            return False
        # The memberships by their own statement, not left to the schema's ON DELETE
        # CASCADE, which SQLite applies only on connections with its foreign_keys pragma.
        connection.execute(delete(core.user_group).where(core.user_group.c.user_id == user.id))
        connection.execute(delete(core.user_account).where(core.user_account.c.id == user.id))
        audit_record(connection, actor=actor, action="user_remove", detail={"email": email})
        return True


def user_set_password(db: Database, *, email: str, password: str, actor: str) -> None:
    problem = password_problem(password)
    if problem:
        raise AccountError(problem.message, values=problem.values)
    email = normalise_email(email)
    with db.write_connection() as connection:
        user = _user_by_email(connection, email)
        if user is None:
            raise AccountError(S_("No account for %(email)s."), values={"email": email})
        connection.execute(
            update(core.user_account)
            .where(core.user_account.c.id == user.id)
            .values(password_hash=_hasher.hash(password))
        )
        audit_record(connection, actor=actor, action="user_passwd", detail={"email": email})


def user_list(db: Database) -> list[Account]:
    with db.read_connection() as connection:
        users = connection.execute(_USERS.order_by(core.user_account.c.email)).all()
        memberships = connection.execute(_MEMBERSHIPS).all()
    groups: dict[int, set[str]] = defaultdict(set)
    for user_id, group_id in memberships:
        groups[user_id].add(group_id)
    return [
        Account(user.id, user.email, user.is_admin, frozenset(groups[user.id])) for user in users
    ]


def account_by_id(db: Database, user_id: int) -> Account | None:
    with db.read_connection() as connection:
        user = connection.execute(_USERS.where(core.user_account.c.id == user_id)).first()
        return _account(connection, user) if user is not None else None


def authenticate(db: Database, *, email: str, password: str) -> Account | None:
    """The account if `password` is right; every failure is recorded in the audit log."""
    email = normalise_email(email)
    if CONTROL_CHARACTERS_IN_NAMES.search(email):
        # No account has such an address, and PostgreSQL refuses NUL in a query:
        # a failed login like any other, audited with the characters replaced.
        email = CONTROL_CHARACTERS_IN_NAMES.sub("\ufffd", email)
    with db.read_connection() as connection:
        user = _user_by_email(connection, email)
        account = _account(connection, user) if user is not None else None
        stored_hash = user.password_hash if user is not None else _dummy_hash()
    try:
        _hasher.verify(stored_hash, password)
        verified = user is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        verified = False
    with db.write_connection() as connection:
        action = "login" if verified else "login_failed"
        audit_record(connection, actor=email[:254], action=action)
    return account if verified else None
