"""Results of demo data, pinned: JSON, CLI tables, charts and the question partial of
every question kind, as they were before the kinds moved into `analysis.kinds`.

The golden file was written by the code of `main` before the move (`python -m
tests.analysis.test_results_golden` writes it again); a change of a published number,
a JSON key or a page's markup shows here as a difference to review, not to accept.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from analysis.charts import question_chart
from analysis.demo import demo_responses
from analysis.frames import frame_from_texts
from analysis.results import (
    Results,
    SurveyAnswers,
    build_results,
    live_publication,
    results_from_publication,
)
from analysis.results_tables import results_csv, results_text
from analysis.texts import ReleasedAnswer
from survey_app.questionnaire.loader import load_questionnaire, load_working_group_catalog
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from survey_app.render.results import Texts, _question_view
from survey_app.render.templating import jinja_environment
from tests.analysis.conftest import load, texts
from tests.conftest import FIXTURES, QUESTIONNAIRES

GOLDEN = Path(__file__).resolve().parent / "golden" / "results.json"
TODAY = datetime.date(2026, 3, 1)
RESPONSES = 240


def _questionnaire(source: str) -> Questionnaire:
    if source in ("wave1", "wave2"):
        return load(source)
    directory = QUESTIONNAIRES if source in ("newcomer", "company") else FIXTURES
    groups = {group.id for group in load_working_group_catalog(QUESTIONNAIRES)[0]}
    path = directory / f"{source}.yaml"
    with tempfile.TemporaryDirectory() as temporary:
        if source == "kinds":
            # Its one select_one answered, so that the ranking has a breakdown.
            text = re.sub(r"\n *readonly: true", "", path.read_text(encoding="utf-8"), count=1)
            path = Path(temporary) / path.name
            path.write_text(text, encoding="utf-8")
        loaded = load_questionnaire(path, working_groups=groups)
    assert loaded.questionnaire is not None, loaded.problems
    return loaded.questionnaire


def _answers(questionnaire: Questionnaire, seed: int = 1) -> SurveyAnswers:
    rows = [r.answers for r in demo_responses(questionnaire, RESPONSES, seed=seed, today=TODAY)]
    frame = frame_from_texts(questionnaire, [(questionnaire, texts(*rows))])
    return SurveyAnswers(questionnaire.id, 1, questionnaire, frame, reference_year=2026)


def _by(questionnaire: Questionnaire) -> str:
    return next(
        q.name
        for q in questionnaire.iter_questions()
        if q.type is QuestionType.SELECT_ONE and q.takes_answer
    )


def _released(answers: SurveyAnswers, by: str | None) -> Results:
    """Results as a release reads them, with reviewed answers for every text question."""
    questionnaire = answers.questionnaire
    shown = {
        q.name: [ReleasedAnswer("Gut so", "Fine"), ReleasedAnswer("Mehr Kurse", None)]
        for q in questionnaire.iter_questions()
        if q.type is QuestionType.TEXT
    }
    return results_from_publication(
        live_publication(answers, group=None, by=by),
        questionnaire,
        survey=answers.survey,
        version=1,
        by=by,
        language="en",
        answers=shown,
    )


def _partials(results: Results) -> dict[str, str]:
    """Each question's partial (`results/_question.html`) and chart, in German."""
    t = Texts("de")
    template = jinja_environment().get_template("results/_question.html")
    page = SimpleNamespace(
        results=results, interactive=False, breakdowns=(), breakdown_label=lambda name: name
    )
    out = {}
    for result in results.questions:
        q = _question_view(result, t, ("Welle 2", "Welle 1"))
        out[result.name] = template.render(q=q, t=t, page=page)
        out[f"{result.name} chart"] = str(
            question_chart(result, title=result.label, series=("a", "b"))
        )
    return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _outputs(results: Results, *, digests: bool) -> dict[str, Any]:
    """The outputs, or (`digests`, for the large production surveys) their SHA-256: the
    fixtures, small and of every kind, are kept whole to read a difference in."""
    found = {
        "json_text": json.dumps(results.to_json(), ensure_ascii=False),
        "text": results_text(results),
        "csv": results_csv(results),
    }
    partials = _partials(results)
    if digests:
        return {k: _digest(v) for k, v in found.items()} | {
            "partials": {k: _digest(v) for k, v in partials.items()}
        }
    return {"json": results.to_json(), **found, "partials": partials}


def golden_outputs() -> dict[str, Any]:
    """Every case's outputs, by case name."""
    cases: dict[str, Any] = {}
    for source in ("newcomer", "company", "kinds", "moments", "wave1"):
        answers = _answers(_questionnaire(source))
        by = _by(answers.questionnaire)
        digests = source in ("newcomer", "company")
        cases[source] = _outputs(build_results(answers), digests=digests)
        cases[f"{source} by {by}"] = _outputs(build_results(answers, by=by), digests=digests)
        cases[f"{source} released by {by}"] = _outputs(_released(answers, by), digests=digests)
    compared = build_results(
        _answers(_questionnaire("wave2"), seed=2), compare=_answers(_questionnaire("wave1"))
    )
    cases["wave2 compared with wave1"] = _outputs(compared, digests=False)
    return cases


def _normalised(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, sort_keys=True))


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def outputs() -> dict[str, Any]:
    return _normalised(golden_outputs())  # type: ignore[no-any-return]


def test_results_json_of_demo_data_is_unchanged(
    golden: dict[str, Any], outputs: dict[str, Any]
) -> None:
    assert set(outputs) == set(golden)
    for case, found in outputs.items():
        assert found.get("json") == golden[case].get("json"), case
        assert found["json_text"] == golden[case]["json_text"], case  # byte for byte


def test_results_tables_of_demo_data_are_unchanged(
    golden: dict[str, Any], outputs: dict[str, Any]
) -> None:
    for case, found in outputs.items():
        assert (found["text"], found["csv"]) == (golden[case]["text"], golden[case]["csv"]), case


def test_question_partials_and_charts_of_demo_data_are_unchanged(
    golden: dict[str, Any], outputs: dict[str, Any]
) -> None:
    for case, found in outputs.items():
        for name, html in found["partials"].items():
            assert html == golden[case]["partials"][name], (case, name)


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    text = json.dumps(golden_outputs(), ensure_ascii=False, sort_keys=True, indent=1)
    GOLDEN.write_text(text + "\n", encoding="utf-8")
