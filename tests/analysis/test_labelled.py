"""SPSS and Stata exports: read back with pyreadstat, they carry variable labels, value
labels in the chosen language, 0/1 variables per ticked choice, dates as dates, each
response's review status, and tell "not asked" from "no answer"; names stay within what
both programs accept."""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path
from typing import Any

import pyreadstat
import pytest

from analysis.frames import frame_from_texts
from analysis.labelled import NO_ANSWER, NOT_ASKED, write_labelled
from survey_app.questionnaire.schema import Questionnaire
from tests.analysis.conftest import texts

ROWS: list[dict[str, Any]] = [
    # employed: hours are asked only of those who work (skip logic).
    {"german_level": "b1", "age": 34, "employed": "yes", "hours": 20.5,
     "support": ["course", "job"], "arrived": "2019-05-03", "comment": "Danke"},
    {"german_level": "a1", "age": 51, "employed": "no", "support": ["housing"]},
    {"german_level": "none", "age": 19, "employed": "yes"},
]  # fmt: skip


STATUSES = ["received", "excluded", "approved"]


def export(  # type: ignore[no-untyped-def]
    questionnaire: Questionnaire, tmp_path: Path, file_format: str, language: str = "de"
):
    frame = frame_from_texts(questionnaire, [(questionnaire, texts(*ROWS))])
    frame.insert(0, "status", STATUSES)  # as `export_frames` delivers it
    frame.insert(0, "version", 1)
    frame.insert(0, "language", "de")
    frame.insert(0, "submitted_on", "2026-03-01")
    path = tmp_path / f"responses.{file_format}"

    count, paths = write_labelled([frame], questionnaire, language, path, file_format)  # type: ignore[arg-type]

    assert count == len(ROWS)
    assert paths == [path]  # no repeats: no files of entries
    read = pyreadstat.read_sav if file_format == "sav" else pyreadstat.read_dta
    return read(str(path), user_missing=True) if file_format == "sav" else read(str(path))


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_questions_carry_their_labels_and_choices_their_value_labels(
    wave1: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    frame, meta = export(wave1, tmp_path, file_format)

    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["german_level"] == "german_level: Wie gut sprechen Sie Deutsch?"
    assert meta.variable_value_labels["german_level"][4] == "B1"
    assert meta.variable_value_labels["german_level"][NO_ANSWER] == "keine Angabe"
    assert list(frame["german_level"]) == [4, 2, 1]
    assert labels["support_job"] == "support: Welche Unterstützung brauchen Sie?: Arbeitssuche"
    assert list(frame["support_job"]) == [1, 0, NO_ANSWER]
    assert meta.variable_value_labels["support_job"][1] == "gewählt"


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_not_asked_and_no_answer_are_told_apart(
    wave1: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    frame, meta = export(wave1, tmp_path, file_format)

    # hours: answered; not asked (does not work); asked (works) but left empty
    assert list(frame["hours"]) == [20.5, NOT_ASKED, NO_ANSWER]
    assert meta.variable_value_labels["employed"][NOT_ASKED] == "nicht gefragt (Filter)"
    if file_format == "sav":
        # user-missing in SPSS: statistics leave both codes out
        assert meta.variable_value_labels["hours"][NOT_ASKED] == "nicht gefragt (Filter)"
        assert meta.missing_ranges["hours"] == [{"lo": NOT_ASKED, "hi": NOT_ASKED},
                                                {"lo": NO_ANSWER, "hi": NO_ANSWER}]  # fmt: skip


def test_spss_reads_the_codes_as_missing(wave1: Questionnaire, tmp_path: Path) -> None:
    export(wave1, tmp_path, "sav")

    frame, _meta = pyreadstat.read_sav(str(tmp_path / "responses.sav"))

    assert frame["hours"][0] == 20.5
    assert frame["hours"][1:].isna().all()


def test_spss_keeps_dates_as_dates_and_texts_as_texts(wave1: Questionnaire, tmp_path: Path) -> None:
    frame, meta = export(wave1, tmp_path, "sav")

    assert frame["arrived"][0] == datetime.date(2019, 5, 3)
    assert meta.original_variable_types["arrived"].startswith("DATE")
    assert frame["comment"][0] == "Danke"
    assert frame["submitted_on"][0] == datetime.date(2026, 3, 1)


def test_labels_follow_the_chosen_language(wave1: Questionnaire, tmp_path: Path) -> None:
    _frame, meta = export(wave1, tmp_path, "sav", language="en")

    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["german_level"] == "german_level: How well do you speak German?"
    assert meta.variable_value_labels["german_level"][5] == "B2 or better"
    assert meta.variable_value_labels["hours"][NOT_ASKED] == "not asked (skip logic)"
    assert labels["status"] == "Review status"
    assert meta.variable_value_labels["status"] == {1: "received", 2: "approved", 3: "excluded"}


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_each_response_carries_its_review_status_so_excluded_ones_can_be_left_out(
    wave1: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    frame, meta = export(wave1, tmp_path, file_format)

    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert meta.column_names[:4] == ["submitted_on", "language", "version", "status"]
    assert labels["status"] == "Prüfstatus"
    assert list(frame["status"]) == [1, 3, 2]
    assert meta.variable_value_labels["status"] == {
        1: "eingegangen",
        2: "geprüft",
        3: "ausgeschlossen",
    }


def numbered(names: list[str]) -> Questionnaire:
    """A one-question survey whose choices are called `names` (as ODK forms number them)."""
    return Questionnaire.model_validate(
        {
            "id": "numbered",
            "title": {"en": "Numbered"},
            "languages": ["en"],
            "default_language": "en",
            "choices": {"level": [{"name": n, "label": {"en": f"L{n}"}} for n in names]},
            "pages": [
                {
                    "name": "p",
                    "questions": [
                        {"name": "level", "type": "select_one", "label": {"en": "Level?"},
                         "choices": "level"},
                    ],
                }
            ],
        }
    )  # fmt: skip


def export_levels(questionnaire: Questionnaire, tmp_path: Path, answers: list[str]) -> Any:
    rows = [{"level": answer} if answer else {} for answer in answers]
    frame = frame_from_texts(questionnaire, [(questionnaire, texts(*rows))])
    for name, value in (("version", 1), ("language", "en"), ("submitted_on", "2026-03-01")):
        frame.insert(0, name, value)
    path = tmp_path / "responses.sav"
    write_labelled([frame], questionnaire, "en", path, "sav")
    return pyreadstat.read_sav(str(path), user_missing=True)


def test_numbered_choices_keep_their_numbers_as_codes(tmp_path: Path) -> None:
    frame, meta = export_levels(numbered(["1", "2", "99"]), tmp_path, ["99", "1", ""])
    assert list(frame["level"]) == [99, 1, NO_ANSWER]
    assert meta.variable_value_labels["level"][99] == "L99"


@pytest.mark.parametrize("names", [["a", "1"], ["1", "01"], ["1", "-99"]])
def test_choices_that_are_not_distinct_whole_numbers_are_numbered_by_position(
    tmp_path: Path, names: list[str]
) -> None:
    frame, meta = export_levels(numbered(names), tmp_path, [names[1], names[0]])
    assert list(frame["level"]) == [2, 1]
    assert meta.variable_value_labels["level"][2] == f"L{names[1]}"


def many_choices(question: str, count: int) -> Questionnaire:
    """A select_multiple called `question` with `count` choices (each a labelled 0/1
    variable named question_choice), then a question called `in` (a word Stata keeps)."""
    choices = [{"name": f"c{n}", "label": {"en": f"C{n}"}} for n in range(count)]
    return Questionnaire.model_validate(
        {
            "id": "many",
            "title": {"en": "Many"},
            "languages": ["en"],
            "default_language": "en",
            "choices": {"many": choices},
            "pages": [
                {
                    "name": "p",
                    "questions": [
                        {"name": question, "type": "select_multiple", "label": {"en": "Which?"},
                         "choices": "many"},
                        {"name": "in", "type": "integer", "label": {"en": "How many?"}},
                    ],
                }
            ],
        }
    )  # fmt: skip


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_long_question_names_are_cut_to_what_stata_takes_and_stay_unique(
    tmp_path: Path, file_format: str
) -> None:
    # 120 labelled variables: pyreadstat names a set of value labels after its variable
    # and its number among the sets ("..._c1199"), and Stata takes 32 characters.
    name = "services_known_auslaenderbehoerde"
    questionnaire = many_choices(name, 120)
    answers = [{name: ["c0", "c119"], "in": 3}, {name: ["c5"]}]
    frame = frame_from_texts(questionnaire, [(questionnaire, texts(*answers))])
    for meta_name, value in (("version", 1), ("language", "en"), ("submitted_on", "2026-03-01")):
        frame.insert(0, meta_name, value)
    path = tmp_path / f"responses.{file_format}"

    write_labelled([frame], questionnaire, "en", path, file_format)  # type: ignore[arg-type]

    read = pyreadstat.read_sav if file_format == "sav" else pyreadstat.read_dta
    table, meta = read(str(path))
    names = meta.column_names
    ticks = names[3:-1]
    assert len({n.lower() for n in names}) == len(names) == 3 + 120 + 1
    assert all(len(n) + len(str(i)) <= 32 for i, n in enumerate(ticks))
    assert ticks[0].startswith("services_known_auslaenderbe")
    labels = dict(zip(names, meta.column_labels, strict=True))
    assert labels[ticks[119]] == f"{name}: Which?: C119"
    assert list(table[ticks[119]]) == [1, 0]
    assert names[-1] == "v_in"
    assert table["v_in"][0] == 3


# SHA-256 of the files written before repeats' entries were exported (commit 8214184,
# pyreadstat 1.3.8), the time of writing blanked out: `export(wave1, ...)` in German,
# and a survey with no responses in English.
BEFORE_ENTRIES = {
    ("wave1", "sav"): "c08ca59244b2c61a4a2f769c8917544054122be602a4605080a482afa20b2fa0",
    ("wave1", "dta"): "29cfed95893e092598cfb4589684f0584d0b67800b1f789f7da78c47a6dbf34b",
    ("empty", "sav"): "58646147ed98e2b3ea968b8f7ca33e23cfcf669d2fe0648ba1b13afc221b7c74",
    ("empty", "dta"): "43a745b3c92ea61d31f4ae3e5953bc77c5818cff1bd4048c73f03e6f292f16fd",
}


def without_time_written(path: Path) -> bytes:
    """The file's bytes, the time ReadStat writes into its header blanked out (SPSS:
    creation date and time, bytes 92 to 108; Stata: the <timestamp> element)."""
    data = path.read_bytes()
    if path.suffix == ".sav":
        return data[:92] + bytes(17) + data[109:]
    return re.sub(rb"<timestamp>.*?</timestamp>", b"<timestamp></timestamp>", data, count=1)


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_a_survey_without_repeats_gets_the_same_file_as_before_entries_were_exported(
    wave1: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    export(wave1, tmp_path, file_format)
    empty = tmp_path / f"empty.{file_format}"
    count, paths = write_labelled([], wave1, "en", empty, file_format)  # type: ignore[arg-type]

    assert (count, paths) == (0, [empty])
    for name, path in (("wave1", tmp_path / f"responses.{file_format}"), ("empty", empty)):
        digest = hashlib.sha256(without_time_written(path)).hexdigest()
        assert digest == BEFORE_ENTRIES[name, file_format], name
