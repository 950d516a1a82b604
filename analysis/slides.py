"""Results of a working group as slides (PPTX) for the network meeting.

`results_pptx` turns suppressed `Results` into a 16:9 deck:

- a title slide: the survey's title, the working group, the release (or the live notice),
  the number of responses and the suppression rule;
- a slide per question with something to show: a **native chart** (horizontal bars, so
  long answer labels stay readable) for choice and date questions, which PowerPoint and
  Impress edit like any chart: the counts are its data (in its embedded workbook), the
  percentages its data labels; a table of the safe summaries (quartiles, median, mean)
  for number questions. Free-text questions get slides only for the answers the office
  released (`QuestionResult.answers`), a few quotes per slide with their translation;
- with a breakdown (`Results.by`), after each question's slide one with the question by
  the breakdown's choices (clustered bars, one series per choice of the breakdown).

A hidden value (None) is an empty cell of the chart data: PowerPoint draws a gap, the
data label shows the mark "·", and the slide carries the legend of the results pages.
The hidden number itself is never written, neither in the chart nor in its workbook.

All words come in through `SlideTexts` (the caller's catalogue and number formats);
this module only lays out. python-pptx is imported inside `results_pptx`, so the CLI
does not pay for it at start-up.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.breakdowns import MISSING_COLUMN
from analysis.key_figures import KeyFigure, key_figures
from analysis.kinds import kind_of, kind_of_result, shown_apart
from analysis.kinds.entries import EntryTable
from analysis.kinds.number import NumberKind
from analysis.results import Results, bin_label
from analysis.summaries import Breakdown, QuestionResult
from survey_app.questionnaire.schema import QuestionType

__all__ = ["PPTX", "SUPPRESSED_MARK", "SlideTexts", "results_pptx"]

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
SUPPRESSED_MARK = "·"
STATISTICS = ("q1", "median", "mean", "q3")
_LABEL_CHARS = 48  # longer answer labels are shortened: the bars need the width
_COLOURS = ("0B5CAD", "E08A00", "2E8B57", "8E44AD", "C0392B", "5D6D7E", "17A589", "7F8C8D")
_TEXT_COLOUR = "1A1A1A"
_GAP_WIDTH = 60  # between the categories' groups of bars, in % of a bar's thickness
_SMALLEST_LABEL = 10  # pt: smaller data labels are not drawn (unreadable when projected)
_CHART_WIDTH, _CHART_HEIGHT = 12.33, 4.25  # inches: a bar chart on its slide

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class SlideTexts:
    """What the slides say, in the viewer's language, already filled in by the caller."""

    survey_title: str
    heading: str  # "Ergebnisse für die Arbeitsgruppe Arbeit"
    period: str  # "Stand: 1. März 2026 (Veröffentlichung 1)", or the live notice
    responses: str  # "Antworten: 1.234"
    minimum: str  # "Kleinste gezeigte Zahl: 5"
    rule: str  # the suppression rule in words
    legend: str  # "· = nicht ausgewiesen: ..."
    count: str  # the series name of counts ("Anzahl")
    missing: str  # the breakdown column of respondents without an answer to it
    statistic: str
    value: str
    statistics: Mapping[str, str]  # "q1", "median", "mean", "q3" -> their names
    answered: Callable[[str], str]  # the formatted n -> "Antworten: 123"
    bars: str  # what the bars and their labels mean
    bars_by: str  # the same for a breakdown
    bars_plain: str  # bars without labels (too many to fit)
    by: Callable[[str], str]  # the breakdown question's label -> "Aufgeschlüsselt nach: ..."
    hidden: Callable[[int], str]  # how many values of a slide are not shown
    format_count: Callable[[int | None], str]
    format_percent: Formatter
    format_number: Formatter
    key_figures: str  # the summary slide's title ("Auf einen Blick")
    key_figure_columns: tuple[str, str, str]  # question, most frequent answer, share
    with_at_least_one: str = "responses with at least one such entry"  # a roster's table
    entries: str = "entries"  # the entries with a choice in a roster's table
    by_number: str = "responses by number of such entries"
    entries_note: str = "Entries: shown only where every number of responses is shown."
    translation: str = "Translation:"  # before the office's translation of a quote
    answers_note: str = ""  # under released answers: selected and redacted by the office


