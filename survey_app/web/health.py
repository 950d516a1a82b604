"""`GET /healthz` (the process answers) and `GET /readyz` (it can store answers) for
load balancers, systemd and monitoring (see `deploy/`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from survey_app.db.engine import Database
from survey_app.services.health import readiness_problems
from survey_app.settings import Settings

NOT_READY_RETRY_AFTER_SECONDS = 30


class HealthController(Controller):
    path = ""
    include_in_schema = False

    @get("/healthz", sync_to_thread=False, cache=False)
    def healthz(self) -> dict[str, str]:
        """Alive: answers without touching the database or the disk."""
        return {"status": "ok"}

    @get("/readyz", sync_to_thread=True, cache=False)
    def readyz(
        self, db: NamedDependency[Database], settings: NamedDependency[Settings]
    ) -> Response[dict[str, Any]]:
        """Ready: the database takes writes, `var/` too, and the disk has room; else 503
        with every reason."""
        problems = readiness_problems(db, settings.var_dir, settings.min_free_bytes)
        if problems:
            return Response(
                {"status": "unavailable", "problems": problems},
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(NOT_READY_RETRY_AFTER_SECONDS)},
            )
        return Response({"status": "ok"}, status_code=HTTP_200_OK)
