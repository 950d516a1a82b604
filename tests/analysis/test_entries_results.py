"""Results of a repeat for the working groups: how many respondents gave entries (its
n) and the number of entries per response, under the rules of a number (mean where n
is shown and at least `min_cell`, median and quartiles from max(20, 2 * min_cell));
what the entries answered is not counted. Releases of a survey with repeats are audited
and read back like any other."""

from __future__ import annotations

import statistics
from pathlib import Path
from types import SimpleNamespace

from openpyxl import load_workbook

from analysis.exports import write_results_xlsx
from analysis.frames import frame_from_texts
from analysis.kinds import kind_of
from analysis.kinds.repeat import RepeatKind
from analysis.results import SurveyAnswers, build_results
from survey_app.db.engine import Database
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from survey_app.render.results import Texts, _question_view
from survey_app.render.templating import jinja_environment
from survey_app.services.released import release_results
from survey_app.services.releases import release_create
from tests.analysis.conftest import household, member, store_answers, texts

HEAD = member("Amal", 41, "head", works="no")
CHILD = member("Lina", 4, "child")


def households(sizes: list[int]) -> list[dict[str, object]]:
    """Households of the given sizes: a head, then children."""
    return [household(HEAD, *[CHILD] * (size - 1)) for size in sizes]


SIZES = [1, 2, 2, 3, 3, 3, 4, 4, 5, 6] * 3  # 30 households, 98 members


def results_of(roster: Questionnaire, rows: list[dict[str, object]]) -> object:
    frame = frame_from_texts(roster, [(roster, texts(*rows))])
    return build_results(SurveyAnswers("roster", 1, roster, frame, reference_year=2026))


def test_a_repeat_is_counted_by_its_own_kind() -> None:
    assert isinstance(kind_of(QuestionType.REPEAT), RepeatKind)


def test_a_repeat_shows_how_many_gave_entries_and_entries_per_response(
    roster: Questionnaire,
) -> None:
    # Five responses without entries (k = 5): with fewer, who gave none would be a
    # count of 1..4 (the responses minus the repeat's n), and the audit hides the n.
    results = results_of(roster, [*households(SIZES), *[{}] * 5])

    members = next(q for q in results.questions if q.name == "members")  # type: ignore[attr-defined]
    assert members.n == 30
    assert members.mean == round(statistics.mean(SIZES), 2)
    assert members.median == statistics.median(SIZES)
    assert (members.q1, members.q3) == (2.0, 4.0)


def test_a_repeat_of_few_respondents_shows_no_statistics(roster: Questionnaire) -> None:
    results = results_of(roster, [*households([1, 2, 3]), *[{}] * 10])

    members = next(q for q in results.questions if q.name == "members")  # type: ignore[attr-defined]
    assert members.n is None
    assert (members.mean, members.median, members.q1, members.q3) == (None, None, None, None)


def test_statistics_of_entries_need_as_many_respondents_as_a_numbers(
    roster: Questionnaire,
) -> None:
    results = results_of(roster, households([1, 2, 3, 4, 2, 2, 1, 3]))  # n = 8: no median

    members = next(q for q in results.questions if q.name == "members")  # type: ignore[attr-defined]
    assert members.n == 8
    assert members.mean == 2.25
    assert members.median is None


def test_the_results_page_shows_a_repeat_as_numbers(roster: Questionnaire) -> None:
    results = results_of(roster, households(SIZES))
    members = next(q for q in results.questions if q.name == "members")  # type: ignore[attr-defined]
    page = SimpleNamespace(results=results, interactive=False, breakdowns=())

    html = (
        jinja_environment()
        .get_template("results/_question.html")
        .render(q=_question_view(members, Texts("de"), ()), t=Texts("de"), page=page)
    )

    assert '<th scope="row">Mittelwert</th><td>3,3</td>' in html  # members per household
    assert '<th scope="row">Median</th><td>3</td>' in html


def test_a_release_of_a_survey_with_repeats_is_audited_stored_and_read_back(
    db: Database, roster: Questionnaire
) -> None:
    store_answers(db, roster, *households(SIZES))

    made = release_create(db, "roster", actor="lea")
    found = release_results(db, "roster")

    assert made.responses == 30
    members = next(q for q in found.questions if q.name == "members")
    # A release counts children per household too (`analysis.presence`): 3 households
    # with four and 3 with five are hidden, and the mean (3.3 members of 30 households,
    # 99 in all) would pin both: it is not shown (tests/analysis/test_entry_counts.py).
    assert (members.n, members.mean, members.median) == (30, None, 3)


def test_the_groups_workbook_has_a_repeats_statistics(
    roster: Questionnaire, tmp_path: Path
) -> None:
    results = results_of(roster, households(SIZES))
    path = tmp_path / "roster.xlsx"

    write_results_xlsx(results, path)  # type: ignore[arg-type]

    sheet = load_workbook(path)["Person"]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert values["Antworten (n)"] == 30
    assert (values["Mittelwert"], values["Median"]) == (3.3, 3)
