"""The results workbook (XLSX) and slides (PPTX) of questionnaires without repeats,
pinned: a roster's entry counts changed how both lay out a question, and for surveys
without a roster they must write what they wrote before.

The golden file holds every cell value of every sheet and every slide's texts, tables
and chart data (no timestamps, no layout): it was written by the code of `main` before
the roster's counts came to these files (`python -m tests.analysis.test_files_golden`
writes it again; a difference is to review, not to accept).
"""

from __future__ import annotations

import io
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pptx import Presentation

from analysis.exports import write_results_xlsx
from analysis.results import Results, build_results
from analysis.slides import results_pptx
from tests.analysis.test_results_golden import _answers, _by, _questionnaire, _released
from tests.analysis.test_slides import TEXTS

GOLDEN = Path(__file__).resolve().parent / "golden" / "files.json"
SOURCES = ("newcomer", "company", "kinds")


def workbook_values(results: Results) -> list[list[list[Any]]]:
    """Every sheet's title, then its rows of cell values (dates as ISO text)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "results.xlsx"
        write_results_xlsx(results, path)
        book = load_workbook(path)
    return [
        [[sheet.title], *([_plain(v) for v in row] for row in sheet.iter_rows(values_only=True))]
        for sheet in book.worksheets
    ]


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def slide_contents(data: bytes) -> list[list[Any]]:
    """Each slide's texts, table cells and chart data (categories, then each series'
    name and values), in shape order."""
    slides = []
    for slide in Presentation(io.BytesIO(data)).slides:
        found: list[Any] = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                found.append(shape.text_frame.text)
            if shape.has_table:
                found.append([[cell.text for cell in row.cells] for row in shape.table.rows])
            if shape.has_chart:
                plot = shape.chart.plots[0]
                found.append(
                    [list(plot.categories), *([s.name, list(s.values)] for s in plot.series)]
                )
        slides.append(found)
    return slides


def _results(source: str) -> dict[str, Results]:
    questionnaire = _questionnaire(source)
    answers = _answers(questionnaire)
    by = _by(questionnaire)
    released = _released(answers, by)
    # Only translated answers (`_released` gives None where a release has ""), none where
    # broken down: main's slides raised on a text question's breakdown.
    questions = [
        replace(q, answers=tuple(a for a in q.answers if a.translation and q.by is None))
        for q in released.questions
    ]
    return {
        "live": build_results(answers, language="de"),
        "released by": replace(released, questions=questions),
    }


def golden_outputs() -> dict[str, Any]:
    return {
        f"{source} {name}": {
            "workbook": workbook_values(results),
            "slides": slide_contents(results_pptx(results, TEXTS)),
        }
        for source in SOURCES
        for name, results in _results(source).items()
    }


@pytest.mark.parametrize("source", SOURCES)
def test_files_of_a_questionnaire_without_repeats_are_as_before(source: str) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))

    for name, results in _results(source).items():
        expected = golden[f"{source} {name}"]
        # Through JSON, as the golden file was: tuples become lists, floats stay exact.
        assert json.loads(json.dumps(workbook_values(results))) == expected["workbook"], name
        slides = slide_contents(results_pptx(results, TEXTS))
        assert json.loads(json.dumps(slides)) == expected["slides"], name


if __name__ == "__main__":
    text = json.dumps(golden_outputs(), ensure_ascii=False, indent=1)
    GOLDEN.write_text(text + "\n", encoding="utf-8")
