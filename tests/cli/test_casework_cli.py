"""The casework commands: db upgrade, requests list/show/update, outbox --retry-now, purge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.cli.main import main
from tests.support.casework import MailSink, casework_settings, rights_body, wait_for
from web.app import create_app


@pytest.fixture()
def environ(tmp_path: Path, smtp_down: MailSink, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """PRIVACY_QA_* for the commands: a SQLite file, an SMTP server that is down for now."""
    settings = casework_settings(tmp_path, f"sqlite:///{tmp_path / 'cli.sqlite3'}", smtp_down)
    values = {k: v for k, v in settings.to_environ().items() if v}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_requests_and_outbox_commands(
    environ: dict[str, str],
    smtp_down: MailSink,
    assistant: Assistant,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
    settings = casework_settings(tmp_path, environ["PRIVACY_QA_DATABASE_URL"], smtp_down)
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        reference = desk.post("/api/rights-requests", json=rights_body()).json()["reference"]
        box = desk.app.state.services.outbox  # type: ignore[attr-defined]
        wait_for(lambda: all(m.attempts for m in box.pending()), what="a failed try")

    assert main(["requests", "list"]) == 0
    listing = capsys.readouterr().out
    assert reference in listing and "ana@example.com" not in listing
    assert main(["requests", "show", reference]) == 0
    assert "ana@example.com" in capsys.readouterr().out
    assert main(["requests", "update", reference, "--status", "completed"]) == 2
    assert "cannot become completed" in capsys.readouterr().err
    assert main(["requests", "update", reference, "--status", "verified", "--note", "ID seen"]) == 0
    assert f"{reference}: verified" in capsys.readouterr().out

    assert main(["outbox"]) == 0
    assert "pending" in capsys.readouterr().out
    smtp_down.start()
    assert main(["outbox", "--retry-now"]) == 0
    out = capsys.readouterr().out
    assert "0 mail(s) pending" in out
    smtp_down.wait(2, to="ana@example.com")

    assert main(["purge", "--email", "ana@example.com"]) == 0
    assert "1 request(s)" in capsys.readouterr().out
    assert main(["requests", "show", reference, "--json"]) == 0
    assert '"email": null' in capsys.readouterr().out
    assert main(["requests", "show", "RR-1999-000001"]) == 2


def test_requests_list_pages_and_prints_the_api_envelope_as_json(
    environ: dict[str, str],
    smtp_down: MailSink,
    assistant: Assistant,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    settings = casework_settings(tmp_path, environ["PRIVACY_QA_DATABASE_URL"], smtp_down)
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        for i in range(3):
            desk.post("/api/rights-requests", json=rights_body(email=f"p{i}@example.com"))
    assert main(["requests", "list", "--limit", "2", "--offset", "1"]) == 0
    assert capsys.readouterr().out.endswith("2-3 of 3 request(s)\n")
    assert main(["requests", "list", "--offset", "5"]) == 0
    assert capsys.readouterr().out.endswith("none of 3 request(s)\n")
    assert main(["requests", "list", "--limit", "1", "--json"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (3, 1, 0, 1)
