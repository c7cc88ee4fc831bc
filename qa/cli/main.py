"""The `privacy-qa` command: serve, ask, index, eval, settings."""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from index.errors import PolicyError
from index.params import Params
from qa.answering.question_sets import EvalError
from qa.cli.casework import add_commands as add_casework_commands
from qa.cli.examples import add_commands as add_example_commands
from qa.errors import QAError
from qa.logs import log_config
from qa.settings import Settings, describe


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Check the policy, then serve the app with uvicorn (no access log: it records addresses)."""
    import uvicorn

    from web.protocol import guarded_protocol

    changes = {
        k: v
        for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers))
        if v is not None
    }
    if not settings.form_secret:
        # Every worker must check the form tokens the others signed: one secret for all.
        changes["form_secret"] = secrets.token_urlsafe(32)
    settings = settings.with_values(**changes)
    from qa.answering.build import assistant_for

    assistant_for(settings)  # a broken policy stops here, before the port is bound
    os.environ.update(settings.to_environ())
    _metrics_folder(settings)
    uvicorn.run(
        "web.app:app_from_environ",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # h11 rather than httptools: it stops at a head of max_header_bytes, and our protocol
        # adds the read deadline and answers its refusals in the error shape (web/protocol.py).
        http=guarded_protocol(settings),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_seconds,
        ws="none",  # no route takes a WebSocket: an Upgrade request is plain HTTP
        access_log=False,
        log_config=log_config(settings.log_level, settings.log_format),
        log_level=settings.log_level,
        server_header=False,
        proxy_headers=False,
    )
    return 0


def _metrics_folder(settings: Settings) -> None:
    # Each worker keeps its /metrics counters in files here (prometheus-client's multiprocess
    # mode), so a scrape that reaches any worker sees them all. Set before any worker imports
    # prometheus_client; the last run's counts are cleared, as Prometheus expects of a restart.
    folder = Path(
        os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.data_dir / "metrics"
    ).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    """List every setting with its default, current value and help."""
    for name, default, help_text in describe():
        now = settings.shown(name.removeprefix("PRIVACY_QA_").lower())
        print(f"{name}\n    {help_text}\n    default: {default}; now: {now}")
    return 0


Command = Callable[[argparse.Namespace, Settings], int]


def _answering(name: str) -> Command:
    """A command of qa/cli/answering.py, imported when it runs: the casework commands start
    without the ranker."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        from qa.cli import answering

        command: Command = getattr(answering, name)
        return command(args, settings)

    return run


def parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    top = argparse.ArgumentParser(prog="privacy-qa", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the assistant over HTTP")
    serve.add_argument("--host", help="address to listen on (PRIVACY_QA_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (PRIVACY_QA_PORT)")
    serve.add_argument("--workers", type=int, help="worker processes (PRIVACY_QA_WORKERS)")
    serve.set_defaults(run=cmd_serve)

    ask = commands.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--top-k", type=int, default=3, help="sections at most (1 to 20)")
    ask.add_argument("--document", help="search only this document")
    ask.add_argument("--json", action="store_true", help="print the API's JSON answer")
    ask.set_defaults(run=_answering("cmd_ask"))

    index = commands.add_parser("index", help="list documents and sections; checks the policy")
    index.set_defaults(run=_answering("cmd_index"))

    ev = commands.add_parser("eval", help="measure ranking quality on question files (JSONL)")
    ev.add_argument("questions", nargs="+", type=Path, help="question files")
    ev.add_argument("--policies", type=Path, help="folder of the policies the rows name")
    ev.add_argument("--results", type=Path, help="write per-question results (JSONL) here")
    ev.add_argument("--summary", type=Path, help="write the summary (JSON) here, for --compare")
    ev.add_argument("--compare", type=Path, help="a summary written before, to compare with")
    ev.add_argument("--by-category", action="store_true", help="also a row per question category")
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ev.add_argument(
        "--typos",
        type=int,
        default=0,
        help="ask every question with this many typos (adjacent letters swapped in its "
        "longest words), to measure tolerance of misspellings",
    )
    ev.add_argument(
        "--progress", action="store_true", help="show progress even when not a terminal"
    )
    for f in dataclasses.fields(Params):
        ev.add_argument(
            f"--{f.name.replace('_', '-')}",
            type=int if f.type in ("int", int) else float,
            dest=f.name,
            help=f"ranking parameter (default {f.default})",
        )
    ev.set_defaults(run=_answering("cmd_eval"))

    settings_cmd = commands.add_parser("settings", help="list every setting and its value")
    settings_cmd.set_defaults(run=cmd_settings)

    add_casework_commands(commands)
    add_example_commands(commands)
    return top


# What a process killed by SIGPIPE reports to its shell (128 + 13), as `yes | head` does.
BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; errors print one line that names the fix and exit with status 2."""
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
        code: int = args.run(args, settings)
        sys.stdout.flush()  # a reader gone away shows here, not at exit, where it can be caught
        return code
    except (PolicyError, QAError, EvalError) as exc:
        message = exc.message if isinstance(exc, QAError) else str(exc)
        print(f"privacy-qa: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (`| head`) closed the pipe: stop quietly. Python would flush stdout again
        # at exit and print the same error, so what is left unwritten goes to /dev/null.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
