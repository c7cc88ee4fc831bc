"""The daily deadline digest: what it counts, one mail a day through the real outbox and SMTP
server (on SQLite and PostgreSQL), the server's schedule, the CLI and the /metrics gauges."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.casework.desk import Casework, open_casework
from qa.casework.reminders import Reminders, Sent, enqueue_digest, find_due, reminders_for
from qa.casework.rights import Intake
from qa.cli.main import main
from qa.settings import Settings
from qa.storage.schema import outbox, reminder_digests
from tests.support.casework import PRIVACY, MailSink, wait_for
from tests.support.servers import Server
from tests.web.test_metrics import TOKEN, scrape
from web.app import create_app

DIGEST = "Privacy requests due"
DAY = date(2026, 3, 16)  # a Monday; the window of 7 days ends on Monday 23 March


@pytest.fixture()
def casework(settings: Settings, assistant: Assistant) -> Iterator[Casework]:
    """The casework desk over the test's database, mailing the test's SMTP server."""
    desk = open_casework(settings, assistant)
    try:
        yield desk
    finally:
        desk.close()


def at(day: date) -> datetime:
    """Noon UTC of `day`."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def submit(
    casework: Casework, received: date, right: str = "access", jurisdiction: str = "gdpr"
) -> str:
    """A request received on `received`; its reference."""
    intake = Intake(right, jurisdiction, "Ana Lima", "ana@example.com", "Customer 4411")
    created = casework.rights.submit(intake, now=at(received))
    reference: str = created.reference
    return reference


def move(casework: Casework, reference: str, on: date, *statuses: str) -> None:
    """Take the request through `statuses` on `on`."""
    for status in statuses:
        reason = "We need the archive" if status == "extended" else None
        casework.rights.update(reference, status=status, reason=reason, now=at(on))


def digests(sink: MailSink) -> list[str]:
    """The bodies of the digests privacy@ got."""
    return [m.body for m in sink.mails(to=PRIVACY, kind=DIGEST)]


def count(casework: Casework, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    """Rows of `table`."""
    with casework.store.read() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).one()[0]
        )


def test_the_digest_lists_what_is_overdue_due_soon_to_confirm_and_to_extend(
    casework: Casework,
) -> None:
    overdue = submit(casework, date(2026, 2, 10))  # due 10 March
    due_today = submit(casework, date(2026, 2, 16))  # due 16 March: due, not overdue
    verified = submit(casework, date(2026, 2, 20))  # due 20 March; may be extended
    move(casework, verified, date(2026, 2, 21), "verified")
    # 15 California business days from Friday 27 February: 2-6 March (5), 9-13 (10), 16-20.
    opt_out = submit(casework, date(2026, 2, 27), "opt_out", "ccpa")
    last_day = submit(casework, date(2026, 2, 23))  # due 23 March, the window's last day
    submit(casework, date(2026, 2, 24))  # due 24 March: beyond the window
    # Confirm by: 10-13 March (4), 16-20 (9), 23 (10): the window's last day.
    to_confirm = submit(casework, date(2026, 3, 9), "access", "ccpa")
    taken_up = submit(casework, date(2026, 3, 2), "access", "ccpa")  # confirm by 16 March
    move(casework, taken_up, date(2026, 3, 3), "verified", "in_progress")
    done = submit(casework, date(2026, 2, 12))  # due 12 March, but completed
    move(casework, done, date(2026, 2, 13), "verified", "completed")
    extended = submit(casework, date(2026, 1, 20))  # due 20 February, extended to 20 April
    move(casework, extended, date(2026, 2, 1), "verified", "extended")

    digest = Reminders(casework.store, casework.outbox, PRIVACY, 7).due(DAY)

    assert [r.reference for r in digest.overdue] == [overdue]
    assert [(r.reference, r.on) for r in digest.due_soon] == [
        (due_today, date(2026, 3, 16)),
        (verified, date(2026, 3, 20)),
        (opt_out, date(2026, 3, 20)),
        (last_day, date(2026, 3, 23)),
    ]
    assert [(r.reference, r.on) for r in digest.to_confirm] == [(to_confirm, date(2026, 3, 23))]
    # Only the verified GDPR request may become extended: a received one must be verified
    # first, and an opt-out's deadline cannot be extended.
    assert [(r.reference, r.on, r.until) for r in digest.to_extend] == [
        (verified, date(2026, 3, 20), date(2026, 5, 20))
    ]
    text = digest.text()
    assert f"{overdue:<16} access" in text and "(6 day(s) ago)" in text
    assert "may extend to 2026-05-20" in text
    for personal in ("Ana Lima", "ana@example.com", "Customer 4411"):
        assert personal not in text


