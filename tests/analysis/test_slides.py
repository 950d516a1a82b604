"""Slides (PPTX) of a working group's results, opened again with python-pptx."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from typing import Any

import pytest
from lxml import etree
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION

from analysis.frames import frame_from_texts
from analysis.key_figures import key_figures
from analysis.results import Results, SurveyAnswers, build_results
from analysis.slides import SlideTexts, _data_label_size, results_pptx
from analysis.summaries import QuestionResult
from analysis.texts import ReleasedAnswer
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from tests.analysis.conftest import texts
from tests.analysis.test_results_golden import _answers, _by, _questionnaire, _released

# 49 respondents: a2 (3) is below min_cell 5 and b2 (11) is hidden so that 3 cannot be
# worked out from n; neither 3 nor 11 is any other number of the slides.
LEVELS = ["a1"] * 20 + ["a2"] * 3 + ["b1"] * 15 + ["b2"] * 11
HIDDEN_COUNTS = {"a2": 3, "b2": 11}
SHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
BAR_TYPES = {XL_CHART_TYPE.BAR_CLUSTERED, XL_CHART_TYPE.COLUMN_CLUSTERED}

TEXTS = SlideTexts(
    survey_title="Survey wave one",
    heading="Results of the working group Work",
    period="Live results",
    responses="Responses: many",
    minimum="Minimum per cell: five",
    rule="Small numbers are not shown.",
    legend="· = not shown",
    count="Count",
    missing="no answer",
    statistic="Statistic",
    value="Value",
    statistics={"q1": "lower quartile", "median": "median", "mean": "mean", "q3": "upper quartile"},
    answered=lambda count: f"Responses: {count}",
    bars="Bars: counts, labelled with percentages",
    bars_by="Bars: counts, labelled with percentages in each group",
    bars_plain="Bars: counts",
    by=lambda question: f"Broken down by: {question}",
    hidden=lambda count: f"{count} values are not shown.",
    format_count=lambda value: "·" if value is None else str(value),
    format_percent=lambda value: f"{value:.1f}%",
    format_number=lambda value: f"{value:g}",
    key_figures="At a glance",
    key_figure_columns=("Question", "Most frequent answer", "%"),
)


def results(wave1: Questionnaire, group: str, by: str | None = None) -> Results:
    rows: list[dict[str, Any]] = []
    for i, level in enumerate(LEVELS):
        row: dict[str, Any] = {"german_level": level, "age": 20 + i % 40}
        row["employed"] = "yes" if i % 2 else "no"
        if i % 2:
            row["hours"] = 10.0 + i % 20
        rows.append(row)
    frame = frame_from_texts(wave1, [(wave1, texts(*rows))])
    return build_results(SurveyAnswers("wave1", 1, wave1, frame), group=group, by=by)


def deck(data: bytes) -> Any:
    return Presentation(io.BytesIO(data))


def charts(slide: Any) -> list[Any]:
    return [shape.chart for shape in slide.shapes if shape.has_chart]


def slide_text(slide: Any) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def test_a_title_slide_then_a_slide_per_question_of_the_group(wave1: Questionnaire) -> None:
    found = results(wave1, "arbeit")

    slides = list(deck(results_pptx(found, TEXTS)).slides)

    # arbeit in wave1: german_level, age, employed, hours
    assert len(slides) == 1 + 1 + 4
    assert slides[0].shapes.title.text == "Survey wave one"
    title_page = slide_text(slides[0])
    for line in (TEXTS.heading, TEXTS.period, TEXTS.rule, TEXTS.legend, TEXTS.minimum):
        assert line in title_page
    assert slides[1].shapes.title.text == "At a glance"
    assert [s.shapes.title.text for s in slides[2:]] == [q.label for q in found.questions]


def test_the_key_figures_slide_lists_the_most_frequent_answers_largest_first(
    wave1: Questionnaire,
) -> None:
    found = results(wave1, "arbeit")

    summary = deck(results_pptx(found, TEXTS)).slides[1]

    (table,) = [shape.table for shape in summary.shapes if shape.has_table]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["Question", "Most frequent answer", "%"]
    assert [row[0] for row in rows[1:]] == [f.question for f in key_figures(found)]
    shares = [float(row[2].rstrip("%")) for row in rows[1:]]
    assert shares == sorted(shares, reverse=True)


def test_the_group_gets_only_its_own_questions(wave1: Questionnaire) -> None:
    slides = list(deck(results_pptx(results(wave1, "sprache"), TEXTS)).slides)

    assert [s.shapes.title.text for s in slides[2:]] == ["Wie gut sprechen Sie Deutsch?"]


def test_choice_questions_are_native_bar_charts_of_the_shown_counts(
    wave1: Questionnaire,
) -> None:
    found = results(wave1, "arbeit")
    slides = list(deck(results_pptx(found, TEXTS)).slides)

    for question, slide in zip(found.questions, slides[2:], strict=True):
        if not question.counts:
            continue
        (chart,) = charts(slide)
        assert chart.chart_type in BAR_TYPES
        (series,) = chart.plots[0].series
        assert series.values == tuple(question.counts[c] for c in question.choices)
        labels = [point.data_label.text_frame.text for point in series.points]
        assert labels == [
            "·" if question.percent[c] is None else f"{question.percent[c]:.1f}%"
            for c in question.choices
        ]


def test_hidden_counts_are_gaps_with_the_legend(wave1: Questionnaire) -> None:
    found = results(wave1, "sprache")
    assert found.questions[0].counts["a2"] is None  # the premise

    (_title, _summary, slide) = deck(results_pptx(found, TEXTS)).slides
    (chart,) = charts(slide)

    # choices: none, a1, a2, b1, b2
    assert chart.plots[0].series[0].values == (0, 20, None, 15, None)
    assert list(chart.plots[0].categories) == [
        "Keine Kenntnisse",
        "A1",
        "A2 ·",
        "B1",
        "B2 oder besser ·",
    ]
    assert "2 values are not shown." in slide_text(slide)
    assert TEXTS.legend in slide_text(slide)


def numbers_in(xml: bytes) -> set[str]:
    """Every number in the text of an XML part (not in its attributes)."""
    root = etree.fromstring(xml)
    return {
        number.replace(",", ".")
        for element in root.iter()
        # a table's style is named by a GUID, not a number of the results
        if isinstance(element.tag, str) and not element.tag.endswith("}tableStyleId")
        for number in re.findall(r"\d+(?:[.,]\d+)?", element.text or "")
    }


def workbook_numbers(data: bytes) -> set[str]:
    """The numbers of a chart's workbook: its number cells and its texts (a text cell
    holds the index of its shared string, not a number of the chart)."""
    found: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(data)) as workbook:
        for part in workbook.namelist():
            if part.startswith("xl/worksheets/"):
                cells = etree.fromstring(workbook.read(part)).iter(f"{{{SHEET}}}c")
                found |= {
                    str(cell.findtext(f"{{{SHEET}}}v"))
                    for cell in cells
                    if cell.get("t") != "s" and cell.findtext(f"{{{SHEET}}}v") is not None
                }
            elif part == "xl/sharedStrings.xml":
                found |= numbers_in(workbook.read(part))
    return found


def test_no_hidden_number_is_anywhere_in_the_file(wave1: Questionnaire) -> None:
    data = results_pptx(results(wave1, "sprache"), TEXTS)

    found: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(data)) as pptx:
        for name in pptx.namelist():
            if name.startswith(("ppt/slides/", "ppt/charts/")) and name.endswith(".xml"):
                found |= numbers_in(pptx.read(name))
            if name.startswith("ppt/embeddings/"):  # each chart's data as a workbook
                found |= workbook_numbers(pptx.read(name))

    assert {"20", "15", "49"} <= found  # the shown counts are there
    assert not {str(count) for count in HIDDEN_COUNTS.values()} & found


def test_number_questions_get_a_table_of_their_safe_summaries(wave1: Questionnaire) -> None:
    found = results(wave1, "arbeit")
    age = next(q for q in found.questions if q.name == "age")

    slide = deck(results_pptx(found, TEXTS)).slides[3]

    assert slide.shapes.title.text == age.label
    assert charts(slide) == []
    (table,) = [shape.table for shape in slide.shapes if shape.has_table]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["Statistic", "Value"]
    assert rows[1:] == [
        [TEXTS.statistics[name], f"{getattr(age, name):g}"]
        for name in ("q1", "median", "mean", "q3")
    ]


def test_a_breakdown_adds_a_clustered_bar_slide_per_question(wave1: Questionnaire) -> None:
    found = results(wave1, "arbeit", by="german_level")

    slides = list(deck(results_pptx(found, TEXTS)).slides)

    titles = [s.shapes.title.text for s in slides[2:]]
    # german_level by itself says nothing new; age, employed and hours follow their slide
    assert titles == [
        "Wie gut sprechen Sie Deutsch?",
        "Wie alt sind Sie?", "Wie alt sind Sie?",
        "Haben Sie Arbeit?", "Haben Sie Arbeit?",
        "Wochenstunden", "Wochenstunden",
    ]  # fmt: skip
    employed = next(q for q in found.questions if q.name == "employed")
    assert employed.by is not None
    (chart,) = charts(slides[6])
    assert chart.chart_type in BAR_TYPES
    assert "Broken down by: Wie gut sprechen Sie Deutsch?" in slide_text(slides[6])
    # one series per choice of german_level ("no answer": nobody, so left out)
    series = {s.name: s.values for s in chart.plots[0].series}
    assert series == {
        employed.by.column_labels[column]: tuple(
            employed.by.counts[row][column] for row in ("yes", "no")
        )
        for column in ("none", "a1", "a2", "b1", "b2")
    }
    assert series["A2"] == (None, None)


def manual_layout(element: Any) -> dict[str, float]:
    """x, y, w and h of the `c:manualLayout` of a chart part (its plot area or legend)."""
    manual = element.find(f"{{{CHART}}}layout/{{{CHART}}}manualLayout")
    assert manual is not None
    return {tag: float(manual.find(f"{{{CHART}}}{tag}").get("val")) for tag in "xywh"}


def test_the_legend_of_a_breakdown_chart_has_its_own_room_above_the_bars(
    wave1: Questionnaire,
) -> None:
    slides = list(deck(results_pptx(results(wave1, "arbeit", by="german_level"), TEXTS)).slides)

    (chart,) = charts(slides[6])  # employed by german_level: five series
    assert chart.has_legend
    assert chart.legend.position == XL_LEGEND_POSITION.TOP
    legend = manual_layout(chart.legend._element)
    plot = manual_layout(chart._chartSpace.find(f"{{{CHART}}}chart/{{{CHART}}}plotArea"))
    assert legend["y"] + legend["h"] <= plot["y"]
    assert plot["y"] + plot["h"] <= 0.9  # the value axis's numbers have the rest below


@pytest.mark.parametrize("by", [None, "german_level"])
def test_every_text_is_large_enough_to_project(wave1: Questionnaire, by: str | None) -> None:
    data = results_pptx(results(wave1, "arbeit", by=by), TEXTS)

    sizes: list[int] = []
    with zipfile.ZipFile(io.BytesIO(data)) as pptx:
        for name in pptx.namelist():
            if name.startswith(("ppt/slides/slide", "ppt/charts/chart")):
                sizes += [int(size) for size in re.findall(rb'\bsz="(\d+)"', pptx.read(name))]
    assert sizes
    assert min(sizes) >= 1400  # hundredths of a point


def test_each_given_breakdown_adds_a_slide_after_its_question(wave1: Questionnaire) -> None:
    plain = results(wave1, "arbeit")
    by_level, by_employed = (results(wave1, "arbeit", by=by) for by in ("german_level", "employed"))
    breakdowns = [("Level", by_level.questions), ("Employed", by_employed.questions)]

    slides = list(deck(results_pptx(plain, TEXTS, breakdowns=breakdowns)).slides)

    shown = [
        (s.shapes.title.text, re.findall(r"Broken down by: (\w+)", slide_text(s)))
        for s in slides[2:]
    ]
    # a question is never broken down by itself
    assert shown == [
        ("Wie gut sprechen Sie Deutsch?", []),
        ("Wie gut sprechen Sie Deutsch?", ["Employed"]),
        ("Wie alt sind Sie?", []),
        ("Wie alt sind Sie?", ["Level"]),
        ("Wie alt sind Sie?", ["Employed"]),
        ("Haben Sie Arbeit?", []),
        ("Haben Sie Arbeit?", ["Level"]),
        ("Wochenstunden", []),
        ("Wochenstunden", ["Level"]),
        ("Wochenstunden", ["Employed"]),
    ]


def with_text_question(found: Results, *answers: ReleasedAnswer) -> Results:
    comment = QuestionResult(
        name="comment", type=QuestionType.TEXT, label="Anything else?", n=40, answers=answers
    )
    return dataclasses.replace(found, questions=(*found.questions, comment))


def test_released_answers_are_quotes_a_few_per_slide_with_their_translation(
    wave1: Questionnaire,
) -> None:
    quotes = [ReleasedAnswer(f"Antwort {i}", "") for i in range(4)]
    quotes.append(ReleasedAnswer("دورة لغة مسائية", "Ein Abendkurs"))
    found = with_text_question(results(wave1, "arbeit"), *quotes)

    slides = list(deck(results_pptx(found, TEXTS)).slides)

    answer_slides = [s for s in slides if s.shapes.title.text == "Anything else?"]
    assert len(answer_slides) == 2
    assert "„Antwort 0“" in slide_text(answer_slides[0])
    # Arabic script between isolate marks: it keeps its order inside the German marks.
    arabic = "„\u2068دورة لغة مسائية\u2069“\nTranslation: Ein Abendkurs"
    assert arabic in slide_text(answer_slides[1])
    assert "\u2068" not in slide_text(answer_slides[0])


def test_a_text_question_without_released_answers_gets_no_slide(wave1: Questionnaire) -> None:
    found = with_text_question(results(wave1, "arbeit"))

    titles = [s.shapes.title.text for s in deck(results_pptx(found, TEXTS)).slides]

    assert "Anything else?" not in titles


# A legend of one row across the chart, and of two rows (eight age groups).
ONE_ROW, TWO_ROWS = (0.1 + 0.34) / 4.25, (0.1 + 0.68) / 4.25


def test_data_labels_are_as_large_as_before_where_the_bars_leave_room() -> None:
    assert _data_label_size(categories=5, series=1, legend=0.0) == 16
    assert _data_label_size(categories=2, series=4, legend=ONE_ROW) == 14


def test_data_labels_shrink_between_thin_bars_and_are_left_out_where_they_would_overlap() -> None:
    # A breakdown by eight age groups drew 14 pt percentages over each other.
    two_answers = _data_label_size(categories=2, series=8, legend=TWO_ROWS)
    assert two_answers is not None
    assert two_answers < 14
    assert _data_label_size(categories=3, series=8, legend=TWO_ROWS) is None
    sizes = [_data_label_size(categories=c, series=3, legend=ONE_ROW) for c in range(1, 12)]
    shown = [size for size in sizes if size is not None]
    assert shown == sorted(shown, reverse=True)
    assert len(shown) < len(sizes)


def test_a_data_labels_text_carries_its_size_for_impress(wave1: Questionnaire) -> None:
    found = results(wave1, "arbeit", by="employed")
    sizes = set()
    for slide in deck(results_pptx(found, TEXTS)).slides:
        for chart in charts(slide):
            for series in chart.plots[0].series:
                for point in series.points:
                    label = point.data_label
                    if not label.has_text_frame:
                        continue
                    [run] = label.text_frame.paragraphs[0].runs
                    assert run.font.size is not None, label.text_frame.text
                    sizes.add(run.font.size.pt)
    assert sizes
    assert all(8 <= size <= 16 for size in sizes)


def test_a_text_question_broken_down_keeps_its_quotes_and_gets_no_breakdown_slide() -> None:
    # A release read with a breakdown gives the text question one too: an n per column,
    # no rows. Drawing it raised "chart data contains no categories".
    questionnaire = _questionnaire("newcomer")
    found = _released(_answers(questionnaire), by=_by(questionnaire))
    comment = next(q for q in found.questions if q.name == "comment")
    assert comment.by is not None
    assert comment.answers

    slides = list(deck(results_pptx(found, TEXTS)).slides)

    titled = [s for s in slides if s.shapes.title.text == comment.label]
    assert len(titled) == 1
    assert "„Gut so“" in slide_text(titled[0])
    assert not charts(titled[0])
