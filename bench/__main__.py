"""`python -m bench` (`make bench`): answer() latency in process, and HTTP throughput of
POST /api/ask next to GET /healthz on the real server under wrk."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.breakdown import Breakdown, measure_breakdown
from bench.latency import Latency, measure
from bench.questions import QUESTIONS, questions
from bench.synthetic import synthetic_library
from bench.throughput import BenchError, Load, check_ask, lua_script, run_wrk, serve
from index.library import load_library
from qa.assistant import Assistant
from qa.settings import Settings, bundled_policy

P50_TARGET_MS = 0.3  # issue 2: answer() on the bundled policy
SYNTHETIC_P50_TARGET_MS = 1.0  # issue 5: answer() on a 40-section policy
RATIO_TARGET = 0.8  # issue 2: /api/ask throughput against /healthz


def parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    top = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    top.add_argument("--questions", type=int, default=2000, help="answers timed per policy")
    top.add_argument("--seconds", type=int, default=10, help="wrk duration per route")
    top.add_argument("--connections", type=int, default=32, help="wrk connections")
    top.add_argument("--threads", type=int, default=2, help="wrk threads")
    top.add_argument("--workers", type=int, default=1, help="server worker processes")
    top.add_argument("--no-http", action="store_true", help="skip the wrk part")
    top.add_argument(
        "--quick", action="store_true", help="a tiny run without wrk (checks the bench works)"
    )
    top.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return top


def assistants() -> tuple[Assistant, Assistant]:
    """Assistants over the bundled policy and the synthetic 40-section one, as the server
    builds them."""
    settings = Settings()
    return (
        Assistant(load_library(bundled_policy()), min_confidence=settings.min_confidence),
        Assistant(synthetic_library(), min_confidence=settings.min_confidence),
    )


def run_http(args: argparse.Namespace, workdir: Path) -> list[Load]:
    """wrk against GET /healthz, then POST /api/ask, on one server started for the purpose."""
    script = workdir / "ask.lua"
    script.write_text(lua_script(list(QUESTIONS)), encoding="utf-8")
    # Rate limits off: wrk is one client sending thousands of requests a second.
    # The server on CPU 0 and wrk on CPU 1 (where there are two), so that neither takes the
    # other's time.
    with serve(None, workdir, args.workers, cpu=0, PRIVACY_QA_RATE_LIMITS="off") as url:
        check_ask(url, QUESTIONS[0])

        def load(route: str, path: str, seconds: int, lua: Path | None = None) -> Load:
            return run_wrk(
                route,
                url + path,
                seconds=seconds,
                connections=args.connections,
                threads=args.threads,
                script=lua,
            )

        load("warm-up", "/api/ask", 1, script)  # unreported: both routes meet a warm server
        health = load("GET /healthz", "/healthz", args.seconds)
        ask = load("POST /api/ask", "/api/ask", args.seconds, script)
    # The same questions on a server without the answer cache: what new questions cost.
    with serve(
        None,
        workdir,
        args.workers,
        cpu=0,
        PRIVACY_QA_RATE_LIMITS="off",
        PRIVACY_QA_ANSWER_CACHE_SIZE="0",
    ) as url:
        load("warm-up", "/api/ask", 1, script)
        uncached = load("/api/ask no cache", "/api/ask", args.seconds, script)
    return [health, ask, uncached]


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(
    latencies: list[Latency], breakdown: Breakdown, loads: list[Load], args: argparse.Namespace
) -> str:
    """Plain-text tables of the figures, each beside its target."""
    lines = [
        f"privacy-qa benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}",
        "",
        f"answer() latency, in process ({latencies[0].questions} questions per policy, "
        "after a warm-up)",
        f"  {'policy':<26}{'sections':>9}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}   target",
    ]
    targets = (P50_TARGET_MS, SYNTHETIC_P50_TARGET_MS)
    for latency, target in zip(latencies, targets, strict=True):
        lines.append(
            f"  {latency.name:<26}{latency.sections:>9}{latency.p50_ms:>9.3f}"
            f"{latency.p99_ms:>9.3f}{latency.mean_ms:>9.3f}   p50 <= {target:g} ms: "
            f"{_verdict(latency.p50_ms <= target)}"
        )
    lines.append(
        f"  (serialising the reply with orjson adds p50 {latencies[0].json_p50_ms:.3f} ms)"
    )
    lines += [
        "",
        "server time per request, the ASGI app called in process (no network), best of rounds",
        f"  GET /healthz {breakdown.healthz_us:8.0f} us",
        f"  POST /api/ask {breakdown.ask_us:7.0f} us   of which answer() "
        f"{breakdown.answer_us:.0f} us",
        f"  so a CPU-bound server can reach at most /api/ask / /healthz = {breakdown.ceiling:.2f}",
    ]
    if loads:
        health, ask, uncached = loads
        lines += [
            "",
            f"HTTP on loopback: wrk {args.seconds} s, {args.connections} connections, "
            f"{args.threads} threads; `privacy-qa serve`, {args.workers} worker(s) "
            "(uvicorn, uvloop, no access log)",
            f"  {'route':<16}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}"
            f"{'errors':>8}",
        ]
        for load in loads:
            lines.append(
                f"  {load.route:<16}{load.requests_per_s:>12.0f}{load.p50_ms:>9.2f}"
                f"{load.p99_ms:>9.2f}{load.requests:>10}{load.errors:>8}"
            )
        ratio = ask.requests_per_s / health.requests_per_s
        lines.append(
            f"  /api/ask throughput / /healthz throughput = {ratio:.2f}   "
            f"target >= {RATIO_TARGET}: {_verdict(ratio >= RATIO_TARGET)}"
        )
        lines.append(
            f"  without the answer cache (every question new to the server) = "
            f"{uncached.requests_per_s / health.requests_per_s:.2f}"
        )
    return "\n".join(lines)


def as_json(
    latencies: list[Latency], breakdown: Breakdown, loads: list[Load], args: argparse.Namespace
) -> str:
    """The figures and the settings that produced them, as JSON."""
    data: dict[str, Any] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "latency": [latency.to_dict() for latency in latencies],
        "server_time": breakdown.to_dict(),
        "targets": {
            "answer_p50_ms": P50_TARGET_MS,
            "synthetic_answer_p50_ms": SYNTHETIC_P50_TARGET_MS,
            "ask_healthz_ratio": RATIO_TARGET,
        },
    }
    if loads:
        data["http"] = {
            "seconds": args.seconds,
            "connections": args.connections,
            "threads": args.threads,
            "workers": args.workers,
            "routes": [load.to_dict() for load in loads],
            "ask_healthz_ratio": loads[1].requests_per_s / loads[0].requests_per_s,
            "ask_healthz_ratio_without_cache": loads[2].requests_per_s / loads[0].requests_per_s,
        }
    return json.dumps(data, indent=2)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures; a setup problem is one line and status 2."""
    args = parser().parse_args(argv)
    count, warmup, rounds = (100, 20, 1) if args.quick else (args.questions, 200, 3)
    try:
        with tempfile.TemporaryDirectory(prefix="privacy-qa-bench-") as folder:
            workdir = Path(folder)
            bundled, synthetic = assistants()
            asked = questions(count)
            latencies = [
                measure("bundled privacy policy", bundled, asked, warmup),
                measure("synthetic policy", synthetic, asked, warmup),
            ]
            breakdown = measure_breakdown(bundled, asked, workdir, rounds)
            loads = [] if args.quick or args.no_http else run_http(args, workdir)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(as_json(latencies, breakdown, loads, args))
    else:
        print(report(latencies, breakdown, loads, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
