"""The benchmark runs (a tiny `--quick` run, without wrk): its code must not rot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bench.__main__ import main
from bench.bare import bare_app
from bench.questions import QUESTIONS, distinct_questions
from bench.synthetic import synthetic_library
from bench.tables import main as tables_main
from bench.throughput import lua_script, parse_wrk
from qa.answering.assistant import Assistant


def test_quick_bench_prints_latency_and_server_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "bundled privacy policy" in out and "synthetic policy" in out
    assert "POST /api/ask" in out


def test_quick_bench_json_has_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    bundled, synthetic = data["latency"]
    assert bundled["questions"] == synthetic["questions"] == 100
    assert synthetic["sections"] == 40
    assert 0 < bundled["p50_ms"] <= bundled["p99_ms"]
    assert data["server_time"]["ask_us"] > 0 and "http" not in data
    caches = data["caches"]
    assert caches["emptied"]["questions"] == caches["warm"]["questions"] == 20
    assert caches["emptied"]["p50_ms"] > 0 and caches["flush_bytes"] >= 32 * 2**20
    assert "answer_in_server_us" not in data  # no wrk run, no figure


def test_synthetic_policy_has_forty_sections_and_a_contact_card() -> None:
    library = synthetic_library()
    assert len(library.default.sections) == 40
    assert Assistant(library).contact_card().email == "privacy@example.org"


def test_wrk_report_is_read_with_its_units() -> None:
    output = """Running 10s test @ http://127.0.0.1:8000/api/ask
  2 threads and 32 connections
  Latency Distribution
     50%  812.00us
     75%    1.20ms
     90%    2.00ms
     99%    1.05s
  12345 requests in 10.00s, 45.67MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1234.50
"""
    load = parse_wrk("POST /api/ask", output)
    assert (load.requests_per_s, load.requests, load.errors) == (1234.5, 12345, 7)
    assert load.p50_ms == pytest.approx(0.812) and load.p99_ms == pytest.approx(1050.0)


def test_wrk_script_posts_each_question_as_json() -> None:
    script = lua_script(['say "hi"', "ünïcode"])
    assert 'wrk.method = "POST"' in script
    assert r'[==[{"question": "say \"hi\""}]==]' in script
    assert r'"\u00fcn\u00efcode"' in script


def test_distinct_questions_are_distinct_and_the_same_every_run() -> None:
    asked = distinct_questions(2000)
    assert len({" ".join(q.casefold().split()) for q in asked}) == 2000
    assert asked == distinct_questions(2000) and asked[:2] == list(QUESTIONS[:2])
    with pytest.raises(ValueError, match="count: at most"):
        distinct_questions(100_000)


def test_synthetic_policies_of_any_size_and_libraries_of_them() -> None:
    assert len(synthetic_library(400).default.sections) == 400
    library = synthetic_library(40, 3)
    assert len(library.documents) == 3
    assert len({p.sections[1].markdown for p in library.documents.values()}) == 3


def test_bare_app_answers_its_get_and_its_post() -> None:
    client = TestClient(bare_app())
    assert client.get("/healthz").json() == {"status": "ok"}
    reply = client.post("/api/ask", json={"question": "how long do you keep my data?"})
    assert reply.status_code == 200 and reply.json() == {
        "question": "how long do you keep my data?"
    }
    assert client.post("/api/ask", json={}).status_code == 422


def test_the_table_digest_is_stable_and_moves_with_one_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.md"
    text = "## Retention\n\nWe keep logs for thirty days.\n\n## Sharing\n\nWe never sell data.\n"
    policy.write_text(text, encoding="utf-8")
    digests = []
    for words in (text, text, text.replace("thirty", "sixty")):
        policy.write_text(words, encoding="utf-8")
        assert tables_main([str(tmp_path)]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith("p\t") and lines[-1].startswith("1 documents\t")
        digests.append(lines[-1])
    assert digests[0] == digests[1] != digests[2]


def test_the_table_digest_names_a_broken_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.md").write_text("no headings at all\n", encoding="utf-8")
    assert tables_main([str(tmp_path)]) == 2
    assert "broken.md" in capsys.readouterr().err
