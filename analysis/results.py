"""Results of a survey for a working group: the data classes behind JSON, pages and files.

Results are read from a `Publication` (`analysis.publication`): every number in them was
audited before, so this module only arranges and labels. `results_from_publication`
serves releases; `build_results` publishes a frame of answers on the spot (the live view
of admins and of `survey-app results`) under the same rules.

Results of a release need neither pandas nor the audit's solver: `results_from_publication`
reads a stored publication (`analysis.publication_format`), and only `build_results`
imports the computation, when it runs.

`Results.to_json()` is the contract of `survey-app results` and
`GET /api/v1/results/{survey}`:

    {"survey", "version", "group", "responses", "min_cell", "release",
     "questions": [{"name", "type", "label", "n", "choices", "counts", "percent",
                    "mean", "median", "q1", "q3", "months"[, "by"][, "compare"]}]}

`questions` holds exactly the questions of the working group (all questions without a
group) in questionnaire order, without notes and calculations. `responses` is the number
of responses counted (hidden like any count when below `min_cell`). `release` is
`{"number", "released_at": "YYYY-MM-DD"}`, or null for live results. Date questions
count per year bin in `months` (keys "-2017" for 2017 or earlier, "2018", ...,
"2026-" for 2026 or later; `bin_label` writes them "≤ 2017", "2018", "≥ 2026").
A ranking (`rank`) counts in `counts` who ranked each choice first and adds
`"mean_rank": {choice: mean place or null}` (1 = first; among those who ranked it).
With a comparison the top level also has `"compare": {"survey", "version", "responses"}`.

A roster's entries (`analysis.presence`): a presence question `<q>__in_<repeat>` (the
responses with at least one entry of each choice) adds `"entries": {choice: count or
null}`, the entries with each choice; an entry-count question `<q>__in_<repeat>__<c>`
(responses by their number of entries with c, `counts` keys "0".."j" up to the last
that is not a shown 0) adds `"entries": {c: count or null}`, and with a breakdown
`"by": {..., "entries": {column: count or null}}`.

Reviewed free text (`analysis.texts`): a text question of a release carries
`"answers": [{"text", "translation"}]` (alphabetical, without their categories) when
the office released some (never otherwise), and a text question with categories is
followed by a derived `select_multiple` question `<name>__categories` (choices `c<id>`,
labelled with the categories) whose counts are published and suppressed like any other.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from analysis.breakdowns import MISSING_COLUMN, comparison
from analysis.kinds import kind_of
from analysis.kinds.base import Reading
from analysis.kinds.date import bin_label
from analysis.presence import ENTRY_COUNT
from analysis.publication_format import Publication
from analysis.summaries import Breakdown, QuestionResult, percent
from analysis.suppression import Count
from analysis.texts import ReleasedAnswer
from survey_app.errors import Invalid
from survey_app.i18n import S_
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ComparedSurvey",
    "NotABreakdownQuestion",
    "ReleaseInfo",
    "Results",
    "ResultsError",
    "SurveyAnswers",
    "UnknownQuestion",
    "bin_label",
    "build_results",
    "check_breakdown",
    "check_own_breakdown",
    "check_wave",
    "live_publication",
    "results_from_publication",
]


class ResultsError(Invalid):
    """A request for results that cannot be answered; the message says why."""

    code = "invalid_results_request"


class UnknownQuestion(ResultsError):
    code = "unknown_question"


class NotABreakdownQuestion(ResultsError):
    code = "not_a_breakdown_question"


class NotAWave(ResultsError):
    """Results compare only waves of one survey: questionnaires of the same `series`."""

    code = "not_a_wave"


def is_wave(questionnaire: Questionnaire, other: Questionnaire) -> bool:
    """Whether `other` is another wave of `questionnaire`'s series (the newcomer survey
    compared with the company survey would set unrelated people side by side, question
    names matching by chance)."""
    series = questionnaire.series
    return other.id != questionnaire.id and series is not None and other.series == series


def check_wave(questionnaire: Questionnaire, other: Questionnaire) -> None:
    """Raise `NotAWave` unless `is_wave(questionnaire, other)`."""
    if is_wave(questionnaire, other):
        return
    if other.id == questionnaire.id:
        raise NotAWave(
            S_("'%(other)s' is the survey itself, not another wave"), values={"other": other.id}
        )
    raise NotAWave(
        S_(
            "'%(other)s' is not a wave of '%(survey)s': only surveys of the same series (the "
            "questionnaires' `series` key) are compared"
        ),
        values={"other": other.id, "survey": questionnaire.id},
    )


@dataclass(frozen=True)
class SurveyAnswers:
    """What live results need from storage: the newest questionnaire and the answers.

    `reference_year` fixes the date bins (the year the survey was first published)."""

    survey: str
    version: int
    questionnaire: Questionnaire
    frame: pd.DataFrame
    reference_year: int | None = None

    @property
    def responses(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class ReleaseInfo:
    """Which release results come from: shown on every output ("Stand: ...")."""

    number: int
    released_at: datetime.date

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "released_at": self.released_at.isoformat()}


@dataclass(frozen=True)
class ComparedSurvey:
    survey: str
    version: int
    responses: Count


@dataclass(frozen=True)
class Results:
    """Suppressed results of one survey for one working group (None: all questions)."""

    survey: str
    version: int
    group: str | None
    responses: Count
    min_cell: int
    language: str
    questions: tuple[QuestionResult, ...]
    by: str | None = None
    compare: ComparedSurvey | None = None
    release: ReleaseInfo | None = None

    @property
    def suppressed(self) -> bool:
        """Whether any value is hidden (the legend is needed)."""
        return self.responses is None or any(q.suppressed for q in self.questions)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "survey": self.survey,
            "version": self.version,
            "group": self.group,
            "responses": self.responses,
            "min_cell": self.min_cell,
            "release": None if self.release is None else self.release.to_json(),
            "questions": [question.to_json() for question in self.questions],
        }
        if self.compare is not None:
            data["compare"] = {
                "survey": self.compare.survey,
                "version": self.compare.version,
                "responses": self.compare.responses,
            }
        return data


def check_breakdown(questionnaire: Questionnaire, survey: str, by: str | None) -> None:
    """Raise `UnknownQuestion` or `NotABreakdownQuestion` unless `by` is None or a
    `select_one` question of `questionnaire`."""
    if by is None:
        return
    question = questionnaire.questions.get(by)
    if question is None:
        raise UnknownQuestion(
            S_("survey '%(survey)s' has no question '%(by)s'"), values={"survey": survey, "by": by}
        )
    if question.appearance == ENTRY_COUNT:
        # A select_one only for the audit (`analysis.presence`): the publication never
        # breaks anything down by it.
        raise NotABreakdownQuestion(
            S_("'%(by)s' counts the entries of a roster; results are not broken down by it"),
            values={"by": by},
        )
    if question.type is not QuestionType.SELECT_ONE:
        raise NotABreakdownQuestion(
            S_("'%(by)s' is a %(type)s question; breakdowns need a select_one question"),
            values={"by": by, "type": question.type},
        )


def check_own_breakdown(questionnaire: Questionnaire, group: str | None, by: str | None) -> None:
    """Raise `ResultsError` when a working group's results would be broken down by a
    question that is not the group's: a member must not cross the group's results with
    another group's (perhaps sensitive) question."""
    if group is None or by is None:
        return
    if by not in {question.name for question in questionnaire.questions_of_group(group)}:
        raise ResultsError(
            S_("'%(by)s' is not a question of working group '%(group)s'"),
            values={"by": by, "group": group},
        )


