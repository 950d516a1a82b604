"""Settings from the environment (prefix `SURVEY_`), read only when asked for."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from survey_app.files import private_directory, write_private_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR = PROJECT_ROOT / "var"
# Addresses no respondent can reach (not a bind address).
LOCAL_HOSTS = frozenset({"", "127.0.0.1", "localhost", "0.0.0.0", "::1"})  # noqa: S104
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "development"})


class SettingsError(RuntimeError):
    """A setting is missing or unsafe; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    questionnaires: Path
    secret_key: str
    environment: str = "development"
    draft_lifetime_days: int = 30
    submission_rate_limit: int = 600
    base_url: str = "http://127.0.0.1:8000"
    var_dir: Path = DEFAULT_VAR
    min_free_mb: int = 50
    workers: int = 1
    max_concurrent_requests: int = 200
    smtp_url: str = ""
    """Where invitation e-mails go out (`smtp://user:password@host:587`, `smtps://...`)."""
    mail_from: str = ""
    """The sender of invitation e-mails, e.g. `Integrationsbüro <integration@lk.example>`."""
    # Thresholds of the quality flags in the office's review (`analysis.quality`).
    quality_fast_minutes: int = 3
    quality_unanswered_percent: int = 50
    quality_straightlined: int = 3
    quality_burst: int = 30

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def min_free_bytes(self) -> int:
        return self.min_free_mb * 1024 * 1024

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def links_are_local(self) -> bool:
        """Whether links made for the outside world (invitations, posters) point to this
        computer: fine for trying the app out, useless to recipients. Only in development:
        production refuses such a `SURVEY_BASE_URL`."""
        return is_local_address(self.base_url)


def get_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from `environ` (default: the process environment).

    In production a real `SURVEY_SECRET_KEY` is required; in development one is generated
    once and kept under `var/` so sessions survive restarts.
    """
    env = os.environ if environ is None else environ
    var_dir = Path(env.get("SURVEY_VAR_DIR", str(DEFAULT_VAR)))
    environment = env.get("SURVEY_ENVIRONMENT", "development")
    secret_key = env.get("SURVEY_SECRET_KEY", "")
    if environment == "production":
        if secret_key.lower() in PLACEHOLDER_SECRETS or len(secret_key) < 32:
            raise SettingsError(
                "SURVEY_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`)"
            )
        _require_public_base_url(env.get("SURVEY_BASE_URL", ""))
    elif not secret_key:
        secret_key = _development_secret(var_dir)
    return Settings(
        database_url=env.get("SURVEY_DATABASE_URL", f"sqlite:///{var_dir / 'survey.sqlite3'}"),
        questionnaires=Path(env.get("SURVEY_QUESTIONNAIRES", str(PROJECT_ROOT / "questionnaires"))),
        secret_key=secret_key,
        environment=environment,
        draft_lifetime_days=_int(env, "SURVEY_DRAFT_LIFETIME_DAYS", 30),
        submission_rate_limit=_int(env, "SURVEY_SUBMISSION_RATE_LIMIT", 600),
        base_url=env.get("SURVEY_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        var_dir=var_dir,
        smtp_url=env.get("SURVEY_SMTP_URL", ""),
        mail_from=env.get("SURVEY_MAIL_FROM", ""),
        quality_fast_minutes=_int(env, "SURVEY_QUALITY_FAST_MINUTES", 3),
        quality_unanswered_percent=_int(env, "SURVEY_QUALITY_UNANSWERED_PERCENT", 50),
        quality_straightlined=_int(env, "SURVEY_QUALITY_STRAIGHTLINED", 3),
        quality_burst=_int(env, "SURVEY_QUALITY_BURST", 30),
        min_free_mb=_int(env, "SURVEY_MIN_FREE_MB", 50),
        workers=_int(env, "SURVEY_WORKERS", 1),
        max_concurrent_requests=_int(env, "SURVEY_MAX_CONCURRENT_REQUESTS", 200),
    )


def is_local_address(base_url: str) -> bool:
    """Whether `base_url` is no web address others can reach (this computer, or none)."""
    host = urlsplit(base_url).hostname or ""
    return not base_url.startswith(("https://", "http://")) or host in LOCAL_HOSTS


def _require_public_base_url(base_url: str) -> None:
    """Invitation links, QR codes and e-mails are made from `SURVEY_BASE_URL` and shown
    once: a wrong default would waste a whole mailing, so production has none."""
    if is_local_address(base_url):
        raise SettingsError(
            "SURVEY_BASE_URL must be set in production to the address respondents use, "
            "e.g. https://umfrage.landkreis.example (invitation links and QR codes are "
            f"made from it); got {base_url!r}"
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _development_secret(var_dir: Path) -> str:
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    private_directory(var_dir, tighten=False)
    key = secrets.token_urlsafe(48)
    write_private_file(path, key + "\n")
    return key
