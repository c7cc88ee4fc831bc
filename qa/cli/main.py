"""The `privacy-qa` command: serve, ask, index, eval, settings."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from index.library import Library, load_library
from index.policy import PolicyError
from index.ranker import Params
from qa.answering.assistant import Assistant
from qa.answering.build import assistant_for
from qa.answering.eval_report import (
    by_category,
    format_comparison,
    format_table,
    summarise,
    write_results,
)
from qa.answering.evaluation import run_eval
from qa.answering.examples import Examples, merge
from qa.answering.question_sets import EvalError
from qa.casework.desk import mailbox_warning
from qa.cli.casework import add_commands as add_casework_commands
from qa.cli.examples import add_commands as add_example_commands
from qa.errors import QAError
from qa.logs import log_config
from qa.settings import Settings, describe
from qa.storage.engine import SQLITE_FILE
from qa.storage.store import open_store


def _library(settings: Settings) -> Library:
    return load_library(settings.policy)


def _taught(settings: Settings) -> Assistant:
    """The assistant with the examples in the database too, as the server answers; a database
    that does not exist yet is not created for it, and one out of reach is only noted."""
    assistant = assistant_for(settings)
    if not settings.database_url and not (settings.data_dir / SQLITE_FILE).is_file():
        return assistant
    try:
        store = open_store(settings, upgrade=False)
        try:
            if not sa.inspect(store.engine).has_table("examples"):
                return assistant
            stored = Examples(store, assistant.library).load()
        finally:
            store.close()
    except Exception as exc:  # an answer without the database's examples beats no answer
        print(
            f"privacy-qa: note: answering without the database's example questions "
            f"({type(exc).__name__}); check PRIVACY_QA_DATABASE_URL",
            file=sys.stderr,
        )
        return assistant
    return assistant.with_examples(merge(assistant.examples, stored)) if stored else assistant


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


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question on the terminal."""
    answer = _taught(settings).answer(args.question, args.top_k, args.document)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.message)
    for s in answer.sections:
        snippet = s.snippet
        for h in sorted(s.highlights, key=lambda h: -h.start):
            snippet = snippet[: h.start] + "**" + snippet[h.start : h.end] + "**" + snippet[h.end :]
        print(f"\n## {s.heading}  ({s.url}, score {s.score:.2f})\n{snippet}")
    if answer.intents:
        print(f"\nintents: {', '.join(answer.intents)}")
    print("\n" + "\n".join(f"- {a.label}: {a.url}" for a in answer.actions))
    return 0


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    """List documents and sections with ids and token counts."""
    assistant = assistant_for(settings)
    if warning := mailbox_warning(settings, assistant):
        print(warning, file=sys.stderr)
    for name, document in assistant.documents.items():
        policy = document.policy
        print(
            f"{name}: {policy.title!r}, last updated {policy.last_updated or 'not given'}, "
            f"version {policy.version}, {len(policy.sections)} sections  ({policy.source})"
        )
        top = min((s.level for s in policy.sections if s.level > 0), default=1)
        for section, length in zip(policy.sections, document.ranker.lengths, strict=True):
            indent = "  " * max(section.level - top, 0)
            print(f"  {indent}{section.id:<45} {length:>5} tokens  {section.heading}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Measure ranking quality on question files."""
    params = Params(
        **{
            k: v
            for k, v in vars(args).items()
            if k in {f.name for f in dataclasses.fields(Params)} and v is not None
        }
    )
    results = run_eval(
        args.questions,
        _library(settings),
        policies=args.policies,
        params=params,
        settings=settings,
        progress=sys.stderr if sys.stderr.isatty() or args.progress else None,
        typos=args.typos,
    )
    summary = summarise(results)
    categories = by_category(results) if args.by_category else None
    if args.results:
        write_results(results, args.results)
    if args.summary:
        args.summary.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps({"summary": summary, "categories": categories}, indent=2))
    else:
        print(format_table(summary, categories))
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        print("\n" + format_comparison(before.get("summary", before), summary))
    return 0


def cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    """List every setting with its default, current value and help."""
    for name, default, help_text in describe():
        now = settings.shown(name.removeprefix("PRIVACY_QA_").lower())
        print(f"{name}\n    {help_text}\n    default: {default}; now: {now}")
    return 0


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
    ask.set_defaults(run=cmd_ask)

    index = commands.add_parser("index", help="list documents and sections; checks the policy")
    index.set_defaults(run=cmd_index)

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
    ev.set_defaults(run=cmd_eval)

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
