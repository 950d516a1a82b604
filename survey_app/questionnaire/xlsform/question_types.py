"""What each XLSForm survey-sheet type becomes in a questionnaire, or why it is left out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import cast

from pyxform import aliases
from pyxform import constants as pyxform_constants
from pyxform.errors import PyXFormError
from pyxform.parsing.parameters import parse as parse_parameters
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2json import RE_SELECT

from survey_app.questionnaire.errors import ProblemCode
from survey_app.questionnaire.schema import QuestionType
from survey_app.questionnaire.xlsform.workbook import Row

YES = frozenset(key for key, value in aliases.yes_no.items() if value)
NO = frozenset(key for key, value in aliases.yes_no.items() if not value)


@dataclass(frozen=True)
class Kind:
    """What a survey-sheet type becomes: a question type, or a reason to skip the row."""

    type: QuestionType | None
    reason: str = ""
    list_name: str | None = None
    warning: str = ""
    warning_code: ProblemCode = ProblemCode.COLUMN_DROPPED
    constraint: str | None = None
    or_other: bool = False
    """`select_one list or_other`: an 'Other' choice with a text question for it."""


def _skip(reason: str) -> Kind:
    return Kind(None, reason)


_BIND_TYPES = {
    "string": QuestionType.TEXT,
    "int": QuestionType.INTEGER,
    "decimal": QuestionType.DECIMAL,
    "date": QuestionType.DATE,
    "time": QuestionType.TIME,
    "dateTime": QuestionType.DATETIME,
}
_UNSUPPORTED_BIND_TYPES = {
    "geopoint": "a location (geopoint) cannot be collected by a web survey",
    "geotrace": "a location (geotrace) cannot be collected by a web survey",
    "geoshape": "a location (geoshape) cannot be collected by a web survey",
    "barcode": "barcode scanning is not available in a web survey",
}


def kind_of(type_text: str, row: Row) -> Kind:
    select = RE_SELECT.search(type_text)
    if select:
        command, list_name = select.group("select_command"), select.group("list_name")
        if command in aliases.select_from_file:
            return _skip(f"choices from an external file ('{list_name}') cannot be loaded")
        meaning = aliases.select[command]
        if meaning == pyxform_constants.SELECT_ONE_EXTERNAL:
            return _skip("external choice lists (select_one_external) are not supported")
        if meaning == pyxform_constants.RANK:
            return _skip("ranking questions are not supported")
        question_type = (
            QuestionType.SELECT_ONE
            if meaning == pyxform_constants.SELECT_ONE
            else QuestionType.SELECT_MULTIPLE
        )
        or_other = bool(select.group("specify_other"))
        return Kind(question_type, list_name=list_name, or_other=or_other)
    entry = QUESTION_TYPE_DICT.get(type_text) or QUESTION_TYPE_DICT.get(type_text.lower())
    if entry is None:
        return _skip(f"unknown type '{type_text}'")
    bind: dict[str, str] = entry.get("bind", {})
    control: dict[str, str] = entry.get("control", {})
    tag, bind_type = control.get("tag"), bind.get("type", "")
    if "jr:preload" in bind or type_text == "audit" or tag == "action":
        return _skip(f"metadata ('{type_text}') is recorded by ODK devices, not asked")
    if tag is None:
        if bind_type == "string":
            return Kind(QuestionType.CALCULATE)
        return _skip(f"'{type_text}' (external data) is not supported")
    if tag == "trigger":
        return _skip("acknowledge/trigger questions are not supported")
    if tag == "upload":
        kind = control.get("mediatype", "file").split("/")[0]
        return _skip(f"file uploads ({kind}) are not supported")
    if tag == "odk:rank":
        return _skip("ranking questions are not supported")
    if tag == "range":
        return _range_kind(row, cast(dict[str, str], entry.get("parameters", {})))
    if bind_type in _UNSUPPORTED_BIND_TYPES:
        return _skip(_UNSUPPORTED_BIND_TYPES[bind_type])
    if bind.get("readonly") == "true()":
        return Kind(QuestionType.NOTE)
    if bind_type not in _BIND_TYPES:
        return _skip(f"type '{type_text}' is not supported")
    return Kind(_BIND_TYPES[bind_type], constraint=bind.get("constraint"))


def _range_kind(row: Row, defaults: Mapping[str, str]) -> Kind:
    try:
        parameters = {**defaults, **parse_parameters(row.get("parameters"), row.number)}
        start, end = Decimal(parameters["start"]), Decimal(parameters["end"])
        step = Decimal(parameters["step"])
    except (PyXFormError, InvalidOperation, KeyError):
        return _skip("a range with unreadable parameters")
    whole = all(value == value.to_integral_value() for value in (start, end, step))
    low, high = sorted((start, end))
    return Kind(
        QuestionType.INTEGER if whole else QuestionType.DECIMAL,
        constraint=f". >= {low} and . <= {high}",
        warning=f"range shown as a number field from {low} to {high}",
        warning_code=ProblemCode.TYPE_CHANGED,
    )
