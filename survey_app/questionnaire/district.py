"""The district profile: who runs the surveys, filled into the texts where they are shown.

Privacy notices and thank-you texts name the controller, its address and contacts. They
differ per district but not per language, so the questionnaires write placeholders
(`{district}`, `{office}`, `{address}`, `{email}`, `{phone}`, `{dpo}`,
`{supervisory_authority}`, `{draft_days}`) and the district fills them once in
`district.yaml` beside the questionnaires (or on `/admin/district`); the invitation
letters name the same fields. Changing the profile does not make a new questionnaire
version: the texts are filled when a page is rendered, not when the file is published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from survey_app.i18n import S_
from survey_app.questionnaire.loader import YamlProblem, read_yaml
from survey_app.questionnaire.schema import Questionnaire

DISTRICT_FILE = "district.yaml"


@dataclass(frozen=True)
class DistrictProfile:
    """Contact details of the district that runs the surveys (German, as on letters)."""

    district: str = "Landkreis Musterland"
    office: str = "Integrationsmanagement"
    address: str = "Musterstraße 1, 12345 Musterstadt"
    email: str = "integration@landkreis-musterland.de"
    phone: str = "01234 567-0"
    dpo: str = "Datenschutzbeauftragte des Landkreises, datenschutz@landkreis-musterland.de"
    supervisory_authority: str = "Landesbeauftragte/r für den Datenschutz"


PROFILE_FIELDS = tuple(field.name for field in fields(DistrictProfile))
#: The fields whose default is an example no real district has ("Musterland", a generic
#: authority); the office's name, "Integrationsmanagement", is a real one.
EXAMPLE_FIELDS = ("district", "address", "email", "phone", "dpo", "supervisory_authority")
#: Each field's German name and a hint, as the office's form and messages show them.
FIELD_LABELS = {
    "district": (S_("District"), S_("as the texts name it, e.g. “Landkreis Musterland”")),
    "office": (S_("Controller"), S_("e.g. “Integrationsmanagement”")),
    "address": (S_("Address"), S_("street, postcode town")),
    "email": (S_("E-mail for questions"), ""),
    "phone": (S_("Phone for questions"), S_("e.g. “05151 903-0”")),
    "dpo": (S_("Data protection officer"), S_("name or office and contact")),
    "supervisory_authority": (
        S_("Supervisory authority"),
        S_("the state data protection authority"),
    ),
}

#: Placeholders a text may use: the profile's fields and the settings that texts promise.
PLACEHOLDERS = (*PROFILE_FIELDS, "draft_days")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class DistrictProfileError(ValueError):
    """`district.yaml` is unreadable or names a field the profile does not have."""


def district_profile(directory: Path) -> DistrictProfile:
    """The profile in `directory/district.yaml`; the German defaults for what it leaves out
    (and all of them without the file). Read again only when the file changes."""
    path = directory / DISTRICT_FILE
    try:
        changed = path.stat().st_mtime_ns
    except FileNotFoundError:
        return DistrictProfile()
    return _read_profile(path, changed)


@lru_cache(maxsize=8)
def _read_profile(path: Path, _changed: int) -> DistrictProfile:
    try:
        data = read_yaml(path).data
    except YamlProblem as problem:
        raise DistrictProfileError(f"{path}:{problem.line}: {problem.message}") from None
    if data is None:
        return DistrictProfile()
    if not isinstance(data, dict):
        raise DistrictProfileError(f"{path}:1: expected a mapping of {', '.join(PROFILE_FIELDS)}")
    unknown = sorted(set(data) - set(PROFILE_FIELDS))
    if unknown:
        raise DistrictProfileError(f"{path}:1: unknown field(s) {', '.join(map(str, unknown))}")
    return DistrictProfile(**{name: str(value).strip() for name, value in data.items()})


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """`text` with every known `{placeholder}` replaced; other braces stay as written."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def placeholder_values(profile: DistrictProfile, *, draft_days: int) -> dict[str, str]:
    """What the placeholders stand for: the profile's fields and the draft lifetime."""
    return {
        **{name: getattr(profile, name) for name in PROFILE_FIELDS},
        "draft_days": str(draft_days),
    }


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in `text` that nothing fills (a typo shows as `{emial}` otherwise)."""
    return [name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]


def unfilled_placeholders(questionnaire: Questionnaire, profile: DistrictProfile) -> list[str]:
    """The profile's fields that the survey's notices name but that still hold their
    example value (`EXAMPLE_FIELDS`): a privacy notice naming "Landkreis Musterland" as
    the controller informs no respondent, so in production such a survey takes no answers."""
    texts = [*questionnaire.privacy_notice.values(), *questionnaire.thank_you.values()]
    named = {name for text in texts for name in _PLACEHOLDER.findall(text)}
    example = DistrictProfile()
    return [
        name
        for name in EXAMPLE_FIELDS
        if name in named and getattr(profile, name) == getattr(example, name)
    ]
