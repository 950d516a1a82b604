"""What every benchmark needs: fresh databases, the real server and CLI as child processes,
their wall time, CPU time and peak memory, and the table of figures.

Nothing here imports the application: benchmarks drive `survey-app` as a user would, so
start-up, imports and serialisation are part of what is measured.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
DATA_DIR = RESULTS_DIR / "data"
QUESTIONNAIRES = PROJECT_ROOT / "questionnaires"
BIN = Path(sys.executable).parent
SURVEY_APP = str(BIN / "survey-app")
PYTHON = sys.executable
PG_BASE_URL = os.environ.get(
    "SURVEY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SURVEY = "newcomer"


class BenchError(RuntimeError):
    """A benchmark cannot run (missing tool, server does not start, route missing)."""


# -- the table -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    target: str = ""
    verdict: str = "info"


@dataclass
class Section:
    """The rows of one benchmark, with notes on how they were taken."""

    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def info(self, figure: str, value: str) -> None:
        self.rows.append(Row(figure, value))

    def at_most(self, figure: str, value: float, limit: float, unit: str, digits: int = 2) -> None:
        """A figure whose target is an upper limit (time, size, latency, memory)."""
        verdict = "met" if value < limit else "MISSED"
        self.rows.append(
            Row(figure, f"{value:.{digits}f} {unit}", f"< {_number(limit)} {unit}", verdict)
        )

    def at_least(
        self, figure: str, value: float, limit: float, unit: str = "", digits: int = 2
    ) -> None:
        """A figure whose target is a lower limit (throughput, ratio)."""
        verdict = "met" if value >= limit else "MISSED"
        self.rows.append(
            Row(
                figure,
                f"{value:.{digits}f} {unit}".strip(),
                f">= {_number(limit)} {unit}".strip(),
                verdict,
            )
        )

    def check(self, figure: str, value: str, target: str, ok: bool) -> None:
        self.rows.append(Row(figure, value, target, "met" if ok else "MISSED"))

    def markdown(self) -> str:
        lines = [
            f"## {self.title}",
            "",
            "| figure | value | target | verdict |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r.figure} | {r.value} | {r.target or '–'} | {r.verdict} |" for r in self.rows
        ]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return f"{value:g}"


def conditions() -> str:
    """One line on the machine's state: load average and what else is busy."""
    load = os.getloadavg()
    busy = subprocess.run(
        ["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()[:4]
    others = ", ".join(" ".join(line.split()) for line in busy)
    pytest_running = any(
        "pytest" in line
        for line in subprocess.run(
            ["ps", "-eo", "args", "--no-headers"], capture_output=True, text=True, check=False
        ).stdout.splitlines()
    )
    return (
        f"{os.cpu_count()} CPUs, load average {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}; "
        f"pytest running: {'yes' if pytest_running else 'no'}; busiest: {others}"
    )


# -- processes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A finished child process: wall seconds, CPU seconds and peak resident memory."""

    returncode: int
    seconds: float
    cpu_seconds: float
    max_rss_mb: float
    stdout: str
    stderr: str

    def require_success(self, what: str) -> Run:
        if self.returncode != 0:
            raise BenchError(f"{what} failed ({self.returncode}): {self.stderr.strip()[-800:]}")
        return self


def run(args: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run a command to its end; `os.wait4` gives the rusage of exactly this child
    (its peak RSS, not the maximum over every child this process ever had)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(args, env=env, cwd=cwd or PROJECT_ROOT, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            returncode=process.returncode,
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            max_rss_mb=usage.ru_maxrss / 1024,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """The environment of a server or CLI child: its own database and var directory,
    no submission rate limit (the benchmark is one client address sending on purpose)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SURVEY_") or key == "SURVEY_QUESTIONNAIRES"
    }
    env.update(
        SURVEY_DATABASE_URL=database_url,
        SURVEY_VAR_DIR=str(var_dir),
        SURVEY_SUBMISSION_RATE_LIMIT="0",
        SURVEY_SECRET_KEY=secrets.token_urlsafe(48),
    )
    return env


# -- databases -------------------------------------------------------------------------


@dataclass(frozen=True)
class FreshDatabase:
    kind: str
    url: str
    directory: Path

    def env(self) -> dict[str, str]:
        return app_env(self.url, self.directory / "var")


@contextlib.contextmanager
def fresh_database(kind: str) -> Iterator[FreshDatabase]:
    """An empty database (not yet migrated): a SQLite file in a temporary directory, or a
    new schema on the PostgreSQL server, dropped afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        if kind == "sqlite":
            yield FreshDatabase(kind, f"sqlite:///{directory / 'survey.sqlite3'}", directory)
            return
        if kind != "postgresql":
            raise BenchError(f"unknown database kind {kind!r}")
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        _psql(f'CREATE SCHEMA "{schema}"')
        try:
            yield FreshDatabase(kind, _schema_url(schema), directory)
        finally:
            _psql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _schema_url(schema: str) -> str:
    separator = "&" if "?" in PG_BASE_URL else "?"
    return f"{PG_BASE_URL}{separator}options=-csearch_path%3D{schema}"


def _psql(statement: str) -> None:
    import psycopg

    with psycopg.connect(_libpq_url(PG_BASE_URL), autocommit=True) as connection:
        connection.execute(statement)


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def postgres_available() -> bool:
    try:
        _psql("SELECT 1")
    except Exception:
        return False
    return True


def count_submissions(url: str, survey: str = SURVEY) -> int:
    """Rows stored for `survey`, read straight from the database (not through the app)."""
    query = "SELECT count(*) FROM submission WHERE survey_id = %s"
    if url.startswith("sqlite"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
            return int(connection.execute(query.replace("%s", "?"), (survey,)).fetchone()[0])
    import psycopg

    base, _, query_string = url.partition("?")
    schema = query_string.split("search_path%3D", 1)[1].split("&", 1)[0]
    with psycopg.connect(_libpq_url(base), options=f"-csearch_path={schema}") as connection:
        row = connection.execute(query, (survey,)).fetchone()
        return int(row[0]) if row else 0


# -- the server ------------------------------------------------------------------------


class Server:
    """`survey-app serve` in its own process group, answering on a free port."""

    def __init__(self, env: dict[str, str], workers: int = 1) -> None:
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0
        # Lives as long as the server: the log is read when it fails to start or answer.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115

    def start(self, timeout: float = 60.0) -> Server:
        """Spawn the server and wait for the first 200 on GET /api/v1/surveys."""
        args = [SURVEY_APP, "serve", "--port", str(self.port), "--workers", str(self.workers)]
        started = time.perf_counter()
        self.process = subprocess.Popen(
            args,
            env=self.env,
            cwd=PROJECT_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise BenchError(f"survey-app serve exited: {self.log()[-1500:]}")
            if http_status(self.port, "/api/v1/surveys") == 200:
                self.startup_seconds = time.perf_counter() - started
                return self
            time.sleep(0.01)
        self.stop()
        raise BenchError(f"survey-app serve did not answer within {timeout:.0f} s")

    def pids(self) -> list[int]:
        """The server process and its workers (the whole process group)."""
        if self.process is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[2]) == self.process.pid:  # process group id
                        found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes (user + system)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / ticks

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def kill(self) -> None:
        """SIGKILL the whole group: nothing gets a chance to flush anything."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
        self._log.close()


def http_status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


def get_json(port: int, path: str) -> object:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def post_json(port: int, path: str, body: object) -> tuple[int, object]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST", path, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        payload = response.read()
        try:
            return response.status, json.loads(payload)
        except ValueError:
            return response.status, payload.decode("utf-8", "replace")
    finally:
        connection.close()


# -- demo data sets --------------------------------------------------------------------


def dataset_key() -> str:
    """Changes whenever what `demo` stores could change: the questionnaire, the demo
    generator, the row every stored response is made into (canonical answers, hash,
    quality signals) and the schema (migrations)."""
    digest = hashlib.sha256()
    sources = [
        QUESTIONNAIRES / f"{SURVEY}.yaml",
        PROJECT_ROOT / "analysis" / "demo.py",
        PROJECT_ROOT / "survey_app" / "services" / "submissions.py",
        PROJECT_ROOT / "survey_app" / "questionnaire" / "quality.py",
        *sorted((PROJECT_ROOT / "migrations" / "versions").glob("*.py")),
    ]
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Dataset:
    responses: int
    url: str
    path: Path
    demo_seconds: float | None
    """Wall time of `survey-app demo` (None when the file was kept from an earlier run)."""


def demo_dataset(responses: int, fresh: bool = False) -> Dataset:
    """A SQLite database with `responses` newcomer responses made by `survey-app demo`.

    Kept under bench/results/data/ between runs while `dataset_key()` is unchanged: making
    a million responses takes minutes and is not what the results benchmark measures.
    """
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"{SURVEY}-{responses}-{dataset_key()}.sqlite3"
    url = f"sqlite:///{path}"
    if path.exists() and not fresh:
        return Dataset(responses, url, path, None)
    for stale in DATA_DIR.glob(f"{SURVEY}-{responses}-*"):
        stale.unlink()
    partial = path.with_suffix(".partial")
    for leftover in DATA_DIR.glob(partial.name + "*"):
        leftover.unlink()
    env = app_env(f"sqlite:///{partial}", DATA_DIR / "var")
    made = run([SURVEY_APP, "demo", SURVEY, "--responses", str(responses), "--seed", "1"], env)
    made.require_success(f"survey-app demo {SURVEY} --responses {responses}")
    _checkpoint(partial)
    partial.rename(path)
    return Dataset(responses, url, path, made.seconds)


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the file so the data set is one file that can be renamed."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")


def fsyncs_per_second(directory: Path, seconds: float = 2.0) -> float:
    """How many 4 KiB write + fsync pairs the disk under `directory` completes per second:
    the ceiling for one-commit-per-request durable writes."""
    path = directory / f"fsync-probe-{uuid.uuid4().hex}"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    block = os.urandom(4096)
    try:
        count = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            os.pwrite(descriptor, block, (count % 64) * 4096)
            os.fsync(descriptor)
            count += 1
        return count / (time.perf_counter() - started)
    finally:
        os.close(descriptor)
        path.unlink()


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def cpu_seconds_of(command: str) -> float:
    """CPU time used so far by every process named `command` and by its exited children
    (PostgreSQL's backends exit with their connection; the postmaster's `cutime` keeps
    their CPU time), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            name, rest = (entry / "stat").read_text().split("(", 1)[1].rsplit(")", 1)
            if name == command:
                fields = rest.split()
                total += sum(int(value) for value in fields[11:15])
    return total / ticks
