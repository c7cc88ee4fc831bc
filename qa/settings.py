"""Settings: declared once as data with help text, read from the environment in one place."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from qa import settings_values as values
from qa.errors import SettingsError
from qa.ratelimits import DEFAULT_LIMITS, Limit, parse_limits
from qa.settings_values import (
    KEY_NAME,
    WEBHOOK_SECRET_PREFIX,
    ApiKey,
    key_name,
    parse_api_keys,
)

# The names other modules take from here (the parsers live in qa/settings_values.py).
__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "KEY_NAME",
    "PREFIX",
    "WEBHOOK_SECRET_PREFIX",
    "ApiKey",
    "Settings",
    "bundled_policy",
    "describe",
    "key_name",
    "parse_api_keys",
]

PREFIX = "PRIVACY_QA_"
# Chosen with `privacy-qa eval eval/questions.jsonl` (README, "Quality"): the lowest share of
# explained terms at which answerable questions are answered and unanswerable ones declined.
# It lives here, not in qa/answering, so that reading the settings loads no part of the ranker.
DEFAULT_MIN_CONFIDENCE = 0.25


def bundled_policy() -> Path:
    """The company's privacy policy shipped with the package: the default document."""
    return Path(str(resources.files("qa").joinpath("data", "privacy-policy.md")))


def _setting(
    default: Any, help: str, parse: Callable[[str], Any] = str, *, secret: bool = False
) -> Any:
    return field(default=default, metadata={"help": help, "parse": parse, "secret": secret})


