"""The casework commands of `privacy-qa`: requests, reminders, outbox, purge, db."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from index.library import load_library
from qa.answering.assistant import Assistant
from qa.answering.questions import QuestionLog
from qa.casework.desk import Casework, open_casework
from qa.casework.history import Change, cli_actor
from qa.casework.reminders import reminders_for
from qa.casework.retention import erase_requester, purge
from qa.delivery.outbox import FileTransport, transport_for
from qa.errors import QAError
from qa.settings import Settings
from qa.storage.store import Cipher, database_url, open_store, utcnow
from qa.vocabulary import ESCALATION_STATUSES, STATUSES


def _casework(settings: Settings) -> Casework:
    assistant = Assistant(load_library(settings.policy), min_confidence=settings.min_confidence)
    return open_casework(settings, assistant)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("use a day as YYYY-MM-DD, e.g. 2026-03-16") from None


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the database schema to the newest revision."""
    open_store(settings).close()
    url = make_url(database_url(settings)).render_as_string(hide_password=True)
    print(f"database {url} is up to date")
    return 0


def cmd_requests_list(args: argparse.Namespace, settings: Settings) -> int:
    """List rights requests, soonest due first (no personal data: use `show`)."""
    casework = _casework(settings)
    try:
        items = casework.rights.list(args.status, args.due_before, args.limit, args.offset)
        total = casework.rights.count(args.status, args.due_before)
    finally:
        casework.close()
    if args.json:
        # The envelope of GET /api/support/rights-requests, so that one reader reads both.
        items_json = [r.support_dict() for r in items]
        page = {"items": items_json, "total": total, "limit": args.limit, "offset": args.offset}
        _print_json(page)
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
    casework = _casework(settings)
    try:
        request = casework.rights.get(args.reference)
        history = casework.rights.history(args.reference)
    finally:
        casework.close()
    _show(request.support_dict(), history, args.json)
    return 0


def _show(data: dict[str, Any], history: tuple[Change, ...], as_json: bool) -> None:
    """A case's fields, one a line, then its history (or all of it as JSON)."""
    if as_json:
        _print_json({**data, "history": [c.to_dict() for c in history]})
        return
    for key, value in data.items():
        if isinstance(value, dict):  # the policy shown: document, version, date
            value = " ".join(str(v) for v in value.values() if v)
        if isinstance(value, list) and value and isinstance(value[0], dict):  # replies
            value = "\n".join(f"{r['at']}: {r['text']}" for r in value)
        if value not in (None, "", []):
            shown = ", ".join(value) if isinstance(value, list) else value
            text = str(shown).rstrip("\n").replace("\n", "\n" + " " * 18)
            print(f"{key + ':':<17} {text}")
    print("history:")
    for change in history:
        details = " ".join(f"{k}={v}" for k, v in change.details.items())
        when = change.at.isoformat(timespec="seconds")
        print(f"  {when}  {change.actor:<16} {change.action:<15} {details}")


def cmd_requests_update(args: argparse.Namespace, settings: Settings) -> int:
    """Change a request's status and/or add a note; the requester is told of a new status (with
    the --reply, if given)."""
    casework = _casework(settings)
    try:
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
    finally:
        casework.close()
    print(f"{request.reference}: {request.status}, due {request.due_at.isoformat()}")
    if delivery.failed:
        print(f"{delivery.failed} mail(s) not sent yet; see `privacy-qa outbox`")
    return 0


def cmd_reminders(args: argparse.Namespace, settings: Settings) -> int:
    """Print what is due (the day's digest); --send queues it for privacy@, once a day."""
    if args.send and not settings.reminder_days:
        raise QAError(
            "reminders are off (PRIVACY_QA_REMINDER_DAYS=0); set it to the days to look ahead, "
            "e.g. 7, to send the digest",
            "PRIVACY_QA_REMINDER_DAYS",
        )
    day = args.date or utcnow().date()
    casework = _casework(settings)
    sent, delivery = None, None
    try:
        reminders = reminders_for(casework, settings)
        if args.send:
            sent = reminders.send(day)
            delivery = casework.outbox.deliver_due()
        digest = sent.digest if sent else reminders.due(day)
    finally:
        casework.close()
    if args.json:
        _print_json({**digest.to_dict(), **({"sent": sent is not None} if args.send else {})})
        return 0
    sys.stdout.write(digest.text())
    if args.send:
        if sent is not None:
            print(f"digest for {day.isoformat()} queued for privacy@ ({digest.items} item(s))")
        elif digest.items:
            print(f"the digest for {day.isoformat()} was queued before: none sent now")
        else:
            print("nothing due: no digest sent")
        if delivery is not None and delivery.failed:
            print(f"{delivery.failed} mail(s) not sent yet; see `privacy-qa outbox`")
    return 0


def cmd_escalations_list(args: argparse.Namespace, settings: Settings) -> int:
    """List escalations, newest first (no personal data: use `show`)."""
    casework = _casework(settings)
    try:
        items = casework.escalations.list(args.limit, status=args.status)
    finally:
        casework.close()
    if args.json:
        _print_json([e.to_dict() for e in items])
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
    casework = _casework(settings)
    try:
        escalation = casework.escalations.get(args.reference)
        history = casework.escalations.history(args.reference)
    finally:
        casework.close()
    _show(escalation.to_dict(), history, args.json)
    return 0


