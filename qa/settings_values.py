"""The parsers of setting values: each takes the environment's text and returns the value, or
raises ValueError with the fix (qa/settings.py adds the variable's name)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlsplit

from qa.addresses import check_address
from qa.errors import QAError


def path(value: str) -> Path:
    return Path(value).expanduser()


def port(value: str) -> int:
    port = int(value)
    if not 0 < port < 65536:
        raise ValueError("must be a TCP port from 1 to 65535")
    return port


def count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be a whole number of 0 or more")
    return number


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be a whole number of 1 or more")
    return number


def header_bytes(value: str) -> int:
    number = int(value)
    if number < 1024:
        raise ValueError("must be a whole number of bytes, 1024 or more (64 KiB is 65536)")
    return number


def positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be a number above 0")
    return number


def non_negative_float(value: str) -> float:
    number = float(value)
    if not 0 <= number < float("inf"):
        raise ValueError("must be a number of 0 or more")
    return number


def fraction(value: str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError("must be a number from 0 to 1")
    return number


def url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL such as https://privacy.example.com")
    return value.rstrip("/")


def log_level(value: str) -> str:
    level = value.lower()
    if level not in ("critical", "error", "warning", "info", "debug"):
        raise ValueError("must be one of critical, error, warning, info, debug")
    return level


def log_format(value: str) -> str:
    fmt = value.lower()
    if fmt not in ("json", "text"):
        raise ValueError("must be json or text")
    return fmt


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def address(value: str) -> str:
    try:
        return check_address(value, "address")
    except QAError as exc:
        raise ValueError("must be one e-mail address such as privacy@example.com") from exc


def optional_address(value: str) -> str | None:
    return address(value) if value else None


def database_url(value: str) -> str:
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


def api_key(item: str) -> ApiKey:
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
    keys = tuple(api_key(k.strip()) for k in value.split(",") if k.strip())
    names = [k.name for k in keys]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"the name {twice[0]!r} is given to two keys; give each key its own")
    if len({k.key for k in keys}) < len(keys):
        raise ValueError("one key is listed twice; give each person or tool a key of its own")
    return keys


def reply_time(value: str) -> str:
    if len(value) > 100 or not value.isprintable():
        raise ValueError("must be one line of up to 100 characters, such as 'within 2 days'")
    return value


def token(value: str) -> str:
    if len(value) < 16:
        raise ValueError("must be at least 16 characters; make one with `openssl rand -hex 24`")
    return value


def fernet_keys(value: str) -> tuple[str, ...]:
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


def origins(value: str) -> tuple[str, ...]:
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


def redis_url(value: str) -> str:
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ValueError("must be a Redis URL such as redis://127.0.0.1:6379/0")
    return value


def networks(value: str) -> tuple[str, ...]:
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


def webhook_urls(value: str) -> tuple[str, ...]:
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
MAKE_WEBHOOK_SECRET = (
    'make one with `python -c "import base64, os; '
    "print('whsec_' + base64.b64encode(os.urandom(32)).decode())\"`"
)


def webhook_secret(value: str) -> str:
    """The Standard Webhooks form: whsec_ and the base64 of 24 to 64 random bytes."""
    if not value.startswith(WEBHOOK_SECRET_PREFIX):
        raise ValueError(
            f"must start with whsec_ (the Standard Webhooks form); {MAKE_WEBHOOK_SECRET}"
        )
    try:
        key = base64.b64decode(value.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError(
            f"the part after whsec_ must be base64 (A-Z a-z 0-9 + / =); {MAKE_WEBHOOK_SECRET}"
        ) from None
    if not 24 <= len(key) <= 64:
        raise ValueError(
            f"the key after whsec_ must be 24 to 64 bytes, not {len(key)}; {MAKE_WEBHOOK_SECRET}"
        )
    return value


def webhook_secrets(value: str) -> tuple[str, ...]:
    """Several secrets of webhook_secret's form, comma-separated."""
    return tuple(webhook_secret(part.strip()) for part in value.split(",") if part.strip())
