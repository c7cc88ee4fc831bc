"""Settings: declared once as data with help text, read from the environment in one place."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from qa.errors import SettingsError

PREFIX = "PRIVACY_QA_"


def bundled_policy() -> Path:
    """The company's privacy policy shipped with the package: the default document."""
    return Path(str(resources.files("qa").joinpath("data", "privacy-policy.md")))


def _path(value: str) -> Path:
    return Path(value).expanduser()


def _port(value: str) -> int:
    port = int(value)
    if not 0 < port < 65536:
        raise ValueError("must be a TCP port from 1 to 65535")
    return port


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be a whole number of 1 or more")
    return number


def _fraction(value: str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError("must be a number from 0 to 1")
    return number


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL such as https://privacy.example.com")
    return value.rstrip("/")


def _log_level(value: str) -> str:
    level = value.lower()
    if level not in ("critical", "error", "warning", "info", "debug"):
        raise ValueError("must be one of critical, error, warning, info, debug")
    return level


def _setting(default: Any, help: str, parse: Callable[[str], Any] = str) -> Any:
    return field(default=default, metadata={"help": help, "parse": parse})


@dataclass(frozen=True)
class Settings:
    """Every setting; its environment variable is PRIVACY_QA_ and the name in capitals."""

    policy: Path = _setting(
        bundled_policy(),
        "Policy to serve: a Markdown file, or a directory whose *.md files are the documents "
        "(default: the bundled privacy policy).",
        _path,
    )
    host: str = _setting("127.0.0.1", "Address `privacy-qa serve` listens on.")
    port: int = _setting(8000, "Port `privacy-qa serve` listens on.", _port)
    workers: int = _setting(1, "Number of server worker processes.", _positive_int)
    public_url: str = _setting(
        "http://127.0.0.1:8000",
        "Public base URL of the assistant, used for links in e-mails and the embeddable widget.",
        _url,
    )
    min_confidence: float = _setting(
        0.5,
        "Share of a question's weighted terms (0 to 1) the best section must contain for the "
        "question to count as answered; below it the visitor is offered a person.",
        _fraction,
    )
    log_level: str = _setting(
        "info", "Log level: critical, error, warning, info or debug.", _log_level
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from an environment mapping; a bad value raises SettingsError naming it."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = PREFIX + f.name.upper()
            raw = environ.get(name)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[f.name] = f.metadata["parse"](raw.strip())
            except ValueError as exc:
                raise SettingsError(f"{name}={raw!r}: {exc}; fix or unset {name}", name) from exc
        return cls(**values)

    def with_values(self, **changes: Any) -> Settings:
        """A copy with some values replaced (for tests and CLI flags)."""
        return dataclasses.replace(self, **changes)

    def to_environ(self) -> dict[str, str]:
        """The environment that reproduces these settings (for server worker processes)."""
        return {
            PREFIX + f.name.upper(): str(getattr(self, f.name)) for f in dataclasses.fields(self)
        }


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, help) for every setting, for the CLI and the README."""
    rows = []
    for f in dataclasses.fields(Settings):
        default = f.default
        shown = "the bundled privacy policy" if f.name == "policy" else str(default)
        rows.append((PREFIX + f.name.upper(), shown, f.metadata["help"]))
    return rows