def test_one_digest_is_mailed_for_a_day_and_a_second_send_queues_nothing(
    casework: Casework, smtp: MailSink
) -> None:
    overdue = submit(casework, date(2026, 2, 10))
    reminders = reminders_for(casework, Settings())  # the default window: 7 days
    sent = reminders.send(DAY)
    assert sent is not None and sent.message_id == "<reminders.2026-03-16@example.com>"
    casework.outbox.deliver_due()
    [digest] = smtp.wait(1, to=PRIVACY, kind=DIGEST)
    assert str(digest.message["Subject"]) == (
        "Privacy requests due 2026-03-16: 1 overdue, 0 within 7 day(s)"
    )
    assert overdue in digest.body and "Ana Lima" not in digest.body
    assert "ana@example.com" not in digest.body

    assert reminders.send(DAY) is None
    casework.outbox.deliver_due()
    assert len(digests(smtp)) == 1
    assert count(casework, outbox, outbox.c.kind == "reminders") == 1
    # The next day is a new digest.
    assert reminders.send(DAY + timedelta(days=1)) is not None


def test_nothing_due_sends_nothing_and_leaves_the_day_open(
    casework: Casework, smtp: MailSink
) -> None:
    submit(casework, date(2026, 3, 10))  # due 10 April
    reminders = Reminders(casework.store, casework.outbox, PRIVACY, 7)
    assert reminders.send(DAY) is None
    assert count(casework, reminder_digests) == 0
    assert count(casework, outbox, outbox.c.kind == "reminders") == 0
    # With a longer window the same request is due later that day: the day is not used up.
    longer = Reminders(casework.store, casework.outbox, PRIVACY, 31)
    assert longer.send(DAY) is not None
    casework.outbox.deliver_due()
    assert len(smtp.wait(1, to=PRIVACY, kind=DIGEST)) == 1


