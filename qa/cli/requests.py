"""`privacy-qa requests`: the privacy team's view of the rights requests."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from qa.casework.history import cli_actor
from qa.cli.cases import open_desk, print_json, show_case
from qa.settings import Settings
from qa.vocabulary import STATUSES


def cmd_requests_list(args: argparse.Namespace, settings: Settings) -> int:
    """List rights requests, soonest due first (no personal data: use `show`)."""
    with open_desk(settings) as casework:
        items = casework.rights.list(args.status, args.due_before, args.limit, args.offset)
        total = casework.rights.count(args.status, args.due_before)
    if args.json:
        # The support API's page envelope (items, total, limit, offset): one reader reads both.
        items_json = [r.support_dict() for r in items]
        page = {"items": items_json, "total": total, "limit": args.limit, "offset": args.offset}
        print_json(page)
        return 0
    print(f"{'reference':<16} {'right':<17} {'law':<8} {'status':<12} {'due':<10}")
    for r in items:
        print(
            f"{r.reference:<16} {r.right:<17} {r.jurisdiction:<8} {r.status:<12} "
            f"{r.due_at.isoformat():<10}"
        )
    first, last = args.offset + 1, args.offset + len(items)
    shown = "" if len(items) == total else f"{first}-{last} of " if items else "none of "
    print(f"{shown}{total} request(s)")
    return 0


def cmd_requests_show(args: argparse.Namespace, settings: Settings) -> int:
    """Show one request in full, with its history."""
    with open_desk(settings) as casework:
        request = casework.rights.get(args.reference)
        history = casework.rights.history(args.reference)
    show_case(request.support_dict(), history, args.json)
    return 0


def cmd_requests_update(args: argparse.Namespace, settings: Settings) -> int:
    """Change a request's status and/or add a note; the requester is told of a new status (with
    the --reply, if given)."""
    with open_desk(settings) as casework:
        request = casework.rights.update(
            args.reference,
            status=args.status,
            reason=args.reason,
            note=args.note,
            reply=args.reply,
            actor=cli_actor(),
        )
        delivery = casework.outbox.deliver_due()
        # The server's sender would post it within seconds; this is at once.
        casework.webhooks.outbox.deliver_due()
    print(f"{request.reference}: {request.status}, due {request.due_at.isoformat()}")
    if delivery.failed:
        print(f"{delivery.failed} mail(s) not sent yet; see `privacy-qa outbox`")
    return 0


def add_commands(commands: Any) -> None:
    """Add `requests list|show|update` to the `privacy-qa` parser."""
    requests = commands.add_parser("requests", help="rights requests")
    request_commands = requests.add_subparsers(dest="requests_command", required=True)
    listing = request_commands.add_parser("list", help="list requests, soonest due first")
    listing.add_argument("--status", choices=STATUSES, help="only this status")
    listing.add_argument(
        "--due-before", type=date.fromisoformat, help="only those due before YYYY-MM-DD"
    )
    listing.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    listing.add_argument("--offset", type=int, default=0, help="skip this many first (0)")
    listing.add_argument("--json", action="store_true", help="print JSON, with personal data")
    listing.set_defaults(run=cmd_requests_list)
    show = request_commands.add_parser("show", help="show one request in full")
    show.add_argument("reference", help="e.g. RR-2026-000001")
    show.add_argument("--json", action="store_true", help="print JSON, with the history")
    show.set_defaults(run=cmd_requests_show)
    change = request_commands.add_parser("update", help="change status, add a note")
    change.add_argument("reference", help="e.g. RR-2026-000001")
    change.add_argument("--status", choices=STATUSES, help="the new status")
    change.add_argument("--reason", help="why (needed for extended and denied)")
    change.add_argument("--note", help="an internal note to add (never sent to the requester)")
    change.add_argument(
        "--reply", help="a message to the requester, in the mail of the new status (with --status)"
    )
    change.set_defaults(run=cmd_requests_update)
