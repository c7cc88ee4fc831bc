"""Settings: declared once as data with help text, read from the environment in one place."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from qa.answering.assistant import DEFAULT_MIN_CONFIDENCE
from qa.errors import QAError, SettingsError
from qa.ratelimits import DEFAULT_LIMITS, Limit, parse_limits

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


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be a whole number of 0 or more")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be a whole number of 1 or more")
    return number


def _header_bytes(value: str) -> int:
    number = int(value)
    if number < 1024:
        raise ValueError("must be a whole number of bytes, 1024 or more (64 KiB is 65536)")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be a number above 0")
    return number


def _non_negative_float(value: str) -> float:
    number = float(value)
    if not 0 <= number < float("inf"):
        raise ValueError("must be a number of 0 or more")
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


def _log_format(value: str) -> str:
    fmt = value.lower()
    if fmt not in ("json", "text"):
        raise ValueError("must be json or text")
    return fmt


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _address(value: str) -> str:
    from qa.delivery.message import check_address  # mail imports nothing from settings; no cycle

    try:
        return check_address(value, "address")
    except QAError as exc:
        raise ValueError("must be one e-mail address such as privacy@example.com") from exc


def _optional_address(value: str) -> str | None:
    return _address(value) if value else None


def _database_url(value: str) -> str:
    if "://" not in value:
        raise ValueError(
            "must be a SQLAlchemy URL such as postgresql+psycopg://user@host:5432/db "
            "or sqlite:////path/to/file.sqlite3"
        )
    return value


KEY_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Names the history gives to changes no key made: a key may not take one (nor `cli:...`,
# which the colon rules out).
RESERVED_NAMES = frozenset({"requester", "system"})


@dataclass(frozen=True)
class ApiKey:
    """A support key and the name the history records for what it changes."""

    name: str
    key: str = field(repr=False)  # never in a log line or a traceback's locals

    def __str__(self) -> str:
        # The setting's own syntax, so that Settings.to_environ reproduces it for workers.
        return f"{self.name}:{self.key}"


def key_name(key: str) -> str:
    """The name of a key given without one: `key-` and the first 8 hex digits of its SHA-256."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:8]


def _api_key(item: str) -> ApiKey:
    name, colon, key = item.partition(":")
    if not colon:
        name, key = key_name(item), item
    elif not KEY_NAME.fullmatch(name) or name in RESERVED_NAMES:
        # The name goes into the history and the logs; the key never does, so it is not shown.
        raise ValueError(
            f"the key named {name[:64]!r} has a name that is not allowed; name each key with 1 "
            "to 64 letters, digits, '-', '_' or '.' (not requester or system), as NAME:KEY"
        )
    if len(key) < 16:
        raise ValueError(
            f"the key named {name!r} is shorter than 16 characters; make one with "
            "`openssl rand -hex 24`"
        )
    return ApiKey(name, key)


def parse_api_keys(value: str) -> tuple[ApiKey, ...]:
    keys = tuple(_api_key(k.strip()) for k in value.split(",") if k.strip())
    names = [k.name for k in keys]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"the name {twice[0]!r} is given to two keys; give each key its own")
    if len({k.key for k in keys}) < len(keys):
        raise ValueError("one key is listed twice; give each person or tool a key of its own")
    return keys


def _reply_time(value: str) -> str:
    if len(value) > 100 or not value.isprintable():
        raise ValueError("must be one line of up to 100 characters, such as 'within 2 days'")
    return value


def _token(value: str) -> str:
    if len(value) < 16:
        raise ValueError("must be at least 16 characters; make one with `openssl rand -hex 24`")
    return value


def _fernet_keys(value: str) -> tuple[str, ...]:
    from cryptography.fernet import Fernet

    keys = tuple(k.strip() for k in value.split(",") if k.strip())
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                "must be Fernet keys (32 url-safe base64-encoded bytes), comma-separated, newest "
                'first; make one with `python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"`'
            ) from None
    return keys


def _origins(value: str) -> tuple[str, ...]:
    origins = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        parts = urlsplit(item)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise ValueError(
                f"{item!r} is not an origin; list origins such as "
                "https://www.example.com,https://shop.example.com (scheme, host, optional port)"
            )
        origins.append(f"{parts.scheme}://{parts.netloc}".lower())
    return tuple(dict.fromkeys(origins))


def _redis_url(value: str) -> str:
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ValueError("must be a Redis URL such as redis://127.0.0.1:6379/0")
    return value


