"""Bar charts as inline SVG: accessible, CSP-safe, and never showing a hidden value."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from analysis.charts import SUPPRESSED_MARK, ChartRow, bar_chart, question_chart
from analysis.frames import frame_from_texts
from analysis.results import SurveyAnswers, build_results
from analysis.summaries import QuestionResult
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from tests.analysis.conftest import texts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input


def bars(svg: str) -> list[ET.Element]:
    return list(parse(svg).iter(f"{SVG}rect"))


def texts_of(svg: str) -> list[str]:
    return [e.text or "" for e in parse(svg).iter(f"{SVG}text")]


def result_of(
    questionnaire: Questionnaire, rows: list[dict[str, Any]], name: str
) -> QuestionResult:
    frame = frame_from_texts(questionnaire, [(questionnaire, texts(*rows))])
    results = build_results(SurveyAnswers(questionnaire.id, 1, questionnaire, frame), language="en")
    return next(q for q in results.questions if q.name == name)


def test_chart_is_an_accessible_image_with_a_title() -> None:
    svg = bar_chart("German level", [ChartRow("A1", (40.0,)), ChartRow("B1", (60.0,))])

    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "German level"
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}title").text == "German level"  # type: ignore[union-attr]
    assert root.get("viewBox", "").startswith("0 0 ")


def test_chart_uses_no_style_attribute_and_no_script() -> None:
    svg = bar_chart("t", [ChartRow("a", (1.0,)), ChartRow("b", (None,))], series=("x", "y"))

    for element in parse(svg).iter():
        assert "style" not in element.attrib
        assert not element.tag.endswith(("script", "style", "foreignObject"))
        assert not any(name.startswith("on") for name in element.attrib)


def test_bars_are_proportional_to_the_values() -> None:
    svg = bar_chart("t", [ChartRow("a", (25.0,)), ChartRow("b", (50.0,))])

    widths = [float(rect.get("width", "0")) for rect in bars(svg)]
    assert widths[1] == 2 * widths[0]


def test_a_suppressed_value_gets_the_mark_and_no_bar() -> None:
    svg = bar_chart("t", [ChartRow("shown", (30.0,)), ChartRow("hidden", (None,))])

    assert len(bars(svg)) == 1
    assert SUPPRESSED_MARK in texts_of(svg)


def test_labels_and_titles_are_escaped() -> None:
    svg = bar_chart('<script>alert("x")</script>', [ChartRow("<b>&</b>", (1.0,))])

    assert "<script>" not in svg
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in svg
    assert parse(svg).get("aria-label") == '<script>alert("x")</script>'


def test_two_series_get_a_legend_and_two_bars_per_row() -> None:
    svg = bar_chart(
        "t", [ChartRow("a", (10.0, 20.0)), ChartRow("b", (30.0, 40.0))], series=("2026", "2025")
    )

    assert len(bars(svg)) == 2 + 4  # two legend squares, four bars
    assert {"2026", "2025"} <= set(texts_of(svg))


def test_choice_question_is_drawn_as_percentages(wave1: Questionnaire) -> None:
    rows = [{"german_level": "a1"}] * 10 + [{"german_level": "b1"}] * 30
    result = result_of(wave1, rows, "german_level")

    svg = question_chart(result, title="Level", format_percent=lambda v: f"{v:g} %")

    assert svg is not None
    assert {"25 %", "75 %"} <= set(texts_of(svg))
    assert len(bars(svg)) == 2  # zero choices get no bar


def test_small_counts_reach_the_chart_only_as_the_mark(wave1: Questionnaire) -> None:
    rows = [{"german_level": "a1"}] * 10 + [{"german_level": "b1"}] * 2
    result = result_of(wave1, rows, "german_level")

    svg = question_chart(result, title="Level", format_percent=lambda v: f"{v:g} %")

    assert svg is not None
    assert SUPPRESSED_MARK in texts_of(svg)
    assert not any(t.startswith(("2 ", "16.7")) for t in texts_of(svg))


def test_text_questions_have_no_chart(wave1: Questionnaire) -> None:
    result = result_of(wave1, [{"comment": "Danke"}] * 6, "comment")

    assert result.type is QuestionType.TEXT
    assert question_chart(result, title="Comment") is None


def test_number_questions_show_quartiles_median_and_mean(wave1: Questionnaire) -> None:
    rows = [{"age": age} for age in range(20, 40)]
    result = result_of(wave1, rows, "age")

    svg = question_chart(result, title="Age", statistic_labels={"mean": "Mean"})

    assert svg is not None
    assert "Mean" in texts_of(svg)
    assert len(bars(svg)) == 4


def test_a_long_label_wraps_onto_a_second_line_and_only_then_is_shortened() -> None:
    two_lines = "Migrationsberatung für Erwachsene (MBE) oder Jugendmigrationsdienst (JMD)"
    three_lines = " ".join([two_lines] * 2)

    shown = texts_of(bar_chart("t", [ChartRow(two_lines, (1.0,)), ChartRow(three_lines, (2.0,))]))

    assert " ".join(shown[:2]) == two_lines
    assert all(len(line) <= 50 for line in shown if line)
    assert shown[4].endswith("…")
    assert three_lines.startswith(shown[3] + " ")


def test_bar_charts_are_drawn_narrow_enough_to_read_on_a_phone() -> None:
    root = parse(bar_chart("t", [ChartRow("a", (1.0,))]))

    # 400 units on a ~330 px wide phone column: 15-unit labels stay above 12 px.
    assert root.get("viewBox", "").split()[2] == "400"
    assert all(float(rect.get("width", "0")) <= 400 for rect in root.iter(f"{SVG}rect"))
