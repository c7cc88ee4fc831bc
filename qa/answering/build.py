"""The one way to build an Assistant from settings: the server, the CLI, the evaluation and the
bench all come here, so that each answers as the server does."""

from __future__ import annotations

from index.library import Library, load_library
from index.ranker import Params
from qa.answering.assistant import Assistant
from qa.answering.example_files import read_example_files
from qa.answering.examples import ExampleMap
from qa.settings import Settings


def assistant_over(
    library: Library,
    settings: Settings,
    *,
    params: Params = Params(),
    examples: ExampleMap | None = None,
) -> Assistant:
    """An assistant over `library` that answers with the settings' confidence threshold."""
    return Assistant(
        library, params=params, min_confidence=settings.min_confidence, examples=examples
    )


def assistant_for(settings: Settings) -> Assistant:
    """The server's assistant: the policy the settings name, indexed with the example questions
    of the files beside it; PolicyError names a broken file."""
    library = load_library(settings.policy)
    return assistant_over(library, settings, examples=read_example_files(library))
