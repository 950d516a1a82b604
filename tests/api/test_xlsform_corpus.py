"""The corpus: real public XLSForms written by others (tests/fixtures/xlsform/shared, each
with its source and licence in README.md and LICENSES/) each import, show every page in
every language, and accept a valid set of answers through the pages and the API; a form's
cascading select refuses, through both, a choice its filter does not offer; the
export with the form's codes holds the choice names its choices sheet gives.

Repeats are answered as entries: through the API a list of objects, through the pages as
the survey page sends them (`entries:members=2`, `members[2].age=34`, ...)."""

from __future__ import annotations

import copy
import csv
import dataclasses
import datetime
import io
import json
import shutil
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from pyxform.xls2json_backends import xls_to_dict, xlsx_to_dict
from sqlalchemy import func
from sqlmodel import select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.questionnaire.expressions import EntryAnswers
from survey_app.questionnaire.rules import (
    MAX_ENTRIES,
    CheckedAnswers,
    check_answers,
    expected_entries,
    offered_choices,
)
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType
from survey_app.questionnaire.xlsform import import_xlsform, questionnaire_yaml
from survey_app.services.exports import export_csv
from survey_app.settings import Settings
from tests.analysis.conftest import store_answers
from tests.conftest import QUESTIONNAIRES, SHARED_XLSFORMS
from tests.web.respondent import Answers, Respondent

CORPUS = sorted(path for path in SHARED_XLSFORMS.iterdir() if path.suffix in (".xls", ".xlsx"))
CASCADING = [
    "pyxform_choice_filter_test.xlsx",
    "reach_msna2024_kobo_tool_draft_v11.xlsx",
]
"""The forms with a cascading select: a `choice_filter` kept by the import that reads an
answer (`pyxform_spaces_in_choices_header.xls` has `true()`, which cascades nothing)."""
TODAY = datetime.date.today()
Steps = tuple[tuple[str, int], ...]
"""Where an entry is: (repeat, position from 1) for each repeat around it, outermost first."""


def candidates(questionnaire: Questionnaire, question: Question) -> list[object]:
    """Answers a person might give, tried in order until the questionnaire accepts one."""
    match question.type:
        case QuestionType.SELECT_ONE:
            return [choice.name for choice in questionnaire.choices_of(question)]
        case QuestionType.SELECT_MULTIPLE:
            names = [choice.name for choice in questionnaire.choices_of(question)]
            return [[name] for name in names] + [names[:2], names[:3]]
        case QuestionType.INTEGER:
            return [1, 5, 0, 9, 20, 50, 100, 1000, 2000, -1]
        case QuestionType.DECIMAL:
            return [15.0, 1.0, 100.0, 1.5, 0.5]
        case QuestionType.DATE:
            days = (0, -1, -365, -3650, 1, 30)
            return [(TODAY + datetime.timedelta(days=d)).isoformat() for d in days]
        case QuestionType.TIME:
            return ["09:30", "14:00", "23:59"]
        case QuestionType.DATETIME:
            return [f"{TODAY.isoformat()}T09:30", f"{TODAY.isoformat()}T00:00"]
        case _:
            return ["Example", "555-123-4567", "42", "a"]


def valid_answers(questionnaire: Questionnaire) -> dict[str, object]:
    """A complete, valid set of answers, found question by question in order (a repeat's
    entries too, each question checked with the whole answers); found once per
    questionnaire and test process, a fresh copy for each caller."""
    if questionnaire.id not in _VALID:
        answers: dict[str, object] = {}
        answer_questions(questionnaire, answers, questionnaire.iter_questions(), ())
        assert check_answers(questionnaire, answers).ok
        _VALID[questionnaire.id] = answers
    return copy.deepcopy(_VALID[questionnaire.id])


_VALID: dict[str, dict[str, object]] = {}


def answer_questions(
    questionnaire: Questionnaire,
    answers: dict[str, object],
    questions: Iterable[Question],
    steps: Steps,
) -> None:
    """Answer `questions` (of the pages, or of the entry at `steps`) with the first
    candidate that the whole answers pass."""
    scope = entry_at(answers, steps)
    prefix = "".join(f"{repeat}[{position}]." for repeat, position in steps)
    for question in questions:
        key = prefix + question.name
        if not question.type.takes_answer:
            continue
        if key not in check_answers(questionnaire, answers).relevant:
            continue
        if question.type is QuestionType.REPEAT:
            found = answer_entries(questionnaire, answers, question, steps)
        else:
            found = False
            for value in candidates(questionnaire, question):
                scope[question.name] = value
                if key not in check_answers(questionnaire, answers).errors:
                    found = True
                    break
                del scope[question.name]
        assert found or not question.required, f"no valid answer found for {key}"