def results_pptx(
    results: Results,
    texts: SlideTexts,
    *,
    breakdowns: Sequence[tuple[str, Sequence[QuestionResult]]] = (),
) -> bytes:
    """The deck of `results` as PPTX bytes (see the module docstring); after each
    question's slide, a slide per entry of `breakdowns` (the breakdown question's label,
    the same questions' suppressed results broken down by it) that breaks it down."""
    # python-pptx only here: the CLI's other commands do not pay for its import.
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    builder = _Deck(deck, texts)
    builder.title_slide(results)
    figures = key_figures(results)
    if figures:
        builder.key_figures_slide(figures)
    by_label = _by_label(results)
    for question, parts in shown_apart(results.questions):
        table = kind_of_result(question).entry_table(question, parts)
        if table is None:
            builder.question_slide(question)
        else:
            builder.entry_slide(question, table)
        if question.by is not None and question.name != results.by:
            builder.breakdown_slide(question, question.by, by_label)
        for label, broken_down in breakdowns:
            found = next((q for q in broken_down if q.name == question.name), None)
            if found is not None and found.by is not None and found.by.question != found.name:
                builder.breakdown_slide(found, found.by, label)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _by_label(results: Results) -> str:
    """The breakdown question's label (it is one of the group's questions, or its name)."""
    found = next((q.label for q in results.questions if q.name == results.by), None)
    return found or str(results.by)


def _shortened(label: str, most: int = _LABEL_CHARS) -> str:
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def _has_slide(question: QuestionResult) -> bool:
    if question.type.is_select:
        return bool(question.choices)
    if question.type is QuestionType.DATE:
        return bool(question.months)
    if question.type is QuestionType.TEXT:
        return bool(question.answers)
    return _has_statistics(question)


_QUOTES_PER_SLIDE = 4
_RIGHT_TO_LEFT = frozenset({"R", "AL"})


def _quoted(text: str) -> str:
    """`text` in German quotation marks; an answer in Arabic script between Unicode
    isolate marks (first strong isolate … pop), so it keeps its own order inside the
    German marks instead of pulling them to the wrong sides ("“…„")."""
    if any(unicodedata.bidirectional(char) in _RIGHT_TO_LEFT for char in text):
        text = f"\u2068{text}\u2069"
    return f"„{text}“"


_QUOTE_CHARS = 400  # a longer answer is shortened on the slide (the report has it all)