def _networks(value: str) -> tuple[str, ...]:
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if item:
            try:
                networks.append(str(ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network; list them such as "
                    "127.0.0.1,10.0.0.0/8"
                ) from None
    return tuple(networks)


def _webhook_urls(value: str) -> tuple[str, ...]:
    urls = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
            raise ValueError(
                f"{item!r} is not an http(s) URL; list the support tool's endpoints such as "
                "https://support.example.com/hooks/privacy (comma-separated for several)"
            )
        urls.append(item)
    return tuple(dict.fromkeys(urls))  # one delivery per endpoint, however often it is listed


WEBHOOK_SECRET_PREFIX = "whsec_"
_MAKE_WEBHOOK_SECRET = (
    'make one with `python -c "import base64, os; '
    "print('whsec_' + base64.b64encode(os.urandom(32)).decode())\"`"
)


def _webhook_secret(value: str) -> str:
    """The Standard Webhooks form: whsec_ and the base64 of 24 to 64 random bytes."""
    if not value.startswith(WEBHOOK_SECRET_PREFIX):
        raise ValueError(
            f"must start with whsec_ (the Standard Webhooks form); {_MAKE_WEBHOOK_SECRET}"
        )
    try:
        key = base64.b64decode(value.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError(
            f"the part after whsec_ must be base64 (A-Z a-z 0-9 + / =); {_MAKE_WEBHOOK_SECRET}"
        ) from None
    if not 24 <= len(key) <= 64:
        raise ValueError(
            f"the key after whsec_ must be 24 to 64 bytes, not {len(key)}; {_MAKE_WEBHOOK_SECRET}"
        )
    return value


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
        _path,
    )
    host: str = _setting("127.0.0.1", "Address `privacy-qa serve` listens on.")
    port: int = _setting(8000, "Port `privacy-qa serve` listens on.", _port)
    workers: int = _setting(1, "Number of server worker processes.", _positive_int)
    max_header_bytes: int = _setting(
        64 * 1024,
        "Largest request head (request line and headers) a client may send, in bytes; a "
        "larger one gets 431 and its connection is closed.",
        _header_bytes,
    )
    max_connections: int = _setting(
        500,
        "Connections each server worker holds open at once; a request beyond them gets 503 "
        "with Retry-After. Keep it below the open-files limit (ulimit -n).",
        _positive_int,
    )
    keep_alive_seconds: int = _setting(
        5,
        "Seconds an idle keep-alive connection stays open waiting for its next request.",
        _positive_int,
    )
    request_timeout_seconds: float = _setting(
        10.0,
        "Seconds a client has to send a whole request (headers and body), counted from the "
        "connection or the request's first byte; a slower one gets 408 and is closed.",
        _positive_float,
    )
    public_url: str = _setting(
        "http://127.0.0.1:8000",
        "Public base URL of the assistant, used for links in e-mails and the embeddable widget.",
        _url,
    )
    min_confidence: float = _setting(
        DEFAULT_MIN_CONFIDENCE,
        "Share of a question's weighted terms (0 to 1) that one of the two leading sections must "
        "explain for the question to count as answered; below it the visitor is offered a person.",
        _fraction,
    )
    answer_cache_size: int = _setting(
        1024,
        "How many recent answers each server process keeps, by a keyed hash of the question "
        "(no question text is kept); 0 turns the cache off.",
        _count,
    )
    examples_reload_seconds: float = _setting(
        5.0,
        "Seconds between each server process's checks for example questions another process "
        "added or removed (the process that made the change uses them at once); 0 checks only "
        "at start-up.",
        _non_negative_float,
    )
    data_dir: Path = _setting(
        Path("data"),
        "Folder for the embedded SQLite database and, with no SMTP host, the outgoing mail "
        "(.eml files).",
        _path,
    )
    database_url: str | None = _setting(
        None,
        "Database URL, e.g. postgresql+psycopg://user@host:5432/db for several servers "
        "(default: a SQLite file in the data folder).",
        _database_url,
    )
    smtp_host: str | None = _setting(
        None, "SMTP server for outgoing mail (default: none; mail is written as .eml files)."
    )
    smtp_port: int = _setting(25, "SMTP server port.", _port)
    smtp_username: str | None = _setting(None, "SMTP user name, if the server needs a login.")
    smtp_password: str | None = _setting(
        None, "SMTP password, if the server needs a login.", secret=True
    )
    smtp_starttls: bool = _setting(
        False, "Upgrade the SMTP connection with STARTTLS before logging in (true/false).", _bool
    )
    smtp_timeout_seconds: float = _setting(
        10.0,
        "Seconds to wait for the SMTP server at each step before giving up on a round of "
        "sending (the mail is retried later).",
        _positive_float,
    )
    mail_from: str = _setting(
        "privacy-qa@localhost", "Sender address of the mail the assistant sends.", _address
    )
    privacy_email: str | None = _setting(
        None,
        "Where rights requests and escalations go (default: the e-mail of the policy's "
        "contact section).",
        _optional_address,
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
        _reply_time,
    )
    verification_ttl_hours: int = _setting(
        72, "Hours a rights request's e-mail verification link stays valid.", _positive_int
    )
    retention_days: int = _setting(
        365,
        "Days a closed request's personal data is kept before `privacy-qa purge` erases it.",
        _positive_int,
    )
    question_log_days: int = _setting(
        0,
        "Days to keep an anonymised log of chat questions (e-mails, phone and card numbers, "
        "URLs, addresses and names redacted; day only, no IP) for finding the policy's gaps; "
        "0 keeps none.",
        _count,
    )
    purge_interval_hours: float = _setting(
        24.0,
        "Hours between the retention purges each server process runs (the first at start-up); "
        "0 turns them off (then run `privacy-qa purge` from cron).",
        _non_negative_float,
    )
    reminder_days: int = _setting(
        7,
        "Days ahead the daily deadline digest to privacy@ looks: requests overdue or due within "
        "them, CCPA receipts to confirm, extensions to notify (each server process checks hourly; "
        "one digest a day at most, none when nothing is due); 0 turns the digest off.",
        _count,
    )
    mail_retry_seconds: float = _setting(
        5.0,
        "First retry delay of a mail that failed; it doubles with each try, up to one hour.",
        _positive_float,
    )
    webhook_url: tuple[str, ...] = _setting(
        (),
        "Comma-separated http(s) URLs of the support tool's webhook endpoints: each is POSTed "
        "every event (rights_request.created, .verified, .status_changed, escalation.created, "
        "...), signed per Standard Webhooks. Default: none, no webhooks.",
        _webhook_urls,
    )
    webhook_secret: str = _setting(
        "",
        "The webhooks' signing secret, whsec_ and base64 of 24 to 64 random bytes (Standard "
        "Webhooks); needed when PRIVACY_QA_WEBHOOK_URL is set.",
        _webhook_secret,
        secret=True,
    )
    webhook_timeout_seconds: float = _setting(
        15.0,
        "Seconds to wait for a webhook endpoint to answer; no 2xx by then and the event is "
        "sent again later (with the same webhook-id).",
        _positive_float,
    )
    webhook_retry_seconds: float = _setting(
        5.0,
        "First retry delay of a webhook delivery that failed; it doubles with each try, up to "
        "one hour, and tries go on until the endpoint answers 2xx.",
        _positive_float,
    )
    encryption_key: tuple[str, ...] = _setting(
        (),
        "Fernet keys (comma-separated, newest first) to encrypt personal data at rest: "
        "requesters' names, e-mail addresses, details and questions, notes and reasons, "
        "escalations and transcripts, mail (default: not encrypted).",
        _fernet_keys,
        secret=True,
    )
    log_level: str = _setting(
        "info", "Log level: critical, error, warning, info or debug.", _log_level
    )
    log_format: str = _setting(
        "json",
        "Log format: json (one object per line, for a log collector) or text. Logs never hold "
        "client addresses, questions, names or e-mail addresses.",
        _log_format,
    )
    allowed_origins: tuple[str, ...] = _setting(
        (),
        "Comma-separated origins (https://www.example.com) of the sites that may embed the chat "
        "widget: they may frame /widget and call the JSON API from the browser (CORS). "
        "Default: none, only the assistant's own pages.",
        _origins,
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
        _redis_url,
        secret=True,  # the URL may hold a password
    )
    trusted_proxies: tuple[str, ...] = _setting(
        (),
        "Comma-separated addresses or networks (10.0.0.0/8) of reverse proxies whose "
        "X-Forwarded-For names the client for the rate limits (default: none, the peer "
        "address counts).",
        _networks,
    )
    metrics_token: str = _setting(
        "",
        "Bearer token for GET /metrics (Prometheus); a support API key works too. Default: "
        "none, and with no support keys either /metrics answers 403.",
        _token,
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
                f"secret the support tool verifies the events with ({_MAKE_WEBHOOK_SECRET})",
                PREFIX + "WEBHOOK_SECRET",
            )
        # Code (tests, tools) may give keys as strings in the setting's syntax.
        keys = tuple(k if isinstance(k, ApiKey) else _api_key(str(k)) for k in self.api_keys)
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