def test_two_workers_sending_at_once_queue_one_digest(
    settings: Settings, assistant: Assistant, casework: Casework, smtp: MailSink
) -> None:
    submit(casework, date(2026, 2, 10))
    # Two desks with their own connection pools, as two worker processes have.
    workers = [open_casework(settings, assistant) for _ in range(2)]
    start = threading.Barrier(len(workers))
    results: list[Sent | None] = []

    def send(desk: Casework) -> None:
        start.wait()
        results.append(Reminders(desk.store, desk.outbox, PRIVACY, 7).send(DAY))

    try:
        threads = [threading.Thread(target=send, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for desk in workers:
            desk.close()
    assert len(results) == 2 and sum(r is not None for r in results) == 1
    assert count(casework, outbox, outbox.c.kind == "reminders") == 1
    casework.outbox.deliver_due()
    smtp.wait(1, to=PRIVACY, kind=DIGEST)
    assert len(digests(smtp)) == 1


def test_a_second_transaction_for_the_same_day_queues_nothing_whenever_it_runs(
    settings: Settings, assistant: Assistant, casework: Casework
) -> None:
    # The guard itself, past the read that usually spares the write: the second writer runs
    # while the first holds its uncommitted row, or after it committed; either way, nothing.
    submit(casework, date(2026, 2, 10))
    other = open_casework(settings, assistant)
    second: list[str | None] = []

    def write_again() -> None:
        with other.store.transaction() as conn:
            digest = find_due(conn, DAY, 7)
            second.append(enqueue_digest(conn, other.outbox, PRIVACY, digest))

    try:
        with casework.store.transaction() as conn:
            first = enqueue_digest(conn, casework.outbox, PRIVACY, find_due(conn, DAY, 7))
            thread = threading.Thread(target=write_again)
            thread.start()
        thread.join()
    finally:
        other.close()
    assert first == "<reminders.2026-03-16@example.com>"
    assert second == [None]
    assert count(casework, outbox, outbox.c.kind == "reminders") == 1
    assert count(casework, reminder_digests) == 1


def test_the_server_mails_the_digest_at_start_up_and_not_again_after_a_restart(
    settings: Settings, assistant: Assistant, casework: Casework, smtp: MailSink
) -> None:
    today = datetime.now(UTC).date()
    overdue = submit(casework, today - timedelta(days=40))
    with TestClient(create_app(settings, assistant=assistant)):
        [digest] = smtp.wait(1, to=PRIVACY, kind=DIGEST)
    assert overdue in digest.body
    with TestClient(create_app(settings, assistant=assistant)) as restarted:
        schedule = restarted.app.state.services.digests  # type: ignore[attr-defined]
        assert schedule.tick() is None  # however the start-up check and this one interleave
    casework.outbox.deliver_due()
    assert len(digests(smtp)) == 1
    assert count(casework, outbox, outbox.c.kind == "reminders") == 1


@pytest.mark.slow
def test_a_real_server_with_two_workers_mails_one_digest(
    settings: Settings, casework: Casework, smtp: MailSink, tmp_path: Path
) -> None:
    overdue = submit(casework, datetime.now(UTC).date() - timedelta(days=40))
    server = Server(settings, tmp_path / "server.log", workers=2)
    try:
        [digest] = smtp.wait(1, to=PRIVACY, kind=DIGEST)
        wait_for(
            lambda: server.log.read_text().count("Application startup complete") >= 2,
            timeout=60,
            what="both workers to start",
        )
    finally:
        # A graceful stop: each worker's shutdown waits for its check under way, so both
        # workers have checked once the server has exited.
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=60)
    assert overdue in digest.body
    assert count(casework, outbox, outbox.c.kind == "reminders") == 1
    assert len(digests(smtp)) == 1


def test_the_server_runs_no_digest_when_reminders_are_off(
    settings: Settings, assistant: Assistant
) -> None:
    off = settings.with_values(reminder_days=0)
    with TestClient(create_app(off, assistant=assistant)) as client:
        assert client.app.state.services.digests is None  # type: ignore[attr-defined]


def test_the_reminders_command_prints_and_sends_once(
    settings: Settings,
    casework: Casework,
    smtp: MailSink,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    overdue = submit(casework, date(2026, 2, 10))

    assert main(["reminders", "--date", "2026-03-16"]) == 0
    printed = capsys.readouterr().out
    assert "Overdue (due date): 1" in printed and overdue in printed
    assert "ana@example.com" not in printed
    assert not digests(smtp)  # printing sends nothing

    assert main(["reminders", "--send", "--date", "2026-03-16"]) == 0
    assert "digest for 2026-03-16 queued for privacy@ (1 item(s))" in capsys.readouterr().out
    smtp.wait(1, to=PRIVACY, kind=DIGEST)
    assert main(["reminders", "--send", "--date", "2026-03-16"]) == 0
    assert "was queued before: none sent now" in capsys.readouterr().out
    assert main(["reminders", "--send", "--date", "2026-01-01"]) == 0
    assert "nothing due: no digest sent" in capsys.readouterr().out
    assert len(digests(smtp)) == 1

    assert main(["reminders", "--json", "--date", "2026-03-16"]) == 0
    assert f'"reference": "{overdue}"' in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["reminders", "--date", "16/03/2026"])
    assert refused.value.code == 2
    assert "--date: use a day as YYYY-MM-DD, e.g. 2026-03-16" in capsys.readouterr().err
    monkeypatch.setenv("PRIVACY_QA_REMINDER_DAYS", "0")
    assert main(["reminders", "--send"]) == 2
    assert "PRIVACY_QA_REMINDER_DAYS" in capsys.readouterr().err


def test_metrics_count_requests_overdue_and_due_soon(
    settings: Settings, assistant: Assistant, casework: Casework
) -> None:
    today = datetime.now(UTC).date()
    submit(casework, today - timedelta(days=40))  # overdue by over a week
    submit(casework, today - timedelta(days=26))  # due in 2 to 5 days (months differ)
    submit(casework, today)  # due in a month
    done = submit(casework, today - timedelta(days=50))
    move(casework, done, today - timedelta(days=49), "verified", "completed")
    metered = settings.with_values(metrics_token=TOKEN)
    with TestClient(create_app(metered, assistant=assistant)) as client:
        values = scrape(client)
    assert values[("privacy_qa_rights_requests_overdue", frozenset())] == 1
    assert values[("privacy_qa_rights_requests_due_soon", frozenset())] == 1
