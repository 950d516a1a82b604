"""What the admin pages read and change: surveys with their response counts, opening and
closing, invitations, row-level exports. Every change is written to the audit log in
the transaction of the change: both commit, or neither."""

from __future__ import annotations

import datetime
import functools
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import func
from sqlmodel import col, select

from analysis.export_layout import ExportValues
from analysis.frames import Responses
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.errors import Invalid, UnknownSurvey
from survey_app.i18n import S_, StaffMessage, staff_join
from survey_app.questionnaire.district import (
    FIELD_LABELS,
    DistrictProfile,
    unfilled_placeholders,
)
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.audit import audit_record
from survey_app.services.exports import export_csv, export_xlsx
from survey_app.services.invitations import (
    InvitationCounts,
    invitation_counts,
    invitation_link,
    invitations_add,
)
from survey_app.services.published import get_survey
from survey_app.services.releases import ReleaseSummary, releases_of
from survey_app.services.results import export_responses
from survey_app.services.surveys import latest_surveys, survey_set_open, survey_versions

MAX_INVITATIONS_AT_ONCE = 5000


class AdminError(Invalid):
    """A refused admin action; the message is for the admin to read."""


class SurveyWaits(AdminError):
    """A production survey cannot open before the district profile fills its notices."""

    code = "district_profile_incomplete"

    def __init__(self, survey_id: str, fields: list[str]) -> None:
        super().__init__(
            S_(
                "“%(survey)s” can only open once the district profile (/admin/district) is "
                "filled in: the privacy notice and the thanks still name examples for "
                "%(fields)s."
            ),
            values={
                "survey": survey_id,
                "fields": staff_join([FIELD_LABELS[name][0] for name in fields]),
            },
        )
        self.unfilled = tuple(fields)


@dataclass(frozen=True)
class VersionOverview:
    number: int
    label: str
    published_on: datetime.date
    responses: int


@dataclass(frozen=True)
class SurveyOverview:
    id: str
    title: str
    is_open: bool
    audience: str
    versions: list[VersionOverview]
    invitations: InvitationCounts | None
    releases: list[ReleaseSummary]
    demo: int = 0
    """Synthetic responses among them (`survey-app demo`)."""
    unfilled: tuple[str, ...] = ()
    """In production: the district profile's fields its notices name that still hold the
    example value; until they are filled the survey takes no answers."""
    titles: Mapping[str, str] = field(default_factory=dict)
    """The title in each language of the questionnaire (`title` is the default one)."""

    def title_in(self, language: str) -> str:
        """The title in `language` if the questionnaire has it, else the default one."""
        return self.titles.get(language) or self.title

    @property
    def responses(self) -> int:
        return sum(version.responses for version in self.versions)

    @property
    def unfilled_labels(self) -> StaffMessage:
        """The labels of the `unfilled` fields, translated where they are shown."""
        return staff_join([FIELD_LABELS[name][0] for name in self.unfilled])


def _responses_per_version(db: Database) -> dict[int, int]:
    with db.read() as session:
        rows = session.exec(
            select(Submission.version_id, func.count(col(Submission.id))).group_by(
                col(Submission.version_id)
            )
        ).all()
        return dict(rows)


def _demo_responses(db: Database) -> dict[str, int]:
    with db.read() as session:
        rows = session.exec(
            select(Submission.survey_id, func.count(col(Submission.id)))
            .where(col(Submission.demo))
            .group_by(col(Submission.survey_id))
        ).all()
        return dict(rows)


def survey_overview(db: Database, district: DistrictProfile | None = None) -> list[SurveyOverview]:
    """Every published survey with its versions, response counts (demo ones among them)
    and invitation counts; with the `district` profile of a production server, what each
    survey waits for (`unfilled_placeholders`)."""
    counts = _responses_per_version(db)
    demo = _demo_responses(db)
    overview = []
    for survey in latest_surveys(db):
        questionnaire = survey.questionnaire
        versions = [
            VersionOverview(
                number=version.number,
                label=version.label,
                published_on=version.published_at.date(),
                responses=counts.get(version.id or 0, 0),
            )
            for version, _ in survey_versions(db, survey.id)
        ]
        invitations = (
            invitation_counts(db, survey.id) if questionnaire.audience == "invitation" else None
        )
        overview.append(
            SurveyOverview(
                id=survey.id,
                title=questionnaire.text(questionnaire.title, questionnaire.default_language),
                titles={
                    language: questionnaire.text(questionnaire.title, language)
                    for language in questionnaire.languages
                },
                is_open=survey.is_open,
                audience=questionnaire.audience,
                versions=versions,
                invitations=invitations,
                releases=releases_of(db, survey.id),
                demo=demo.get(survey.id, 0),
                unfilled=tuple(unfilled_placeholders(questionnaire, district)) if district else (),
            )
        )
    return overview