class _Deck:
    """Adds slides to one presentation; positions in inches on a 13.333 × 7.5 slide."""

    def __init__(self, deck: Any, texts: SlideTexts) -> None:
        from pptx.util import Inches, Pt

        self.deck = deck
        self.t = texts
        self.inches = Inches
        self.pt = Pt

    # -- building blocks ---------------------------------------------------------------

    def _slide(self, title: str) -> Any:
        """A "Title Only" slide (the title is the slide's title in outlines and for
        screen readers) with the title placeholder across the top."""
        slide = self.deck.slides.add_slide(self.deck.slide_layouts[5])
        shape = slide.shapes.title
        shape.left, shape.top = self.inches(0.5), self.inches(0.3)
        shape.width, shape.height = self.inches(12.33), self.inches(1.0)
        shape.text_frame.word_wrap = True
        shape.text = title
        self._style(shape.text_frame, 28 if len(title) <= 60 else 24, bold=True)
        return slide

    def _style(self, frame: Any, size: int, *, bold: bool = False) -> None:
        from pptx.dml.color import RGBColor

        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = self.pt(size)
                run.font.bold = bold
                run.font.color.rgb = RGBColor.from_string(_TEXT_COLOUR)

    def _text(self, slide: Any, top: float, height: float, lines: Sequence[str], size: int) -> Any:
        box = slide.shapes.add_textbox(
            self.inches(0.5), self.inches(top), self.inches(12.33), self.inches(height)
        )
        frame = box.text_frame
        frame.word_wrap = True
        frame.text = lines[0]
        for line in lines[1:]:
            frame.add_paragraph().text = line
        self._style(frame, size)
        return box

    def _legend(self, slide: Any, hidden: int) -> None:
        if hidden:
            self._text(slide, 6.55, 0.8, [self.t.hidden(hidden), self.t.legend], 14)

    # -- slides ------------------------------------------------------------------------

    def title_slide(self, results: Results) -> None:
        slide = self.deck.slides.add_slide(self.deck.slide_layouts[0])
        title, subtitle = slide.shapes.title, slide.placeholders[1]
        title.left, title.top = self.inches(0.75), self.inches(1.0)
        title.width, title.height = self.inches(11.83), self.inches(1.8)
        title.text = self.t.survey_title
        self._style(title.text_frame, 40, bold=True)
        subtitle.left, subtitle.top = self.inches(0.75), self.inches(3.0)
        subtitle.width, subtitle.height = self.inches(11.83), self.inches(1.5)
        frame = subtitle.text_frame
        frame.text = self.t.heading
        for line in (self.t.period, self.t.responses):
            frame.add_paragraph().text = line
        self._style(frame, 24)
        self._text(slide, 4.9, 2.2, [self.t.rule, self.t.minimum, self.t.legend], 16)

    def key_figures_slide(self, figures: Sequence[KeyFigure]) -> None:
        """The most frequent answer of each question, largest shares first (the same
        summary as the report's first page)."""
        slide = self._slide(self.t.key_figures)
        rows = [list(self.t.key_figure_columns)]
        rows += [
            [_shortened(f.question, 70), _shortened(f.answer), self.t.format_percent(f.percent)]
            for f in figures
        ]
        shape = slide.shapes.add_table(
            len(rows), 3, self.inches(0.5), self.inches(1.4),
            self.inches(12.33), self.inches(0.6 * len(rows)),
        )  # fmt: skip
        table = shape.table
        for column, width in enumerate((6.6, 4.03, 1.7)):
            table.columns[column].width = self.inches(width)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                cell = table.cell(r, c)
                cell.text = text
                self._style(cell.text_frame, 16, bold=r == 0)

    def question_slide(self, question: QuestionResult) -> None:
        if not _has_slide(question):
            return
        if question.type is QuestionType.TEXT:
            self._answers_slides(question)
            return
        slide = self._slide(question.label)
        self._text(slide, 1.3, 0.5, [self.t.answered(self.t.format_count(question.n))], 18)
        if _has_statistics(question):
            self._statistics_table(slide, question)
            self._legend(slide, (question.n is None) + _hidden_statistics(question))
            return
        if question.choices:
            labels = [_shortened(label) for label in question.choices.values()]
            values = [question.counts[choice] for choice in question.choices]
            shares = [question.percent[choice] for choice in question.choices]
            captions = [self._caption(v, s) for v, s in zip(values, shares, strict=True)]
            note = self.t.bars
        else:
            labels = [bin_label(key) for key in question.months]
            values = list(question.months.values())
            captions = [self._caption(v, None) for v in values]
            note = None
        labelled = self._bar_chart(slide, labels, [(self.t.count, values, captions)])
        if note:
            self._text(slide, 6.05, 0.45, [note if labelled else self.t.bars_plain], 14)
        self._legend(slide, sum(1 for v in [question.n, *values] if v is None))

    def entry_slide(self, question: QuestionResult, table: EntryTable) -> None:
        """A roster's counted question (`analysis.kinds.entries`) as one table: per
        choice the households with at least one such person and their share, the
        persons, and the households by number of such persons (0, 1, ... up to the last
        number any choice shows), under a heading across those columns."""
        slide = self._slide(question.label)
        self._text(slide, 1.3, 0.5, [self.t.answered(self.t.format_count(question.n))], 18)
        numbers = len(table.numbers)
        header = [["", self.t.with_at_least_one, "%", self.t.entries]]
        if numbers:
            header[0] += [self.t.by_number, *[""] * (numbers - 1)]
            header.append(["", "", "", "", *table.numbers])
        rows = [
            [
                _shortened(row.label),
                self.t.format_count(row.responses),
                self._share(row.percent),
                self.t.format_count(row.entries) if row.counted else "",
                *(self.t.format_count(x) for x in row.by_number),
                *([""] * (numbers - len(row.by_number))),
            ]
            for row in table.rows
        ]
        fixed = (3.2, 2.6, 1.3, 1.5)
        each = min(1.0, (12.33 - sum(fixed)) / numbers) if numbers else 0.0
        widths = [*fixed, *[each] * numbers]
        all_rows = header + rows
        height = min(0.5, 4.0 / len(all_rows))
        shape = slide.shapes.add_table(
            len(all_rows), len(widths), self.inches(0.5), self.inches(1.9),
            self.inches(sum(widths)), self.inches(height * len(all_rows)),
        )  # fmt: skip
        grid = shape.table
        for column, width in enumerate(widths):
            grid.columns[column].width = self.inches(width)
        size = 18 if len(all_rows) <= 8 and numbers <= 6 else 14
        for r, row in enumerate(all_rows):
            for c, text in enumerate(row):
                cell = grid.cell(r, c)
                cell.text = text
                self._style(cell.text_frame, size, bold=r < len(header))
        if numbers:
            for column in range(4):
                grid.cell(0, column).merge(grid.cell(1, column))
            grid.cell(0, 4).merge(grid.cell(0, 3 + numbers))
        self._text(slide, 6.05, 0.45, [self.t.entries_note], 14)
        self._legend(slide, (question.n is None) + table.hidden)

    def _share(self, share: float | None) -> str:
        return SUPPRESSED_MARK if share is None else self.t.format_percent(share)

    def _answers_slides(self, question: QuestionResult) -> None:
        """The released answers as quotes, a few per slide, each with its translation
        (text boxes: the office edits them like any text)."""
        from pptx.util import Pt

        answers = question.answers
        for start in range(0, len(answers), _QUOTES_PER_SLIDE):
            slide = self._slide(question.label)
            box = slide.shapes.add_textbox(
                self.inches(0.5), self.inches(1.4), self.inches(12.33), self.inches(4.9)
            )
            frame = box.text_frame
            frame.word_wrap = True
            first = True
            for answer in answers[start : start + _QUOTES_PER_SLIDE]:
                paragraph = frame.paragraphs[0] if first else frame.add_paragraph()
                first = False
                paragraph.text = _quoted(_shortened(answer.text, _QUOTE_CHARS))
                paragraph.space_before = Pt(10)
                self._style_paragraph(paragraph, 18)
                if answer.translation:
                    line = frame.add_paragraph()
                    line.text = (
                        f"{self.t.translation} {_shortened(answer.translation, _QUOTE_CHARS)}"
                    )
                    self._style_paragraph(line, 15, italic=True)
            if self.t.answers_note:
                self._text(slide, 6.55, 0.6, [self.t.answers_note], 14)

    def _style_paragraph(self, paragraph: Any, size: int, *, italic: bool = False) -> None:
        from pptx.dml.color import RGBColor

        for run in paragraph.runs:
            run.font.size = self.pt(size)
            run.font.italic = italic
            run.font.color.rgb = RGBColor.from_string(_TEXT_COLOUR)

    def breakdown_slide(self, question: QuestionResult, by: Breakdown, by_label: str) -> None:
        # A text question's breakdown has only its n per column (no rows to draw): its
        # released answers are quotes, never broken down.
        if not _has_slide(question) or not (by.counts or _has_statistics(question)):
            return
        slide = self._slide(question.label)
        self._text(slide, 1.3, 0.5, [self.t.by(by_label)], 18)
        columns = [c for c in by.columns if not (c == MISSING_COLUMN and by.n.get(c) == 0)]
        names = {c: self.t.missing if c == MISSING_COLUMN else by.column_labels[c] for c in columns}
        if _has_statistics(question):
            self._breakdown_table(slide, by, columns, names)
            hidden = sum(1 for c in columns for s in STATISTICS if by.statistics[s][c] is None)
            self._legend(slide, hidden + sum(1 for c in columns if by.n[c] is None))
            return
        rows = list(by.counts)
        labels = [_shortened(question.choices.get(r) or bin_label(r)) for r in rows]
        series = []
        for column in columns:
            values = [by.counts[r][column] for r in rows]
            shares = [by.percent[r][column] for r in rows]
            captions = [self._caption(v, s) for v, s in zip(values, shares, strict=True)]
            series.append((_shortened(names[column]), values, captions))
        labelled = self._bar_chart(slide, labels, series)
        self._text(slide, 6.05, 0.45, [self.t.bars_by if labelled else self.t.bars_plain], 14)
        hidden = sum(1 for values in series for v in values[1] if v is None)
        self._legend(slide, hidden)

    # -- charts and tables -------------------------------------------------------------

    def _bar_chart(
        self,
        slide: Any,
        labels: Sequence[str],
        series: Sequence[tuple[str, Sequence[int | None], Sequence[str]]],
    ) -> bool:
        """Horizontal bars of counts (None: a gap), labelled by `captions` where the labels
        fit (`_data_label_size`; returns whether they do), first category at the top; a
        legend for two series or more. A category with a hidden value has the mark "·"
        after its name (Impress draws no label where a value is missing)."""
        from pptx.chart.data import CategoryChartData
        from pptx.dml.color import RGBColor
        from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
        from pptx.oxml.ns import qn

        data = CategoryChartData(number_format="#,##0")
        names = [
            f"{label} {SUPPRESSED_MARK}" if any(s[1][i] is None for s in series) else label
            for i, label in enumerate(labels)
        ]
        data.categories = names
        for name, values, _captions in series:
            data.add_series(name, values)
        frame = slide.shapes.add_chart(
            XL_CHART_TYPE.BAR_CLUSTERED,
            self.inches(0.5),
            self.inches(1.8),
            self.inches(_CHART_WIDTH),
            self.inches(_CHART_HEIGHT),
            data,
        )
        chart = frame.chart
        chart.font.size = self.pt(16)
        chart.font.color.rgb = RGBColor.from_string(_TEXT_COLOUR)
        chart.has_title = False
        chart.has_legend = len(series) > 1
        legend = 0.0
        if chart.has_legend:
            # Above the bars, in a box of its own: at the bottom, Impress drew it over
            # the value axis's numbers.
            chart.legend.position = XL_LEGEND_POSITION.TOP
            chart.legend.include_in_layout = False
            chart.legend.font.size = self.pt(16)
            legend = _legend_height([name for name, _values, _captions in series])
            _manual_layout(chart.legend._element.get_or_add_layout(), 0.01, 0.01, 0.98, legend)
        categories = chart.category_axis
        categories.reverse_order = True  # bars top-down in the order of the answers
        # 14 pt from ten answers on: each keeps its own line at projection size.
        categories.tick_labels.font.size = self.pt(16 if len(labels) < 10 else 14)
        _label_every_category(categories)
        values_axis = chart.value_axis
        # The value axis crosses at the last category, which the reversed order puts at
        # the bottom (python-pptx sets this only on the other axis).
        values_axis._element.find(qn("c:crosses")).set("val", "max")
        values_axis.tick_labels.font.size = self.pt(14)
        values_axis.has_major_gridlines = True
        longest = max((len(name) for name in names), default=0)
        _place_plot_area(chart, labels=min(0.5, 0.04 + longest * 0.13 / _CHART_WIDTH), top=legend)
        plot = chart.plots[0]
        plot.gap_width = _GAP_WIDTH
        if len(series) > 1:
            plot.overlap = 0
        size = _data_label_size(len(labels), len(series), legend)
        for index, (_name, _values, captions) in enumerate(series):
            chart_series = plot.series[index]
            chart_series.invert_if_negative = False
            fill = chart_series.format.fill
            fill.solid()
            fill.fore_color.rgb = RGBColor.from_string(_COLOURS[index % len(_COLOURS)])
            if size is None:
                continue  # they would not fit: the chart's data still holds every count
            for point, caption in enumerate(captions):
                label = chart_series.points[point].data_label
                label.has_text_frame = True
                label.text_frame.text = caption
                label.position = XL_LABEL_POSITION.OUTSIDE_END
                label.font.size = self.pt(size)
                # Impress sizes a label's own text by its run, not by the label's font.
                for run in label.text_frame.paragraphs[0].runs:
                    run.font.size = self.pt(size)
        return size is not None

    def _table(self, slide: Any, rows: Sequence[Sequence[str]]) -> None:
        width = min(12.33, 3.5 + 2.2 * (len(rows[0]) - 1))
        shape = slide.shapes.add_table(
            len(rows), len(rows[0]), self.inches(0.5), self.inches(1.9),
            self.inches(width), self.inches(0.55 * len(rows)),
        )  # fmt: skip
        table = shape.table
        table.columns[0].width = self.inches(3.5)
        for c in range(1, len(rows[0])):
            table.columns[c].width = self.inches(2.2)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                cell = table.cell(r, c)
                cell.text = text
                self._style(cell.text_frame, 20, bold=r == 0)

    def _statistics_table(self, slide: Any, question: QuestionResult) -> None:
        rows = [[self.t.statistic, self.t.value]]
        rows += [[self.t.statistics[s], self._number(getattr(question, s))] for s in STATISTICS]
        self._table(slide, rows)

    def _breakdown_table(
        self, slide: Any, by: Breakdown, columns: Sequence[str], names: Mapping[str, str]
    ) -> None:
        rows = [[self.t.statistic, *(_shortened(names[c]) for c in columns)]]
        rows.append(["n", *(self.t.format_count(by.n[c]) for c in columns)])
        rows += [
            [self.t.statistics[s], *(self._number(by.statistics[s][c]) for c in columns)]
            for s in STATISTICS
        ]
        self._table(slide, rows)

    def _caption(self, count: int | None, share: float | None) -> str:
        """A bar's label: its percentage, its count where no percentage is shown (dates,
        or an n that is hidden), "·" for a hidden count."""
        if count is None:
            return SUPPRESSED_MARK
        return self.t.format_count(count) if share is None else self.t.format_percent(share)

    def _number(self, value: float | None) -> str:
        return SUPPRESSED_MARK if value is None else self.t.format_number(value)


