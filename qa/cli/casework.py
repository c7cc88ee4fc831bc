"""The casework commands of `privacy-qa`: requests, reminders, outbox, purge, db."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from qa.answering.questions import QuestionLog
from qa.casework.history import cli_actor
from qa.casework.reminders import reminders_for
from qa.casework.retention import erase_requester, purge
from qa.cli.cases import day, open_desk, print_json
from qa.cli.escalations import add_commands as add_escalation_commands
from qa.cli.requests import add_commands as add_request_commands
from qa.delivery.transports import FileTransport, transport_for
from qa.errors import QAError
from qa.settings import Settings
from qa.storage.cipher import Cipher
from qa.storage.engine import database_url
from qa.storage.schema import utcnow
from qa.storage.store import open_store


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the database schema to the newest revision."""
    open_store(settings).close()
    url = make_url(database_url(settings)).render_as_string(hide_password=True)
    print(f"database {url} is up to date")
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
    sent, delivery = None, None
    with open_desk(settings) as casework:
        reminders = reminders_for(casework, settings)
        if args.send:
            sent = reminders.send(day)
            delivery = casework.outbox.deliver_due()
        digest = sent.digest if sent else reminders.due(day)
    if args.json:
        print_json({**digest.to_dict(), **({"sent": sent is not None} if args.send else {})})
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


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    """List mail and webhook deliveries not yet delivered; --retry-now sends them all now;
    --read prints a mail file."""
    if args.read:
        transport = transport_for(settings)
        if not isinstance(transport, FileTransport):
            transport = FileTransport(args.read.parent, Cipher(settings.encryption_key))
        sys.stdout.write(transport.read(args.read).decode("utf-8", "replace"))
        return 0
    with open_desk(settings) as casework:
        boxes = (casework.outbox, casework.webhooks.outbox)
        if args.retry_now:
            for box in boxes:
                delivery = box.retry_now()
                refused = f", refused {delivery.refused}" if delivery.refused else ""
                print(f"{box.channel}: sent {delivery.sent}, failed {delivery.failed}{refused}")
        mail, hooks = (box.pending() for box in boxes)
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
        print_json([{"question": q, "count": n} for q, n in counts])
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

    add_request_commands(commands)

    reminders = commands.add_parser(
        "reminders",
        help="what is overdue or due within PRIVACY_QA_REMINDER_DAYS; --send mails privacy@ the "
        "day's digest (once a day)",
    )
    reminders.add_argument(
        "--send", action="store_true", help="queue and send the digest (nothing if sent today)"
    )
    reminders.add_argument("--date", type=day, help="the day, YYYY-MM-DD (default: today, UTC)")
    reminders.add_argument("--json", action="store_true", help="print JSON")
    reminders.set_defaults(run=cmd_reminders)

    add_escalation_commands(commands)

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
