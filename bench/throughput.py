"""HTTP throughput: the real server (`privacy-qa serve`: uvicorn, uvloop, no access log) under
wrk on loopback, GET /healthz next to POST /api/ask."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class BenchError(Exception):
    """The benchmark cannot run (no wrk, the server does not start); the message says why."""


@dataclass(frozen=True)
class Load:
    """What wrk measured on one route."""

    route: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


def free_port() -> int:
    """A loopback TCP port nobody listens on just now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _command() -> list[str]:
    script = Path(sys.executable).with_name("privacy-qa")
    return [str(script)] if script.exists() else [sys.executable, "-m", "qa.cli.main"]


def pinned(command: list[str], cpu: int) -> list[str]:
    """`command` bound to one CPU where taskset exists and there are two or more: the server and
    wrk share this machine, and unbound they take each other's CPU time in varying shares (a
    route whose Lua script costs wrk more would leave the server less)."""
    taskset = shutil.which("taskset")
    if taskset is None or (os.cpu_count() or 1) < 2:
        return command
    return [taskset, "-c", str(cpu), *command]


def _get(url: str, timeout: float = 2.0) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        status: int = response.status
        return status


def server_environ(workdir: Path, **values: str) -> dict[str, str]:
    """This process's environment without PRIVACY_QA_* settings, running this checkout's code,
    with the data folder in `workdir`, plus the given PRIVACY_QA_* values."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVACY_QA_")}
    env["PYTHONPATH"] = str(ROOT)
    env["PRIVACY_QA_DATA_DIR"] = str(workdir / "data")
    env.update(values)
    return env


@contextmanager
def serve(
    policy: Path | None,
    workdir: Path,
    workers: int = 1,
    log_level: str = "warning",
    cpu: int | None = None,
    command: Sequence[str] | None = None,
    started: dict[str, float] | None = None,
    **settings: str,
) -> Iterator[str]:
    """`privacy-qa serve` on a free loopback port, with more PRIVACY_QA_* `settings` if given,
    bound to one `cpu` if given; yields its base URL, stops it afterwards. Its output goes to
    `workdir`/server.log. `command` serves something else (given `--port N`); `started`, if
    given, receives the server's `pid` and the `seconds` it took to answer /healthz."""
    port = free_port()
    env = server_environ(workdir, PRIVACY_QA_LOG_LEVEL=log_level, **settings)
    if policy is not None:
        env["PRIVACY_QA_POLICY"] = str(policy)
    log = workdir / "server.log"
    argv = [*(command or [*_command(), "serve", "--workers", str(workers)]), "--port", str(port)]
    began = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            pinned(argv, cpu) if cpu is not None else argv,
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://{settings.get('PRIVACY_QA_HOST', '127.0.0.1')}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise BenchError(f"the server stopped: {log.read_text(errors='replace')}")
            try:
                if _get(url + "/healthz") == 200:
                    break
            except (OSError, urllib.error.URLError):
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise BenchError(f"the server did not answer /healthz within 60 s ({log})")
            time.sleep(0.05)  # poll again: the condition is /healthz answering 200
        if started is not None:
            started.update(pid=process.pid, seconds=time.monotonic() - began)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def lua_script(questions: list[str]) -> str:
    """A wrk script that POSTs the questions to /api/ask in turn, one per request."""
    bodies = []
    for question in questions:
        body = json.dumps({"question": question})
        if "]==]" in body:
            raise ValueError(f"question cannot be quoted for Lua: {question!r}")
        bodies.append(f"  [==[{body}]==],")
    return "\n".join(
        [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            "local bodies = {",
            *bodies,
            "}",
            "local n = 0",
            "request = function()",
            "  n = n % #bodies + 1",
            "  return wrk.format(nil, nil, nil, bodies[n])",
            "end",
            "",
        ]
    )


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _duration_ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not found:
        raise BenchError(f"wrk printed a latency I cannot read: {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def parse_wrk(route: str, output: str) -> Load:
    """The figures of a `wrk --latency` report."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (rps and total and p50 and p99):
        raise BenchError(f"wrk printed no figures for {route}:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return Load(
        route=route,
        requests_per_s=float(rps.group(1)),
        p50_ms=_duration_ms(p50.group(1)),
        p99_ms=_duration_ms(p99.group(1)),
        requests=int(total.group(1)),
        errors=errors,
    )


def run_wrk(
    route: str,
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int,
    script: Path | None = None,
) -> Load:
    """Run wrk against one URL for a fixed time and read its report."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed; run `make system-deps` (Debian package wrk)")
    command = pinned([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"], 1)
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse_wrk(route, done.stdout)


def check_ask(url: str, question: str) -> None:
    """One real answer before the load, so that a broken route is not timed as a fast one."""
    request = urllib.request.Request(
        url + "/api/ask",
        data=json.dumps({"question": question}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        data = json.loads(response.read())
    if response.status != 200 or "sections" not in data:
        raise BenchError(f"POST /api/ask did not answer: {response.status} {data!r}")
