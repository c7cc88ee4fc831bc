"""/openapi.json as a support developer uses it: it validates as OpenAPI 3.1, its operationIds
and schema names are identifiers, and a client generated from it (openapi-python-client)
talks to the real app."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from qa.answering.assistant import Assistant
from qa.settings import Settings, parse_api_keys
from tests.support.browser import bound_socket, origin, serving
from tests.support.casework import API_KEY
from web.app import create_app

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
MODEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="module")
def spec(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app's schema, with the support API on."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("spec"), api_keys=parse_api_keys(API_KEY))
    schema: dict[str, Any] = create_app(settings, assistant=assistant).openapi()
    return schema


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, item in spec["paths"].items() for m, op in item.items()]


def test_schema_validates_as_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises, naming the path, where the schema breaks the specification


def test_every_operation_id_is_a_unique_snake_case_name(spec: dict[str, Any]) -> None:
    ids = [op.get("operationId", "") for _, _, op in _operations(spec)]
    assert [i for i in ids if not SNAKE.match(i)] == []
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    named = {(method, path): op["operationId"] for method, path, op in _operations(spec)}
    assert named[("POST", "/api/ask")] == "ask"
    assert named[("GET", "/api/support/rights-requests")] == "list_rights_requests"
    assert named[("GET", "/api/support/rights-requests/{reference}")] == "get_rights_request"


def test_every_schema_name_is_a_class_name_a_generator_keeps(spec: dict[str, Any]) -> None:
    names = list(spec["components"]["schemas"])
    assert [n for n in names if not MODEL.match(n) or n.startswith("Body")] == []
    ask_body = spec["paths"]["/api/ask"]["post"]["requestBody"]["content"]["application/json"]
    assert ask_body["schema"] == {"$ref": "#/components/schemas/AskIn"}


def test_every_list_route_returns_the_page_envelope(spec: dict[str, Any]) -> None:
    lists = [
        (p, op) for method, p, op in _operations(spec) if op["operationId"].startswith("list_")
    ]
    assert len(lists) >= 4
    for path, op in lists:
        params = {p["name"] for p in op.get("parameters", [])}
        assert {"limit", "offset"} <= params, path
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        model = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(model["required"]) == {"items", "total", "limit", "offset"}, path


@pytest.fixture()
def generated(spec: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A client package generated from the spec, importable as privacy_qa_client."""
    (tmp_path / "openapi.json").write_text(json.dumps(spec))
    (tmp_path / "config.yaml").write_text("post_hooks: []\n")  # no ruff run over the output
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--config",
            str(tmp_path / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "privacy_qa_client"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("privacy_qa_client")
    for name in [m for m in sys.modules if m.split(".")[0] == "privacy_qa_client"]:
        del sys.modules[name]


@pytest.fixture()
def served(assistant: Assistant, tmp_path: Path) -> Iterator[str]:
    """The real app with the support API on, over HTTP on a free loopback port."""
    sock = bound_socket()
    settings = Settings(data_dir=tmp_path / "data", api_keys=parse_api_keys(API_KEY))
    with serving(create_app(settings, assistant=assistant), sock):
        yield origin(sock)


@pytest.mark.slow
def test_generated_client_asks_teaches_and_pages_the_real_app(generated: Any, served: str) -> None:
    def module(name: str) -> Any:
        return importlib.import_module(f"privacy_qa_client.{name}")

    models, ask = module("models"), module("api.answers.ask").sync
    get_policy, add_example = (
        module("api.policy.get_policy").sync,
        module("api.support.add_example").sync,
    )
    list_examples = module("api.support.list_examples").sync
    with (
        generated.Client(base_url=served) as visitor,
        generated.AuthenticatedClient(base_url=served, token=API_KEY) as team,
    ):
        answer = ask(client=visitor, body=models.AskIn(question="How long do you keep data?"))
        assert isinstance(answer, models.AnswerOut) and answer.sections
        section = get_policy(client=visitor).sections[1]
        for question in ("how long is my data stored", "when is my data deleted"):
            example = add_example(client=team, body=models.ExampleIn(section.id, question))
            assert isinstance(example, models.ExampleOut)

        page = list_examples(client=team, limit=1)
        assert isinstance(page, models.ExampleListOut)
        assert (page.total, page.limit, page.offset, len(page.items)) == (2, 1, 0, 1)
        second = list_examples(client=team, limit=1, offset=1)
        assert second.items[0].question == "when is my data deleted"
        refused = list_examples(client=visitor)
        assert isinstance(refused, models.ErrorOut)
        assert "PRIVACY_QA_API_KEYS" in refused.error.message
