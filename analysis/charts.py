"""Bar charts as small inline SVG strings, drawn from the results data classes.

Why hand-written SVG: results pages must work without JavaScript, weigh a few dozen KB
and pass a strict Content-Security-Policy (`style-src 'self'`, no inline script), and
the same chart must print and go through WeasyPrint into the PDF report. The kept Python
chart libraries do not fit: Plotly, Bokeh and Altair/Vega draw in the browser with a
JavaScript runtime; matplotlib writes a `<style>` block and `style=` attributes on every
shape (blocked by the policy) and tens of KB per chart; pygal embeds a `<style>` block
and a script; leather uses presentation attributes but has no `role`/`aria-label`/
`<title>`, no `viewBox` (it does not shrink on a phone), no way to mark a suppressed
value, and no value labels. A horizontal bar chart is a few rectangles and texts, so it
is drawn here with presentation attributes only (`fill`, `width`, `font-size`), about a
kilobyte per question, accessible (`role="img"`, an `aria-label` and a `<title>`; the
numbers themselves are in the table beside the chart) and identical on screen, in print
and in the PDF.

Suppressed values (None) get no bar, only the mark "·", so a chart never shows more than
the table does.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from analysis.kinds import kind_of_result
from analysis.summaries import QuestionResult

__all__ = [
    "SUPPRESSED_MARK",
    "ChartRow",
    "bar_chart",
    "question_chart",
]

SUPPRESSED_MARK = "·"
WIDTH = 640
# Bar charts are drawn 400 units wide: on a 360 px phone the drawing shrinks to ~330 px,
# and 15-unit labels stay at 12 px (at 640 units they fell to 8 px); wider screens and
# the projector scale them up. A label longer than a line wraps once, then is shortened.
BAR_CHART_WIDTH = 400
_BAR_SPACE = 320
_LABEL_CHARS = 50
_LABEL_LINES = 2
_LABEL_HEIGHT = 19
_BAR_HEIGHT = 16
_BAR_GAP = 3
_ROW_GAP = 9
_LEGEND_HEIGHT = 22
_COLOURS = ("#0b5cad", "#8796a8")
_TEXT = "#1a1a1a"
_FONT = "Noto Sans, DejaVu Sans, Arial, sans-serif"

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class ChartRow:
    """One category of a chart: its label and one value per series (None: suppressed)."""

    label: str
    values: tuple[float | None, ...]


def _plain(value: float) -> str:
    return f"{value:g}"


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _shortened(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1].rstrip() + "…"


def _label_lines(label: str) -> list[str]:
    """`label` in at most `_LABEL_LINES` lines of `_LABEL_CHARS`, broken between words
    (textwrap's rules), the last one shortened with "…" if the label goes on."""
    lines = textwrap.wrap(label, _LABEL_CHARS) or [""]
    if len(lines) <= _LABEL_LINES:
        return lines
    return [*lines[: _LABEL_LINES - 1], _shortened(" ".join(lines[_LABEL_LINES - 1 :]))]


def _text(parent: ET.Element, x: float, y: float, content: str, size: int) -> ET.Element:
    element = ET.SubElement(
        parent, "text", {"x": _number(x), "y": _number(y), "font-size": str(size), "fill": _TEXT}
    )
    element.text = content
    return element


def _svg_root(title: str, height: int, width: int = WIDTH) -> ET.Element:
    """An empty chart: `width` wide, `height` tall, named by `title` for screen readers
    (`role="img"` with `aria-label`) and for pointers (`<title>`)."""
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {width} {height}",
            "width": str(width),
            "height": str(height),
            "role": "img",
            "aria-label": title,
            "font-family": _FONT,
            "class": "chart",
        },
    )
    ET.SubElement(svg, "title").text = title
    return svg


