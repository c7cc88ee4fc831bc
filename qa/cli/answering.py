"""The commands that answer from the policy: `ask`, `index`, `eval`. They build the index, so
they live apart from the casework commands, and qa/cli/main.py imports them only when run."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

import sqlalchemy as sa

from index.library import Library, load_library
from index.params import Params
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
from qa.casework.desk import mailbox_warning
from qa.settings import Settings
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