def _answered(questionnaire: Questionnaire, group: str | None) -> list[Question]:
    return [q for q in questionnaire.questions_of_group(group) if q.takes_answer]


def results_from_publication(
    publication: Publication,
    questionnaire: Questionnaire,
    *,
    survey: str,
    version: int,
    group: str | None = None,
    by: str | None = None,
    language: str | None = None,
    compare: tuple[str, int, Questionnaire, Publication] | None = None,
    release: ReleaseInfo | None = None,
    answers: Mapping[str, Sequence[ReleasedAnswer]] | None = None,
) -> Results:
    """The group's questions as `publication` shows them, broken down by `by` where the
    publication has that breakdown, beside `compare` (survey, version, questionnaire and
    publication of another wave) where the same question is published there, with the
    free-text `answers` the release shows."""
    check_breakdown(questionnaire, survey, by)
    if compare is not None:
        check_wave(questionnaire, compare[2])
    language = questionnaire.language_or_default(language)
    view = _View(publication, questionnaire, language)
    results: list[QuestionResult] = []
    for question in _answered(questionnaire, group):
        result = view.question(question)
        if answers and answers.get(question.name):
            result = replace(result, answers=tuple(answers[question.name]))
        if by is not None:
            result = replace(result, by=view.breakdown(question, questionnaire.questions[by]))
        if compare is not None:
            other_survey, _version, other_questionnaire, other_publication = compare
            other = other_questionnaire.questions.get(question.name)
            if (
                other is not None
                and other.takes_answer
                and other_publication.has(f"n|{question.name}")
            ):
                before = _View(other_publication, other_questionnaire, language).question(other)
                result = replace(result, compare=comparison(result, before, other_survey))
        results.append(result)
    compared = None
    if compare is not None:
        compared = ComparedSurvey(compare[0], compare[1], compare[3].get("responses"))
    return Results(
        survey=survey,
        version=version,
        group=group,
        responses=publication.get("responses"),
        min_cell=publication.min_cell,
        language=language,
        questions=tuple(results),
        by=by,
        compare=compared,
        release=release,
    )


