"""Question kinds: every answered question type has one, with its partial, and a new kind
flows through publication, results and the page without other modules knowing it."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import pytest
from jinja2 import ChoiceLoader, DictLoader

from analysis.frames import frame_from_texts
from analysis.kinds import KINDS, Kind, kind_of, registered
from analysis.kinds.base import Dimension, Reading, count_rows
from analysis.kinds.moment import MomentKind
from analysis.results import SurveyAnswers, build_results
from analysis.summaries import QuestionResult
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType
from survey_app.render.results import Texts, _question_view
from survey_app.render.templating import TEMPLATES, jinja_environment
from tests.analysis.conftest import texts
from tests.conftest import FIXTURES

if TYPE_CHECKING:
    import pandas as pd

    from analysis.kinds.base import IntArray


@pytest.mark.parametrize("type_", list(QuestionType))
def test_every_answered_question_type_has_a_kind_and_notes_have_none(
    type_: QuestionType,
) -> None:
    if type_.takes_answer:
        assert type_ in kind_of(type_).types
    else:
        with pytest.raises(KeyError, match="has no kind"):
            kind_of(type_)


@pytest.mark.parametrize("kind", sorted({k.name: k for k in KINDS.values()}.values(), key=str))
def test_every_kind_has_its_partial(kind: Kind) -> None:
    assert (TEMPLATES / kind.partial).is_file()
    assert kind.partial == f"results/kinds/{kind.name}.html"


class Daytime(Kind):
    """A toy kind: times counted as morning or afternoon (not a rule of this project:
    times are not counted by value)."""

    name = "daytime"
    types = (QuestionType.TIME,)
    LABELS = {"morning": "vormittags", "afternoon": "nachmittags"}

    def dimension(
        self, questionnaire: Questionnaire, question: Question, reference_year: int
    ) -> Dimension:
        return Dimension(question, tuple(self.LABELS))

    def codes(self, frame: pd.DataFrame, dimension: Dimension) -> IntArray:
        hours = frame[dimension.name].str[:2].astype("float64").to_numpy()
        codes = np.where(hours < 12, 0, 1)
        return np.where(np.isnan(hours), len(dimension.categories), codes).astype(np.int64)

    def rows(self, reading: Reading, question: Question) -> dict[str, str]:
        return dict(self.LABELS)

    def result(self, reading: Reading, question: Question, head: QuestionResult) -> QuestionResult:
        rows = self.rows(reading, question)
        counts, shares = count_rows(reading, question.name, rows, head.n)
        return replace(head, choices=rows, counts=counts, percent=shares)


def test_a_new_kind_flows_through_publication_results_and_its_partial() -> None:
    loaded = load_questionnaire(FIXTURES / "moments.yaml", working_groups={"arbeit"})
    moments = loaded.questionnaire
    assert moments is not None, loaded.problems
    rows = [{"opens": "08:30"}] * 20 + [{"opens": "14:00"}] * 10 + [{}] * 5
    frame = frame_from_texts(moments, [(moments, texts(*rows))])
    answers = SurveyAnswers("moments", 1, moments, frame, reference_year=2026)
    environment = jinja_environment()
    environment = environment.overlay(
        loader=ChoiceLoader(
            [
                DictLoader({"results/kinds/daytime.html": "<p>{{ r.counts['morning'] }}</p>"}),
                environment.loader,
            ]
        )
    )

    with registered(Daytime()):
        results = build_results(answers)
        opens = next(q for q in results.questions if q.name == "opens")
        page = SimpleNamespace(results=results, interactive=False, breakdowns=())
        html = environment.get_template("results/_question.html").render(
            q=_question_view(opens, Texts("de"), ()), t=Texts("de"), page=page
        )

    found = opens.to_json()
    assert (found["n"], found["counts"]) == (30, {"morning": 20, "afternoon": 10})
    assert found["choices"] == Daytime.LABELS
    assert "<p>20</p>" in html
    assert isinstance(kind_of(QuestionType.TIME), MomentKind)  # registered only in the block
