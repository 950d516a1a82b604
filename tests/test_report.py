"""`survey-app report`: the printable report of a working group as a PDF (WeasyPrint)."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from pptx import Presentation

from survey_app.app import create_app
from survey_app.cli import main
from survey_app.db.engine import Database
from survey_app.services.breakdowns import breakdowns_set
from survey_app.services.district import district_logo_save
from survey_app.services.published import get_survey
from survey_app.services.submissions import submission_create
from survey_app.services.surveys import publish_directory
from survey_app.settings import Settings
from tests.analysis.conftest import QUESTIONNAIRES, WAVE1_SLIDES
from tests.conftest import login, release

K = 5  # min_cell of the wave1 survey
LEVELS = ["a1"] * 12 + ["b1"] * 9 + ["a2"] * 3 + ["b2"] * 1  # a2 and b2 are below K


@pytest.fixture
def env(settings: Settings, db: Database, tmp_path: Path) -> dict[str, str]:
    """wave1 published with 25 known responses; the environment the CLI reads."""
    publish_directory(db, QUESTIONNAIRES)
    survey = get_survey(db, "wave1")
    assert survey is not None
    for i, level in enumerate(LEVELS):
        employed = "yes" if i % 3 == 0 else "no"
        answers: dict[str, object] = {"german_level": level, "age": 20 + i, "employed": employed}
        if employed == "yes":
            answers["hours"] = 20.0 + i
        submission_create(
            db, survey=survey, submission_id=str(uuid.uuid4()), language="de", answers=answers
        )
    release(settings.database_url, "wave1")
    return {
        "SURVEY_DATABASE_URL": settings.database_url,
        "SURVEY_QUESTIONNAIRES": str(QUESTIONNAIRES),
        "SURVEY_VAR_DIR": str(tmp_path / "var"),
    }


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]


@pytest.fixture
def pdf(env: dict[str, str], tmp_path: Path) -> Path:
    output = tmp_path / "arbeit.pdf"
    result = CliRunner().invoke(
        main, ["report", "wave1", "--group", "arbeit", "--output", str(output)], env=env
    )
    assert result.exit_code == 0, result.output
    return output


def test_report_has_a_title_page_key_figures_and_several_questions_to_a_page(pdf: Path) -> None:
    pages = pdf_text(pdf).split("\f")

    assert pdf.read_bytes().startswith(b"%PDF")
    assert "Auf einen Blick" in pages[1]
    questions = ["Wie gut sprechen Sie Deutsch?", "Wie alt sind Sie?", "Haben Sie Arbeit?"]
    assert all(sum(q in page for page in pages[2:]) == 1 for q in questions)
    assert page_count(pdf) < 2 + 4  # four questions share pages


def test_key_figures_put_the_most_frequent_answers_first(pdf: Path) -> None:
    summary = pdf_text(pdf).split("\f")[1]

    employed = re.search(r"Haben Sie Arbeit\?\s+Nein\s+64,0\s%", summary)
    level = re.search(r"Wie gut sprechen Sie Deutsch\?\s+A1\s+48,0\s%", summary)
    assert employed is not None
    assert level is not None
    assert employed.start() < level.start()  # 16 of 25 before 12 of 25


def test_first_page_renders_as_an_image(pdf: Path, tmp_path: Path) -> None:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )

    (png,) = tmp_path.glob("page-*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 2_000  # a blank A4 page at 50 dpi is far smaller


def test_title_page_names_survey_group_responses_and_the_rule(pdf: Path) -> None:
    title_page = pdf_text(pdf).split("\f")[0]

    assert "Befragung Welle 1" in title_page
    assert "Arbeit" in title_page
    assert re.search(r"Antworten\s+25\b", title_page)
    assert re.search(r"Stand: \d+\. \w+ 20\d\d \(Veröffentlichung 1\)", title_page)
    assert "Zahlen von 1 bis 4 werden nicht gezeigt" in title_page
    assert "Kleinste gezeigte Zahl: 5" in title_page
    assert "wave1" not in title_page  # the survey by its title, not its id


def shown_numbers(pages: list[str]) -> list[int]:
    """The whole numbers on `pages` but for page footers and the count of hidden values."""
    return [
        int(token)
        for page in pages
        for line in page.splitlines()
        if not re.fullmatch(r"\s*\d+ / \d+\s*", line)  # the page footer "2 / 5"
        and "Werte nicht ausgewiesen" not in line  # the legend: how many are hidden
        for token in re.findall(r"(?<![\S])\d+(?![\S])", line)
    ]


def test_no_count_below_min_cell_reaches_the_pdf(pdf: Path) -> None:
    pages = pdf_text(pdf).split("\f")[1:]  # the key figures and the questions
    shown = shown_numbers(pages)

    assert shown, "the question pages show counts"
    assert not [count for count in shown if 0 < count < K]
    assert "·" in "".join(pages[1:])  # a2 and b2 are hidden, with a third cell to protect them


def test_the_district_logo_is_on_the_title_page_and_nothing_else_is_fetched(
    env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (300, 100), (200, 30, 30)).save(png, format="PNG")
    district_logo_save(db, png.getvalue(), actor="test")
    output = tmp_path / "logo.pdf"

    result = CliRunner().invoke(
        main, ["report", "wave1", "--group", "arbeit", "--output", str(output)], env=env
    )

    assert result.exit_code == 0, result.output
    images = subprocess.run(
        ["pdfimages", "-list", str(output)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert [line.split()[:5] for line in images] == [["1", "0", "image", "300", "100"]]


def test_english_report(env: dict[str, str], tmp_path: Path) -> None:
    output = tmp_path / "en.pdf"
    result = CliRunner().invoke(
        main,
        ["report", "wave1", "--group", "arbeit", "--output", str(output), "--lang", "en"],
        env=env,
    )

    assert result.exit_code == 0, result.output
    text = pdf_text(output)
    assert "Survey wave 1" in text
    assert "How well do you speak German?" in text


def test_pptx_format_writes_the_slides(env: dict[str, str], tmp_path: Path) -> None:
    output = tmp_path / "arbeit.pptx"
    result = CliRunner().invoke(
        main,
        ["report", "wave1", "--group", "arbeit", "--format", "pptx", "--output", str(output)],
        env=env,
    )

    assert result.exit_code == 0, result.output
    assert "slides of 'arbeit' in 'wave1'" in result.output
    titles = [slide.shapes.title.text for slide in Presentation(str(output)).slides]
    assert titles == WAVE1_SLIDES


@pytest.mark.parametrize("file_format", ["pdf", "pptx"])
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--group", "arbeit"], "no survey 'nope'"),
        (["wave1", "--group", "nope"], "no working group 'nope'"),
    ],
)
def test_unknown_names_are_one_line_errors(
    env: dict[str, str], tmp_path: Path, args: list[str], message: str, file_format: str
) -> None:
    output = tmp_path / f"x.{file_format}"
    result = CliRunner().invoke(
        main, ["report", *args, "--format", file_format, "--output", str(output)], env=env
    )

    assert result.exit_code == 2
    assert result.output.strip() == f"error: {message}"
    assert not output.exists()


@pytest.mark.parametrize("file_format", ["pdf", "pptx"])
def test_an_unknown_breakdown_is_one_line_and_exit_2(
    env: dict[str, str], tmp_path: Path, file_format: str
) -> None:
    output = tmp_path / f"arbeit.{file_format}"
    result = CliRunner().invoke(
        main,
        ["report", "wave1", "--group", "arbeit", "--format", file_format, "--by", "nope",
         "--output", str(output)],
        env=env,
    )  # fmt: skip

    assert result.exit_code == 2
    assert result.output.strip() == "error: 'nope' is not a question of working group 'arbeit'"
    assert not output.exists()


def test_a_report_broken_down_by_a_question_shows_it_on_the_title_page(
    env: dict[str, str], tmp_path: Path
) -> None:
    output = tmp_path / "arbeit.pdf"
    result = CliRunner().invoke(
        main,
        ["report", "wave1", "--group", "arbeit", "--by", "employed", "--output", str(output)],
        env=env,
    )

    assert result.exit_code == 0, result.output
    assert "Aufgeschlüsselt nach: Haben Sie Arbeit?" in pdf_text(output).split("\f")[0]


def test_the_report_uses_the_groups_stored_breakdowns_unless_by_is_given(
    env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    survey = get_survey(db, "wave1")
    assert survey is not None
    breakdowns_set(
        db, actor="arbeit@netzwerk.example", survey=survey, group="arbeit",
        questions=["german_level", "employed"],
    )  # fmt: skip
    stored, chosen = tmp_path / "stored.pdf", tmp_path / "chosen.pdf"
    command = ["report", "wave1", "--group", "arbeit", "--output"]

    assert CliRunner().invoke(main, [*command, str(stored)], env=env).exit_code == 0
    assert (
        CliRunner().invoke(main, [*command, str(chosen), "--by", "employed"], env=env).exit_code
        == 0
    )

    title = pdf_text(stored).split("\f")[0]
    assert "Aufgeschlüsselt nach: Wie gut sprechen Sie Deutsch?, Haben Sie Arbeit?" in title
    title = pdf_text(chosen).split("\f")[0]
    assert "Aufgeschlüsselt nach: Haben Sie Arbeit?" in title
    assert "Wie gut sprechen Sie Deutsch?, Haben" not in title


# -- the PDF from the results page ---------------------------------------------------------


@pytest.fixture
def web(env: dict[str, str], settings: Settings, accounts: object) -> Iterator[TestClient[Any]]:
    """The app on `env`'s released wave1, nobody logged in."""
    settings = dataclasses.replace(settings, questionnaires=QUESTIONNAIRES)
    with TestClient(app=create_app(settings)) as client:
        yield client


