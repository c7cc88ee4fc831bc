"""Who did what: named support keys, one history row per change, and erasure that leaves them.

On SQLite and PostgreSQL, through the real app, the real `privacy-qa` commands and a real SMTP
server.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.casework.history import cli_actor
from qa.casework.retention import purge
from qa.cli.main import main
from qa.settings import Settings, key_name
from qa.storage.schema import history, utcnow
from tests.support.casework import (
    PRIVACY,
    MailSink,
    casework_settings,
    link_in,
    rights_body,
)
from web.app import create_app

ALICE = "alice-key-0123456789abcdef"
TOOL = "tool-key-0123456789abcdef"
BARE = "bare-key-0123456789abcdef"
KEYS = f"alice:{ALICE},tool:{TOOL},{BARE}"
SUPPORT = "/api/support/rights-requests"


def auth(key: str) -> dict[str, str]:
    """The header for one support key."""
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture()
def team(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> Iterator[TestClient]:
    """The app with three keys: alice, tool, and one given bare."""
    keys = Settings.from_env({"PRIVACY_QA_API_KEYS": KEYS}).api_keys
    settings = casework_settings(tmp_path, database_url, smtp, api_keys=keys)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client


def rows(client: TestClient) -> list[Any]:
    """Every history row, as stored."""
    with client.app.state.services.store.read() as conn:  # type: ignore[attr-defined]
        return list(conn.execute(sa.select(history).order_by(history.c.id)))


def _changes(client: TestClient, reference: str, key: str = ALICE) -> list[tuple[str, str]]:
    data = client.get(f"{SUPPORT}/{reference}", headers=auth(key)).json()
    return [(c["actor"], c["action"]) for c in data["history"]]


def test_each_change_records_one_row_naming_the_key_or_the_requester(
    team: TestClient, smtp: MailSink
) -> None:
    reference = team.post("/api/rights-requests", json=rights_body()).json()["reference"]
    [mail] = smtp.wait(1, to="ana@example.com")
    assert team.get(link_in(mail, "/rights-requests/verify")).status_code == 200
    patch = f"{SUPPORT}/{reference}"
    moved = team.patch(
        patch, json={"status": "in_progress", "note": "ID checked"}, headers=auth(ALICE)
    )
    assert moved.status_code == 200
    assert team.patch(patch, json={"note": "Asked IT"}, headers=auth(TOOL)).status_code == 200
    bare_name = key_name(BARE)  # key- and the first 8 hex digits of its SHA-256
    assert bare_name == "key-" + hashlib.sha256(BARE.encode()).hexdigest()[:8]
    done = team.patch(patch, json={"status": "completed"}, headers=auth(BARE))
    assert done.status_code == 200
    assert _changes(team, reference) == [
        ("requester", "created"),
        ("requester", "verified"),
        ("alice", "status_changed"),
        ("tool", "note_added"),
        (bare_name, "status_changed"),
    ]
    shown = team.get(patch, headers=auth(TOOL)).json()["history"]
    assert shown[2]["details"] == {
        "old_status": "verified",
        "new_status": "in_progress",
        "note_added": True,
    }
    assert shown[3]["details"] == {"note_added": True}  # the note's text is not in the history
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT.*\+00:00", c["at"]) for c in shown)


def test_a_refused_change_records_nothing(team: TestClient, smtp: MailSink) -> None:
    reference = team.post("/api/rights-requests", json=rights_body()).json()["reference"]
    before = len(rows(team))
    refused = team.patch(
        f"{SUPPORT}/{reference}", json={"status": "completed"}, headers=auth(ALICE)
    )
    assert refused.status_code == 409  # an unverified erasure cannot be completed
    same = team.patch(f"{SUPPORT}/{reference}", json={"status": "received"}, headers=auth(ALICE))
    assert same.status_code == 200  # what it has already: no change, no row
    assert len(rows(team)) == before


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer alice"}, 401),  # a name is not a key
        ({"Authorization": f"Bearer alice:{ALICE}"}, 401),  # nor the setting's syntax
        (auth(ALICE), 200),
        (auth(BARE), 200),
    ],
)
def test_named_keys_let_in_only_the_key_itself(
    team: TestClient, headers: dict[str, str], status: int
) -> None:
    assert team.get(SUPPORT, headers=headers).status_code == status
    metrics = team.get("/metrics", headers=headers)
    assert metrics.status_code == status  # /metrics takes the support keys too


def test_history_after_erasure_holds_nothing_of_the_person(
    team: TestClient, smtp: MailSink, database_url: str
) -> None:
    canaries = {
        "name": "Zebedee Quillfeather",
        "email": "zebedee.q@example.org",
        "details": "Customer 99173311",
        "question": "where is my parcel zq-41",
    }
    created = team.post(
        "/api/rights-requests",
        json=rights_body(**canaries, right="opt_out", jurisdiction="ccpa"),
    )
    reference = created.json()["reference"]
    note = "Called Zebedee on +44 20 7946 0999"
    team.patch(
        f"{SUPPORT}/{reference}",
        json={"status": "in_progress", "note": note},
        headers=auth(ALICE),
    )
    asked = team.post(
        "/api/escalations",
        json={"question": "Zebedee asks: zq-77?", "email": canaries["email"], "consent": True},
    )
    escalation = asked.json()["reference"]
    esc = f"/api/support/escalations/{escalation}"
    team.patch(esc, json={"note": note, "assignee": "alice"}, headers=auth(ALICE))
    reply = "Dear Zebedee, your parcel zq-41 is with us"
    assert team.post(f"{esc}/reply", json={"text": reply}, headers=auth(TOOL)).status_code == 200
    smtp.wait(1, to=canaries["email"], kind="Answer to your question")
    before = rows(team)
    erased = team.post("/api/support/erase", json={"email": canaries["email"]}, headers=auth(ALICE))
    assert erased.json()["rights_requests"] == 1 and erased.json()["escalations"] == 1
    after = rows(team)
    assert after[: len(before)] == before  # nothing updated or deleted
    assert [(r.reference, r.actor, r.action) for r in after[len(before) :]] == [
        (reference, "alice", "erased"),
        (escalation, "alice", "erased"),
    ]
    stored = "\n".join(str(tuple(r)) for r in after)
    for value in (*canaries.values(), note, reply, "Zebedee", "zq-41", "zq-77", "0999"):
        assert value not in stored
    assert _changes(team, reference)[-1] == ("alice", "erased")
    case = team.get(esc, headers=auth(ALICE)).json()
    assert case["replies"] == [] and case["notes"] is None and case["question"] is None
    assert [c["action"] for c in case["history"]] == [
        "created",
        "assigned",
        "replied",
        "erased",
    ]


def test_no_code_updates_or_deletes_history_rows() -> None:
    # The append-only rule, held where it could be broken: no statement on the table but an
    # insert and a select, anywhere in the application.
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"(update|delete)\(\s*history\b|history\.(update|delete)\(")
    offenders = [
        str(path.relative_to(root))
        for folder in ("qa", "web", "index")
        for path in (root / folder).rglob("*.py")
        if "migrations" not in path.parts and pattern.search(path.read_text())
    ]
    assert offenders == []


def test_the_commands_record_the_login_name_and_show_the_history(
    commands: Settings, smtp: MailSink, assistant: Assistant, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = commands
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        reference = desk.post("/api/rights-requests", json=rights_body(right="opt_out")).json()[
            "reference"
        ]
    assert main(["requests", "update", reference, "--status", "completed"]) == 0
    capsys.readouterr()
    assert main(["requests", "show", reference]) == 0
    out = capsys.readouterr().out
    actor = cli_actor()
    assert actor.startswith("cli:") and getpass.getuser() in actor
    assert re.search(r"requester\s+created\s+new_status=received", out)
    assert re.search(rf"{re.escape(actor)}\s+status_changed\s+old_status=received", out)
    assert main(["purge", "--email", "ana@example.com"]) == 0
    capsys.readouterr()
    assert main(["requests", "show", reference, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [c["actor"] for c in shown["history"]] == ["requester", actor, actor]
    assert shown["history"][-1]["action"] == "erased"
    assert PRIVACY not in str(shown["history"])


def test_the_retention_purge_records_its_erasures_as_the_system(team: TestClient) -> None:
    created = team.post("/api/rights-requests", json=rights_body(right="opt_out"))
    reference = created.json()["reference"]
    done = team.patch(f"{SUPPORT}/{reference}", json={"status": "completed"}, headers=auth(TOOL))
    assert done.status_code == 200
    store = team.app.state.services.store  # type: ignore[attr-defined]
    assert purge(store, 1, now=utcnow() + timedelta(days=2)).rights_requests == 1
    assert _changes(team, reference) == [
        ("requester", "created"),
        ("tool", "status_changed"),
        ("system", "erased"),
    ]


def test_changes_at_once_are_each_kept_and_recorded_once(team: TestClient, smtp: MailSink) -> None:
    reference = team.post("/api/escalations", json={"question": "Q?"}).json()["reference"]
    path = f"/api/support/escalations/{reference}"

    def reply(number: int) -> int:
        key = (ALICE, TOOL)[number % 2]
        sent = team.post(f"{path}/reply", json={"text": f"reply {number}"}, headers=auth(key))
        noted = team.patch(path, json={"note": f"note {number}"}, headers=auth(key))
        return sent.status_code + noted.status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(reply, range(16))) == [400] * 16
    case = team.get(path, headers=auth(ALICE)).json()
    assert sorted(r["text"] for r in case["replies"]) == sorted(f"reply {n}" for n in range(16))
    assert all(f"note {n}\n" in case["notes"] for n in range(16))
    actions = [c["action"] for c in case["history"]]
    assert actions.count("replied") == 16 and actions.count("note_added") == 16
    olds = [c["details"]["old_status"] for c in case["history"] if c["action"] == "replied"]
    assert olds == ["open"] + ["answered"] * 15  # each saw the one before it
