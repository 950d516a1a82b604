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
    range: dict[str, int | float] | None = None
    """A `range`'s `start`, `end` and `step` (a bounded number)."""


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
            return Kind(QuestionType.RANK, list_name=list_name)
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
        return _skip("a ranking needs a choice list: 'rank LIST'")
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
    """A bounded number, integer unless a parameter is written with a decimal point (as
    pyxform decides, but `step=1.0` keeps a decimal question decimal on the way back)."""
    try:
        parameters = {**defaults, **parse_parameters(row.get("parameters"), row.number)}
        written = {key: str(parameters[key]).strip() for key in ("start", "end", "step")}
        values = {key: Decimal(text) for key, text in written.items()}
    except (PyXFormError, InvalidOperation, KeyError):
        return _skip("a range with unreadable parameters")
    if not all(value.is_finite() for value in values.values()):
        return _skip("a range with unreadable parameters")
    if values["step"] <= 0 or values["start"] == values["end"]:
        return _skip("a range needs a positive step and an end other than its start")
    whole = all(
        "." not in written[key] and value == value.to_integral_value()
        for key, value in values.items()
    )
    bounds: dict[str, int | float] = {
        key: int(value) if whole else float(value) for key, value in values.items()
    }
    return Kind(QuestionType.INTEGER if whole else QuestionType.DECIMAL, range=bounds)