class _View:
    """Reads the numbers of one publication as results data classes: the common frame
    (name, label, n; a breakdown's columns and totals), each question's own figures from
    its kind (`analysis.kinds`)."""

    def __init__(self, publication: Publication, questionnaire: Questionnaire, language: str):
        self.reading = Reading(publication, questionnaire, language)

    def question(self, question: Question) -> QuestionResult:
        reading = self.reading
        label = reading.questionnaire.text_for_results(question.label, reading.language)
        head = QuestionResult(
            question.name, question.type, label, reading.get(f"n|{question.name}")
        )
        return kind_of(question).result(reading, question, head)

    def breakdown(self, question: Question, by: Question) -> Breakdown | None:
        """`question` by the choices of `by`, or None when it is not published."""
        reading = self.reading
        get = reading.get
        q, b = question.name, by.name
        by_choices = reading.choice_labels(by)
        columns = (*by_choices, MISSING_COLUMN)
        labels = by_choices | {MISSING_COLUMN: MISSING_COLUMN}
        base: dict[str, Any] = {"question": b, "columns": columns, "column_labels": labels}
        total = get(f"n|{q}")
        kind = kind_of(question)
        rows = kind.breakdown_rows(reading, question)
        if q == b:
            # A question by itself: its one-way counts on the diagonal, nothing else.
            counts = {r: {c: get(f"count|{q}|{r}") if r == c else 0 for c in columns} for r in rows}
            n: dict[str, Count] = {c: get(f"count|{q}|{c}") for c in by_choices}
            n[MISSING_COLUMN] = 0
        elif reading.publication.has(f"column|{q}|{b}|{MISSING_COLUMN}"):
            n = {c: get(f"column|{q}|{b}|{c}") for c in columns}
            counts = {r: {c: get(f"cell|{q}|{b}|{r}|{c}") for c in columns} for r in rows}
        else:
            return None
        return Breakdown(
            **base,
            n=n,
            total=total,
            counts=counts,
            totals={r: get(f"count|{q}|{r}") for r in rows},
            percent={
                r: {c: percent(x, n[c]) for c, x in cells.items()} for r, cells in counts.items()
            },
            statistics=kind.breakdown_statistics(reading, question, by, columns),
        )


def build_results(
    answers: SurveyAnswers,
    *,
    group: str | None = None,
    by: str | None = None,
    language: str | None = None,
    compare: SurveyAnswers | None = None,
) -> Results:
    """Live results: the group's questions (and the breakdown by `by`) published from
    `answers` on the spot, with both steps of suppression, and beside the same questions
    of `compare` (another wave). Raises `ResultsError` subclasses."""
    questionnaire = answers.questionnaire
    check_breakdown(questionnaire, answers.survey, by)
    if compare is not None:
        check_wave(questionnaire, compare.questionnaire)
    publication = live_publication(answers, group=group, by=by)
    other = None
    if compare is not None:
        other = (
            compare.survey,
            compare.version,
            compare.questionnaire,
            live_publication(compare, group=group, by=None),
        )
    return results_from_publication(
        publication,
        questionnaire,
        survey=answers.survey,
        version=answers.version,
        group=group,
        by=by,
        language=language,
        compare=other,
    )


def live_publication(
    answers: SurveyAnswers, *, group: str | None, by: str | None, reference_year: int | None = None
) -> Publication:
    """What a live view shows (the group's one-way results and one breakdown), audited.
    Date bins end at `reference_year`, else the answers', else this year."""
    # Here, not at the top: results of a release are read without pandas and the solver.
    from analysis.presence import presence_subsets
    from analysis.publication import plan_publication, publish

    year = reference_year or answers.reference_year or datetime.date.today().year
    plan = plan_publication(
        answers.questionnaire,
        breakdowns={group: [by] if by else []},
        reference_year=year,
        subsets=presence_subsets(answers.questionnaire),
    )
    return publish(plan, [answers.frame]).publication
