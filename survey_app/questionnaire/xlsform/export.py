"""A questionnaire as an XLSForm workbook, for translators and for KoboToolbox/ODK."""

from __future__ import annotations

from typing import cast

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from pyxform import constants as pyxform_constants

from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType, Text
from survey_app.questionnaire.xlsform.languages import language_column
from survey_app.questionnaire.xlsform.workbook import SETTINGS_TEXTS

_XLSFORM_TYPES = {QuestionType.DATETIME: "dateTime"}
"""Types whose XLSForm name differs from ours (`dateTime` is what ODK documents)."""


def export_xlsform(questionnaire: Questionnaire) -> Workbook:
    """The questionnaire as an XLSForm workbook (sheets survey, choices, settings).

    Every text has one `column::Language (code)` column per language, so a translator can
    fill a column (or add one for a new language) and import the file again.
    """
    languages = {code: language_column(code) for code in questionnaire.languages}
    workbook = Workbook()
    survey = cast(Worksheet, workbook.active)
    survey.title = pyxform_constants.SURVEY
    translated = {
        column: [f"{column}::{name}" for name in languages.values()]
        for column in ("label", "hint", "constraint_message")
    }
    columns = [
        "type",
        "name",
        *translated["label"],
        *translated["hint"],
        "required",
        "readonly",
        "default",
        "parameters",
        "relevant",
        "constraint",
        *translated["constraint_message"],
        "calculation",
        "repeat_count",
        "choice_filter",
        "appearance",
        "working_groups",
    ]

    def texts(column: str, text: Text) -> dict[str, str]:
        return {f"{column}::{name}": text.get(code, "") for code, name in languages.items()}

    def question_rows(question: Question) -> list[dict[str, str]]:
        """A question's row; a repeat's begin_repeat and end_repeat rows around its
        questions' (nested repeats nested)."""
        row = {
            "name": question.name,
            **texts("label", question.label),
            **texts("hint", question.hint),
            "required": _required_cell(question.required),
            "relevant": question.relevant or "",
            "working_groups": " ".join(question.working_groups),
        }
        if question.type is QuestionType.REPEAT:
            inside = [entry for child in question.questions for entry in question_rows(child)]
            begin = {"type": "begin_repeat", **row, "repeat_count": question.repeat_count or ""}
            return [begin, *inside, {"type": "end_repeat", "name": question.name}]
        type_text = _XLSFORM_TYPES.get(question.type, question.type.value)
        if question.type.is_select:
            type_text = f"{type_text} {question.choices}"
        if question.range is not None and question.type.is_number:
            type_text = "range"
        row.update(
            {
                "type": type_text,
                "readonly": "yes" if question.readonly else "",
                "default": question.default or "",
                "parameters": _range_parameters(question),
                "constraint": question.constraint or "",
                **texts("constraint_message", question.constraint_message),
                "calculation": question.calculation or "",
                "choice_filter": question.choice_filter or "",
                "appearance": question.appearance or "",
            }
        )
        return [row]

    rows: list[dict[str, str]] = []
    for page in questionnaire.pages:
        rows.append({"type": "begin_group", "name": page.name, **texts("label", page.title)})
        for question in page.questions:
            rows.extend(question_rows(question))
        rows.append({"type": "end_group", "name": page.name})
    _write_sheet(survey, columns, rows)

    choices = workbook.create_sheet(pyxform_constants.CHOICES)
    choice_rows = [
        {
            "list_name": list_name,
            "name": choice.name,
            **texts("label", choice.label),
            **choice.columns,
        }
        for list_name, entries in questionnaire.choices.items()
        for choice in entries
    ]
    # The columns choice filters read, after the labels, in the order they first appear.
    extra = list(
        dict.fromkeys(
            column
            for entries in questionnaire.choices.values()
            for choice in entries
            for column in choice.columns
        )
    )
    _write_sheet(choices, ["list_name", "name", *translated["label"], *extra], choice_rows)

    settings = workbook.create_sheet(pyxform_constants.SETTINGS)
    default = questionnaire.default_language
    setting: dict[str, str] = {
        "form_id": questionnaire.id,
        "version": questionnaire.version,
        "form_title": questionnaire.title.get(default, ""),
        "default_language": languages[default],
    }
    for code, name in languages.items():
        if code != default:
            # Not `form_title::...`: pyxform (KoboToolbox, ODK) wants one plain form_title.
            setting[f"translated_title::{name}"] = questionnaire.title.get(code, "")
    setting["min_cell"] = str(questionnaire.min_cell)
    setting["audience"] = questionnaire.audience
    if questionnaire.retention:
        setting["retention"] = questionnaire.retention.isoformat()
    if questionnaire.series:
        setting["series"] = questionnaire.series
    for key in SETTINGS_TEXTS:
        text: Text = getattr(questionnaire, key)
        if text:
            setting.update(texts(key, text))
    _write_sheet(settings, list(setting), [setting])
    return workbook


def _range_parameters(question: Question) -> str:
    """`start=1 end=5 step=1`; a decimal question's written with a point (`step=1.0`),
    so that it comes back decimal."""
    bounds = question.range
    if bounds is None:
        return ""
    whole = question.type is QuestionType.INTEGER
    values = {"start": bounds.start, "end": bounds.end, "step": bounds.step}
    return " ".join(
        f"{key}={int(value) if whole else float(value)!r}" for key, value in values.items()
    )


def _required_cell(required: bool | str) -> str:
    if isinstance(required, str):
        return required
    return "yes" if required else ""


def _write_sheet(sheet: Worksheet, columns: list[str], rows: list[dict[str, str]]) -> None:
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell_text(row.get(column, "")) for column in columns])
    # Text starting with '=' would otherwise be stored as a formula.
    for sheet_row in sheet.iter_rows(min_row=2):
        for cell in sheet_row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = min(60, max(12, len(column) + 2))


def _cell_text(value: str) -> str | None:
    # Control characters cannot be stored in a workbook; nobody means them in a text.
    return ILLEGAL_CHARACTERS_RE.sub("", value) or None
