"""The status link resists guessing: 10,000 guessed tokens find nothing, a wrong token and an
unknown reference get the same answer, and a guesser meets the lookup limit first."""

from __future__ import annotations

import secrets
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.ratelimits import parse_limits
from qa.settings import Settings
from tests.support.casework import rights_body
from web.app import create_app

GUESSES = 10_000


def _status(client: TestClient, reference: str, token: str, page: bool = False) -> tuple[int, str]:
    path = f"/rights-requests/{reference}" if page else f"/api/rights-requests/{reference}"
    response = client.get(path, params={"token": token})
    return response.status_code, response.text


@pytest.mark.slow  # 10,000 requests: about 15 s
def test_ten_thousand_guessed_tokens_find_nothing_and_look_alike(
    tmp_path: Path, assistant: Assistant
) -> None:
    settings = Settings(
        data_dir=tmp_path, privacy_email="privacy@example.com", rate_limits=parse_limits("off")
    )
    with TestClient(create_app(settings, assistant=assistant)) as client:
        created = client.post("/api/rights-requests", json=rights_body()).json()
        reference = created["reference"]
        real = created["status_url"].split("token=", 1)[1]
        assert _status(client, reference, real)[0] == 200  # the real token works
        near_miss = real[:-1] + ("A" if real[-1] != "A" else "B")
        answers: Counter[tuple[int, str]] = Counter()
        for i in range(GUESSES):
            # Tokens of the real one's shape, a few near misses, and other references.
            guess = secrets.token_urlsafe(32) if i % 10 else near_miss
            target = reference if i % 3 else "RR-2026-999999"
            answers[_status(client, target, guess)] += 1
        wrong_page = _status(client, reference, real[:-1], page=True)
        unknown_page = _status(client, "RR-2026-999999", real, page=True)
    assert sum(answers.values()) == GUESSES
    assert len(answers) == 1, f"the answers differ: {list(answers)}"  # byte for byte
    status, body = next(iter(answers))
    assert status == 404 and reference not in body
    assert wrong_page == unknown_page and wrong_page[0] == 404


def test_a_guesser_meets_the_lookup_limit(tmp_path: Path, assistant: Assistant) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), assistant=assistant)) as client:
        statuses = [
            _status(client, "RR-2026-000001", secrets.token_urlsafe(32))[0] for _ in range(40)
        ]
    burst = 30  # the default lookup limit: 60 an hour, in bursts of 30
    assert statuses[:burst] == [404] * burst and set(statuses[burst:]) == {429}
