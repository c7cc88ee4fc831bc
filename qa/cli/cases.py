"""What the casework commands share: the desk they open, and how they print a case."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from index.library import load_library
from qa.answering.build import assistant_over
from qa.casework.desk import Casework, open_casework
from qa.casework.history import Change
from qa.settings import Settings


def open_desk(settings: Settings) -> Casework:
    """The casework desk the settings name."""
    assistant = assistant_over(load_library(settings.policy), settings)
    return open_casework(settings, assistant)


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
