"""The district profile as the office keeps it on `/admin/district`.

The profile (`questionnaire.district`) fills the placeholders of privacy notices and
thank-you texts. The office sets it in the browser; what it sets is stored field by
field and wins over `district.yaml` beside the questionnaires, which stays for teams that
keep the profile in git and fills whatever the office left empty.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from sqlmodel import col, delete, select

from survey_app.db.engine import Database
from survey_app.db.tables import DistrictSetting
from survey_app.errors import Invalid
from survey_app.i18n import S_
from survey_app.questionnaire.district import PROFILE_FIELDS, DistrictProfile, district_profile
from survey_app.services.audit import audit_record
from survey_app.settings import Settings

MAX_LENGTH = 300


class DistrictInvalid(Invalid):
    """A field of the profile cannot be kept as typed; `errors` names each."""

    code = "invalid_district"


def district_settings(db: Database) -> dict[str, str]:
    """The fields the office set in the browser (none before it did)."""
    with db.read() as session:
        rows = session.exec(select(DistrictSetting)).all()
    return {row.name: row.value for row in rows if row.name in PROFILE_FIELDS}


def district_profile_of(db: Database, directory: Path) -> DistrictProfile:
    """The profile in force: the office's fields, then `district.yaml` in `directory`,
    then the German defaults."""
    return dataclasses.replace(district_profile(directory), **district_settings(db))


def production_profile(db: Database, settings: Settings) -> DistrictProfile | None:
    """The profile a production survey's texts must be filled from: a survey whose
    notices would still show an example value (`unfilled_placeholders`) waits, closed
    to respondents. None in development, where the example values are fine."""
    return district_profile_of(db, settings.questionnaires) if settings.is_production else None


def district_save(db: Database, values: Mapping[str, str], *, actor: str) -> None:
    """Keep the profile's fields as typed (an empty field falls back to the file); every
    field is checked first, so a refusal (`DistrictInvalid`) changes nothing. Audited with
    the names of the fields that changed."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in PROFILE_FIELDS:
        text = " ".join(str(values.get(name, "")).split())
        if len(text) > MAX_LENGTH:
            # The page fills in the length (`%(length)s`): it says so next to the field.
            errors[name] = S_("At most %(length)s characters.")
        elif any(unicodedata.category(char) in ("Cc", "Cf", "Co") for char in text):
            errors[name] = S_("Only visible characters, please.")
        cleaned[name] = text
    if errors:
        raise DistrictInvalid("the district profile was refused", errors=errors)
    with db.write() as session:
        before = {row.name: row.value for row in session.exec(select(DistrictSetting)).all()}
        session.execute(
            delete(DistrictSetting).where(col(DistrictSetting.name).in_(PROFILE_FIELDS))
        )
        for name, text in cleaned.items():
            if text:
                session.add(DistrictSetting(name=name, value=text))
        changed = sorted(n for n in PROFILE_FIELDS if before.get(n, "") != cleaned[n])
        audit_record(session, actor=actor, action="district_save", detail={"changed": changed})