def answer_entries(
    questionnaire: Questionnaire, answers: dict[str, object], repeat: Question, steps: Steps
) -> bool:
    """A repeat's candidates: 1 entry, then 2, then as many as its repeat_count asks,
    each entry answered question by question."""
    scope = entry_at(answers, steps)
    key = "".join(f"{name}[{position}]." for name, position in steps) + repeat.name
    for count in entry_counts(questionnaire, answers, repeat, steps):
        scope[repeat.name] = [{} for _ in range(count)]
        for position in range(1, count + 1):
            inside = (*steps, (repeat.name, position))
            answer_questions(questionnaire, answers, repeat.questions, inside)
        errors = check_answers(questionnaire, answers).errors
        if not any(error == key or error.startswith(f"{key}[") for error in errors):
            return True
        del scope[repeat.name]
    return False


def entry_counts(
    questionnaire: Questionnaire, answers: dict[str, object], repeat: Question, steps: Steps
) -> list[int]:
    counts = [1, 2]
    seen = seen_at(questionnaire, check_answers(questionnaire, answers), steps)
    expected = expected_entries(questionnaire, repeat, seen)
    if expected is not None and expected not in counts and expected <= MAX_ENTRIES:
        counts.append(expected)
    return counts


def entry_at(answers: dict[str, object], steps: Steps) -> dict[str, object]:
    """The answers of the entry at `steps` (the answers themselves for none)."""
    scope = answers
    for repeat, position in steps:
        entries = scope[repeat]
        assert isinstance(entries, list)
        scope = entries[position - 1]
    return scope


def seen_at(
    questionnaire: Questionnaire, checked: CheckedAnswers, steps: Steps
) -> Mapping[str, object]:
    """What expressions see in the entry at `steps` of the cleaned answers."""
    seen: Mapping[str, object] = checked.answers
    entry: Mapping[str, object] = checked.answers
    for repeat, position in steps:
        entries = entry[repeat]
        assert isinstance(entries, list)
        entry = entries[position - 1]
        seen = EntryAnswers(entry, questionnaire.entry_names[repeat], seen, position)
    return seen


@cache
def imported_form(path: Path) -> tuple[Questionnaire, str]:
    """The form's questionnaire and its YAML, imported once per test process (the
    REACH MSNA alone takes seconds, and every test of a form needs it)."""
    result = import_xlsform(path, working_groups=set())
    assert result.errors == []
    assert result.questionnaire is not None
    return result.questionnaire, questionnaire_yaml(result.questionnaire)


@contextmanager
def serving(
    path: Path, settings: Settings, tmp_path: Path
) -> Iterator[tuple[Questionnaire, TestClient[Any]]]:
    """The form imported into a questionnaire directory of its own, and the app serving it."""
    questionnaire, yaml_text = imported_form(path)
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    (directory / f"{questionnaire.id}.yaml").write_text(yaml_text, "utf-8")
    app = create_app(dataclasses.replace(settings, questionnaires=directory))
    with TestClient(app=app) as client:
        yield questionnaire, client


