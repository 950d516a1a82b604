"""A real `survey-app serve` process on a free port, for the tests that need one: the
storage race and crash tests, the browser tests and the browser XSS checks."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SURVEY_APP = Path(sys.executable).with_name("survey-app")
START_TIMEOUT_S = 30
SECRET_KEY = "live-server-test-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """`survey-app serve --workers N` in its own process group; ready when `ready_path`
    answers 200. `kill()` is a crash (SIGKILL), `stop()` a shutdown."""

    def __init__(
        self,
        database_url: str,
        var_dir: Path,
        *,
        questionnaires: Path,
        ready_path: str,
        workers: int = 1,
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ready_path = ready_path
        self.workers = workers
        self.env = {
            **os.environ,
            "SURVEY_DATABASE_URL": database_url,
            "SURVEY_QUESTIONNAIRES": str(questionnaires),
            "SURVEY_SUBMISSION_RATE_LIMIT": "0",
            "SURVEY_SECRET_KEY": SECRET_KEY,
            "SURVEY_VAR_DIR": str(var_dir),
            "SURVEY_BASE_URL": self.base_url,
        }
        self.log = var_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [str(SURVEY_APP), "serve", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--workers", str(self.workers)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}{self.ready_path}", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server did not start: {self.log.read_text(errors='replace')}")

    def kill(self) -> None:
        """SIGKILL the whole process group (supervisor and workers) and reap it."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it if it has not ended after 10 s."""
        self._signal(signal.SIGTERM)

    def _signal(self, sent: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sent)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.kill()