@dataclass(frozen=True)
class Settings:
    """Every setting; its environment variable is PRIVACY_QA_ and the name in capitals."""

    policy: Path = _setting(
        bundled_policy(),
        "Policy to serve: a Markdown file, or a directory whose *.md files are the documents "
        "(default: the bundled privacy policy).",
        values.path,
    )
    host: str = _setting("127.0.0.1", "Address `privacy-qa serve` listens on.")
    port: int = _setting(8000, "Port `privacy-qa serve` listens on.", values.port)
    workers: int = _setting(1, "Number of server worker processes.", values.positive_int)
    max_header_bytes: int = _setting(
        64 * 1024,
        "Largest request head (request line and headers) a client may send, in bytes; a "
        "larger one gets 431 and its connection is closed.",
        values.header_bytes,
    )
    max_connections: int = _setting(
        500,
        "Connections each server worker holds open at once; a request beyond them gets 503 "
        "with Retry-After. Keep it below the open-files limit (ulimit -n).",
        values.positive_int,
    )
    keep_alive_seconds: int = _setting(
        5,
        "Seconds an idle keep-alive connection stays open waiting for its next request.",
        values.positive_int,
    )
    request_timeout_seconds: float = _setting(
        10.0,
        "Seconds a client has to send a whole request (headers and body), counted from the "
        "connection or the request's first byte; a slower one gets 408 and is closed.",
        values.positive_float,
    )
    public_url: str = _setting(
        "http://127.0.0.1:8000",
        "Public base URL of the assistant, used for links in e-mails and the embeddable widget.",
        values.url,
    )
    min_confidence: float = _setting(
        DEFAULT_MIN_CONFIDENCE,
        "Share of a question's weighted terms (0 to 1) that one of the two leading sections must "
        "explain for the question to count as answered; below it the visitor is offered a person.",
        values.fraction,
    )
    answer_cache_size: int = _setting(
        1024,
        "How many recent answers each server process keeps, by a keyed hash of the question "
        "(no question text is kept); 0 turns the cache off.",
        values.count,
    )
    examples_reload_seconds: float = _setting(
        5.0,
        "Seconds between each server process's checks for example questions another process "
        "added or removed (the process that made the change uses them at once); 0 checks only "
        "at start-up.",
        values.non_negative_float,
    )
    data_dir: Path = _setting(
        Path("data"),
        "Folder for the embedded SQLite database and, with no SMTP host, the outgoing mail "
        "(.eml files).",
        values.path,
    )
    database_url: str | None = _setting(
        None,
        "Database URL, e.g. postgresql+psycopg://user@host:5432/db for several servers "
        "(default: a SQLite file in the data folder).",
        values.database_url,
    )
    smtp_host: str | None = _setting(
        None, "SMTP server for outgoing mail (default: none; mail is written as .eml files)."
    )
    smtp_port: int = _setting(25, "SMTP server port.", values.port)
    smtp_username: str | None = _setting(None, "SMTP user name, if the server needs a login.")
    smtp_password: str | None = _setting(
        None, "SMTP password, if the server needs a login.", secret=True
    )
    smtp_starttls: bool = _setting(
        False,
        "Upgrade the SMTP connection with STARTTLS before logging in (true/false).",
        values.boolean,
    )
    smtp_timeout_seconds: float = _setting(
        10.0,
        "Seconds to wait for the SMTP server at each step before giving up on a round of "
        "sending (the mail is retried later).",
        values.positive_float,
    )
    mail_from: str = _setting(
        "privacy-qa@localhost", "Sender address of the mail the assistant sends.", values.address
    )
    privacy_email: str | None = _setting(
        None,
        "Where rights requests and escalations go (default: the e-mail of the policy's "
        "contact section).",
        values.optional_address,
    )
    api_keys: tuple[ApiKey, ...] = _setting(
        (),
        "Comma-separated keys for the support API (Authorization: Bearer KEY), each as NAME:KEY "
        "(alice:KEY,tool:KEY; a name is 1 to 64 letters, digits, '-', '_' or '.') or a bare KEY, "
        "named key- and the first 8 hex digits of its SHA-256; the history records what each "
        "name changed. None: the support API is off.",
        parse_api_keys,
        secret=True,
    )
    reply_time: str = _setting(
        "within 2 business days",
        "When the privacy team replies to a question sent to it, as shown to the visitor who "
        "sends one ('They reply within 2 business days').",
        values.reply_time,
    )
    verification_ttl_hours: int = _setting(
        72, "Hours a rights request's e-mail verification link stays valid.", values.positive_int
    )
    retention_days: int = _setting(
        365,
        "Days a closed request's personal data is kept before `privacy-qa purge` erases it.",
        values.positive_int,
    )
    question_log_days: int = _setting(
        0,
        "Days to keep an anonymised log of chat questions (e-mails, phone and card numbers, "
        "URLs, addresses and names redacted; day only, no IP) for finding the policy's gaps; "
        "0 keeps none.",
        values.count,
    )
    purge_interval_hours: float = _setting(
        24.0,
        "Hours between the retention purges each server process runs (the first at start-up); "
        "0 turns them off (then run `privacy-qa purge` from cron).",
        values.non_negative_float,
    )
    reminder_days: int = _setting(
        7,
        "Days ahead the daily deadline digest to privacy@ looks: requests overdue or due within "
        "them, CCPA receipts to confirm, extensions to notify (each server process checks hourly; "
        "one digest a day at most, none when nothing is due); 0 turns the digest off.",
        values.count,
    )
    mail_retry_seconds: float = _setting(
        5.0,
        "First retry delay of a mail that failed; it doubles with each try, up to one hour.",
        values.positive_float,
    )
    webhook_url: tuple[str, ...] = _setting(
        (),
        "Comma-separated http(s) URLs of the support tool's webhook endpoints: each is POSTed "
        "every event (rights_request.created, .verified, .status_changed, escalation.created, "
        "...), signed per Standard Webhooks. Default: none, no webhooks.",
        values.webhook_urls,
    )
    webhook_secret: str = _setting(
        "",
        "The webhooks' signing secret, whsec_ and base64 of 24 to 64 random bytes (Standard "
        "Webhooks); needed when PRIVACY_QA_WEBHOOK_URL is set.",
        values.webhook_secret,
        secret=True,
    )
    webhook_old_secrets: tuple[str, ...] = _setting(
        (),
        "Comma-separated secrets being rotated out (each of PRIVACY_QA_WEBHOOK_SECRET's form): "
        "events are signed with these too, so a receiver still holding one verifies them; "
        "remove each once every receiver has the new secret. Default: none.",
        values.webhook_secrets,
        secret=True,
    )
    webhook_timeout_seconds: float = _setting(
        15.0,
        "Seconds to wait for a webhook endpoint to answer; no 2xx by then and the event is "
        "sent again later (with the same webhook-id).",
        values.positive_float,
    )
    webhook_retry_seconds: float = _setting(
        5.0,
        "First retry delay of a webhook delivery that failed; it doubles with each try, up to "
        "one hour, and tries go on until the endpoint answers 2xx.",
        values.positive_float,
    )
    encryption_key: tuple[str, ...] = _setting(
        (),
        "Fernet keys (comma-separated, newest first) to encrypt personal data at rest: "
        "requesters' names, e-mail addresses, details and questions, notes and reasons, "
        "escalations and transcripts, mail (default: not encrypted).",
        values.fernet_keys,
        secret=True,
    )
    log_level: str = _setting(
        "info", "Log level: critical, error, warning, info or debug.", values.log_level
    )
    log_format: str = _setting(
        "json",
        "Log format: json (one object per line, for a log collector) or text. Logs never hold "
        "client addresses, questions, names or e-mail addresses.",
        values.log_format,
    )
    allowed_origins: tuple[str, ...] = _setting(
        (),
        "Comma-separated origins (https://www.example.com) of the sites that may embed the chat "
        "widget: they may frame /widget and call the JSON API from the browser (CORS). "
        "Default: none, only the assistant's own pages.",
        values.origins,
    )
    rate_limits: tuple[Limit, ...] = _setting(
        DEFAULT_LIMITS,
        "Requests a client may make, per kind: comma-separated NAME=COUNT/PERIOD[:BURST] or "
        "NAME=off over the defaults (ask, submit, lookup, support, read; verify_mail counts the "
        "mail submissions send to one mailbox); `off` turns every limit off (for load tests). "
        "See the README, Running in production.",
        parse_limits,
    )
    redis_url: str | None = _setting(
        None,
        "Redis URL (redis://host:6379/0) that shares the rate limits among workers and servers "
        "(default: none, each worker counts in memory).",
        values.redis_url,
        secret=True,  # the URL may hold a password
    )
    trusted_proxies: tuple[str, ...] = _setting(
        (),
        "Comma-separated addresses or networks (10.0.0.0/8) of reverse proxies whose "
        "X-Forwarded-For names the client for the rate limits (default: none, the peer "
        "address counts).",
        values.networks,
    )
    metrics_token: str = _setting(
        "",
        "Bearer token for GET /metrics (Prometheus); a support API key works too. Default: "
        "none, and with no support keys either /metrics answers 403.",
        values.token,
        secret=True,
    )
    form_secret: str = _setting(
        "",
        "Secret that signs the visitor forms' anti-forgery tokens; give every server the same "
        "value. Default: a random one at each start (a form left open across a restart must "
        "be sent again).",
        secret=True,
    )

    def __post_init__(self) -> None:
        # Unsigned events could not be told from anyone else's POST: no URL without a secret.
        if self.webhook_url and not self.webhook_secret:
            raise SettingsError(
                "PRIVACY_QA_WEBHOOK_URL is set but PRIVACY_QA_WEBHOOK_SECRET is not; set the "
                f"secret the support tool verifies the events with ({values.MAKE_WEBHOOK_SECRET})",
                PREFIX + "WEBHOOK_SECRET",
            )
        # Code (tests, tools) may give keys as strings in the setting's syntax.
        keys = tuple(k if isinstance(k, ApiKey) else values.api_key(str(k)) for k in self.api_keys)
        object.__setattr__(self, "api_keys", keys)

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
                # A secret's value is not repeated: the message may end up in a log.
                shown = "(hidden)" if f.metadata["secret"] else repr(raw)
                raise SettingsError(f"{name}={shown}: {exc}; fix or unset {name}", name) from exc
        return cls(**values)

    def with_values(self, **changes: Any) -> Settings:
        """A copy with some values replaced (for tests and CLI flags)."""
        return dataclasses.replace(self, **changes)

    def to_environ(self) -> dict[str, str]:
        """The environment that reproduces these settings (for server worker processes)."""
        return {
            PREFIX + f.name.upper(): _unparse(getattr(self, f.name))
            for f in dataclasses.fields(self)
        }

    def shown(self, name: str) -> str:
        """A setting's value for display; for a secret, only whether it is set."""
        f = next(f for f in dataclasses.fields(self) if f.name == name)
        value = _unparse(getattr(self, name))
        if f.metadata.get("secret"):
            return "(set)" if value else "(not set)"
        return value


def _unparse(value: Any) -> str:
    # The inverse of the parsers: None is unset, tuples are comma-separated lists.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, help) for every setting, for the CLI and the README."""
    rows = []
    for f in dataclasses.fields(Settings):
        default = f.default
        shown = "the bundled privacy policy" if f.name == "policy" else _unparse(default) or "none"
        rows.append((PREFIX + f.name.upper(), shown, f.metadata["help"]))
    return rows
