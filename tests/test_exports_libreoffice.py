"""Exported workbooks and slides opened by real office programs (LibreOffice Calc and
Impress, headless).

Answers that look like formulas are stored through the submission service, exported as
row-level XLSX and aggregated XLSX, and converted by LibreOffice to CSV and PDF: every
answer must come out as the literal text, never as a computed value or a link.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from analysis.exports import write_results_xlsx
from survey_app.db.engine import Database
from survey_app.render.results import slides_pptx
from survey_app.services.exports import export_xlsx
from survey_app.services.live_results import survey_results
from survey_app.services.published import get_survey
from survey_app.services.submissions import submission_create
from survey_app.services.surveys import publish_directory
from survey_app.settings import Settings
from tests.analysis.conftest import QUESTIONNAIRES

# `make test` installs it with Impress (.ci/system-deps); without it these tests fail
# rather than skip.
SOFFICE = shutil.which("soffice") or "soffice (install Debian's libreoffice-calc-nogui)"

MALICIOUS = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+1+1",
    "-1+4",
    "@SUM(1,2)",
    '=WEBSERVICE("http://x")',
]


def convert(workbook: Path, target: str, tmp_path: Path) -> Path:
    """Convert with a private LibreOffice profile (parallel tests must not share one)."""
    profile = tmp_path / "lo-profile"
    out = tmp_path / "converted"
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    converted = sorted(out.iterdir())
    assert len(converted) == 1, converted
    return converted[0]


@pytest.fixture
def responses_xlsx(db: Database, tmp_path: Path) -> Path:
    """A row-level export of the wave1 survey with one formula-like comment per response."""
    publish_directory(db, QUESTIONNAIRES)
    survey = get_survey(db, "wave1")
    assert survey is not None
    for text in MALICIOUS:
        submission_create(
            db,
            survey=survey,
            submission_id=str(uuid.uuid4()),
            language="de",
            answers={"german_level": "a1", "age": 30, "employed": "no", "comment": text},
        )
    path = tmp_path / "responses.xlsx"
    assert export_xlsx(db, "wave1", path, language="de").responses == len(MALICIOUS)
    return path


def comments(csv_file: Path) -> list[str]:
    with csv_file.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    column = next(i for i, name in enumerate(rows[0]) if name.endswith("[comment]"))
    return [row[column] for row in rows[1:]]


def test_formula_answers_stay_literal_text_in_libreoffice(
    responses_xlsx: Path, tmp_path: Path
) -> None:
    converted = convert(responses_xlsx, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path)

    shown = comments(converted)
    assert shown == ["'" + text for text in MALICIOUS]
    assert not {"2", "3", "y", "#NAME?", "Err:508"} & set(shown)


def test_row_level_export_converts_to_pdf_with_the_literal_answers(
    responses_xlsx: Path, tmp_path: Path
) -> None:
    pdf = convert(responses_xlsx, "pdf", tmp_path)

    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "'=1+1" in text
    assert "'=HYPERLINK(" in text


def thirteen_answers(db: Database) -> None:
    """wave1 published with 6 answers a1 and 7 answers b1 to `german_level`."""
    publish_directory(db, QUESTIONNAIRES)
    survey = get_survey(db, "wave1")
    assert survey is not None
    for level in ["a1"] * 6 + ["b1"] * 7:
        submission_create(
            db,
            survey=survey,
            submission_id=str(uuid.uuid4()),
            language="de",
            answers={"german_level": level, "age": 30, "employed": "no"},
        )


def test_aggregated_export_opens_in_libreoffice(db: Database, tmp_path: Path) -> None:
    thirteen_answers(db)
    workbook = tmp_path / "results.xlsx"
    write_results_xlsx(survey_results(db, "wave1", group="sprache"), workbook)

    pdf = convert(workbook, "pdf", tmp_path)

    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "wave1" in text
    assert "sprache" in text
    # percentages are numbers in a percent format (6 of 13), sheets are named after labels
    assert "46.2%" in text or "46,2 %" in text
    assert "Wie gut sprechen Sie Deutsch" in text


def test_slides_open_in_libreoffice_impress_with_every_bar_named(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    thirteen_answers(db)
    settings = dataclasses.replace(settings, questionnaires=QUESTIONNAIRES)
    deck = tmp_path / "slides.pptx"
    deck.write_bytes(slides_pptx(db, settings, "arbeit", "wave1", live=True))

    pdf = convert(deck, "pdf", tmp_path)

    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    # title, key figures, german_level, age, employed, hours
    assert re.search(r"^Pages:\s+6$", info.stdout, re.M)
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout.split("\f")
    assert "Befragung Welle 1" in pages[0]
    assert "Auf einen Blick" in pages[1]
    chart = pages[2]
    for label in ("Keine Kenntnisse", "A1", "A2", "B1", "B2 oder besser"):
        assert label in chart  # Impress leaves out no bar's name
    assert "46,2 %" in chart  # the percentages label the bars
    assert "53,8 %" in chart


def words_of_page(pdf: Path, containing: str) -> list[tuple[str, float, float]]:
    """The words of the first page of `pdf` whose text contains `containing`, each with
    the top and bottom of its box (points from the top of the page)."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    word = r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>'
    for page in html.split("<page ")[1:]:
        words = [(text, float(top), float(bottom)) for top, bottom, text in re.findall(word, page)]
        if containing in " ".join(text for text, _top, _bottom in words):
            return words
    raise AssertionError(f"no page with {containing!r}")


def test_the_legend_of_a_breakdown_slide_stands_above_the_bars_in_impress(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    thirteen_answers(db)
    settings = dataclasses.replace(settings, questionnaires=QUESTIONNAIRES)
    deck = tmp_path / "slides.pptx"
    deck.write_bytes(slides_pptx(db, settings, "arbeit", "wave1", live=True, by="german_level"))

    words = words_of_page(convert(deck, "pdf", tmp_path), "Arbeit? Aufgeschlüsselt nach")

    legend = [(top, bottom) for text, top, bottom in words if text in ("A1", "B1")]
    answers = [(top, bottom) for text, top, bottom in words if text == "Nein"]
    axis = [(top, bottom) for text, top, bottom in words if text.isdigit()]
    assert len(legend) == 2  # the breakdown's two groups (nobody else answered)
    assert answers
    assert axis
    # Before: the legend was drawn over the value axis's numbers, below the bars.
    assert max(bottom for _top, bottom in legend) < min(top for top, _bottom in answers)
    assert max(bottom for _top, bottom in legend) < min(top for top, _bottom in axis)
