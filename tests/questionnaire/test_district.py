"""The district profile: read once from `district.yaml`, filled into notices."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_app.questionnaire.district import (
    DistrictProfile,
    DistrictProfileError,
    district_profile,
    fill_placeholders,
    placeholder_values,
    unknown_placeholders,
)


def test_without_a_file_the_german_defaults_apply(tmp_path: Path) -> None:
    assert district_profile(tmp_path) == DistrictProfile()
    assert DistrictProfile().district == "Landkreis Musterland"


def test_the_file_overrides_what_it_names_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "district.yaml").write_text(
        "district: Landkreis Beispielhausen\nemail: ' integration@beispielhausen.de '\n",
        encoding="utf-8",
    )
    profile = district_profile(tmp_path)
    assert profile.district == "Landkreis Beispielhausen"
    assert profile.email == "integration@beispielhausen.de"
    assert profile.office == DistrictProfile().office


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "district.yaml"
    path.write_text("district: Kreis A\n", encoding="utf-8")
    assert district_profile(tmp_path).district == "Kreis A"
    path.write_text("district: Kreis Bee\n", encoding="utf-8")
    assert district_profile(tmp_path).district == "Kreis Bee"


def test_an_unknown_field_is_refused_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "district.yaml").write_text("district: X\nphone: 123\n", encoding="utf-8")
    with pytest.raises(DistrictProfileError, match=r"district.yaml:1: unknown field\(s\) phone"):
        district_profile(tmp_path)


def test_placeholders_are_filled_and_other_braces_stay() -> None:
    values = placeholder_values(DistrictProfile(district="Kreis X"), draft_days=14)
    text = "{district} hält Antworten {draft_days} Tage; {unbekannt} und {} bleiben."
    assert fill_placeholders(text, values) == (
        "Kreis X hält Antworten 14 Tage; {unbekannt} und {} bleiben."
    )
    assert unknown_placeholders(text) == ["unbekannt"]
