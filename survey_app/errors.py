"""The errors services raise: one small hierarchy, free of HTTP.

A service refuses with one of four kinds; `survey_app.web.errors` alone turns a kind into
a status (404, 422, 409, 403) and a JSON body or an HTML page, and the command line
prints the message. Each error has a `code` (stable, for programs and tests) and a
message for people (`str(error)`).
"""

from __future__ import annotations

from collections.abc import Mapping

from survey_app.i18n import S_

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "UnknownComparison",
    "UnknownGroup",
    "UnknownSurvey",
]


class DomainError(Exception):
    """A refusal of a service; `str(error)` is the message, `code` names the kind.

    A message marked for the staff catalogue (`S_`) keeps its `%(name)s` placeholders in
    `template` and their `values`, so that a staff page shows it in its language."""

    code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        self.template = message
        self.values = dict(values or {})
        self.message = message % self.values if self.values else message
        super().__init__(self.message)
        if code is not None:
            self.code = code

    @property
    def fields(self) -> Mapping[str, object]:
        """More fields of the JSON error body that clients rely on (none by default)."""
        return {}


class NotFound(DomainError, LookupError):
    """What was asked for does not exist (or is not there yet)."""

    code = "not_found"


class Invalid(DomainError, ValueError):
    """The request cannot be done as asked; `errors` maps fields to messages, if any."""

    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        errors: Mapping[str, str] | None = None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, values=values)
        self.errors = dict(errors) if errors is not None else None


class Conflict(DomainError):
    """The request contradicts what is stored."""

    code = "conflict"


class Forbidden(DomainError):
    """The request is refused to this caller (not a question of login: the web asks that)."""

    code = "forbidden"


class UnknownSurvey(NotFound):
    """No survey with this id is published."""

    code = "unknown_survey"

    def __init__(self, survey_id: str) -> None:
        super().__init__(S_("no survey '%(survey)s'"), values={"survey": survey_id})
        self.survey_id = survey_id


class UnknownComparison(Invalid):
    """The survey to compare with is not published (the request, not the page, is wrong)."""

    code = "unknown_comparison"

    def __init__(self, survey_id: str, message: str | None = None) -> None:
        if message is None:
            super().__init__(S_("no survey '%(survey)s'"), values={"survey": survey_id})
        else:
            super().__init__(message)
        self.survey_id = survey_id


class UnknownGroup(NotFound):
    """No working group with this id is in the catalogue."""

    code = "unknown_group"

    def __init__(self, group: str) -> None:
        super().__init__(S_("no working group '%(group)s'"), values={"group": group})
        self.group = group
