"""The district profile as the office keeps it on `/admin/district`.

The profile (`questionnaire.district`) fills the placeholders of privacy notices and
thank-you texts. The office sets it in the browser; what it sets is stored field by
field and wins over `district.yaml` beside the questionnaires, which stays for teams that
keep the profile in git and fills whatever the office left empty.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
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


# -- the logo ------------------------------------------------------------------------------

# The logo is kept in the database, as a row of `district_setting` (base64 PNG), beside
# the rest of the profile: one backup holds the whole profile, every instance of the app
# sees the same logo without a shared directory, and no migration is needed. A
# re-encoded logo is small (at most 600×200 pixels), so a text column is no burden.
LOGO_ROW = "logo"
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIZE = (600, 200)
LOGO_FORMATS = ("PNG", "JPEG")
# A small file may still unpack to a huge picture (a "decompression bomb"): no logo needs
# more pixels than a 24-megapixel photograph.
LOGO_MAX_PIXELS = 24_000_000


def logo_png(data: bytes) -> bytes:
    """The uploaded `data` as the logo is kept: a PNG or JPEG (checked by decoding it,
    not by its name; no SVG, which may carry script), at most `LOGO_MAX_BYTES`,
    re-encoded as PNG, scaled down to fit `LOGO_MAX_SIZE`, without its metadata.
    Raises `DistrictInvalid` (field `logo`) for anything else."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > LOGO_MAX_BYTES:
        raise DistrictInvalid("logo too large", errors={"logo": S_("At most 1 MB, please.")})
    not_an_image = DistrictInvalid(
        "logo not an image", errors={"logo": S_("Please choose a PNG or JPEG image.")}
    )
    try:
        # verify() reads the whole file and refuses a cut-off one even where WeasyPrint,
        # once imported, has told Pillow to load truncated images (a process-wide flag).
        with Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as checked:
            checked.verify()
        image = Image.open(io.BytesIO(data), formats=LOGO_FORMATS)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    with image:
        if image.width * image.height > LOGO_MAX_PIXELS:
            raise DistrictInvalid(
                "logo too many pixels", errors={"logo": S_("At most 24 megapixels, please.")}
            )
        try:
            image.load()
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            converted = image.convert("RGBA" if has_alpha else "RGB")
        except (OSError, ValueError, Image.DecompressionBombError):
            raise not_an_image from None
    converted.thumbnail(LOGO_MAX_SIZE)
    # A fresh image holds the pixels only: no EXIF, no text chunks, no colour profile.
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def district_logo(db: Database) -> bytes | None:
    """The district's logo as PNG, or None if the office set none."""
    with db.read() as session:
        row = session.get(DistrictSetting, LOGO_ROW)
    return base64.b64decode(row.value) if row is not None else None


def district_has_logo(db: Database) -> bool:
    """Whether the office set a logo (without reading it)."""
    with db.read() as session:
        name = session.exec(
            select(DistrictSetting.name).where(DistrictSetting.name == LOGO_ROW)
        ).first()
    return name is not None


def logo_etag(png: bytes) -> str:
    """A validator of the logo's content (for `ETag` and the address's `?v=`)."""
    return hashlib.sha256(png).hexdigest()[:16]


def logo_data_uri(png: bytes | None) -> str | None:
    """The logo as a `data:` URI, for pages rendered without a server (the PDF report,
    the CLI's poster); None without a logo."""
    return f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}" if png else None


def district_logo_save(db: Database, data: bytes, *, actor: str) -> None:
    """Check and keep `data` as the district's logo (`logo_png`), replacing any earlier
    one; a refusal (`DistrictInvalid`) changes nothing. Audited."""
    png = logo_png(data)
    with db.write() as session:
        row = session.get(DistrictSetting, LOGO_ROW)
        value = base64.b64encode(png).decode("ascii")
        if row is None:
            session.add(DistrictSetting(name=LOGO_ROW, value=value))
        else:
            row.value = value
            session.add(row)
        audit_record(
            session,
            actor=actor,
            action="district_logo_save",
            detail={"bytes": len(png), "etag": logo_etag(png)},
        )


def district_logo_remove(db: Database, *, actor: str) -> None:
    """Remove the district's logo (nothing shows one from now on). Audited."""
    with db.write() as session:
        session.execute(delete(DistrictSetting).where(col(DistrictSetting.name) == LOGO_ROW))
        audit_record(session, actor=actor, action="district_logo_remove", detail={})
