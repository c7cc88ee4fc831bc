"""Rate limits: per client on every public route, 429 with Retry-After, in memory and in the
real Redis (shared by apps and by a server's workers); 3 mails per mailbox and day."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
from fastapi.testclient import TestClient

from bench.throughput import serve
from qa.answering.assistant import Assistant
from qa.errors import SettingsError
from qa.ratelimits import DEFAULT_LIMITS, Limit, limit_named, parse_limits
from qa.settings import Settings
from tests.support.casework import (
    PRIVACY,
    MailSink,
    casework_settings,
    free_port,
    rights_body,
    wait_for,
)
from tests.support.routes import every_route, fill
from web.app import create_app
from web.middleware.throttle import EXEMPT, Clients, MemoryBuckets, RedisBuckets, bucket_for

T = TypeVar("T")
REDIS_URL = "redis://127.0.0.1:6379/9"  # a database of its own; the test empties our keys


def app_client(
    assistant: Assistant, tmp_path: Path, limits: str, peer: str = "198.51.100.1", **more: Any
) -> TestClient:
    """A test client of a new app with these limits, seen from `peer`."""
    settings = Settings(data_dir=tmp_path, rate_limits=parse_limits(limits), **more)
    return TestClient(create_app(settings, assistant=assistant), client=(peer, 40000))


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a loop of its own thread: this one may have a loop running already
    (Playwright's, in a browser test of the same session)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def as_peer(app: Any, peer: str) -> TestClient:
    """A client of a running app (its lifespan entered elsewhere) from another address."""
    return TestClient(app, client=(peer, 40000))


def ask(client: TestClient, **headers: str) -> Any:
    """One question."""
    return client.post("/api/ask", json={"question": "how long do you keep data"}, headers=headers)


# -- the syntax ---------------------------------------------------------------------------


def test_limits_parse_over_the_defaults_and_round_trip() -> None:
    limits = parse_limits(" ask = 5/s : 2, read=off, submit=10/hour ")
    assert limit_named(limits, "ask") == Limit("ask", 5, "s", 2, limit_named(limits, "ask").help)
    assert limit_named(limits, "read").off
    assert (limit_named(limits, "submit").count, limit_named(limits, "submit").per) == (10, "h")
    assert limit_named(limits, "submit").burst == 10
    assert limit_named(limits, "lookup") == limit_named(DEFAULT_LIMITS, "lookup")
    assert parse_limits(",".join(str(limit) for limit in limits)) == limits
    assert all(limit.off for limit in parse_limits("OFF"))
    assert parse_limits("") == DEFAULT_LIMITS


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("ask", "NAME=COUNT/PERIOD"),
        ("chat=5/min", "ask, submit, lookup"),
        ("ask=fast", "PERIOD s, min, h or day"),
        ("ask=5/fortnight", "PERIOD s, min, h or day"),
        ("ask=0/min", "use ask=off"),
        ("ask=5/min:0", "use ask=off"),
    ],
)
def test_a_bad_limit_names_the_variable_the_item_and_the_syntax(value: str, says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"PRIVACY_QA_RATE_LIMITS": value})
    assert "PRIVACY_QA_RATE_LIMITS" in raised.value.message
    assert says in raised.value.message


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PRIVACY_QA_REDIS_URL", "127.0.0.1:6379"), ("PRIVACY_QA_TRUSTED_PROXIES", "proxy.local")],
)
def test_bad_redis_url_or_proxy_list_stops_start_up(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({variable: value})
    assert raised.value.field == variable


# -- the defaults: a person never meets them, a script soon does ---------------------------

# (kind, a person's pace: a quick run of requests, then one every so many seconds for an hour)
PEOPLE = {
    "ask": (30, 4.0),  # 30 questions in a row, then one every 4 s
    "submit": (10, 600.0),  # 10 tries at a form (mistakes included), then one each 10 min
    "lookup": (10, 300.0),  # the status page reloaded 10 times, then every 5 min
    "support": (100, 1.0),  # a support tool paging through 100 requests, then once a second
    "read": (150, 2.0),  # 30 pages of 5 files each, then a file every 2 s
}


async def _refusals(limit: Limit, times: list[float]) -> list[int]:
    now = [0.0]
    buckets = MemoryBuckets(clock=lambda: now[0])
    refused = []
    for i, at in enumerate(times):
        now[0] = at
        if await buckets.take("client", limit) > 0:
            refused.append(i)
    return refused


@pytest.mark.parametrize("kind", sorted(PEOPLE))
def test_default_limits_spare_a_person_and_stop_a_script(kind: str) -> None:
    limit = limit_named(DEFAULT_LIMITS, kind)
    quick, every = PEOPLE[kind]
    person = [i * 0.5 for i in range(quick)]
    person += [person[-1] + every * (i + 1) for i in range(int(3600 / every))]
    assert run_async(_refusals(limit, person)) == []
    script = [i * 0.01 for i in range(1000)]  # 100 requests a second
    refused = run_async(_refusals(limit, script))
    # The burst goes through, then only the refill's pace: the script meets the limit.
    assert refused and limit.burst <= refused[0] <= 200
    assert len(refused) > 1000 - 200


def test_every_public_route_counts_against_a_limit(client: TestClient) -> None:
    for method, template in every_route(client.app):  # type: ignore[arg-type]
        kind = bucket_for(method, fill(template, "x"))
        assert (kind is None) == (template in EXEMPT), (method, template)
    assert bucket_for("POST", "/api/rights-requests") == "submit"
    assert bucket_for("GET", "/rights-requests/new") == "read"
    assert bucket_for("GET", "/rights-requests/RR-2026-000001") == "lookup"
    assert bucket_for("GET", "/rights-requests/verify") == "lookup"
    assert bucket_for("PATCH", "/api/support/rights-requests/RR-2026-000001") == "support"
    # An escalation's status page and its JSON hold a token a guesser would try: lookup.
    assert bucket_for("GET", "/escalations/ESC-2026-000001") == "lookup"
    assert bucket_for("GET", "/api/escalations/ESC-2026-000001") == "lookup"
    assert bucket_for("POST", "/escalations/new") == "submit"
    assert bucket_for("POST", "/api/support/escalations/ESC-2026-000001/reply") == "support"


# -- in process, memory buckets -----------------------------------------------------------


def test_a_client_over_its_limit_gets_429_with_retry_after(
    assistant: Assistant, tmp_path: Path
) -> None:
    with app_client(assistant, tmp_path, "ask=30/day") as client:
        statuses = [ask(client).status_code for _ in range(30)]
        refused = ask(client)
    assert statuses == [200] * 30
    assert refused.status_code == 429
    assert 2800 <= int(refused.headers["retry-after"]) <= 2880  # a day / 30 = 48 minutes
    assert refused.headers["cache-control"] == "no-store"
    error = refused.json()["error"]
    assert (error["status"], error["code"]) == (429, "rate_limited")
    assert "wait" in error["message"] and "Retry-After" in error["message"]


def test_limits_are_per_client_and_per_kind(assistant: Assistant, tmp_path: Path) -> None:
    app = create_app(
        Settings(data_dir=tmp_path, rate_limits=parse_limits("ask=3/day")), assistant=assistant
    )
    with (
        TestClient(app, client=("198.51.100.1", 1)) as one,
        TestClient(app, client=("198.51.100.2", 1)) as two,
    ):
        assert [ask(one).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert ask(two).status_code == 200  # another client has its own bucket
        assert one.get("/api/policy").status_code == 200  # another kind has its own bucket
        # An untrusted client cannot buy a new bucket with a made-up X-Forwarded-For.
        assert ask(one, **{"X-Forwarded-For": "203.0.113.9"}).status_code == 429


def test_a_trusted_proxy_forwards_the_client_address(assistant: Assistant, tmp_path: Path) -> None:
    with app_client(
        assistant, tmp_path, "ask=2/day", peer="10.0.0.5", trusted_proxies=("10.0.0.0/8",)
    ) as client:
        first = {"X-Forwarded-For": "203.0.113.9, 10.0.0.7"}
        assert [ask(client, **first).status_code for _ in range(3)] == [200, 200, 429]
        # The hop the proxy added counts, not what the client put before it.
        spoofed = {"X-Forwarded-For": "192.0.2.1, 203.0.113.9, 10.0.0.7"}
        assert ask(client, **spoofed).status_code == 429
        assert ask(client, **{"X-Forwarded-For": "203.0.113.10"}).status_code == 200


def test_client_keys_hold_no_address_and_change_daily() -> None:
    clients = Clients(b"k" * 32, ("10.0.0.0/8",))
    scope = {"client": ("10.1.2.3", 1), "headers": [(b"x-forwarded-for", b"203.0.113.9")]}
    assert clients.address(scope) == "203.0.113.9"
    monday, tuesday = clients.key(scope, "2026-03-02"), clients.key(scope, "2026-03-03")
    assert monday != tuesday and len(monday) == 32
    assert "203.0.113.9" not in monday
    assert Clients(b"j" * 32).key(scope, "2026-03-02") != monday


@pytest.mark.parametrize("kind", ["ask", "submit", "lookup", "support", "read"])
def test_every_route_of_a_kind_answers_429_once_its_bucket_is_empty(
    assistant: Assistant, tmp_path: Path, kind: str
) -> None:
    limits = ",".join(f"{k}=1/day" for k in ("ask", "submit", "lookup", "support", "read"))
    app = create_app(
        Settings(data_dir=tmp_path, rate_limits=parse_limits(limits)), assistant=assistant
    )
    routes = [(m, t) for m, t in every_route(app) if bucket_for(m, fill(t, "x")) == kind]
    assert routes
    with TestClient(app):  # runs the lifespan (the store) while the clients below ask
        for n, (method, template) in enumerate(routes):
            # A fresh client per route: one request goes through, the next is refused.
            client = as_peer(app, f"198.51.100.{n + 1}")
            path = fill(template, "x")
            html = {"accept": "text/html"}
            first = client.request(method, path, headers=html, json={}, follow_redirects=False)
            assert first.status_code != 429, (method, template)
            second = client.request(method, path, headers=html, json={})
            assert second.status_code == 429, (method, template)
            assert int(second.headers["retry-after"]) > 0
            body = "application/json" if template.startswith("/api/") else "text/html"
            assert second.headers["content-type"].startswith(body), template


def test_off_turns_every_limit_off(assistant: Assistant, tmp_path: Path) -> None:
    with app_client(assistant, tmp_path, "off") as client:
        assert {ask(client).status_code for _ in range(250)} == {200}


def test_memory_buckets_forget_full_buckets() -> None:
    now = [0.0]
    buckets = MemoryBuckets(clock=lambda: now[0])
    limit = Limit("ask", 60, "min", 60)

    async def run() -> None:
        for i in range(MemoryBuckets.SWEEP_EVERY - 1):
            await buckets.take(f"client-{i}", limit)
        now[0] = 120.0  # every bucket is full again
        await buckets.take("last", limit)

    run_async(run())
    assert len(buckets) == 1


# -- Redis: shared by apps (servers) and by a server's workers -----------------------------


@pytest.fixture()
def redis_db() -> Iterator[redis.Redis]:
    """The test Redis database, with our keys removed afterwards."""
    db = redis.Redis.from_url(REDIS_URL)
    try:
        db.ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not running at 127.0.0.1:6379 (start redis-server)")
    try:
        yield db
    finally:
        for key in db.scan_iter(match=RedisBuckets.PREFIX + "*"):
            db.delete(key)
        db.close()


def test_redis_buckets_are_shared_by_two_servers(
    assistant: Assistant, tmp_path: Path, redis_db: redis.Redis
) -> None:
    shared = {"redis_url": REDIS_URL, "form_secret": "one-secret-for-every-server"}
    with (
        app_client(assistant, tmp_path / "a", "ask=30/day", **shared) as a,
        app_client(assistant, tmp_path / "b", "ask=30/day", **shared) as b,
    ):
        assert {ask(a).status_code for _ in range(15)} == {200}
        assert {ask(b).status_code for _ in range(15)} == {200}
        refused = ask(a)
        assert refused.status_code == 429 and ask(b).status_code == 429
        assert int(refused.headers["retry-after"]) > 0
    keys = [k.decode() for k in redis_db.scan_iter(match=RedisBuckets.PREFIX + "*")]
    assert len(keys) == 1 and keys[0].startswith(RedisBuckets.PREFIX + "ask:")
    assert "198.51.100" not in keys[0]
    assert 0 < redis_db.ttl(keys[0]) <= 86400 + 1


def test_redis_buckets_refill(assistant: Assistant, tmp_path: Path, redis_db: redis.Redis) -> None:
    limit = Limit("ask", 1000, "s", 1)  # refills within a millisecond

    async def run() -> list[float]:
        buckets = RedisBuckets(REDIS_URL)
        try:
            waits = [await buckets.take("refill-test", limit)]
            # Empty now; wait on the condition (a token again) with a deadline, not a sleep.
            for _ in range(10_000):
                wait = await buckets.take("refill-test", limit)
                if wait == 0:
                    waits.append(wait)
                    break
            return waits
        finally:
            await buckets.close()

    assert run_async(run()) == [0.0, 0.0]


def test_a_down_redis_lets_requests_through_and_warns_once(
    assistant: Assistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"
    with app_client(assistant, tmp_path, "ask=1/day", redis_url=down) as client:
        assert [ask(client).status_code for _ in range(3)] == [200, 200, 200]
    warnings = [r for r in caplog.records if r.name == "web.middleware.throttle"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def _post_ask(url: str) -> int:
    request = urllib.request.Request(
        url + "/api/ask",
        data=json.dumps({"question": "do you sell my data"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_a_server_with_two_workers_shares_its_limits_through_redis(
    tmp_path: Path, redis_db: redis.Redis
) -> None:
    with serve(
        None,
        tmp_path,
        workers=2,
        PRIVACY_QA_RATE_LIMITS="ask=30/day",
        PRIVACY_QA_REDIS_URL=REDIS_URL,
    ) as url:
        # Each request on a new connection: the two workers take turns accepting them.
        statuses = [_post_ask(url) for _ in range(45)]
    assert statuses == [200] * 30 + [429] * 15


# -- three mails per mailbox --------------------------------------------------------------


@pytest.fixture()
def mail_desk(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> Iterator[TestClient]:
    """The casework app with only the per-mailbox mail limit on (its default)."""
    limits = parse_limits("ask=off,submit=off,lookup=off,support=off,read=off")
    settings = casework_settings(tmp_path, database_url, smtp, rate_limits=limits)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client


def _drain(client: TestClient) -> None:
    outbox = client.app.state.services.outbox  # type: ignore[attr-defined]
    wait_for(lambda: outbox.count("pending") == 0, what="the outbox to empty")


def _count_requests(client: TestClient) -> int:
    return len(client.app.state.services.rights.list(limit=1000))  # type: ignore[attr-defined]


def test_at_most_three_mails_per_mailbox_and_day_every_request_recorded(
    mail_desk: TestClient, smtp: MailSink
) -> None:
    # Six clients name one Gmail mailbox in six spellings (case, +tags, dots, googlemail).
    spellings = [
        "target@gmail.com",
        "Target@Gmail.com",
        "target+1@gmail.com",
        "t.a.r.g.e.t@gmail.com",
        "TARGET+x.y@googlemail.com",
        "tar.get+2@GoogleMail.com",
    ]
    created = []
    for i, email in enumerate(spellings):
        client = as_peer(mail_desk.app, f"198.51.100.{i + 1}")
        response = client.post("/api/rights-requests", json=rights_body(email=email))
        assert response.status_code == 201, response.text  # recorded, whatever the limit
        created.append(response.json())
    assert [c["mailed"] for c in created] == [True, True, True, False, False, False]
    # An opt-out, which needs no verification, shares the same limit.
    opt_out = rights_body(email="target@gmail.com", right="opt_out", jurisdiction="ccpa")
    late = mail_desk.post("/api/rights-requests", json=opt_out)
    assert late.status_code == 201 and late.json()["mailed"] is False
    # Another mailbox is not affected (a dot matters outside Gmail).
    other = mail_desk.post("/api/rights-requests", json=rights_body(email="t.arget@example.com"))
    assert other.json()["mailed"] is True
    _drain(mail_desk)
    assert _count_requests(mail_desk) == 8
    to_target = [m for m in smtp.received if "target" in m.recipients[0].lower()]
    assert len(to_target) == 3 and all(
        str(m.message["Subject"]).startswith("Please confirm") for m in to_target
    )
    [notice] = smtp.mails(to=PRIVACY)  # one notice, not one mail a request
    assert created[3]["reference"] in notice.body and "mail limit" in notice.body
    # An unmailed request of a right that needs verification has no link to confirm it.
    status = mail_desk.get(created[3]["api_url"].removeprefix("http://testserver"))
    assert status.json()["status"] == "received"
    page = mail_desk.get(created[3]["status_url"].removeprefix("http://testserver") + "&sent=0")
    assert "We have not sent you an e-mail" in page.text


def test_ten_opt_outs_for_one_address_send_three_mails_and_one_notice(
    mail_desk: TestClient, smtp: MailSink
) -> None:
    body = rights_body(
        right="opt_out",
        jurisdiction="ccpa",
        name="BUY CHEAP PILLS AT http://pills.example",
        email="victim+spam@example.com",
    )
    for i in range(10):
        spelled = dict(body, email=f"Victim+{i}@Example.com")
        assert mail_desk.post("/api/rights-requests", json=spelled).status_code == 201
    _drain(mail_desk)
    assert _count_requests(mail_desk) == 10  # nothing lost
    to_victim = [m for m in smtp.received if m.recipients[0].lower().startswith("victim")]
    assert len(to_victim) == 3  # the acknowledgements within the limit
    assert all(m.message["To"].addresses[0].display_name == "" for m in to_victim)
    to_team = smtp.mails(to=PRIVACY)
    # The three requests within the limit, each with its own mail, then one notice.
    assert len(to_team) == 4
    assert sum("mail limit" in str(m.message["Subject"]) for m in to_team) == 1


def _key(peer: str, forwarded: str | None = None) -> str:
    """The client key of a request from `peer`, through a trusted proxy when `forwarded`."""
    clients = Clients(b"k" * 32, ("10.0.0.0/8",))
    if forwarded is None:
        return clients.key({"client": (peer, 1), "headers": []}, "2026-03-02")
    headers = [(b"x-forwarded-for", forwarded.encode())]
    return clients.key({"client": (peer, 1), "headers": headers}, "2026-03-02")


def test_one_ipv4_client_has_one_bucket_however_its_address_is_written() -> None:
    keys = {
        _key("203.0.113.5"),
        _key("::ffff:203.0.113.5"),  # a dual-stack socket's view of an IPv4 peer
        _key("::FFFF:CB00:7105"),
        _key("10.0.0.5", "203.0.113.5:443"),
        _key("10.0.0.5", "[::ffff:203.0.113.5]:8443"),
        _key("10.0.0.5", " 203.0.113.5 "),
        _key("::ffff:10.0.0.5", "203.0.113.5"),  # the proxy mapped into IPv6 is still trusted
    }
    assert len(keys) == 1
    assert _key("203.0.113.6") not in keys


def test_one_ipv6_client_has_one_bucket_however_its_address_is_written() -> None:
    keys = {
        _key("2001:db8::1"),
        _key("2001:DB8:0:0::1"),
        _key("10.0.0.5", "[2001:db8::1]:443"),
        _key("10.0.0.5", "[2001:DB8::1]"),
        _key("2001:db8::1%eth0"),
    }
    assert len(keys) == 1


def test_an_ipv6_client_is_counted_by_its_64() -> None:
    same = {_key(f"2001:db8:1:2:{i:x}:{i * 7:x}:{i * 13:x}:1") for i in range(200)}
    assert len(same) == 1
    assert _key("2001:db8:1:3::1") not in same  # the next /64 is another client


@pytest.mark.parametrize("peer", ["", "garbage", "not-an-ip:80", "[2001:db8::1", "999.1.1.1"])
def test_what_is_not_an_address_shares_one_unknown_bucket(peer: str) -> None:
    assert _key(peer) == _key("unknown") == _key("10.0.0.5", "made-up")
    assert _key(peer) != _key("203.0.113.5")


def test_made_up_forwarded_hops_share_one_bucket(assistant: Assistant, tmp_path: Path) -> None:
    with app_client(
        assistant, tmp_path, "ask=2/day", peer="10.0.0.5", trusted_proxies=("10.0.0.0/8",)
    ) as client:
        made_up = [{"X-Forwarded-For": f"client-{i}"} for i in range(3)]
        assert [ask(client, **headers).status_code for headers in made_up] == [200, 200, 429]
