"""`python -m bench` (`make bench`): answer() latency in process, and HTTP throughput of
POST /api/ask next to GET /healthz on the real server under wrk."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.breakdown import Breakdown, measure_breakdown
from bench.latency import Latency, measure
from bench.questions import QUESTIONS, distinct_questions, questions
from bench.scale import LARGE_SECTIONS, LIBRARY_DOCUMENTS, index_seconds, policy_files, rss_mb
from bench.synthetic import synthetic_library
from bench.throughput import BenchError, Load, check_ask, lua_script, run_wrk, serve
from index.library import Library, load_library
from qa.answering.assistant import Assistant
from qa.answering.build import assistant_over
from qa.settings import Settings, bundled_policy

P50_TARGET_MS = 0.3  # issue 2: answer() on the bundled policy
SYNTHETIC_P50_TARGET_MS = 1.0  # issue 5: answer() on a 40-section policy
RATIO_TARGET = 0.8  # issue 2: /api/ask throughput against /healthz
# Issue 11: new questions (no answer cache can carry them).
NEW_P50_TARGET_MS = 0.06  # answer() on the bundled policy
LARGE_P50_TARGET_MS = 1.0  # answer() on a 400-section policy
EFFICIENCY_TARGET = 0.75  # (ask / healthz) / (bare POST / bare GET), cache off
NEW_P99_TARGET_MS = 15.0  # POST /api/ask with new questions, one worker
INDEX_POLICIES = 1000
COLD_QUESTIONS = 300  # answer() with the CPU's caches emptied before each, and without
FLUSH = 64 * 2**20  # bytes read to empty them: twice this machine's 32 MiB L3
INDEX_TARGET_S = 10.0


def parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    top = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    top.add_argument("--questions", type=int, default=2000, help="answers timed per policy")
    top.add_argument("--seconds", type=int, default=10, help="wrk duration per route")
    top.add_argument("--connections", type=int, default=32, help="wrk connections")
    top.add_argument("--threads", type=int, default=2, help="wrk threads")
    top.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds of the new-question HTTP runs"
    )
    top.add_argument("--workers", type=int, default=1, help="server worker processes")
    top.add_argument("--no-http", action="store_true", help="skip the wrk part")
    top.add_argument(
        "--quick", action="store_true", help="a tiny run without wrk (checks the bench works)"
    )
    top.add_argument("--json", action="store_true", help="print JSON instead of tables")
    top.add_argument(
        "--index-policies",
        type=int,
        default=INDEX_POLICIES,
        help="synthetic policies indexed for the indexing figure",
    )
    return top


def assistants() -> dict[str, Assistant]:
    """Assistants over the bundled policy, synthetic ones of 40 and 400 sections and a library
    of 20 synthetic documents, as the server builds them."""
    settings = Settings()
    libraries: dict[str, Callable[[], Library]] = {
        "bundled privacy policy": lambda: load_library(bundled_policy()),
        "synthetic policy": synthetic_library,
        f"synthetic, {LARGE_SECTIONS} sections": lambda: synthetic_library(LARGE_SECTIONS),
        f"library of {LIBRARY_DOCUMENTS}": lambda: synthetic_library(40, LIBRARY_DOCUMENTS),
    }
    return {name: assistant_over(make(), settings) for name, make in libraries.items()}


def run_new_questions(args: argparse.Namespace, workdir: Path, count: int) -> list[list[Load]]:
    """Issue 11's figures, in `args.rounds` rounds: on one server without the answer cache, GET
    /healthz and POST /api/ask cycling through `count` distinct questions, then a bare FastAPI
    app served the same way, its GET and its POST of the same bodies. Both servers run
    throughout and the rounds alternate them, so that a drift of the machine's speed falls on
    both rather than between them."""
    script = workdir / "new.lua"
    script.write_text(lua_script(distinct_questions(count)), encoding="utf-8")
    bare = workdir / "bare"
    bare.mkdir(exist_ok=True)
    with (
        serve(
            None,
            workdir,
            args.workers,
            cpu=0,
            PRIVACY_QA_RATE_LIMITS="off",
            PRIVACY_QA_ANSWER_CACHE_SIZE="0",
        ) as ours,
        serve(None, bare, args.workers, cpu=0, command=[sys.executable, "-m", "bench.bare"]) as b,
    ):

        def load(route: str, url: str, lua: Path | None = None, seconds: int = 0) -> Load:
            return run_wrk(
                route,
                url,
                seconds=seconds or args.seconds,
                connections=args.connections,
                threads=args.threads,
                script=lua,
            )

        load("warm-up", ours + "/api/ask", script, 1)
        load("warm-up", b + "/api/ask", script, 1)
        return [
            [
                load("GET /healthz", ours + "/healthz"),
                load("POST /api/ask", ours + "/api/ask", script),
                load("bare GET /healthz", b + "/healthz"),
                load("bare POST /api/ask", b + "/api/ask", script),
            ]
            for _ in range(args.rounds)
        ]


def efficiency_of(loads: list[Load]) -> float:
    """(ask / healthz) / (bare POST / bare GET) of one round's four loads."""
    health, ask, bare_get, bare_post = (x.requests_per_s for x in loads)
    return (ask / health) / (bare_post / bare_get)


