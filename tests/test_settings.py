"""Settings that would hurt in production are refused at start, with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from survey_app.cli import main
from survey_app.settings import SettingsError, get_settings

SECRET = "a-real-random-secret-that-is-long-enough-0123"


def production(tmp_path: Path, **env: str) -> dict[str, str]:
    return {
        "SURVEY_ENVIRONMENT": "production",
        "SURVEY_SECRET_KEY": SECRET,
        "SURVEY_VAR_DIR": str(tmp_path),
        **env,
    }


@pytest.mark.parametrize(
    "base_url", ["", "http://127.0.0.1:8000", "http://localhost", "umfrage.example"]
)
def test_production_needs_the_public_address_for_links(tmp_path: Path, base_url: str) -> None:
    with pytest.raises(SettingsError, match="SURVEY_BASE_URL must be set"):
        get_settings(production(tmp_path, SURVEY_BASE_URL=base_url))


def test_production_with_a_public_address_and_a_real_secret_starts(tmp_path: Path) -> None:
    settings = get_settings(production(tmp_path, SURVEY_BASE_URL="https://umfrage.lk.example/"))
    assert settings.base_url == "https://umfrage.lk.example"
    assert settings.is_production


def test_production_refuses_a_placeholder_secret(tmp_path: Path) -> None:
    env = production(tmp_path, SURVEY_BASE_URL="https://u.example", SURVEY_SECRET_KEY="changeme")
    with pytest.raises(SettingsError, match="SURVEY_SECRET_KEY"):
        get_settings(env)


def test_development_keeps_the_local_address(tmp_path: Path) -> None:
    settings = get_settings({"SURVEY_VAR_DIR": str(tmp_path)})
    assert settings.base_url == "http://127.0.0.1:8000"


def test_quality_thresholds_come_from_the_environment(tmp_path: Path) -> None:
    settings = get_settings({"SURVEY_VAR_DIR": str(tmp_path), "SURVEY_QUALITY_BURST": "12"})
    assert settings.quality_burst == 12
    with pytest.raises(SettingsError, match="SURVEY_QUALITY_FAST_MINUTES"):
        get_settings({"SURVEY_VAR_DIR": str(tmp_path), "SURVEY_QUALITY_FAST_MINUTES": "x"})


def test_demo_answers_are_refused_in_production(tmp_path: Path, monkeypatch: Any) -> None:
    for name, value in production(tmp_path, SURVEY_BASE_URL="https://u.example").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SURVEY_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = CliRunner().invoke(main, ["demo", "newcomer", "--responses", "5"])
    assert result.exit_code == 2
    assert "refused in production" in result.output
    assert not (tmp_path / "db.sqlite3").exists()
