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
    unfilled_placeholders,
    unknown_placeholders,
)
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Questionnaire


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
    (tmp_path / "district.yaml").write_text("district: X\nfax: 123\n", encoding="utf-8")
    with pytest.raises(DistrictProfileError, match=r"district.yaml:1: unknown field\(s\) fax"):
        district_profile(tmp_path)


def test_placeholders_are_filled_and_other_braces_stay() -> None:
    values = placeholder_values(DistrictProfile(district="Kreis X"), draft_days=14)
    text = "{district} hält Antworten {draft_days} Tage; {unbekannt} und {} bleiben."
    assert fill_placeholders(text, values) == (
        "Kreis X hält Antworten 14 Tage; {unbekannt} und {} bleiben."
    )
    assert unknown_placeholders(text) == ["unbekannt"]


def test_the_phone_number_fills_its_placeholder_and_counts_as_unfilled_while_an_example(
    tmp_path: Path,
) -> None:
    (tmp_path / "district.yaml").write_text("phone: 05151 903-0\n", encoding="utf-8")
    values = placeholder_values(district_profile(tmp_path), draft_days=30)
    questionnaire = notice_survey(tmp_path, "Fragen: {email}, Telefon {phone}.")

    assert fill_placeholders("Telefon {phone}", values) == "Telefon 05151 903-0"
    assert unknown_placeholders("Telefon {phone}") == []
    assert "phone" in unfilled_placeholders(questionnaire, DistrictProfile())
    assert "phone" not in unfilled_placeholders(questionnaire, district_profile(tmp_path))


NOTICE_SURVEY = """
id: notice
version: "1"
title: {de: Test, ar: اختبار}
languages: [de, ar]
default_language: de
privacy_notice:
  de: "Verantwortlich: {district} – {office}, {address}. Fragen: {email}."
  ar: "المسؤول: {district}"
thank_you: {de: "Danke! Datenschutz: {dpo}", ar: "شكرا"}
pages:
  - name: p
    title: {de: Seite, ar: صفحة}
    questions:
      - {name: q, type: text, label: {de: Frage, ar: سؤال}}
"""


def notice_survey(directory: Path, questions: str = "Fragen: {email}.") -> Questionnaire:
    path = directory / "notice.yaml"
    path.write_text(NOTICE_SURVEY.replace("Fragen: {email}.", questions), encoding="utf-8")
    loaded = load_questionnaire(path, working_groups=())
    assert loaded.questionnaire is not None, loaded.problems
    return loaded.questionnaire


def test_the_fields_a_notice_names_with_their_example_value_are_unfilled(tmp_path: Path) -> None:
    questionnaire = notice_survey(tmp_path)

    assert unfilled_placeholders(questionnaire, DistrictProfile()) == [
        "district",
        "address",
        "email",
        "dpo",
    ]
    filled = DistrictProfile(district="Landkreis Bergland", address="Am Markt 3, Bergstadt")
    assert unfilled_placeholders(questionnaire, filled) == ["email", "dpo"]


def test_the_office_name_is_no_example_and_unnamed_fields_do_not_count(tmp_path: Path) -> None:
    questionnaire = notice_survey(tmp_path)
    profile = DistrictProfile(
        district="Landkreis Bergland",
        address="Am Markt 3, Bergstadt",
        email="integration@bergland.example",
        dpo="datenschutz@bergland.example",
    )

    # `office` keeps "Integrationsmanagement"; `supervisory_authority` is not named.
    assert unfilled_placeholders(questionnaire, profile) == []
