"""HTTP load with `wrk` (Debian package `wrk`): keep-alive connections, a Lua script that
makes every submission unique and counts statuses, and the CPU time both sides used.

The CPU figures answer "is the client the bottleneck?": wrk's own CPU seconds per
second of load (its share of a core) are printed beside the server's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import BENCH_DIR, BenchError, Server

LUA = BENCH_DIR / "wrk" / "load.lua"


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int]
    socket_errors: int
    sent: int
    client_cpu: float
    """wrk's CPU seconds per wall second (1.0 = one core busy)."""
    server_cpu: float
    """The server's CPU seconds per wall second, all its processes."""

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def count(self, status: int) -> int:
        return self.statuses.get(status, 0)

    def ok_per_second(self, status: int) -> float:
        return self.count(status) / self.seconds

    def server_cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu * self.seconds / max(1, self.requests)

    def describe(self) -> str:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{self.connections} connections, {self.requests} requests in {self.seconds:.1f} s "
            f"({statuses}; socket errors {self.socket_errors}); wrk used "
            f"{100 * self.client_cpu:.0f}% of a core, the server {100 * self.server_cpu:.0f}%"
        )


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("wrk is not installed: `apt-get install wrk` (Debian package)")
    return found


def wrk(
    server: Server,
    path: str,
    *,
    connections: int,
    seconds: float,
    bodies: Path | None = None,
    threads: int = 1,
) -> Load:
    """Load `path` on `server` from `connections` keep-alive connections for `seconds`.

    With `bodies` every request POSTs a new submission (see bench/wrk/load.lua).
    """
    env = dict(os.environ)
    env["BENCH_BODIES"] = str(bodies) if bodies else ""
    env["BENCH_RUN"] = uuid.uuid4().hex[:10]
    args: Sequence[str] = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        server.base + path,
    ]
    with tempfile.TemporaryFile() as out:
        server_before = server.cpu_seconds()
        started = time.perf_counter()
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        server_cpu = (server.cpu_seconds() - server_before) / wall
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    line = next((x for x in text.splitlines() if x.startswith("BENCH ")), None)
    if process.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({process.returncode}): {text[-800:]}")
    data = json.loads(line.removeprefix("BENCH "))
    errors = data["errors"]
    return Load(
        connections=connections,
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        statuses={int(code): int(n) for code, n in data["statuses"].items()},
        socket_errors=sum(int(errors[k]) for k in ("connect", "read", "write", "timeout")),
        sent=int(data["sent"]),
        client_cpu=(usage.ru_utime + usage.ru_stime) / wall,
        server_cpu=server_cpu,
    )