def survey_open_close(
    db: Database,
    survey_id: str,
    *,
    is_open: bool,
    actor: str,
    district: DistrictProfile | None = None,
) -> None:
    """Open or close a survey for answers; raises `UnknownSurvey`. With the `district`
    profile of a production server, opening a survey whose notices name a field still
    holding the example value is refused (`SurveyWaits`)."""
    if is_open and district is not None:
        survey = get_survey(db, survey_id)
        unfilled = unfilled_placeholders(survey.questionnaire, district) if survey else []
        if unfilled:
            raise SurveyWaits(survey_id, unfilled)
    with db.write() as session:
        if not survey_set_open(session, survey_id, is_open):
            raise UnknownSurvey(survey_id)
        action = "survey_open" if is_open else "survey_close"
        audit_record(session, actor=actor, action=action, detail={"survey": survey_id})


@dataclass(frozen=True)
class InvitationLink:
    """A new personal link and the label the office gave its batch."""

    label: str
    link: str


def invitation_links(
    db: Database,
    survey_id: str,
    *,
    count: int,
    label: str,
    base_url: str,
    actor: str,
    at_most: int = MAX_INVITATIONS_AT_ONCE,
) -> list[InvitationLink]:
    """Create `count` invitations (1 to `at_most`) and return their links: the only
    time they are known (`render.links` writes them as a file). The audit log records
    how many, never the tokens, in the transaction that creates them."""
    if not 1 <= count <= at_most:
        raise AdminError(
            S_("Create between 1 and %(at_most)s invitations at once."),
            values={"at_most": at_most},
        )
    survey = get_survey(db, survey_id)
    if survey is None or survey.questionnaire.audience != "invitation":
        raise AdminError(
            S_("'%(survey)s' is not a survey with personal invitations."),
            values={"survey": survey_id},
        )
    label = label.strip()[:200]
    with db.write() as session:
        tokens = invitations_add(session, survey_id, count, label)
        detail = {"survey": survey_id, "count": count, "label": label}
        audit_record(session, actor=actor, action="invitations_create", detail=detail)
    return [InvitationLink(label, invitation_link(base_url, survey_id, token)) for token in tokens]


@dataclass(frozen=True)
class RowsExport:
    """A row-level export written: how many submissions, and the file's extension (the
    format asked for; `zip` for CSV with repeats: one CSV per table)."""

    rows: int
    extension: str


_FilesWriter = Callable[[Path], tuple[int, list[Path]]]
"""Writes a row-level export to a path and its entries' files beside it: the number of
submissions and the files written."""


def rows_export(
    db: Database,
    survey_id: str,
    *,
    file_format: str,
    output: Path,
    actor: str,
    values: ExportValues = "labels",
) -> RowsExport:
    """Write every submission of a survey (one row each) to `output` as CSV, XLSX, SPSS
    (sav) or Stata (dta), in the survey's default language, and record the export in the
    audit log. CSV and XLSX have the questions' labels or, with `values="codes"`, the
    form's names and codes (`services.exports`); SPSS and Stata have both already. A
    survey with repeats has a table per repeat, one row per entry
    (`analysis.export_layout`, `analysis.labelled`): sheets of the XLSX; for CSV, SPSS
    and Stata, `output` is a ZIP of the files `<survey>-responses.csv` and
    `<survey>-responses-<repeat>.csv` (`.sav`, `.dta`). Raises `UnknownSurvey`."""
    if file_format == "xlsx":
        count = export_xlsx(db, survey_id, output, values=values).responses
        extension = file_format
    else:
        write: _FilesWriter
        if file_format in ("sav", "dta"):
            questionnaire, chunks = export_responses(db, survey_id)
            write = functools.partial(
                _write_labelled,
                chunks,
                questionnaire,
                file_format="sav" if file_format == "sav" else "dta",
            )
        else:
            write = functools.partial(_write_csv, db, survey_id, values=values)
        count, zipped = _files(write, output, f"{survey_id}-responses.{file_format}")
        extension = "zip" if zipped else file_format
    with db.write() as session:
        detail: dict[str, object] = {"survey": survey_id, "format": file_format, "rows": count}
        if values != "labels":
            detail["values"] = values
        audit_record(session, actor=actor, action="export_rows", detail=detail)
    return RowsExport(count, extension)


def _write_csv(
    db: Database, survey_id: str, path: Path, *, values: ExportValues
) -> tuple[int, list[Path]]:
    written = export_csv(db, survey_id, path, values=values)
    return written.responses, written.paths


def _write_labelled(
    chunks: Iterable[Responses],
    questionnaire: Questionnaire,
    path: Path,
    *,
    file_format: Literal["sav", "dta"],
) -> tuple[int, list[Path]]:
    from analysis.labelled import write_labelled

    language = questionnaire.default_language
    return write_labelled(chunks, questionnaire, language, path, file_format)


def _files(write: _FilesWriter, output: Path, name: str) -> tuple[int, bool]:
    """The files of a row-level export (`name` and its entries' files, as `write` writes
    them) as `output`: the one file itself, or a ZIP of them all when a survey with
    repeats gave several; the number of submissions and whether it is a ZIP."""
    with tempfile.TemporaryDirectory() as directory:
        count, paths = write(Path(directory) / name)
        if len(paths) == 1:
            shutil.move(paths[0], output)
            return count, False
        with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, path.name)
    return count, True
