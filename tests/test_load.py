"""Load: the real server as in production (`privacy-qa serve`, two uvicorn workers) under wrk
on loopback, on SQLite and on PostgreSQL, rate limits off: 60 s at 64 connections on
POST /api/ask, then 30 s of a mixed load of asks, rights requests and escalations.

Every answer must be a success (no socket error, non-2xx, or a request unanswered after
MIXED_TIMEOUT), and every rights request and escalation acknowledged with 201 must be in the
database. The figures (requests/s, p50,
p99) are printed and written to artifacts/load-<database>.json for the README. About 3.5
minutes in all; marked slow, and `make test` runs it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bench.questions import QUESTIONS
from bench.throughput import lua_script, parse_wrk, run_wrk
from qa.ratelimits import parse_limits
from qa.settings import Settings
from tests.support.servers import Server

ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS = 64
THREADS = 2
ASK_SECONDS = 60
MIXED_SECONDS = 30
# How long wrk waits for one answer of the mixed load. The load is an overload (64 connections
# without rate limits, the writes set the pace): its p99 is about 5 s, and its slowest request
# went past 10 s in one run of three on the shared 2-core machine (7 of 6,131 on PostgreSQL;
# the next run's p99 was 5.0 s, no cause found), so at 10 s the test failed now and then. A
# browser waits minutes; what the test holds is that nothing fails and nothing acknowledged
# is lost, and it prints the p99.
MIXED_TIMEOUT = "30s"
# Out of every 20 requests of the mixed load: 14 questions, 3 rights requests, 3 escalations.
MIX = ["ask"] * 14 + ["rights"] * 3 + ["escalation"] * 3

pytestmark = pytest.mark.slow


def mixed_script(questions: list[str]) -> str:
    """A wrk script that sends the MIX in turn, with a new address each time, counts the 201s
    by the reference they carry, and prints the counts as one JSON line when done."""
    asks = ",\n".join(f"  [==[{json.dumps({'question': q})}]==]" for q in questions)
    kinds = ", ".join(f'"{kind}"' for kind in MIX)
    return f"""
local threads = {{}}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local asks = {{
{asks}
}}
local kinds = {{ {kinds} }}
local n = 0
answered, created_rr, created_esc, other = 0, 0, 0, 0
statuses = ""

request = function()
  n = n + 1
  local kind = kinds[(n - 1) % #kinds + 1]
  local headers = {{ ["Content-Type"] = "application/json" }}
  if kind == "ask" then
    return wrk.format("POST", "/api/ask", headers, asks[(n - 1) % #asks + 1])
  end
  local address = "load" .. id .. "." .. n .. "@example.com"
  if kind == "rights" then
    local body = '{{"right": "access", "jurisdiction": "gdpr", "name": "Load Test", "email": "'
      .. address .. '"}}'
    return wrk.format("POST", "/api/rights-requests", headers, body)
  end
  local body = '{{"question": "Who is your data protection officer?", "email": "'
    .. address .. '", "consent": true}}'
  return wrk.format("POST", "/api/escalations", headers, body)
end

response = function(status, headers, body)
  if status == 200 then
    answered = answered + 1
  elseif status == 201 and string.find(body, '"RR%-') then
    created_rr = created_rr + 1
  elseif status == 201 and string.find(body, '"ESC%-') then
    created_esc = created_esc + 1
  else
    other = other + 1
    statuses = statuses .. status .. " "
  end
end

done = function(summary, latency, requests)
  local totals = {{ answered = 0, rights_requests = 0, escalations = 0, other = 0 }}
  local seen = ""
  for _, thread in ipairs(threads) do
    totals.answered = totals.answered + thread:get("answered")
    totals.rights_requests = totals.rights_requests + thread:get("created_rr")
    totals.escalations = totals.escalations + thread:get("created_esc")
    totals.other = totals.other + thread:get("other")
    seen = seen .. thread:get("statuses")
  end
  io.write(string.format(
    'COUNTS {{"answered": %d, "rights_requests": %d, "escalations": %d, "other": %d, '
    .. '"other_statuses": "%s"}}\\n',
    totals.answered, totals.rights_requests, totals.escalations, totals.other, seen))
end
"""


def counts_in(output: str) -> dict[str, Any]:
    """The COUNTS line the mixed script prints."""
    found = re.search(r"^COUNTS (\{.*\})$", output, re.MULTILINE)
    assert found, f"the wrk script printed no counts:\n{output}"
    counts: dict[str, Any] = json.loads(found.group(1))
    return counts


def rows(database_url: str, table: str) -> int:
    """How many rows a table of the server's database holds."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def test_load_on_ask_then_a_mixed_load(tmp_path: Path, database_url: str) -> None:
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        privacy_email="privacy@example.com",  # mail goes to .eml files: no SMTP server
        rate_limits=parse_limits("off"),  # one client sending thousands of requests
        log_level="warning",
    )
    server = Server(settings, tmp_path / "server.log", workers=2)
    try:
        ask_lua = tmp_path / "ask.lua"
        ask_lua.write_text(lua_script(list(QUESTIONS)), encoding="utf-8")
        ask = run_wrk(
            "POST /api/ask",
            server.url + "/api/ask",
            seconds=ASK_SECONDS,
            connections=CONNECTIONS,
            threads=THREADS,
            script=ask_lua,
        )
        mixed_lua = tmp_path / "mixed.lua"
        mixed_lua.write_text(mixed_script(list(QUESTIONS)), encoding="utf-8")
        output = _wrk_output(server.url, mixed_lua)
        mixed = parse_wrk("mixed", output)
        counts = counts_in(output)
    finally:
        server.kill()
    stored_rr = rows(database_url, "rights_requests")
    stored_esc = rows(database_url, "escalations")

    figures = {
        "database": database,
        "workers": 2,
        "connections": CONNECTIONS,
        "ask": ask.to_dict(),
        "mixed": {**mixed.to_dict(), **counts},
        "stored": {"rights_requests": stored_rr, "escalations": stored_esc},
    }
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / f"load-{database}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nload ({database}): {json.dumps(figures)}")

    for load in (ask, mixed):
        assert load.errors == 0, f"{load.route}: {load.errors} errors: {figures}"
        assert load.requests > 0
    assert counts["other"] == 0, counts
    assert counts["rights_requests"] > 0 and counts["escalations"] > 0
    # Every 201 is in the database; a request wrk cut off at the end may be stored unanswered.
    assert counts["rights_requests"] <= stored_rr <= counts["rights_requests"] + CONNECTIONS
    assert counts["escalations"] <= stored_esc <= counts["escalations"] + CONNECTIONS


def _wrk_output(url: str, script: Path) -> str:
    """wrk's report of the mixed load (run_wrk reads only the standard figures)."""
    wrk = shutil.which("wrk")
    assert wrk is not None, "wrk is not installed; run `make system-deps` (Debian package wrk)"
    done = subprocess.run(
        [
            wrk,
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{MIXED_SECONDS}s",
            "--timeout",
            MIXED_TIMEOUT,
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=MIXED_SECONDS + 60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