def run_startup(workdir: Path) -> list[dict[str, Any]]:
    """Seconds from start to the first /healthz, and resident memory after, of one worker per
    policy of the scale figures."""
    found = []
    for name, path in policy_files(workdir).items():
        started: dict[str, float] = {}
        with serve(path, workdir, 1, started=started, PRIVACY_QA_ANSWER_CACHE_SIZE="0"):
            memory = rss_mb(int(started["pid"]))
        found.append({"policy": name, "startup_s": started["seconds"], "rss_mb": memory})
    return found


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


@dataclass
class Figures:
    """Everything one run measured."""

    new: list[Latency]  # answer() on distinct questions: the headline
    repeated: list[Latency]  # answer() on the 80 bench questions in turn (issue 2's figures)
    breakdown: Breakdown
    caches: tuple[Latency, Latency]  # answer() on unseen questions, caches emptied and warm
    loads: list[Load] = field(default_factory=list)
    new_rounds: list[list[Load]] = field(default_factory=list)  # issue 11's, a round each
    startup: list[dict[str, Any]] = field(default_factory=list)
    index_s: float | None = None
    index_count: int = 0

    @property
    def new_loads(self) -> list[Load]:
        """The round of median efficiency (of an odd number of rounds: the median itself)."""
        if not self.new_rounds:
            return []
        ranked = sorted(self.new_rounds, key=efficiency_of)
        return ranked[(len(ranked) - 1) // 2]

    @property
    def efficiency(self) -> float | None:
        """(ask / healthz) / (bare POST / bare GET), all without the answer cache: the median
        round's."""
        return efficiency_of(self.new_loads) if self.new_rounds else None

    def answer_in_server_us(self) -> tuple[float, float] | None:
        """What answering a new question costs the server under wrk, in microseconds: the
        time of a new question's request less that of one answered from the cache (the same
        route, reply and framework); and what it may cost for the efficiency target."""
        if not (self.loads and self.new_loads):
            return None
        health, ask, bare_get, bare_post = (x.requests_per_s for x in self.new_loads)
        cached = 1e6 / self.loads[1].requests_per_s
        needed = EFFICIENCY_TARGET * health * bare_post / bare_get
        return 1e6 / ask - cached, 1e6 / needed - cached


def _latency_lines(latencies: list[Latency], targets: dict[str, float]) -> list[str]:
    lines = [f"  {'policy':<26}{'sections':>9}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}   target"]
    for latency in latencies:
        target = targets.get(latency.name)
        verdict = (
            f"p50 <= {target:g} ms: {_verdict(latency.p50_ms <= target)}"
            if target is not None
            else ""
        )
        lines.append(
            f"  {latency.name:<26}{latency.sections:>9}{latency.p50_ms:>9.3f}"
            f"{latency.p99_ms:>9.3f}{latency.mean_ms:>9.3f}   {verdict}"
        )
    return lines


def _load_lines(loads: list[Load]) -> list[str]:
    lines = [
        f"  {'route':<20}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}"
    ]
    for load in loads:
        lines.append(
            f"  {load.route:<20}{load.requests_per_s:>12.0f}{load.p50_ms:>9.2f}"
            f"{load.p99_ms:>9.2f}{load.requests:>10}{load.errors:>8}"
        )
    return lines


def report(figures: Figures, args: argparse.Namespace) -> str:
    """Plain-text tables of the figures, each beside its target."""
    new, repeated, breakdown = figures.new, figures.repeated, figures.breakdown
    lines = [
        f"privacy-qa benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}",
        "",
        f"NEW QUESTIONS: answer() latency, in process, {new[0].questions} distinct questions "
        "(no answer cache), after a warm-up on other questions",
        *_latency_lines(
            new,
            {
                new[0].name: NEW_P50_TARGET_MS,
                new[2].name: LARGE_P50_TARGET_MS,
            },
        ),
        f"  (serialising the reply with orjson adds p50 {new[0].json_p50_ms:.3f} ms)",
    ]
    if figures.new_rounds:
        efficiency = figures.efficiency or 0.0
        rounds = figures.new_rounds
        p99s = sorted(r[1].p99_ms for r in rounds)
        p99 = p99s[(len(p99s) - 1) // 2]
        lines += [
            "",
            f"NEW QUESTIONS over HTTP: {len(rounds)} alternating rounds of wrk {args.seconds} s "
            f"a route, {args.connections} connections, {args.threads} threads, {args.workers} "
            "worker(s), answer cache off; POST cycles through "
            f"{len(distinct_questions(args.questions))} distinct questions; the bare app is "
            "FastAPI served the same way (uvicorn, h11, our guarded protocol); the round of "
            "median efficiency:",
            *_load_lines(figures.new_loads),
            f"  efficiency = (ask / healthz) / (bare POST / bare GET) = {efficiency:.2f} "
            f"(rounds: {' / '.join(f'{efficiency_of(r):.2f}' for r in rounds)})   "
            f"target >= {EFFICIENCY_TARGET}: {_verdict(efficiency >= EFFICIENCY_TARGET)}",
            f"  POST /api/ask p99, median of the rounds {p99:.2f} ms (rounds: "
            f"{' / '.join(f'{r[1].p99_ms:.1f}' for r in rounds)})   target <= "
            f"{NEW_P99_TARGET_MS:g} ms: {_verdict(p99 <= NEW_P99_TARGET_MS)}",
        ]
    emptied, warm = figures.caches
    lines += [
        "",
        f"answer() on the bundled policy, {warm.questions} questions never asked before: "
        f"p50 {warm.p50_ms:.3f} ms (mean {warm.mean_ms:.3f}) with the CPU's caches warm,",
        f"  {emptied.p50_ms:.3f} ms (mean {emptied.mean_ms:.3f}) with them emptied before each "
        f"question ({FLUSH // 2**20} MiB read): the bounds of an answer inside a busy server",
    ]
    in_server = figures.answer_in_server_us()
    if in_server is not None:
        lines.append(
            f"  inside the server under wrk, a new question's answer costs about "
            f"{in_server[0]:.0f} us (its request less one answered from the cache); "
            f"efficiency {EFFICIENCY_TARGET} needs it at {in_server[1]:.0f} us"
        )
    if figures.startup:
        lines += ["", "start-up of one worker (to the first /healthz) and its resident memory"]
        lines += [
            f"  {s['policy']:<26}{s['startup_s']:>8.2f} s{s['rss_mb']:>9.0f} MB"
            for s in figures.startup
        ]
    if figures.index_s is not None:
        ok = figures.index_count < INDEX_POLICIES or figures.index_s <= INDEX_TARGET_S
        lines += [
            "",
            f"indexing: {figures.index_count} synthetic 40-section policies, one assistant each, "
            f"in {figures.index_s:.2f} s ({1000 * figures.index_s / figures.index_count:.1f} ms "
            f"a policy)   target {INDEX_POLICIES} in <= {INDEX_TARGET_S:g} s: "
            + (_verdict(ok) if figures.index_count >= INDEX_POLICIES else "not run at full size"),
        ]
    lines += [
        "",
        f"REPEATED QUESTIONS (issue 2's figures): answer() latency over the "
        f"{len(QUESTIONS)} bench questions in turn ({repeated[0].questions} answers a policy)",
        *_latency_lines(
            repeated,
            {repeated[0].name: P50_TARGET_MS, repeated[1].name: SYNTHETIC_P50_TARGET_MS},
        ),
        "",
        "server time per request, the ASGI app called in process (no network), best of rounds",
        f"  GET /healthz {breakdown.healthz_us:8.0f} us",
        f"  POST /api/ask {breakdown.ask_us:7.0f} us   of which answer() "
        f"{breakdown.answer_us:.0f} us",
        f"  so a CPU-bound server can reach at most /api/ask / /healthz = {breakdown.ceiling:.2f}",
    ]
    if figures.loads:
        health, ask, uncached = figures.loads
        lines += [
            "",
            f"HTTP on loopback, the {len(QUESTIONS)} bench questions in turn: wrk {args.seconds} "
            f"s, {args.connections} connections, {args.threads} threads; `privacy-qa serve`, "
            f"{args.workers} worker(s) (uvicorn, uvloop, no access log)",
            *_load_lines(figures.loads),
        ]
        ratio = ask.requests_per_s / health.requests_per_s
        lines.append(
            f"  /api/ask throughput / /healthz throughput = {ratio:.2f}   "
            f"target >= {RATIO_TARGET}: {_verdict(ratio >= RATIO_TARGET)}"
        )
        lines.append(
            f"  without the answer cache = {uncached.requests_per_s / health.requests_per_s:.2f}"
        )
    return "\n".join(lines)


def as_json(figures: Figures, args: argparse.Namespace) -> str:
    """The figures and the settings that produced them, as JSON."""
    data: dict[str, Any] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "new_questions": [latency.to_dict() for latency in figures.new],
        "latency": [latency.to_dict() for latency in figures.repeated],
        "server_time": figures.breakdown.to_dict(),
        "caches": {
            "emptied": figures.caches[0].to_dict(),
            "warm": figures.caches[1].to_dict(),
            "flush_bytes": FLUSH,
        },
        "targets": {
            "answer_p50_ms": P50_TARGET_MS,
            "synthetic_answer_p50_ms": SYNTHETIC_P50_TARGET_MS,
            "ask_healthz_ratio": RATIO_TARGET,
            "new_answer_p50_ms": NEW_P50_TARGET_MS,
            "large_answer_p50_ms": LARGE_P50_TARGET_MS,
            "efficiency": EFFICIENCY_TARGET,
            "new_ask_p99_ms": NEW_P99_TARGET_MS,
            "index_seconds": INDEX_TARGET_S,
        },
        "startup": figures.startup,
    }
    if figures.index_s is not None:
        data["index"] = {"policies": figures.index_count, "seconds": figures.index_s}
    if figures.loads:
        loads = figures.loads
        data["http"] = {
            "seconds": args.seconds,
            "connections": args.connections,
            "threads": args.threads,
            "workers": args.workers,
            "routes": [load.to_dict() for load in loads],
            "ask_healthz_ratio": loads[1].requests_per_s / loads[0].requests_per_s,
            "ask_healthz_ratio_without_cache": loads[2].requests_per_s / loads[0].requests_per_s,
        }
    if figures.new_rounds:
        data["http_new_questions"] = {
            "routes": [load.to_dict() for load in figures.new_loads],
            "efficiency": figures.efficiency,
            "rounds": [
                {"routes": [load.to_dict() for load in r], "efficiency": efficiency_of(r)}
                for r in figures.new_rounds
            ],
        }
    in_server = figures.answer_in_server_us()
    if in_server is not None:
        data["answer_in_server_us"] = {"measured": in_server[0], "for_efficiency": in_server[1]}
    return json.dumps(data, indent=2)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures; a setup problem is one line and status 2."""
    args = parser().parse_args(argv)
    quick = args.quick
    count, warmup, rounds = (100, 20, 1) if quick else (args.questions, 200, 3)
    cold = 20 if quick else COLD_QUESTIONS
    try:
        with tempfile.TemporaryDirectory(prefix="privacy-qa-bench-") as folder:
            workdir = Path(folder)
            built = assistants()
            # Warmed up on other questions than those timed: no timed question, nor its words'
            # split, was seen before it is timed.
            every = distinct_questions(count + warmup + 2 * cold)
            warm, new_asked = every[count : count + warmup], every[:count]
            new = [measure(name, a, new_asked, warm=warm) for name, a in built.items()]
            bundled = built["bundled privacy policy"]
            # Questions not yet asked, with the CPU's caches emptied before each and not.
            fresh = every[count + warmup :]
            caches = (
                measure("caches emptied", bundled, fresh[:cold], warm=[], flush_bytes=FLUSH),
                measure("caches warm", bundled, fresh[cold:], warm=[]),
            )
            # The warm-up questions are among those timed: a repeated run is what issue 2 measured.
            repeated = [
                measure(name, built[name], questions(count), warmup)
                for name in ("bundled privacy policy", "synthetic policy")
            ]
            breakdown = measure_breakdown(bundled, questions(count), workdir, rounds)
            figures = Figures(new, repeated, breakdown, caches)
            figures.index_count = 5 if quick else args.index_policies
            figures.index_s = index_seconds(figures.index_count)
            if not (quick or args.no_http):
                figures.new_rounds = run_new_questions(args, workdir, args.questions)
                figures.loads = run_http(args, workdir)
                figures.startup = run_startup(workdir)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    print(as_json(figures, args) if args.json else report(figures, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