def _place_plot_area(chart: Any, *, labels: float, top: float) -> None:
    """Fix the bars' area inside the chart: `labels` (a share of the width) to its left
    for the answers, room to the right for the data labels, below for the axis and
    `top` (a share of the height) above for the legend. Left to itself, Impress gives
    the answers a narrow column, wraps them and then leaves out every second one."""
    from pptx.oxml.ns import qn

    plot_area = chart._chartSpace.find(qn("c:chart")).find(qn("c:plotArea"))
    layout = plot_area.find(qn("c:layout"))
    if layout is None:
        layout = plot_area.makeelement(qn("c:layout"), {})
        plot_area.insert(0, layout)
    y = top + 0.02
    _manual_layout(layout, labels, y, 1 - labels - 0.09, 0.9 - y, target="inner")


def _data_label_size(categories: int, series: int, legend: float) -> int | None:
    """The font size (pt) of the bars' data labels, or None where none fit.

    Labels beside neighbouring bars overlap where a line of text is taller than the
    distance between the bars: one bar per category is a category apart; bars of several
    series touch, so one bar's thickness apart (a breakdown by eight age groups drew its
    14 pt percentages over each other). The distance follows from the plot area that
    `_place_plot_area` fixes and the gap between categories; a line takes 1.2 times its
    font size. Under `_SMALLEST_LABEL` the bars go without labels (the caption says so).
    """
    plot = _CHART_HEIGHT * (0.9 - (legend + 0.02)) * 72  # points, as `_place_plot_area`
    per_category = plot / max(categories, 1)
    apart = per_category if series == 1 else per_category / (series + _GAP_WIDTH / 100)
    size = min(16 if series < 3 else 14, int(apart / 1.2))
    return size if size >= _SMALLEST_LABEL else None


