"""The Litestar application: `create_app(settings)` wires settings, database and routes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.stores.file import FileStore
from sqlalchemy.exc import SQLAlchemyError

from survey_app.db.engine import Database, pool_for_workers
from survey_app.files import private_directory
from survey_app.services.health import database_problem, database_reason, readiness_problems
from survey_app.services.surveys import publish_directory
from survey_app.settings import Settings, get_settings
from survey_app.web.admin import AdminController
from survey_app.web.api import SurveyApiController
from survey_app.web.auth import AuthController
from survey_app.web.connections import BodyTimeout, Occupancy, RequestLimits, body_timeout
from survey_app.web.district import DistrictController, DistrictLogoController
from survey_app.web.errors import exception_handlers
from survey_app.web.fieldwork import FieldworkController
from survey_app.web.health import HealthController
from survey_app.web.hygiene import RefuseControlCharacters
from survey_app.web.questionnaires import QuestionnairesController
from survey_app.web.recipients import RecipientsController
from survey_app.web.respond import RespondController
from survey_app.web.results_api import ResultsApiController
from survey_app.web.results_pages import ResultsPagesController
from survey_app.web.review import ReviewController
from survey_app.web.security import (
    GuessLimit,
    LoginLimiters,
    RateLimiter,
    add_security_headers,
    guess_limiters,
    submission_rate_guard,
)
from survey_app.web.sessions import RenewingSessionConfig, sweep_sessions
from survey_app.web.submissions import SubmissionApiController, submission_threads
from survey_app.web.templating import static_router, template_config
from survey_app.web.texts import TextReviewController

log = logging.getLogger(__name__)

SESSION_IDLE_SECONDS = 2 * 3600


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; reads the environment only when `settings` is not given."""
    settings = settings or get_settings()
    db = Database(
        settings.database_url, **pool_for_workers(settings.database_url, settings.workers)
    )

    def check_storage_and_publish() -> None:
        # Unwritable storage is one clear line each at start, not a traceback: the
        # service runs and /readyz answers 503 with the same reasons until they are
        # fixed; questionnaires are published at the first start that can write.
        for unready in readiness_problems(db, settings.var_dir, settings.min_free_bytes):
            log.error("not ready: %s", unready)
        if database_problem(db) is not None:
            log.error("questionnaires not published: the database is not writable")
            return
        try:
            report = publish_directory(db, settings.questionnaires)
        except SQLAlchemyError as error:
            # A worker whose start fails makes uvicorn's supervisor stop every worker of
            # `serve --workers N`: this one serves what was published before instead,
            # and a later start publishes.
            log.error("questionnaires not published: %s", database_reason(error))
            return
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

    sessions = FileStore(settings.var_dir / "sessions", create_directories=True)
    with contextlib.suppress(OSError):  # reported at start and by /readyz
        private_directory(settings.var_dir / "sessions")
    sweeper: list[asyncio.Task[None]] = []

    def start_session_sweeper() -> None:
        sweeper.append(asyncio.get_running_loop().create_task(sweep_sessions(sessions)))

    def stop_session_sweeper() -> None:
        for task in sweeper:
            task.cancel()

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
            "login_limiters": LoginLimiters(),
            "submission_limiter": RateLimiter(settings.submission_rate_limit, 60),
            "guess_limiters": guess_limiters(),
            "occupancy": Occupancy(settings.max_concurrent_requests),
        }
    )

    return Litestar(
        route_handlers=[
            HealthController,
            SurveyApiController,
            AuthController,
            ReviewController,
            TextReviewController,
            FieldworkController,
            DistrictController,
            DistrictLogoController,
            RecipientsController,
            QuestionnairesController,
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
        stores={"sessions": sessions},
        middleware=[
            RequestLimits,
            RefuseControlCharacters,
            GuessLimit,
            session_config.middleware,
        ],
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
        exception_handlers={**exception_handlers(), BodyTimeout: body_timeout},
        on_startup=[
            check_storage_and_publish,
            admit_submissions,
            start_session_sweeper,
            freeze_startup_objects,
        ],
        on_shutdown=[stop_session_sweeper, close_database],
        debug=False,
    )
