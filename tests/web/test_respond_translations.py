"""The UI catalogues: every extracted message translated in every survey language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from click.testing import CliRunner

from survey_app.cli import main
from survey_app.i18n import (
    ANSWER_ERROR_MESSAGES,
    LOCALE_DIR,
    OR_OTHER_LABELS,
    catalogue_languages,
    translations,
)
from survey_app.questionnaire.xlsform.importer import OTHER_LABEL, SPECIFY_OTHER_LABEL
from survey_app.settings import PROJECT_ROOT, Settings

SURVEY_LANGUAGES = ("de", "ar", "uk", "fa", "ru", "tr")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="session")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The messages found in the code and templates now (not the committed .pot)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    arguments = ["-q", "extract", "-F", str(PROJECT_ROOT / "babel.cfg"), "-k", "N_"]
    CommandLineInterface().run(["pybabel", *arguments, "-o", str(pot), str(PROJECT_ROOT)])  # type: ignore[no-untyped-call]
    with pot.open("rb") as pot_file:
        return read_po(pot_file)


def catalogue(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=language)


def test_extraction_finds_the_ui_and_answer_messages(extracted: Catalog) -> None:
    ids = {message.id for message in extracted if message.id}
    assert set(ANSWER_ERROR_MESSAGES.values()) <= ids
    assert {"Next", "Back", "Page %(number)s of %(total)s", "Change language"} <= ids
    # The labels an XLSForm's or_other adds, as the importer writes them in English.
    assert {OTHER_LABEL, SPECIFY_OTHER_LABEL} == set(OR_OTHER_LABELS)
    assert set(OR_OTHER_LABELS) <= ids


@pytest.mark.parametrize("language", SURVEY_LANGUAGES)
def test_every_message_is_translated(extracted: Catalog, language: str) -> None:
    translated = catalogue(language)
    missing = [
        message.id
        for message in extracted
        if message.id and not str(getattr(translated.get(message.id), "string", "")).strip()
    ]
    assert missing == []


@pytest.mark.parametrize("language", SURVEY_LANGUAGES)
def test_translations_keep_their_placeholders(language: str) -> None:
    for message in catalogue(language):
        if message.id:
            assert set(PLACEHOLDER.findall(str(message.string))) == set(
                PLACEHOLDER.findall(str(message.id))
            ), message.id


def test_every_survey_language_has_a_catalogue() -> None:
    assert set(SURVEY_LANGUAGES) | {"en"} <= set(catalogue_languages())


def test_catalogues_are_used_without_a_compile_step() -> None:
    assert translations("fa").gettext("Next") == "بعدی"
    assert translations("uk").gettext(ANSWER_ERROR_MESSAGES["required"]).startswith("Будь ласка")


def test_check_finds_a_catalogue_for_every_survey_language(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SURVEY_SECRET_KEY", settings.secret_key)
    result = CliRunner().invoke(main, ["check", str(PROJECT_ROOT / "questionnaires")])
    assert result.exit_code == 0, result.output
    assert "no UI catalogue" not in result.output


def test_the_committed_template_lists_every_message(extracted: Catalog) -> None:
    with Path(LOCALE_DIR / "messages.pot").open("rb") as pot_file:
        committed = {message.id for message in read_po(pot_file) if message.id}
    assert {message.id for message in extracted if message.id} == committed
