"""What the casework commands share: the desk they open, and how they print a case."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import TYPE_CHECKING, Any

from index.library import Library, load_library
from qa.answering.answers import Answer
from qa.answering.contact import ContactCard, read_contact_card
from qa.casework.desk import Casework, open_casework
from qa.casework.history import Change
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.answering.assistant import Assistant


class PolicyOnly:
    """The policy as the casework commands need it: its documents and contact card at once,
    and the assistant (the BM25 index, the speller) built only if a question is asked, which
    no casework command does today, so `requests list` starts without them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.library: Library = load_library(settings.policy)
        self.contact = read_contact_card(self.library.default)  # as the Assistant reads it
        self._assistant: Assistant | None = None

    def contact_card(self) -> ContactCard:
        """The default document's contact card."""
        return self.contact

    def answer(self, question: str, top_k: int = 3, document: str | None = None) -> Answer:
        """The Assistant's answer, building it on the first question."""
        if self._assistant is None:
            from qa.answering.build import assistant_over  # the ranker, loaded on demand

            self._assistant = assistant_over(self.library, self.settings)
        return self._assistant.answer(question, top_k, document)


def open_desk(settings: Settings) -> Casework:
    """The casework desk the settings name."""
    return open_casework(settings, PolicyOnly(settings))


def day(value: str) -> date:
    """A --date argument."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("use a day as YYYY-MM-DD, e.g. 2026-03-16") from None


def print_json(data: Any) -> None:
    """JSON as the support API would give it, indented for a person."""
    print(json.dumps(data, ensure_ascii=False, indent=2))


def show_case(data: dict[str, Any], history: tuple[Change, ...], as_json: bool) -> None:
    """A case's fields, one a line, then its history (or all of it as JSON)."""
    if as_json:
        print_json({**data, "history": [c.to_dict() for c in history]})
        return
    for key, value in data.items():
        if isinstance(value, dict):  # the policy shown: document, version, date
            value = " ".join(str(v) for v in value.values() if v)
        if isinstance(value, list) and value and isinstance(value[0], dict):  # replies
            value = "\n".join(f"{r['at']}: {r['text']}" for r in value)
        if value not in (None, "", []):
            shown = ", ".join(value) if isinstance(value, list) else value
            text = str(shown).rstrip("\n").replace("\n", "\n" + " " * 18)
            print(f"{key + ':':<17} {text}")
    print("history:")
    for change in history:
        details = " ".join(f"{k}={v}" for k, v in change.details.items())
        when = change.at.isoformat(timespec="seconds")
        print(f"  {when}  {change.actor:<16} {change.action:<15} {details}")