def bar_chart(
    title: str,
    rows: Sequence[ChartRow],
    *,
    series: Sequence[str] = (),
    format_value: Formatter = _plain,
    suppressed_text: str = "suppressed",
) -> str:
    """A horizontal bar chart as an `<svg>` element (a string, XML-escaped).

    Each row is a label line with one bar per series below it, scaled to the largest
    shown value; `series` names the series for the legend (shown when there are two or
    more). `format_value` writes the value beside each bar; a hidden value gets the mark
    "·" and a `<title>` with `suppressed_text` instead of a bar.
    """
    count = max((len(row.values) for row in rows), default=1)
    shown = [v for row in rows for v in row.values if v is not None]
    maximum = max([*shown, 0.0]) or 1.0
    # One line per series: two wave titles side by side do not fit 400 units.
    legend = _LEGEND_HEIGHT * len(series) if len(series) > 1 else 0
    labels = [_label_lines(row.label) for row in rows]
    bars_height = count * (_BAR_HEIGHT + _BAR_GAP) + _ROW_GAP
    height = legend + sum(len(lines) * _LABEL_HEIGHT + bars_height for lines in labels)
    svg = _svg_root(title, height, BAR_CHART_WIDTH)
    if legend:
        for index, name in enumerate(series):
            colour = _COLOURS[index % len(_COLOURS)]
            y = index * _LEGEND_HEIGHT
            ET.SubElement(
                svg, "rect", {"x": "0", "y": str(y + 4), "width": "12", "height": "12",
                              "fill": colour},
            )  # fmt: skip
            _text(svg, 16, y + 15, _shortened(name), 14)
    top = legend
    for row, lines in zip(rows, labels, strict=True):
        for line_number, line in enumerate(lines):
            _text(svg, 0, top + 14 + line_number * _LABEL_HEIGHT, line, 15)
        top += len(lines) * _LABEL_HEIGHT
        for position, value in enumerate(row.values):
            y = top + position * (_BAR_HEIGHT + _BAR_GAP)
            if value is None:
                mark = _text(svg, 2, y + 14, SUPPRESSED_MARK, 22)
                ET.SubElement(mark, "title").text = suppressed_text
                continue
            width = _BAR_SPACE * value / maximum
            if width > 0:
                ET.SubElement(
                    svg, "rect", {"x": "0", "y": _number(y), "width": _number(width),
                                  "height": str(_BAR_HEIGHT),
                                  "fill": _COLOURS[position % len(_COLOURS)]},
                )  # fmt: skip
            _text(svg, width + 5, y + 13, format_value(value), 14)
        top += bars_height
    return ET.tostring(svg, encoding="unicode")


def question_chart(
    result: QuestionResult,
    *,
    title: str,
    series: Sequence[str] = (),
    statistic_labels: Mapping[str, str] | None = None,
    format_percent: Formatter = _plain,
    format_number: Formatter = _plain,
    suppressed_text: str = "suppressed",
) -> str | None:
    """The chart of one question's summary, or None when it has nothing to draw.

    Its kind (`analysis.kinds`) says what is drawn: choices, the percentage of each
    choice (with the compared wave as a second series when the result has one; `series`
    names both); dates, responses per year bin; numbers, lower quartile, median, mean
    and upper quartile (labelled by `statistic_labels`); text and times: no chart (never
    shown, only their n).
    """
    chart = kind_of_result(result).chart(result, statistic_labels or {})
    if chart is None or not chart.rows:
        return None
    rows = [ChartRow(label, values) for label, values in chart.rows]
    formatter = format_percent if chart.percent else format_number
    if not chart.compared:
        series = ()
    return bar_chart(
        title, rows, series=series, format_value=formatter, suppressed_text=suppressed_text
    )


def column_chart(title: str, columns: Sequence[tuple[str, int]], *, height: int = 160) -> str:
    """Counts over time as vertical columns (`columns`: label and count, oldest first),
    an `<svg>` string like `bar_chart`: the label of the first, the last and every
    seventh column below, the largest count at the top of the scale."""
    top = max((count for _label, count in columns), default=0) or 1
    margin = 8 + 8 * len(str(top))  # room for the scale's number on the left
    step = (WIDTH - margin) / max(len(columns), 1)
    plot = height - 24
    svg = _svg_root(title, height)
    _text(svg, 0, 12, f"{top}", 12)
    ET.SubElement(
        svg, "line", {"x1": str(margin - 4), "x2": str(margin - 4), "y1": "4",
                      "y2": str(plot), "stroke": _TEXT, "stroke-width": "1"},
    )  # fmt: skip
    last = len(columns) - 1
    for index, (label, count) in enumerate(columns):
        bar = plot * count / top
        x = margin + index * step
        if bar > 0:
            rect = ET.SubElement(
                svg, "rect", {"x": _number(x + step * 0.1), "y": _number(plot - bar),
                              "width": _number(max(step * 0.8, 1)), "height": _number(bar),
                              "fill": _COLOURS[0]},
            )  # fmt: skip
            ET.SubElement(rect, "title").text = f"{label}: {count}"
        if index in (0, last) or (index % 7 == 0 and last - index > 3):
            anchor = "end" if index == last and last > 0 else "start"
            text = _text(svg, x + (step if anchor == "end" else 0), height - 6, label, 12)
            text.set("text-anchor", anchor)
    return ET.tostring(svg, encoding="unicode")