@pytest.fixture(params=CORPUS, ids=lambda path: path.name)
def imported(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[tuple[Questionnaire, TestClient[Any]]]:
    with serving(request.param, settings, tmp_path) as served:
        yield served


@pytest.fixture(params=CASCADING, ids=str)
def cascading(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[tuple[Questionnaire, TestClient[Any]]]:
    with serving(SHARED_XLSFORMS / request.param, settings, tmp_path) as served:
        yield served


def form_values(questionnaire: Questionnaire, answers: dict[str, object]) -> list[Answers]:
    """The answers of each page as a browser sends them (numbers written whole or with '.')."""
    pages: list[Answers] = []
    for page in questionnaire.pages:
        values: Answers = {}
        add_fields(values, page.questions, answers, "")
        pages.append(values)
    return pages


def add_fields(
    values: Answers, questions: Iterable[Question], answers: Mapping[str, object], prefix: str
) -> None:
    """The fields of `questions` (of a page, or of the entry at `prefix`); a repeat at
    path P sends `entries:P` (the number of entries shown) and entry i's fields as
    `P[i].name` (`members[1].jobs[2].title`), valued as any field."""
    for question in questions:
        value = answers.get(question.name)
        path = prefix + question.name
        if question.type is QuestionType.REPEAT:
            if isinstance(value, list):
                values[f"entries:{path}"] = str(len(value))
                for position, entry in enumerate(value, 1):
                    add_fields(values, question.questions, entry, f"{path}[{position}].")
        elif isinstance(value, list):
            values[path] = [str(item) for item in value]
        elif isinstance(value, float) and value.is_integer():
            values[path] = str(int(value))
        elif value is not None:
            values[path] = str(value)


# The per-form tests below are about forms (import, pages, languages, codes), not about
# the database: storing a response is the same code for every form and is tested on
# PostgreSQL elsewhere, so they run on the SQLite pass only (35 forms x 3 tests cost
# about 45 s of the PostgreSQL pass). The cascading selects' refusals run on both.


@pytest.mark.sqlite_only
def test_every_page_shows_in_every_language_and_takes_the_valid_answers(
    imported: tuple[Questionnaire, TestClient[Any]], db: Database
) -> None:
    questionnaire, client = imported
    pages = form_values(questionnaire, valid_answers(questionnaire))
    for language in questionnaire.languages:
        client.cookies.clear()
        respondent = Respondent(client, survey=questionnaire.id)
        assert respondent.start(language).status_code == 200
        for index, values in enumerate(pages):
            action = "submit" if index == len(pages) - 1 else "next"
            shown = respondent.answer_page(index, values, action, language)
            assert shown.status_code == 200, shown.text
            assert f'<html lang="{language}"' in shown.text
    assert stored_count(db) == len(questionnaire.languages)


@pytest.mark.sqlite_only
def test_the_valid_answers_are_accepted_through_the_api(
    imported: tuple[Questionnaire, TestClient[Any]], db: Database
) -> None:
    questionnaire, client = imported
    answers = valid_answers(questionnaire)
    body = {"submission_id": "corpus-1", "language": questionnaire.default_language,
            "answers": answers}  # fmt: skip
    response = client.post(f"/api/v1/surveys/{questionnaire.id}/responses", json=body)
    assert response.status_code == 201, response.text
    with db.read() as session:
        [stored] = session.exec(select(Submission)).all()
    kept = json.loads(stored.answers)
    for name, value in answers.items():
        if questionnaire.questions[name].type is QuestionType.REPEAT:
            assert isinstance(value, list)
            assert len(kept[name]) == len(value)


def stored_count(db: Database) -> int:
    with db.read() as session:
        return session.exec(select(func.count()).select_from(Submission)).one()


def test_the_cascading_forms_are_those_whose_import_keeps_a_choice_filter_reading_answers() -> None:
    kept = [
        path.name
        for path in CORPUS
        for questionnaire, _yaml in [imported_form(path)]
        if any(
            "${" in (question.choice_filter or "")
            for question in questionnaire.all_questions.values()
        )
    ]
    assert kept == CASCADING


def impossible_choice(
    questionnaire: Questionnaire, answers: dict[str, object]
) -> tuple[Question, str]:
    """A filtered question of the pages and a choice of its list that its filter does
    not offer for `answers` (given the answers before it)."""
    for question in questionnaire.iter_questions():
        if not question.choice_filter:
            continue
        offered = {choice.name for choice in offered_choices(questionnaire, question, answers)}
        refused = [c.name for c in questionnaire.choices_of(question) if c.name not in offered]
        if refused:
            return question, refused[0]
    raise AssertionError("no choice filter refuses a choice of its list")


def with_impossible_choice(
    questionnaire: Questionnaire,
) -> tuple[dict[str, object], Question, str]:
    """The valid answers with one filtered question answered by a choice it does not offer."""
    answers = valid_answers(questionnaire)
    question, choice = impossible_choice(questionnaire, answers)
    value: object = [choice] if question.type is QuestionType.SELECT_MULTIPLE else choice
    return {**answers, question.name: value}, question, choice


def test_a_cascading_select_refuses_an_impossible_combination_through_the_api(
    cascading: tuple[Questionnaire, TestClient[Any]], db: Database
) -> None:
    questionnaire, client = cascading
    answers, question, _ = with_impossible_choice(questionnaire)
    body = {"submission_id": "corpus-2", "language": questionnaire.default_language,
            "answers": answers}  # fmt: skip
    response = client.post(f"/api/v1/surveys/{questionnaire.id}/responses", json=body)
    assert response.status_code == 422, response.text
    assert question.name in response.text
    assert stored_count(db) == 0


def test_a_cascading_select_refuses_an_impossible_combination_through_the_page(
    cascading: tuple[Questionnaire, TestClient[Any]], db: Database
) -> None:
    questionnaire, client = cascading
    answers, question, _ = with_impossible_choice(questionnaire)
    pages = form_values(questionnaire, answers)
    language = questionnaire.default_language
    respondent = Respondent(client, survey=questionnaire.id)
    assert respondent.start(language).status_code == 200
    target = next(
        index for index, page in enumerate(questionnaire.pages) if question in page.questions
    )
    for index in range(target):
        assert respondent.answer_page(index, pages[index], "next", language).status_code == 200
    shown = respondent.answer_page(target, pages[target], "next", language)
    assert shown.status_code == 422, shown.text
    assert f'id="q-{question.name}-error"' in shown.text
    assert stored_count(db) == 0


# -- the export with the form's codes --------------------------------------------------

SELECTS = (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE, QuestionType.RANK)
SELECT_TYPES = (
    *("select_one ", "select one ", "select_multiple ", "select multiple "),
    *("select all that apply ", "rank "),
)
"""How a select question's type starts in XLSForms, followed by (`from`) its list."""


def sheet_rows(path: Path, sheet: str) -> list[dict[str, str]]:
    """A sheet's rows as pyxform's workbook readers give them (not through the import),
    columns named in lower case with underscores for spaces; [] without such a sheet."""
    read = xlsx_to_dict if path.suffix == ".xlsx" else xls_to_dict
    with warnings.catch_warnings():
        # openpyxl warns of Excel extensions it does not read; none holds the cells read.
        warnings.simplefilter("ignore", UserWarning)
        book = read(str(path))
    sheets = {name.strip().lower(): rows for name, rows in book.items()}
    rows = sheets.get(sheet, [])
    return [
        {str(key).strip().lower().replace(" ", "_"): cell_text(cell) for key, cell in row.items()}
        for row in rows
    ]


def cell_text(value: object) -> str:
    """A cell as the form's author typed it: a whole number without `.0`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def form_choice_names(path: Path) -> dict[str, set[str]]:
    """Each select question's choice names as the XLSForm's sheets give them (its
    list's names on the choices sheet, and `other` for `or_other`), by question name."""
    lists: dict[str, set[str]] = {}
    for choice in sheet_rows(path, "choices"):
        if choice.get("list_name") and choice.get("name"):
            lists.setdefault(choice["list_name"], set()).add(choice["name"])
    names: dict[str, set[str]] = {}
    for question in sheet_rows(path, "survey"):
        kind = " ".join(question.get("type", "").split())
        for prefix in SELECT_TYPES:
            if kind.lower().startswith(prefix):
                words = kind[len(prefix) :].split()
                list_name, *rest = words[1:] if words[0].lower() == "from" else words
                names[question["name"]] = lists[list_name] | ({"other"} if rest else set())
    return names


def stored_selections(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> Iterator[tuple[str, frozenset[str]]]:
    """Every select answer of stored answers (entries included): question and names."""
    for name, value in answers.items():
        question = questionnaire.all_questions.get(name)
        if question is None:
            continue
        if question.type is QuestionType.REPEAT and isinstance(value, list):
            for entry in value:
                yield from stored_selections(questionnaire, entry)
        elif question.type in SELECTS:
            names = [value] if isinstance(value, str) else value
            if isinstance(names, list) and names:
                yield name, frozenset(str(n) for n in names)


def exported_selections(
    questionnaire: Questionnaire, paths: Iterable[Path]
) -> Iterator[tuple[str, frozenset[str]]]:
    """Every non-empty select cell of the export's tables: question (its header) and names."""
    selects = {n for n, q in questionnaire.all_questions.items() if q.type in SELECTS}
    for path in paths:
        for row in csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))):
            for header, cell in row.items():
                if header in selects and cell:
                    yield header, frozenset(cell.split())


@pytest.mark.sqlite_only
@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.name)
def test_the_export_with_codes_holds_the_forms_own_choice_names(
    path: Path, db: Database, tmp_path: Path
) -> None:
    questionnaire, _yaml = imported_form(path)
    checked = check_answers(questionnaire, valid_answers(questionnaire))
    store_answers(db, questionnaire, dict(checked.answers))
    with db.read() as session:
        [stored] = session.exec(select(Submission)).all()

    written = export_csv(db, questionnaire.id, tmp_path / "codes.csv", values="codes")

    names = form_choice_names(path)
    given = Counter(stored_selections(questionnaire, json.loads(stored.answers)))
    exported = Counter(exported_selections(questionnaire, written.paths))
    assert exported == given
    for question, chosen in exported:
        assert chosen <= names[question], question
