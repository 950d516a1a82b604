"""Results of a survey for a working group: the data classes behind JSON, pages and files.

`build_results` takes a survey's answers frame (see `analysis.frames`) and returns a
`Results`, whose `to_json()` is the contract of `survey-app results` and
`GET /api/v1/results/{survey}`:

    {"survey", "version", "group", "responses", "min_cell",
     "questions": [{"name", "type", "label", "n", "choices", "counts", "percent",
                    "mean", "median", "q1", "q3", "months"[, "by"][, "compare"]}]}

`questions` holds exactly the questions of the working group (all questions without a
group) in questionnaire order, without notes and calculations. `responses` is the number
of stored responses (all versions), hidden like any count when below `min_cell`. With a
comparison the top level also has `"compare": {"survey", "version", "responses"}`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from analysis.breakdowns import breakdown, comparison
from analysis.summaries import QuestionResult, summarize, summarized_types
from analysis.suppression import Count, hide_small
from survey_app.questionnaire.schema import Questionnaire, QuestionType

__all__ = [
    "ComparedSurvey",
    "NotABreakdownQuestion",
    "Results",
    "ResultsError",
    "SurveyAnswers",
    "UnknownQuestion",
    "build_results",
]


class ResultsError(ValueError):
    """A request for results that cannot be answered; the message says why."""


class UnknownQuestion(ResultsError):
    pass


class NotABreakdownQuestion(ResultsError):
    pass


@dataclass(frozen=True)
class SurveyAnswers:
    """What the results need from storage: the newest questionnaire and the answers frame."""

    survey: str
    version: int
    questionnaire: Questionnaire
    frame: pd.DataFrame

    @property
    def responses(self) -> int:
        return len(self.frame)


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

    @property
    def suppressed(self) -> bool:
        """Whether any value is hidden (the footnote is needed)."""
        return self.responses is None or any(q.suppressed for q in self.questions)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "survey": self.survey,
            "version": self.version,
            "group": self.group,
            "responses": self.responses,
            "min_cell": self.min_cell,
            "questions": [question.to_json() for question in self.questions],
        }
        if self.compare is not None:
            data["compare"] = {
                "survey": self.compare.survey,
                "version": self.compare.version,
                "responses": self.compare.responses,
            }
        return data


def build_results(
    answers: SurveyAnswers,
    *,
    group: str | None = None,
    by: str | None = None,
    language: str | None = None,
    compare: SurveyAnswers | None = None,
) -> Results:
    """Summaries of the group's questions, optionally broken down by `by` and set beside
    the same questions of `compare` (another wave). Raises `ResultsError` subclasses."""
    questionnaire = answers.questionnaire
    language = questionnaire.language_or_default(language)
    by_question = None
    if by is not None:
        by_question = questionnaire.questions.get(by)
        if by_question is None:
            raise UnknownQuestion(f"survey '{answers.survey}' has no question '{by}'")
        if by_question.type is not QuestionType.SELECT_ONE:
            raise NotABreakdownQuestion(
                f"'{by}' is a {by_question.type} question; breakdowns need a select_one question"
            )
    types = summarized_types()
    results: list[QuestionResult] = []
    for question in questionnaire.questions_of_group(group):
        if question.type not in types:
            continue
        result = summarize(answers.frame, questionnaire, question, language)
        if by_question is not None:
            table = breakdown(answers.frame, questionnaire, question, by_question, language)
            result = replace(result, by=table)
        if compare is not None:
            other = compare.questionnaire.questions.get(question.name)
            if other is not None and other.type.takes_answer:
                before = summarize(compare.frame, compare.questionnaire, other, language)
                result = replace(result, compare=comparison(result, before, compare.survey))
        results.append(result)
    return Results(
        survey=answers.survey,
        version=answers.version,
        group=group,
        responses=hide_small(answers.responses, questionnaire.min_cell),
        min_cell=questionnaire.min_cell,
        language=language,
        questions=tuple(results),
        by=by,
        compare=None
        if compare is None
        else ComparedSurvey(
            compare.survey,
            compare.version,
            hide_small(compare.responses, compare.questionnaire.min_cell),
        ),
    )
