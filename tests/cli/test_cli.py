"""The `privacy-qa` command: index, ask, eval, settings in-process; the console script and
`serve` as real subprocesses (a broken policy refused before binding, no addresses logged)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.throughput import serve, server_environ
from qa.answering.question_sets import add_typos
from qa.cli.main import main
from qa.settings import describe
from tests.conftest import DATA

BROKEN = b"---\ntitle: Broken\n---\nJust text, no headings at all.\n"


def console_script() -> str:
    """The installed `privacy-qa` entry point beside this interpreter."""
    beside = Path(sys.executable).with_name("privacy-qa")
    found = str(beside) if beside.exists() else shutil.which("privacy-qa")
    assert found, "the console script is not installed; run `make install`"
    return found


@pytest.fixture()
def widgets_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PRIVACY_QA_POLICY names the Example Widgets fixture policy for in-process runs."""
    monkeypatch.setenv("PRIVACY_QA_POLICY", str(DATA / "widgets-policy.md"))
    monkeypatch.setenv("PRIVACY_QA_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture()
def broken_policy(tmp_path: Path) -> Path:
    """A policy file with no sections."""
    path = tmp_path / "broken-policy.md"
    path.write_bytes(BROKEN)
    return path


@pytest.mark.usefixtures("widgets_env")
def test_index_lists_sections_with_ids_and_token_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("widgets-policy: 'Widgets Privacy Notice', last updated March 3, 2025")
    for section_id in ("preamble", "what-we-collect", "cookies", "your-rights"):
        assert section_id in out
    assert "tokens  How Long We Keep Your Data" in out


def test_index_lists_every_document_of_a_directory(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRIVACY_QA_POLICY", str(DATA / "library"))
    assert main(["index"]) == 0
    lines = capsys.readouterr().out.splitlines()
    documents = [line.split(":")[0] for line in lines if not line.startswith(" ")]
    assert documents == ["privacy-policy", "cookie-policy"]


def test_index_refuses_a_broken_policy_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], broken_policy: Path
) -> None:
    monkeypatch.setenv("PRIVACY_QA_POLICY", str(broken_policy))
    assert main(["index"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("privacy-qa: error: ")
    assert str(broken_policy) in lines[0] and "no sections" in lines[0]


def test_a_bad_setting_stops_the_command_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRIVACY_QA_PORT", "eighty")
    assert main(["index"]) == 2
    assert "PRIVACY_QA_PORT" in capsys.readouterr().err


@pytest.mark.slow
def test_console_script_exits_non_zero_on_a_broken_policy(
    tmp_path: Path, broken_policy: Path
) -> None:
    env = server_environ(tmp_path, PRIVACY_QA_POLICY=str(broken_policy))
    done = subprocess.run(
        [console_script(), "index"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert str(broken_policy) in done.stderr


@pytest.mark.usefixtures("widgets_env")
def test_ask_json_prints_the_api_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "how long do you keep order records", "--json", "--top-k", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["question"] == "how long do you keep order records"
    assert data["answered"] is True
    assert len(data["sections"]) == 2
    assert data["sections"][0]["url"] == "/policy#how-long-we-keep-your-data"
    assert data["actions"][0]["url"] == "/contact"


@pytest.mark.usefixtures("widgets_env")
def test_ask_prints_the_policy_words_with_highlights_and_next_steps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["ask", "how do I withdraw my consent"]) == 0
    out = capsys.readouterr().out
    assert "## Your Rights  (/policy#your-rights" in out  # its ### is inside it
    assert "**withdraw**" in out
    assert "intents: rights:withdraw_consent" in out
    assert "/rights-requests/new?right=withdraw_consent" in out


@pytest.mark.usefixtures("widgets_env")
def test_ask_refuses_an_empty_question_or_unknown_document(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["ask", "   "]) == 2
    assert "question" in capsys.readouterr().err
    assert main(["ask", "cookies", "--document", "nope"]) == 2
    assert "document" in capsys.readouterr().err


def test_eval_reports_the_metrics_on_a_question_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = DATA / "questions.jsonl"
    results = tmp_path / "results.jsonl"
    assert main(["eval", str(questions), "--json", "--results", str(results)]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert (summary["questions"], summary["answerable"], summary["unanswerable"]) == (4, 3, 1)
    for metric in ("R@1", "R@3", "MRR", "intent_acc", "ans_declined"):
        assert 0.0 <= summary[metric] <= 1.0
    assert summary["unans_declined"] == 1.0  # the question shares no word with the policy
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["w-1", "w-2", "w-3", "w-4"]
    ranks = [r["rank"] for r in rows if r["answerable"]]
    assert summary["R@1"] == sum(r == 1 for r in ranks) / 3
    assert summary["R@3"] == sum(r is not None and r <= 3 for r in ranks) / 3
    assert main(["eval", str(questions)]) == 0
    table = capsys.readouterr().out
    assert "R@1" in table and "unans_declined" in table


def test_eval_counts_off_topic_declines_and_sections_out_of_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.jsonl"
    assert main(["eval", str(DATA / "questions.jsonl"), "--json", "--results", str(results)]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    kinds = [json.loads(line)["kind"] for line in results.read_text().splitlines()]
    assert summary["off_topic"] == kinds.count("off_topic") / len(kinds)
    assert summary["unordered"] == 0.0, "sections always come best first"
    # The fixture's longest section is its contact card, and none of the four asks for it.
    assert summary["longest_first"] == 0.0


def test_typos_swap_two_middle_letters_of_the_longest_words() -> None:
    assert add_typos("how long do you keep my information", 1) == (
        "how long do you keep my infomration"
    )
    assert add_typos("Can I delete my account?", 2) == "Can I deelte my acocunt?"
    assert add_typos("who are you", 2) == "who are you", "short words are left alone"


def test_eval_with_typos_asks_every_question_misspelled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.jsonl"
    questions = str(DATA / "questions.jsonl")
    assert main(["eval", questions, "--typos", "2", "--json", "--results", str(results)]) == 0
    asked = [json.loads(line)["question"] for line in results.read_text().splitlines()]
    lines = (DATA / "questions.jsonl").read_text().splitlines()
    originals = [json.loads(line)["question"] for line in lines]
    assert asked == [add_typos(q, 2) for q in originals] != originals


def test_eval_on_a_missing_file_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.jsonl" in err


def test_settings_command_lists_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    for name, _, _ in describe():
        assert name in out


@pytest.mark.slow
def test_serve_refuses_a_broken_policy_before_binding_the_port(
    tmp_path: Path, broken_policy: Path
) -> None:
    # Hold the port: a server that bound first would fail on the port, not on the policy.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        env = server_environ(tmp_path, PRIVACY_QA_POLICY=str(broken_policy))
        done = subprocess.run(
            [console_script(), "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert str(broken_policy) in done.stderr and "no sections" in done.stderr
    assert "address already in use" not in done.stderr.lower()


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`privacy-qa serve` over the widgets policy on a free port, logging at info (where
    uvicorn's access log would write); stopped after the test."""
    with serve(DATA / "widgets-policy.md", tmp_path, log_level="info") as url:
        yield int(url.rsplit(":", 1)[1]), tmp_path / "server.log"


def request(
    port: int, method: str, path: str, body: dict[str, object] | None = None
) -> tuple[int, dict[str, object]]:
    """One request from 127.0.0.2, so that the client's address is easy to look for in logs."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=("127.0.0.2", 0)
    )
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"content-type": "application/json"} if payload else {}
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data: dict[str, object] = json.loads(response.read())
        return response.status, data
    finally:
        conn.close()


@pytest.mark.slow
def test_serve_answers_over_http_and_logs_no_address_or_question(
    server: tuple[int, Path],
) -> None:
    port, log = server
    assert request(port, "GET", "/healthz") == (200, {"status": "ok"})
    assert request(port, "GET", "/readyz") == (200, {"status": "ready"})
    question = "how long do you keep order records zanzibar"
    status, data = request(port, "POST", "/api/ask", {"question": question})
    assert status == 200 and data["question"] == question
    sections = data["sections"]
    assert isinstance(sections, list) and sections[0]["id"] == "how-long-we-keep-your-data"
    status, data = request(port, "GET", "/api/ask?q=zanzibar+cookies")
    assert status == 200
    status, _ = request(port, "POST", "/api/ask", {"question": ""})
    assert status == 422
    text = log.read_text()
    assert "127.0.0.2" not in text
    assert "zanzibar" not in text  # neither the question nor the query string that held it


def pipe_into_head(command: list[str], env: dict[str, str], cwd: Path) -> tuple[str, str, int]:
    """`privacy-qa COMMAND | head -n 1` as two real processes: head's output, then the
    command's standard error and exit status."""
    first = subprocess.Popen(
        [console_script(), *command],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert first.stdout is not None
    head = subprocess.run(["head", "-n", "1"], stdin=first.stdout, capture_output=True, text=True)
    first.stdout.close()  # head holds the only reading end now: when it exits, the pipe breaks
    _, stderr = first.communicate(timeout=60)
    return head.stdout, stderr.decode(), first.returncode


@pytest.mark.slow
def test_settings_piped_into_head_prints_no_traceback(tmp_path: Path) -> None:
    # The case. Whether head is gone before the last write depends on timing (about one
    # run in five here); the two tests below break the pipe every time.
    shown, stderr, _ = pipe_into_head(["settings"], server_environ(tmp_path), tmp_path)
    assert shown == "PRIVACY_QA_POLICY\n"
    assert stderr == ""


@pytest.mark.slow
def test_a_long_listing_piped_into_head_stops_quietly(tmp_path: Path) -> None:
    # About 120 KB of index lines, twice what a pipe holds: the command is still writing when
    # head has its line and exits, so its next write meets the closed pipe, every time.
    policy = tmp_path / "long-policy.md"
    policy.write_text(
        "# Long policy\n\n"
        + "".join(f"## Section {i}\n\nWe keep record {i} for a while.\n\n" for i in range(1500)),
        encoding="utf-8",
    )
    env = server_environ(
        tmp_path, PRIVACY_QA_POLICY=str(policy), PRIVACY_QA_PRIVACY_EMAIL="privacy@example.com"
    )
    shown, stderr, code = pipe_into_head(["index"], env, tmp_path)
    assert shown.startswith("long-policy: 'Long policy'")
    assert stderr == ""
    assert code == 141  # as a tool killed by SIGPIPE reports it (`yes | head`)


@pytest.mark.slow
def test_settings_into_a_pipe_closed_before_it_writes_exits_quietly(tmp_path: Path) -> None:
    reading, writing = os.pipe()
    os.close(reading)  # nobody will ever read: the first write fails
    try:
        done = subprocess.run(
            [console_script(), "settings"],
            env=server_environ(tmp_path),
            cwd=tmp_path,
            stdout=writing,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(writing)
    assert done.stderr == ""
    assert done.returncode == 141
