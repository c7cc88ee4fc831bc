"""The retention purge on the server's schedule: driven by a clock the test holds, no sleeping."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qa.assistant import Assistant
from qa.outbox import FileTransport, Outbox
from qa.requests import Intake, RightsRequests
from qa.retention import RETRY_AFTER_FAILURE, PurgeSchedule, purge
from qa.store import Store, make_engine, rights_requests, utcnow
from tests.casework import MailSink, casework_settings, wait_for
from web.app import create_app

DAY = timedelta(days=1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _open(database_url: str) -> Store:
    store = Store(make_engine(database_url))
    store.upgrade()
    return store


def _desk(store: Store, tmp_path: Path) -> RightsRequests:
    box = Outbox(store, FileTransport(tmp_path / "mail"), "assistant@example.com")
    return RightsRequests(
        store, box, public_url="http://testserver", privacy_email="privacy@example.com"
    )


def _closed_request(desk: RightsRequests, email: str, closed: datetime) -> str:
    """An opt-out made and completed at `closed` (opt-outs need no verification first)."""
    _, made = desk.submit(Intake("opt_out", "ccpa", "Ana Lima", email), now=closed)
    reference: str = made["reference"]
    desk.update(reference, status="completed", now=closed)
    return reference


def test_schedule_purges_at_start_then_once_per_interval(database_url: str, tmp_path: Path) -> None:
    store = _open(database_url)
    try:
        desk = _desk(store, tmp_path)
        start = utcnow()
        first = _closed_request(desk, "first@example.com", start - 400 * DAY)
        clock = Clock(start)
        schedule = PurgeSchedule(store, 365, timedelta(hours=24), clock)
        assert schedule.seconds_to_next() == 0  # due at start-up

        erased = schedule.tick()
        assert erased is not None and erased.rights_requests == 1
        assert desk.get(first).email is None
        assert schedule.seconds_to_next() == 24 * 3600

        # A request that passes its retention after the purge waits for the next one.
        second = _closed_request(desk, "second@example.com", start - 366 * DAY)
        clock.now = start + timedelta(hours=23, minutes=59)
        assert schedule.tick() is None
        assert desk.get(second).email == "second@example.com"
        clock.now = start + timedelta(hours=24)
        erased = schedule.tick()
        assert erased is not None and erased.rights_requests == 1
        assert desk.get(second).email is None
        assert schedule.seconds_to_next() == 24 * 3600
    finally:
        store.close()


def test_purges_at_once_from_several_processes_erase_each_record_once(
    database_url: str, tmp_path: Path
) -> None:
    # Four stores (four engines, as four workers have) purge at the same moment.
    stores = [_open(database_url) for _ in range(4)]
    try:
        desk = _desk(stores[0], tmp_path)
        references = [
            _closed_request(desk, f"p{i}@example.com", utcnow() - 400 * DAY) for i in range(5)
        ]
        now = utcnow()
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda s: purge(s, 365, now), stores))
        assert sum(r.rights_requests for r in results) == 5
        assert sorted(r.rights_requests for r in results) == [0, 0, 0, 5]
        with stores[0].read() as conn:
            stamps = conn.execute(
                sa.select(rights_requests.c.erased_at).where(
                    rights_requests.c.reference.in_(references)
                )
            ).scalars()
            assert set(stamps) == {now}
    finally:
        for store in stores:
            store.close()


def test_a_failed_purge_is_tried_again_sooner_than_the_interval() -> None:
    unreachable = Store(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    clock = Clock(utcnow())
    schedule = PurgeSchedule(unreachable, 365, timedelta(hours=24), clock)
    try:
        assert schedule.tick() is None
        assert schedule.next_at == clock.now + RETRY_AFTER_FAILURE
    finally:
        unreachable.close()


def test_the_server_purges_on_its_schedule_and_not_when_turned_off(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    off = casework_settings(tmp_path, database_url, smtp, purge_interval_hours=0)
    with TestClient(create_app(off, assistant=assistant)) as client:
        services = cast(FastAPI, client.app).state.services
        assert services.purges is None
        reference = _closed_request(services.rights, "old@example.com", utcnow() - 400 * DAY)
    on = off.with_values(purge_interval_hours=24)
    with TestClient(create_app(on, assistant=assistant)) as client:
        services = cast(FastAPI, client.app).state.services
        assert services.purges is not None

        def erased() -> bool:
            return services.rights.get(reference).email is None

        wait_for(erased, what="the start-up purge to erase the old request")
        assert services.purges.next_at > utcnow() + timedelta(hours=23)
