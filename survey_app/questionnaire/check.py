"""The check of one questionnaire file, YAML or XLSForm: what `survey-app check` prints
and what `/admin/questionnaires` shows for an upload, from one function (`check_file`).

An uploaded file arrives as bytes (`check_upload`): it is refused unread when too large
or when it would unpack to far more than it weighs, then checked as a file, with every
problem at the name the person knows (`form.xlsx:survey:12`, `newcomer.yaml:40`), never
at a temporary path.

Workbooks are read by pyxform's readers: openpyxl in read-only mode with `data_only`
(a formula's cached value, never the formula evaluated) and xlrd for legacy `.xls`.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from survey_app.questionnaire.district import PLACEHOLDERS, unknown_placeholders
from survey_app.questionnaire.errors import Problem, ProblemCode, Severity, errors_only
from survey_app.questionnaire.loader import (
    QUESTIONNAIRE_SUFFIXES,
    YamlProblem,
    load_questionnaire,
    read_yaml,
)
from survey_app.questionnaire.schema import Questionnaire
from survey_app.questionnaire.validation import missing_translations

XLSFORM_SUFFIXES = (".xlsx", ".xls")
UPLOAD_SUFFIXES = (*XLSFORM_SUFFIXES, *QUESTIONNAIRE_SUFFIXES)
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
"""What an `.xlsx` may unpack to: the largest real XLSForm we know (the XLSForm spec's
test form, 200 KB) unpacks to about 2 MB; a zip bomb unpacks to gigabytes."""
_UNSAFE_NAME = re.compile(r"[^\w.-]+")


@dataclass
class CheckReport:
    """An uploaded file checked as `survey-app check` checks a file: `questionnaire` is
    None when it has errors; `missing` counts the texts missing per language."""

    filename: str
    questionnaire: Questionnaire | None
    problems: list[Problem] = field(default_factory=list)
    missing: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return errors_only(self.problems)


def safe_filename(filename: str) -> str:
    """The file's own name (no directories), in characters safe on any file system."""
    name = Path(filename.replace("\\", "/")).name
    cleaned = _UNSAFE_NAME.sub("_", name).strip("._")[:120]
    return cleaned or "upload"


def check_file(
    path: Path,
    *,
    working_groups: Collection[str],
    ui_languages: Collection[str],
    translate: Callable[[str, str], str] | None = None,
) -> CheckReport:
    """Read and check one questionnaire file, XLSForm (`.xlsx`, `.xls`) or YAML, as
    `survey-app check` reports it: the reader's problems, `{placeholders}` the district
    profile does not fill (errors), languages without a UI catalogue among
    `ui_languages` (warnings), and the texts missing per language. `translate` gives the
    texts an XLSForm import adds in the form's languages (`import_xlsform`)."""
    settings_row = None
    if path.suffix.lower() in XLSFORM_SUFFIXES:
        # openpyxl and pyxform's readers cost 0.3-0.5 s to import; YAML checks skip them.
        from survey_app.questionnaire.xlsform import import_xlsform

        result = import_xlsform(path, working_groups=working_groups, translate=translate)
        questionnaire, problems = result.questionnaire, result.problems
        settings_row = result.settings_row
    else:
        loaded = load_questionnaire(path, working_groups=working_groups)
        questionnaire, problems = loaded.questionnaire, loaded.problems
    if questionnaire is None:
        return CheckReport(str(path), None, problems)
    problems = problems + _placeholder_problems(path, questionnaire, settings_row)
    problems += [
        Problem(
            f"{path}:1",
            f"no UI catalogue for language '{language}' (buttons and messages will be in English)",
            Severity.WARNING,
        )
        for language in questionnaire.languages
        if language not in ui_languages
    ]
    if errors_only(problems):
        return CheckReport(str(path), None, problems)
    missing = {lang: len(paths) for lang, paths in missing_translations(questionnaire).items()}
    return CheckReport(str(path), questionnaire, problems, missing)


def check_upload(
    filename: str,
    data: bytes,
    *,
    working_groups: Collection[str],
    ui_languages: Collection[str],
    max_bytes: int,
    translate: Callable[[str, str], str] | None = None,
) -> CheckReport:
    """`check_file` for an uploaded file, refused unread when it is larger than
    `max_bytes`, not a questionnaire file, or an `.xlsx` that would unpack to more than
    `MAX_UNCOMPRESSED_BYTES`; problems name the file as uploaded (without directories)."""
    name = safe_filename(filename)
    refused = _refusal(name, Path(name).suffix.lower(), data, max_bytes)
    if refused is not None:
        return CheckReport(name, None, [refused])
    with tempfile.TemporaryDirectory(prefix="survey-upload-") as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        report = check_file(
            path, working_groups=working_groups, ui_languages=ui_languages, translate=translate
        )
    report.filename = name
    report.problems = [_relocated(problem, str(path), name) for problem in report.problems]
    return report


def _refusal(name: str, suffix: str, data: bytes, max_bytes: int) -> Problem | None:
    if suffix not in UPLOAD_SUFFIXES:
        return Problem(
            f"{name}:1",
            "expected an XLSForm (.xlsx, .xls) or a questionnaire file (.yaml)",
            code=ProblemCode.UNREADABLE,
        )
    if len(data) > max_bytes:
        return Problem(
            f"{name}:1",
            f"the file is larger than {max_bytes // (1024 * 1024)} MB",
            code=ProblemCode.UNREADABLE,
        )
    if suffix != ".xlsx":
        return None
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return Problem(
            f"{name}:1", "not an Excel workbook (.xlsx or .xls)", code=ProblemCode.UNREADABLE
        )
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        return Problem(
            f"{name}:1",
            f"the workbook unpacks to more than {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB "
            "and is not read",
            code=ProblemCode.UNREADABLE,
        )
    return None


def _relocated(problem: Problem, path: str, name: str) -> Problem:
    if not problem.location.startswith(path):
        return problem
    return Problem(
        name + problem.location[len(path) :], problem.message, problem.severity, problem.code
    )


def _placeholder_problems(
    path: Path, questionnaire: Questionnaire, settings_row: str | None
) -> list[Problem]:
    """`{placeholders}` of the notices that the district profile does not fill, at their
    line (YAML) or at the row of the settings sheet (XLSForm, `settings_row`)."""
    document = None
    if settings_row is None:
        try:
            document = read_yaml(path)
        except (YamlProblem, OSError):
            document = None
    found: list[Problem] = []
    for key in ("privacy_notice", "thank_you"):
        for language, text in (getattr(questionnaire, key) or {}).items():
            if settings_row is not None:
                where = f"{path}:{settings_row}"
            elif document is not None:
                where = f"{path}:{document.line_of((key, language))}"
            else:
                where = f"{path}:1"
            found += [
                Problem(
                    where,
                    f"unknown placeholder {{{placeholder}}} (known: {', '.join(PLACEHOLDERS)})",
                )
                for placeholder in unknown_placeholders(text)
            ]
    return found
