"""Teaching the assistant: example questions through the API, the CLI and a YAML file, on
SQLite and PostgreSQL, shared by every app over the database, and reported when stale."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.library import load_library
from index.policy import PolicyError
from qa.answering.example_files import read_example_file, read_example_files
from qa.cli.main import main
from qa.ratelimits import parse_limits
from qa.settings import Settings, key_name
from tests.conftest import DATA
from tests.support.casework import API_KEY, wait_for
from web.app import create_app

AUTH = {"Authorization": f"Bearer {API_KEY}"}
EXAMPLES = "/api/support/examples"
WIDGETS = DATA / "widgets-policy.md"
# Declined by the widgets policy as it stands: no section shares its words.
PRINTOUT = "can I get a printout of my file"


def teach_settings(data_dir: Path, database_url: str | None, **more: Any) -> Settings:
    """The widgets policy, its database, a support key, no rate limits."""
    values: dict[str, Any] = {
        "policy": WIDGETS,
        "data_dir": data_dir,
        "database_url": database_url,
        "api_keys": (API_KEY,),
        "rate_limits": parse_limits("off"),
    }
    values.update(more)
    return Settings(**values)


@pytest.fixture()
def teach(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    """The real app over the widgets policy, on SQLite and PostgreSQL."""
    with TestClient(create_app(teach_settings(tmp_path, database_url))) as client:
        yield client


def _ask(client: TestClient, question: str) -> dict[str, Any]:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _add(client: TestClient, **body: Any) -> Any:
    return client.post(EXAMPLES, json=body, headers=AUTH)


def test_an_added_example_answers_with_its_section_and_a_removed_one_stops(
    teach: TestClient,
) -> None:
    before = _ask(teach, PRINTOUT)  # declined, and now in the answer cache
    assert before["answered"] is False and before["sections"] == []
    added = _add(teach, section_id="your-rights", question=f"  {PRINTOUT}  ")
    assert added.status_code == 201, added.text
    example = added.json()
    assert example["document"] == "widgets-policy" and example["section_id"] == "your-rights"
    assert example["question"] == PRINTOUT  # spaces collapsed
    assert example["stale"] is False and example["created_at"]
    assert example["created_by"] == key_name(API_KEY)  # the key that added it, by its name
    after = _ask(teach, PRINTOUT)
    assert after["answered"] is True
    assert after["sections"][0]["id"] == "your-rights"
    assert after["sections"][0]["example"] == PRINTOUT  # which example matched
    # Worded a little differently, the example still brings the section first.
    reworded = _ask(teach, "could I get a printout of my file, please?")
    assert reworded["sections"][0]["id"] == "your-rights"
    assert reworded["sections"][0]["example"] == PRINTOUT

    removed = teach.delete(f"{EXAMPLES}/{example['id']}", headers=AUTH)
    assert removed.status_code == 204 and removed.content == b""
    again = _ask(teach, PRINTOUT)
    assert again["answered"] is False and again["sections"] == []
    gone = teach.delete(f"{EXAMPLES}/{example['id']}", headers=AUTH)
    assert gone.status_code == 404
    error = gone.json()["error"]
    assert error["field"] == "id" and "GET /api/support/examples" in error["message"]


def test_an_example_moves_a_question_from_another_section_to_its_own(teach: TestClient) -> None:
    question = "what happens to my stuff when I leave"
    assert _ask(teach, question)["sections"][0]["id"] == "sharing-with-couriers"
    added = _add(teach, section_id="how-long-we-keep-your-data", question=question)
    assert added.status_code == 201
    first = _ask(teach, question)["sections"][0]
    assert (first["id"], first["example"]) == ("how-long-we-keep-your-data", question)


def test_the_same_example_twice_is_one_example(teach: TestClient) -> None:
    first = _add(teach, section_id="your-rights", question=PRINTOUT)
    twice = _add(teach, document="widgets-policy", section_id="your-rights", question=PRINTOUT)
    spaced = _add(teach, section_id="your-rights", question=PRINTOUT.replace(" ", "   "))
    assert first.status_code == 201 and twice.status_code == 200 and spaced.status_code == 200
    assert first.json() == twice.json() == spaced.json()
    other = _add(teach, section_id="contact-us", question=PRINTOUT)  # another section: another
    assert other.status_code == 201
    items = teach.get(EXAMPLES, headers=AUTH).json()["items"]
    assert [(i["section_id"], i["question"]) for i in items] == [
        ("your-rights", PRINTOUT),
        ("contact-us", PRINTOUT),
    ]


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        ({"section_id": "foo", "question": PRINTOUT}, 404, "section_id", "GET /api/policy"),
        (
            {"document": "nope", "section_id": "your-rights", "question": PRINTOUT},
            404,
            "document",
            "widgets-policy",
        ),
        ({"section_id": "your-rights", "question": "ab"}, 422, "question", "3"),
        ({"section_id": "your-rights", "question": "a  b   "}, 422, "question", "3"),
        ({"section_id": "your-rights", "question": "x" * 501}, 422, "question", "500"),
        ({"section_id": "your-rights"}, 422, "question", "required"),
        ({"question": PRINTOUT}, 422, "section_id", "GET /api/policy"),
        ({"section_id": "your-rights", "question": PRINTOUT, "who": "me"}, 422, "who", "remove"),
        ({"section_id": 7, "question": PRINTOUT}, 422, "section_id", "string"),
    ],
)
def test_a_bad_example_is_refused_naming_the_field_and_the_fix(
    teach: TestClient, body: dict[str, Any], status: int, field: str, words: str
) -> None:
    response = _add(teach, **body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert error["message"].startswith(f"{field}:") and words in error["message"]
    assert teach.get(EXAMPLES, headers=AUTH).json()["items"] == []


def test_unknown_section_message_names_the_document_and_where_ids_are(teach: TestClient) -> None:
    error = _add(teach, section_id="foo", question=PRINTOUT).json()["error"]
    assert error["message"] == (
        "section_id: 'foo' is not a section of widgets-policy; "
        "GET /api/policy?document=widgets-policy (or `privacy-qa index`) lists them"
    )


def test_examples_routes_need_a_key_and_take_only_whole_ids(teach: TestClient) -> None:
    for method, path in (("POST", EXAMPLES), ("GET", EXAMPLES), ("DELETE", f"{EXAMPLES}/1")):
        response = teach.request(method, path, json={})
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    for bad in ("abc", "0", "99999999999999999999"):
        response = teach.delete(f"{EXAMPLES}/{bad}", headers=AUTH)
        assert response.status_code == 422 and response.json()["error"]["field"] == "example_id"


def test_list_filters_by_document(tmp_path: Path, database_url: str) -> None:
    settings = teach_settings(tmp_path, database_url, policy=DATA / "library")
    with TestClient(create_app(settings)) as client:
        sections = {
            name: client.get("/api/policy", params={"document": name}).json()["sections"]
            for name in ("privacy-policy", "cookie-policy")
        }
        for name, found in sections.items():
            body = {"document": name, "section_id": found[-1]["id"], "question": f"about {name}"}
            assert _add(client, **body).status_code == 201
        cookies = client.get(EXAMPLES, params={"document": "cookie-policy"}, headers=AUTH)
        assert [i["question"] for i in cookies.json()["items"]] == ["about cookie-policy"]
        assert len(client.get(EXAMPLES, headers=AUTH).json()["items"]) == 2
        # Without a document, the main one.
        main_id = sections["privacy-policy"][-1]["id"]
        plain = _add(client, section_id=main_id, question="about the main one")
        assert plain.json()["document"] == "privacy-policy"


def test_two_apps_over_one_database_use_each_others_examples(
    tmp_path: Path, database_url: str
) -> None:
    quick = teach_settings(tmp_path, database_url, examples_reload_seconds=0.05)
    with TestClient(create_app(quick)) as one, TestClient(create_app(quick)) as two:
        assert _ask(two, PRINTOUT)["answered"] is False
        example = _add(one, section_id="your-rights", question=PRINTOUT).json()
        # The other app notices the version counter move on its next check.
        first = wait_for(
            lambda: _ask(two, PRINTOUT)["sections"], timeout=10, what="the other app's answer"
        )[0]
        assert (first["id"], first["example"]) == ("your-rights", PRINTOUT)
        assert one.delete(f"{EXAMPLES}/{example['id']}", headers=AUTH).status_code == 204
        wait_for(lambda: not _ask(two, PRINTOUT)["sections"], what="the example to go")


def _copy_widgets(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(WIDGETS, folder / "widgets-policy.md"))


def test_stale_examples_are_reported_at_start_up_and_listed_stale(
    tmp_path: Path,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = _copy_widgets(tmp_path / "policy")
    settings = teach_settings(tmp_path, database_url, policy=policy)
    question = "how long is my stuff kept around"
    with TestClient(create_app(settings)) as client:
        for q in (question, "when do you bin my orders"):
            added = _add(client, section_id="how-long-we-keep-your-data", question=q)
            assert added.status_code == 201
        assert _add(client, section_id="your-rights", question=PRINTOUT).status_code == 201
    # The section is renamed: its id changes, and the examples name a section that is gone.
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("## How Long We Keep Your Data", "## Retention"), "utf-8")
    caplog.set_level(logging.WARNING)
    with TestClient(create_app(settings)) as client:
        items = client.get(EXAMPLES, headers=AUTH).json()["items"]
        assert [i["stale"] for i in items] == [True, True, False]
        # Not dropped: the live example still answers.
        assert _ask(client, PRINTOUT)["sections"][0]["id"] == "your-rights"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    stale = [w for w in warnings if "widgets-policy#how-long-we-keep-your-data" in w]
    assert len(stale) == 1, warnings
    assert stale[0].startswith("2 example question(s) in the database")
    assert "privacy-qa examples remove" in stale[0]
    assert all(question not in w and "bin my orders" not in w for w in warnings)

    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    assert main(["examples", "list"]) == 0
    out = capsys.readouterr().out
    assert out.count("STALE") == 2 and "3 example(s), 2 stale" in out


def test_examples_commands_add_list_and_remove(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = teach_settings(tmp_path, database_url)
    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    assert main(["examples", "add", "--section", "your-rights", PRINTOUT]) == 0
    out = capsys.readouterr().out
    assert "example 1 added for widgets-policy#your-rights" in out
    assert main(["examples", "add", "--section", "your-rights", PRINTOUT]) == 0
    assert "was there already" in capsys.readouterr().out
    assert main(["examples", "add", "--section", "foo", PRINTOUT]) == 2
    assert "section_id: 'foo' is not a section of widgets-policy" in capsys.readouterr().err
    assert main(["examples", "add", "--section", "your-rights", "hi"]) == 2
    assert "question: must have at least 3" in capsys.readouterr().err
    assert main(["examples", "add", "--document", "x", "--section", "your-rights", PRINTOUT]) == 2
    assert "document: no document named 'x'" in capsys.readouterr().err

    # A server over the same database answers with the example the command added.
    with TestClient(create_app(settings)) as client:
        assert _ask(client, PRINTOUT)["sections"][0]["example"] == PRINTOUT
    assert main(["ask", PRINTOUT, "--json"]) == 0
    assert '"example": "can I get a printout of my file"' in capsys.readouterr().out

    assert main(["examples", "list", "--json"]) == 0
    assert '"section_id": "your-rights"' in capsys.readouterr().out
    assert main(["examples", "list", "--document", "widgets-policy"]) == 0
    out = capsys.readouterr().out
    assert f"1  widgets-policy#your-rights  {PRINTOUT}" in out and "1 example(s)" in out
    assert main(["examples", "remove", "1"]) == 0
    assert "example 1 removed" in capsys.readouterr().out
    assert main(["examples", "remove", "1"]) == 2
    assert "id: no example 1" in capsys.readouterr().err
    assert main(["examples", "list"]) == 0
    assert "0 example(s)" in capsys.readouterr().out


def test_examples_in_the_yaml_file_beside_the_policy_are_used_with_the_databases(
    tmp_path: Path, database_url: str
) -> None:
    policy = _copy_widgets(tmp_path / "policy")
    (tmp_path / "policy" / "widgets-policy.examples.yaml").write_text(
        "# kept in version control\n"
        "your-rights:\n"
        f"  - {PRINTOUT}\n"
        "  - 'Can I have my data back?'\n"
        "contact-us: []\n",
        "utf-8",
    )
    settings = teach_settings(tmp_path, database_url, policy=policy)
    with TestClient(create_app(settings)) as client:
        first = _ask(client, PRINTOUT)["sections"][0]
        assert (first["id"], first["example"]) == ("your-rights", PRINTOUT)
        question = "what happens to my stuff when I leave"
        body = {"section_id": "how-long-we-keep-your-data", "question": question}
        assert _add(client, **body).status_code == 201
        # Both: the file's and the database's.
        assert _ask(client, question)["sections"][0]["example"] == question
        assert _ask(client, PRINTOUT)["sections"][0]["example"] == PRINTOUT
        # The API lists the database's examples; the file's are in the file.
        assert len(client.get(EXAMPLES, headers=AUTH).json()["items"]) == 1


def test_a_directory_library_has_one_example_file_per_document(tmp_path: Path) -> None:
    folder = tmp_path / "library"
    shutil.copytree(DATA / "library", folder)
    library = load_library(folder)
    cookie_section = library.documents["cookie-policy"].sections[-1].id
    (folder / "cookie-policy.examples.yaml").write_text(
        f"{cookie_section}:\n  - what are these biscuits\n", "utf-8"
    )
    (folder / "privacy-policy.examples.yaml").write_text("# nothing yet\n", "utf-8")
    assert read_example_files(library) == {
        ("cookie-policy", cookie_section): ["what are these biscuits"]
    }


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("your-rights:\n  - [unclosed\n", 3, "not valid YAML"),
        ("your-rights: [a, b\n", 2, "not valid YAML"),
        ("- a question\n", 1, "is a list, not a mapping of section ids"),
        ("your-rights: can I?\n", 1, "needs a list of questions"),
        ("your-rights:\n  - fine question\n  - {a: b}\n", 3, "each item must be one question"),
        ("your-rights:\n  - fine question\n  - hi\n", 3, "at least 3 characters"),
        ("your-rights:\n  - fine question\nyour-rights:\n  - again\n", 3, "appears twice"),
    ],
)
def test_a_broken_example_file_names_the_file_the_line_and_the_fix(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = tmp_path / "widgets-policy.examples.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(PolicyError) as raised:
        read_example_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}, line {line}: "), message
    assert words in message


def test_a_broken_example_file_stops_start_up(tmp_path: Path) -> None:
    policy = _copy_widgets(tmp_path / "policy")
    (tmp_path / "policy" / "widgets-policy.examples.yaml").write_bytes(b"your-rights:\n  - \xff\n")
    with pytest.raises(PolicyError, match=r"widgets-policy\.examples\.yaml: the text is not UTF-8"):
        create_app(teach_settings(tmp_path, None, policy=policy))


def test_an_empty_or_commented_example_file_teaches_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.examples.yaml"
    for text in ("", "# only a comment\n", "your-rights:\n"):
        path.write_text(text, "utf-8")
        assert read_example_file(path) in ({}, {"your-rights": []})


def test_stale_examples_in_the_file_are_reported_with_its_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = _copy_widgets(tmp_path / "policy")
    examples = tmp_path / "policy" / "widgets-policy.examples.yaml"
    examples.write_text("old-section:\n  - a secret question\n", "utf-8")
    caplog.set_level(logging.WARNING)
    with TestClient(create_app(teach_settings(tmp_path, None, policy=policy))):
        pass
    [line] = [r.getMessage() for r in caplog.records if "old-section" in r.getMessage()]
    assert line.startswith(f"1 example question(s) in {examples} are for widgets-policy#old")
    assert "secret" not in line