def _manual_layout(
    layout: Any, x: float, y: float, w: float, h: float, *, target: str | None = None
) -> None:
    """Put a chart's part (the `c:layout` of its plot area or legend) in a box given in
    shares of the chart's width and height from its top left corner."""
    from pptx.oxml.ns import qn

    for child in list(layout):
        layout.remove(child)
    manual = layout.makeelement(qn("c:manualLayout"), {})
    layout.append(manual)
    values: list[tuple[str, object]] = [] if target is None else [("layoutTarget", target)]
    values += [("xMode", "edge"), ("yMode", "edge"), ("x", x), ("y", y), ("w", w), ("h", h)]
    for tag, value in values:
        manual.append(manual.makeelement(qn(f"c:{tag}"), {"val": str(value)}))


def _legend_height(names: Sequence[str]) -> float:
    """The share of the chart's height a legend across its top takes. Impress sets the
    entries (the mark, the name at 16 pt) in as many columns as fit across, each as wide
    as its widest entry, and leaves out what does not fit in the box: so the rows are
    counted as it does, with widths on the generous side (a row too many is a gap)."""
    widths = [0.3 + 0.12 * len(name) for name in names]  # inches
    for columns in range(len(widths), 0, -1):
        across = sum(max(widths[column::columns]) for column in range(columns))
        if across <= 0.98 * _CHART_WIDTH:
            break
    rows = -(-len(widths) // columns)
    return (0.1 + 0.34 * rows) / _CHART_HEIGHT


def _label_every_category(axis: Any) -> None:
    """Name every bar: Impress (and PowerPoint) otherwise skip labels when they crowd."""
    from pptx.oxml.ns import qn

    element = axis._element
    skip = element.makeelement(qn("c:tickLblSkip"), {"val": "1"})
    following = element.find(qn("c:noMultiLvlLbl"))
    if following is None:
        element.append(skip)
    else:
        following.addprevious(skip)


def _hidden_statistics(question: QuestionResult) -> int:
    if question.n is None or question.n == 0:
        return 0
    return sum(1 for s in STATISTICS if getattr(question, s) is None)


def _has_statistics(question: QuestionResult) -> bool:
    """Whether a result has a number's statistics (a number's, or a repeat's entries)."""
    return isinstance(kind_of(question.type), NumberKind)
