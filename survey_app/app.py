"""The Litestar application: `create_app(settings)` wires settings, database and routes."""

from __future__ import annotations

import gc
import logging

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.stores.file import FileStore

from survey_app.db.engine import Database
from survey_app.services.surveys import publish_directory
from survey_app.settings import Settings, get_settings
from survey_app.web.admin import AdminController
from survey_app.web.api import SurveyApiController
from survey_app.web.auth import AuthController
from survey_app.web.errors import exception_handlers
from survey_app.web.fieldwork import FieldworkController
from survey_app.web.recipients import RecipientsController
from survey_app.web.respond import RespondController
from survey_app.web.results_api import ResultsApiController
from survey_app.web.results_pages import ResultsPagesController
from survey_app.web.review import ReviewController
from survey_app.web.security import (
    GUESS_WINDOW_SECONDS,
    GUESSES_ALLOWED,
    GuessLimit,
    RateLimiter,
    add_security_headers,
    submission_rate_guard,
)
from survey_app.web.sessions import RenewingSessionConfig
from survey_app.web.submissions import SubmissionApiController, submission_threads
from survey_app.web.templating import static_router, template_config

log = logging.getLogger(__name__)

SESSION_IDLE_SECONDS = 2 * 3600
LOGIN_FAILURES_ALLOWED = 10
LOGIN_WINDOW_SECONDS = 15 * 60


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; reads the environment only when `settings` is not given."""
    settings = settings or get_settings()
    db = Database(settings.database_url)

    def publish_questionnaires() -> None:
        report = publish_directory(db, settings.questionnaires)
        for problem in report.problems:
            log.warning("%s", problem)

    def admit_submissions(app: Litestar) -> None:
        app.state.submission_threads = submission_threads()

    def freeze_startup_objects() -> None:
        # Modules, routes and parsed questionnaires live as long as the process; without
        # this every full garbage collection walks them again, which made reads ~1.5x
        # slower and the slowest submissions on PostgreSQL 1.5-2x slower (bench/README.md).
        gc.freeze()

    def close_database() -> None:
        db.dispose()

    # Server-side sessions in files under var/: shared by every worker process, revoked at
    # logout, and expiring after two hours without a request.
    session_config = RenewingSessionConfig(
        max_age=SESSION_IDLE_SECONDS,
        renew_on_access=True,
        secure=settings.base_url.startswith("https://"),
        httponly=True,
        samesite="lax",
        key="survey_session",
        exclude=["/api/v1/surveys", "/static"],
    )
    state = State(
        {
            "db": db,
            "settings": settings,
            "login_limiters": (
                RateLimiter(LOGIN_FAILURES_ALLOWED, LOGIN_WINDOW_SECONDS),
                RateLimiter(LOGIN_FAILURES_ALLOWED, LOGIN_WINDOW_SECONDS),
            ),
            "submission_limiter": RateLimiter(settings.submission_rate_limit, 60),
            "guess_limiter": RateLimiter(GUESSES_ALLOWED, GUESS_WINDOW_SECONDS),
        }
    )

    return Litestar(
        route_handlers=[
            SurveyApiController,
            AuthController,
            ReviewController,
            FieldworkController,
            RecipientsController,
            AdminController,
            ResultsApiController,
            ResultsPagesController,
            SubmissionApiController,
            RespondController,
            static_router(),
        ],
        template_config=template_config(),
        dependencies={
            "db": Provide(lambda: db, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
        },
        state=state,
        stores={"sessions": FileStore(settings.var_dir / "sessions", create_directories=True)},
        middleware=[GuessLimit, session_config.middleware],
        guards=[submission_rate_guard],
        before_send=[add_security_headers],
        compression_config=CompressionConfig(backend="gzip", minimum_size=500),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.base_url.startswith("https://"),
            cookie_httponly=True,
            # The JSON API changes no account's state and must work without a browser.
            exclude=["/api/"],
        ),
        exception_handlers=exception_handlers(),
        on_startup=[publish_questionnaires, admit_submissions, freeze_startup_objects],
        on_shutdown=[close_database],
        debug=False,
    )