def cmd_escalations_update(args: argparse.Namespace, settings: Settings) -> int:
    """Change an escalation's status or assignee, or add an internal note."""
    casework = _casework(settings)
    try:
        escalation = casework.escalations.update(
            args.reference,
            status=args.status,
            assignee=args.assignee,
            note=args.note,
            actor=cli_actor(),
        )
    finally:
        casework.close()
    print(f"{escalation.reference}: {escalation.status}, assignee {escalation.assignee or '-'}")
    return 0


def cmd_escalations_reply(args: argparse.Namespace, settings: Settings) -> int:
    """Reply to the visitor (by mail if they left an address); the escalation is answered."""
    casework = _casework(settings)
    try:
        escalation, mailed = casework.escalations.reply(
            args.reference, args.text, actor=cli_actor()
        )
        delivery = casework.outbox.deliver_due()
    finally:
        casework.close()
    how = "mailed to the visitor" if mailed else "not mailed: the visitor left no address"
    print(f"{escalation.reference}: {escalation.status}; reply {how}")
    if delivery.failed:
        print(f"{delivery.failed} mail(s) not sent yet; see `privacy-qa outbox`")
    return 0


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    """List mail and webhook deliveries not yet delivered; --retry-now sends them all now;
    --read prints a mail file."""
    if args.read:
        transport = transport_for(settings)
        if not isinstance(transport, FileTransport):
            transport = FileTransport(args.read.parent, Cipher(settings.encryption_key))
        sys.stdout.write(transport.read(args.read).decode("utf-8", "replace"))
        return 0
    casework = _casework(settings)
    try:
        boxes = (casework.outbox, casework.webhooks.outbox)
        if args.retry_now:
            for box in boxes:
                delivery = box.retry_now()
                print(f"{box.channel}: sent {delivery.sent}, failed {delivery.failed}")
        mail, hooks = (box.pending() for box in boxes)
    finally:
        casework.close()
    for item in (*mail, *hooks):
        print(
            f"{item.reference:<16} {item.kind:<13} tries {item.attempts:<3} "
            f"next {item.next_attempt_at.isoformat(timespec='seconds')}  "
            f"{item.last_error or ''}  {item.message_id}"
        )
    print(f"{len(mail)} mail(s) pending, {len(hooks)} webhook delivery(ies) pending")
    return 0


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    """Erase one requester's data (--email), or all personal data past the retention period."""
    store = open_store(settings)
    mail = transport_for(settings)
    try:
        if args.email:
            erased = erase_requester(store, args.email, mail=mail, actor=cli_actor())
        else:
            erased = purge(
                store,
                settings.retention_days,
                question_days=settings.question_log_days,
                mail=mail,
            )
    finally:
        store.close()
    print(
        f"erased personal data of {erased.rights_requests} request(s), "
        f"{erased.escalations} escalation(s) and {erased.mails} mail(s); "
        f"deleted {erased.mail_files} mail file(s)"
        + (f"; deleted {erased.questions} logged question(s)" if erased.questions else "")
    )
    return 0


def cmd_questions(args: argparse.Namespace, settings: Settings) -> int:
    """The questions the assistant declined (or answered), most asked first, redacted."""
    store = open_store(settings)
    try:
        counts = QuestionLog(store, settings.question_log_days).counts(args.answered, args.limit)
    finally:
        store.close()
    if args.json:
        _print_json([{"question": q, "count": n} for q, n in counts])
        return 0
    if not settings.question_log_days:
        print("the question log is off; set PRIVACY_QA_QUESTION_LOG_DAYS to keep questions")
    for question, n in counts:
        print(f"{n:>6}  {question}")
    print(f"{len(counts)} distinct question(s)")
    return 0


def add_commands(commands: Any) -> None:
    """Add the casework subcommands to the `privacy-qa` parser."""
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="bring the schema to the newest revision")
    upgrade.set_defaults(run=cmd_db_upgrade)

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

    reminders = commands.add_parser(
        "reminders",
        help="what is overdue or due within PRIVACY_QA_REMINDER_DAYS; --send mails privacy@ the "
        "day's digest (once a day)",
    )
    reminders.add_argument(
        "--send", action="store_true", help="queue and send the digest (nothing if sent today)"
    )
    reminders.add_argument("--date", type=_day, help="the day, YYYY-MM-DD (default: today, UTC)")
    reminders.add_argument("--json", action="store_true", help="print JSON")
    reminders.set_defaults(run=cmd_reminders)

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

    outbox = commands.add_parser("outbox", help="mail and webhook deliveries not yet delivered")
    outbox.add_argument(
        "--retry-now", action="store_true", help="send every pending mail and webhook now"
    )
    outbox.add_argument(
        "--read",
        type=Path,
        metavar="FILE",
        help="print a mail file of the data folder, decrypted (.eml.fernet) with the key",
    )
    outbox.set_defaults(run=cmd_outbox)

    purge_cmd = commands.add_parser(
        "purge", help="erase personal data past PRIVACY_QA_RETENTION_DAYS, or one requester's"
    )
    purge_cmd.add_argument("--email", help="erase this requester's data now (erasure request)")
    purge_cmd.set_defaults(run=cmd_purge)

    questions = commands.add_parser(
        "questions",
        help="the declined questions of the question log (PRIVACY_QA_QUESTION_LOG_DAYS), by count",
    )
    questions.add_argument(
        "--answered", action="store_true", help="the answered questions instead of the declined"
    )
    questions.add_argument("--limit", type=int, default=50, help="distinct questions at most")
    questions.add_argument("--json", action="store_true", help="print JSON")
    questions.set_defaults(run=cmd_questions)
