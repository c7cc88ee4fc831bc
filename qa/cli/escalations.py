"""`privacy-qa escalations`: the questions visitors sent to a person, and the team's replies."""

from __future__ import annotations

import argparse
from typing import Any

from qa.casework.history import cli_actor
from qa.cli.cases import open_desk, print_json, show_case
from qa.settings import Settings
from qa.vocabulary import ESCALATION_STATUSES


def cmd_escalations_list(args: argparse.Namespace, settings: Settings) -> int:
    """List escalations, newest first (no personal data: use `show`)."""
    with open_desk(settings) as casework:
        items = casework.escalations.list(args.limit, status=args.status)
    if args.json:
        print_json([e.to_dict() for e in items])
        return 0
    print(f"{'reference':<16} {'status':<9} {'assignee':<16} {'replies':<7} {'sent':<10}")
    for e in items:
        print(
            f"{e.reference:<16} {e.status:<9} {e.assignee or '-':<16} {len(e.replies):<7} "
            f"{e.created_at.date().isoformat():<10}"
        )
    print(f"{len(items)} escalation(s)")
    return 0


def cmd_escalations_show(args: argparse.Namespace, settings: Settings) -> int:
    """Show one escalation in full, with its replies and history."""
    with open_desk(settings) as casework:
        escalation = casework.escalations.get(args.reference)
        history = casework.escalations.history(args.reference)
    show_case(escalation.to_dict(), history, args.json)
    return 0


def cmd_escalations_update(args: argparse.Namespace, settings: Settings) -> int:
    """Change an escalation's status or assignee, or add an internal note."""
    with open_desk(settings) as casework:
        escalation = casework.escalations.update(
            args.reference,
            status=args.status,
            assignee=args.assignee,
            note=args.note,
            actor=cli_actor(),
        )
    print(f"{escalation.reference}: {escalation.status}, assignee {escalation.assignee or '-'}")
    return 0


def cmd_escalations_reply(args: argparse.Namespace, settings: Settings) -> int:
    """Reply to the visitor (by mail if they left an address); the escalation is answered."""
    with open_desk(settings) as casework:
        escalation, mailed = casework.escalations.reply(
            args.reference, args.text, actor=cli_actor()
        )
        delivery = casework.outbox.deliver_due()
    how = "mailed to the visitor" if mailed else "not mailed: the visitor left no address"
    print(f"{escalation.reference}: {escalation.status}; reply {how}")
    if delivery.failed:
        print(f"{delivery.failed} mail(s) not sent yet; see `privacy-qa outbox`")
    return 0


def add_commands(commands: Any) -> None:
    """Add `escalations list|show|update|reply` to the `privacy-qa` parser."""
    escalation_group = commands.add_parser("escalations", help="questions sent to a person")
    escalation_commands = escalation_group.add_subparsers(dest="escalations_command", required=True)
    esc_list = escalation_commands.add_parser("list", help="list escalations, newest first")
    esc_list.add_argument("--status", choices=ESCALATION_STATUSES, help="only this status")
    esc_list.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    esc_list.add_argument("--json", action="store_true", help="print JSON, with personal data")
    esc_list.set_defaults(run=cmd_escalations_list)
    esc_show = escalation_commands.add_parser("show", help="show one escalation in full")
    esc_show.add_argument("reference", help="e.g. ESC-2026-000001")
    esc_show.add_argument("--json", action="store_true", help="print JSON")
    esc_show.set_defaults(run=cmd_escalations_show)
    esc_update = escalation_commands.add_parser("update", help="change status, assignee, note")
    esc_update.add_argument("reference", help="e.g. ESC-2026-000001")
    esc_update.add_argument("--status", choices=ESCALATION_STATUSES, help="the new status")
    esc_update.add_argument("--assignee", help="who has it (a name such as alice; '' for nobody)")
    esc_update.add_argument("--note", help="an internal note to add")
    esc_update.set_defaults(run=cmd_escalations_update)
    esc_reply = escalation_commands.add_parser("reply", help="answer the visitor")
    esc_reply.add_argument("reference", help="e.g. ESC-2026-000001")
    esc_reply.add_argument("text", help="the reply, as the visitor will read it")
    esc_reply.set_defaults(run=cmd_escalations_reply)