def test_a_member_downloads_the_report_the_command_writes_as_pdf(
    web: TestClient[Any], pdf: Path, tmp_path: Path
) -> None:
    login(web, "arbeit")

    response = web.get("/results/arbeit/report.pdf", params={"survey": "wave1"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="wave1-arbeit.pdf"'
    downloaded = tmp_path / "downloaded.pdf"
    downloaded.write_bytes(response.content)
    pages = pdf_text(downloaded).split("\f")
    assert "Befragung Welle 1" in pages[0]
    assert pages[1:] == pdf_text(pdf).split("\f")[1:]  # the title page has the date of today
    shown = shown_numbers(pages[1:])
    assert shown
    assert not [count for count in shown if 0 < count < K]  # a2 (3) and b2 (1)


def test_the_pdf_is_broken_down_and_in_the_language_asked_for(
    web: TestClient[Any], tmp_path: Path
) -> None:
    login(web, "arbeit")
    params = {"survey": "wave1", "lang": "en", "by": "employed"}

    response = web.get("/results/arbeit/report.pdf", params=params)

    assert response.status_code == 200
    downloaded = tmp_path / "en.pdf"
    downloaded.write_bytes(response.content)
    text = pdf_text(downloaded)
    assert "Survey wave 1" in text
    assert "Broken down by: Do you have work?" in text


def test_another_groups_member_gets_no_pdf(web: TestClient[Any]) -> None:
    login(web, "sprache")

    response = web.get("/results/arbeit/report.pdf", params={"survey": "wave1"})

    assert response.status_code == 403
    assert not response.content.startswith(b"%PDF")


def test_a_breakdown_caption_goes_to_the_next_page_with_its_table(tmp_path: Path) -> None:
    """The caption says what the table is broken down by: never at the foot of a page
    whose next page has the table."""
    from analysis.report import render_pdf
    from survey_app.render.templating import STATIC

    rows = "".join(f"<tr><th>Zeile {i}</th><td>10</td></tr>" for i in range(8))
    html = (
        '<!doctype html><html lang="de"><head><link rel="stylesheet" href="results.css">'
        '</head><body class="report"><main><div style="block-size: 240mm"></div>'
        '<div class="scroll"><table class="numbers breakdown">'
        "<caption>Aufgeschlüsselt nach: Haben Sie Arbeit?</caption>"
        f"<tbody>{rows}</tbody></table></div></main></body></html>"
    )
    pdf = tmp_path / "caption.pdf"
    pdf.write_bytes(render_pdf(html, assets=STATIC))

    first, second = pdf_text(pdf).split("\f")[:2]
    assert "Aufgeschlüsselt nach" not in first
    assert "Aufgeschlüsselt nach: Haben Sie Arbeit?" in second
    assert "Zeile 0" in second
