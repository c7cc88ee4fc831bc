"""The `privacy-qa examples` and `privacy-qa gaps` commands: teach the assistant, find gaps."""

from __future__ import annotations

import argparse
import json
from typing import Any

from index.library import load_library
from qa.answering.examples import Examples
from qa.answering.gaps import DEFAULT_DAYS, DEFAULT_LIMIT, MAX_DAYS, GapReport, gap_report
from qa.errors import QAError
from qa.settings import Settings
from qa.storage.store import open_store


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _examples(settings: Settings) -> Examples:
    return Examples(open_store(settings), load_library(settings.policy))


def cmd_examples_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add an example question for a section."""
    examples = _examples(settings)
    try:
        example, created = examples.add(args.section, args.question, args.document)
    finally:
        examples.store.close()
    if args.json:
        _print_json(example.to_dict())
        return 0
    where = f"{example.document}#{example.section_id}"
    if created:
        print(f"example {example.id} added for {where}")
        print(
            "running servers use it within PRIVACY_QA_EXAMPLES_RELOAD_SECONDS "
            f"({settings.examples_reload_seconds:g} s)"
        )
    else:
        print(f"example {example.id} for {where} was there already; nothing changed")
    return 0


def cmd_examples_list(args: argparse.Namespace, settings: Settings) -> int:
    """List the example questions in the database, oldest first; stale ones marked."""
    examples = _examples(settings)
    try:
        items = examples.list(args.document)
    finally:
        examples.store.close()
    if args.json:
        _print_json([e.to_dict() for e in items])
        return 0
    for e in items:
        mark = "STALE " if e.stale else ""
        print(f"{e.id:>6}  {mark}{e.document}#{e.section_id}  {e.question}")
    stale = sum(e.stale for e in items)
    print(f"{len(items)} example(s)" + (f", {stale} stale" if stale else ""))
    if stale:
        print(
            "stale: the policy has no such section any more; remove them with "
            "`privacy-qa examples remove ID`, or add them again under the section's new id"
        )
    return 0


def cmd_examples_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Remove an example question by id."""
    examples = _examples(settings)
    try:
        example = examples.remove(args.id)
    finally:
        examples.store.close()
    print(f"example {example.id} removed from {example.document}#{example.section_id}")
    return 0


def _print_report(report: GapReport, days: int) -> None:
    print(
        f"gaps from {report.period_from.isoformat()} to {report.period_to.isoformat()} "
        f"({days} day(s))"
    )
    print("\ndeclined questions:")
    if report.question_log == "off":
        print(
            "  the question log is off (PRIVACY_QA_QUESTION_LOG_DAYS=0): no questions are kept, "
            "so none can be shown; set it to keep redacted questions for that many days"
        )
    elif not report.declined:
        print("  none in this period")
    else:
        if days > report.question_log_days:
            print(f"  (the question log keeps {report.question_log_days} day(s) only)")
        print(f"  {'count':>5}  {'last seen':<10}  question")
        for d in report.declined:
            kinds = ", ".join(d.kinds)
            print(
                f"  {d.count:>5}  {d.last_seen.isoformat():<10}  {d.question}"
                + (f"  [{kinds}]" if kinds else "")
            )
    print("\nsections found not helpful:")
    if not report.unhelpful:
        print("  none in this period")
        return
    print(f"  {'no':>5}  {'yes':>5}  section")
    for u in report.unhelpful:
        heading = f"  ({u.heading})" if u.heading else "  (no longer in the policy)"
        print(f"  {u.not_helpful:>5}  {u.helpful:>5}  {u.document}#{u.section_id}{heading}")


def cmd_gaps(args: argparse.Namespace, settings: Settings) -> int:
    """The declined questions, most asked first, and the sections found not helpful."""
    if not 1 <= args.days <= MAX_DAYS:
        raise QAError(f"--days: must be 1 to {MAX_DAYS}, not {args.days}", "days")
    if args.limit < 1:
        raise QAError(f"--limit: must be 1 or more, not {args.limit}", "limit")
    store = open_store(settings)
    try:
        report = gap_report(
            store,
            load_library(settings.policy),
            settings.question_log_days,
            args.days,
            limit=args.limit,
        )
    finally:
        store.close()
    if args.json:
        _print_json(report.to_dict())
    else:
        _print_report(report, args.days)
    return 0


def add_commands(commands: Any) -> None:
    """Add the examples and gaps subcommands to the `privacy-qa` parser."""
    examples = commands.add_parser("examples", help="the privacy team's example questions")
    example_commands = examples.add_subparsers(dest="examples_command", required=True)
    add = example_commands.add_parser("add", help="teach that a question means a section")
    add.add_argument("question", help="the question as a visitor would ask it")
    add.add_argument("--section", required=True, help="the section id (see `privacy-qa index`)")
    add.add_argument("--document", help="the section's document (default: the main one)")
    add.add_argument("--json", action="store_true", help="print the example as JSON")
    add.set_defaults(run=cmd_examples_add)
    listing = example_commands.add_parser("list", help="list the examples; stale ones marked")
    listing.add_argument("--document", help="only this document's examples")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=cmd_examples_list)
    remove = example_commands.add_parser("remove", help="remove an example by id")
    remove.add_argument("id", type=int, help="the example's id (see `privacy-qa examples list`)")
    remove.set_defaults(run=cmd_examples_remove)

    gaps = commands.add_parser(
        "gaps", help="declined questions, most asked first, and sections found not helpful"
    )
    gaps.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help=f"the last N days ({DEFAULT_DAYS})"
    )
    gaps.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        help=f"questions and sections at most ({DEFAULT_LIMIT})",
    )
    gaps.add_argument("--json", action="store_true", help="print JSON")
    gaps.set_defaults(run=cmd_gaps)
