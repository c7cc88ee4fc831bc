"""The example questions kept in a YAML file beside each policy document, `<stem>.examples.yaml`,
for teams that keep them in version control (qa/answering/examples.py keeps the others)."""

from __future__ import annotations

from pathlib import Path

import yaml

from index.library import Library
from index.policy import Policy, PolicyError
from qa.answering.examples import ExampleMap, clean_question
from qa.errors import QAError

FILE_SUFFIX = ".examples.yaml"


def example_file(policy: Policy) -> Path | None:
    """Where a document's example file is: `<stem>.examples.yaml` beside it (None: not a file)."""
    source = Path(policy.source)
    if policy.source.startswith("<"):
        return None
    return source.with_name(source.stem + FILE_SUFFIX)


# One line, as every start-up and command error is.
_SHAPE = (
    "the file maps section ids to lists of questions: a line 'data-retention:' and under it "
    "lines '  - how long do you keep my data?'"
)


def _fail(path: Path, node: yaml.Node | None, problem: str, fix: str = _SHAPE) -> PolicyError:
    line = f", line {node.start_mark.line + 1}" if node is not None else ""
    return PolicyError(f"{path}{line}: {problem}; {fix}")


def read_example_file(path: Path) -> dict[str, list[str]]:
    """A file's examples by section id; PolicyError naming the file, the line and the fix."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read ({exc.strerror}); check the file") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"{path}: the text is not UTF-8 (bad byte at offset {exc.start}); save it as UTF-8"
        ) from exc
    try:
        # Composed, not loaded: the nodes keep their line numbers for the messages below.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise PolicyError(
            f"{path}{line}: not valid YAML ({exc.problem or exc.context}); {_SHAPE}"
        ) from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML ({exc}); {_SHAPE}") from exc
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null")):
        return {}  # empty, or only comments
    if not isinstance(root, yaml.MappingNode):
        kind = "list" if isinstance(root, yaml.SequenceNode) else "single value"
        raise _fail(path, root, f"is a {kind}, not a mapping of section ids")
    found: dict[str, list[str]] = {}
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode) or not key.value.strip():
            raise _fail(path, key, "a section id must be a plain word such as data-retention")
        section_id = key.value.strip()
        if section_id in found:
            raise _fail(path, key, f"section {section_id!r} appears twice", "merge its lists")
        if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null"):
            found[section_id] = []
            continue
        if not isinstance(value, yaml.SequenceNode):
            raise _fail(path, value, f"{section_id}: needs a list of questions ('- question')")
        questions = []
        for item in value.value:
            if not isinstance(item, yaml.ScalarNode) or item.tag.endswith(":null"):
                raise _fail(path, item, f"{section_id}: each item must be one question")
            try:
                questions.append(clean_question(item.value, f"{section_id}: question"))
            except QAError as exc:
                raise _fail(path, item, exc.message, "fix or remove it") from None
        found[section_id] = list(dict.fromkeys(questions))
    return found


def read_example_files(library: Library) -> ExampleMap:
    """The examples of every document's file that exists, by (document, section id)."""
    found: ExampleMap = {}
    for name, policy in library.documents.items():
        path = example_file(policy)
        if path is not None and path.is_file():
            for section_id, questions in read_example_file(path).items():
                if questions:
                    found[(name, section_id)] = questions
    return found
