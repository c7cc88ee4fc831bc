"""What a policy says about itself: its front matter (YAML or TOML), its language, and when it
last changed."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler

from index.errors import PolicyError
from index.languages import SUPPORTED_LANGUAGES, UnsupportedLanguage


class _TOMLHandler(BaseHandler):
    """TOML front matter between `+++` lines (Hugo's default), read with the standard library:
    python-frontmatter's own TOML handler needs the unmaintained `toml` package."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


_FRONT_MATTER: dict[str, tuple[str, BaseHandler]] = {
    "---": ("YAML", YAMLHandler()),
    "+++": ("TOML", _TOMLHandler()),
}


def split_front_matter(text: str, source: str = "<text>") -> tuple[dict[str, Any], str]:
    """The front matter (YAML between `---` lines, or TOML between `+++` lines, as Hugo
    writes it) as a mapping, and the Markdown after it, split and read by python-frontmatter;
    PolicyError names a broken block and the fix."""
    start = text.lstrip()
    opener = start.partition("\n")[0].rstrip()
    if opener not in _FRONT_MATTER:
        return {}, text
    kind, handler = _FRONT_MATTER[opener]
    fix = f"fix the block between the '{opener}' lines"
    try:
        block, body = handler.split(start)
    except ValueError:
        raise PolicyError(
            f"{source}: the {kind} front matter opened by '{opener}' on its first line is never "
            f"closed; end it with a '{opener}' line before the policy's text"
        ) from None
    try:
        data: Any = handler.load(block)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise PolicyError(
            f"{source}: the {kind} front matter is broken ({exc.__class__.__name__}: "
            f"{problem}); {fix}"
        ) from exc
    if data is None:
        return {}, body
    if not isinstance(data, dict):
        raise PolicyError(
            f"{source}: the front matter must be a {kind} mapping (key: value lines), "
            f"not a {type(data).__name__}; {fix}"
        )
    return data, body


_MONTHS = {
    name: n
    for n, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        1,
    )
    for name in names
}
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    r"(?P<date>\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{4}/\d{1,2}/\d{1,2}"
    rf"|{_MONTH}[ \t]+{_DAY},?[ \t]+\d{{4}}"
    rf"|{_DAY}[ \t]+(?:of[ \t]+)?{_MONTH},?[ \t]+\d{{4}}"
    rf"|{_MONTH},?[ \t]+\d{{4}}"
    r"|\d{1,2}[./]\d{1,2}[./]\d{4})"
)
_SEP = r"[ \t*_]*[:\-–—]?[ \t*_]*"
# "Last updated: March 3, 2025", "_Last Revised: 2023-01-05_", "This policy was last
# modified on 3 March 2025", "We last updated this policy on 3 March 2025".
_UPDATED_ON = re.compile(
    rf"\b(?:last[ \t]+)?(?:updated|revised|modified|amended)"
    r"(?:[ \t]+this(?:[ \t]+privacy)?[ \t]+(?:policy|notice|statement))?"
    rf"(?:[ \t]+(?:on|as[ \t]+of|date))?{_SEP}{_DATE}(?![0-9A-Za-z])",
    re.IGNORECASE,
)
# "Effective date: 1 January 2024", "Effective January 1, 2024", "effective as of ...".
_EFFECTIVE_ON = re.compile(
    rf"\beffective(?:[ \t]+(?:date|as[ \t]+of|from|on))?{_SEP}{_DATE}(?![0-9A-Za-z])",
    re.IGNORECASE,
)
# A line that is only "Last updated: <anything>": shown as written even when it is no date.
_LAST_UPDATED_LINE = re.compile(
    r"^[\W_]*last\s+updated[\W_]*?\s*:?\s*(?P<date>[^_*\n]+?)\s*[_*]*\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Front matter keys that say when the policy last changed, best first (Hugo writes lastmod).
UPDATED_KEYS = ("lastmod", "last_updated", "updated", "last_modified", "modified")


def parse_date(text: str) -> dt.date | None:
    """The day a date names: ISO (2025-03-03), March 3, 2025, 3 March 2025, Mar 3 2025;
    None for anything else (a month alone, 03/04/2025 which reads two ways, nonsense)."""
    value = text.strip().casefold().replace(",", " ").replace(".", " ")
    words = value.replace("/", "-").split()
    try:
        if len(words) == 1 and re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", words[0]):
            year, month, day = (int(p) for p in words[0].split("-"))
            return dt.date(year, month, day)
        words = [w for w in words if w != "of"]
        if len(words) != 3:
            return None
        if words[0] in _MONTHS:
            month_word, day_word, year_word = words
        elif words[1] in _MONTHS:
            day_word, month_word, year_word = words
        else:
            return None
        day = int(re.sub(r"(st|nd|rd|th)$", "", day_word))
        return dt.date(int(year_word), _MONTHS[month_word], day)
    except ValueError:
        return None


def text_of(value: Any) -> str | None:
    """A front matter value as text (a date in ISO form); None when it is not given."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def language_of(value: Any, source: str) -> str:
    """The front matter's `language` as a supported code ("de", "de-AT" -> "de"); English when
    it is not given."""
    if value is None:
        return "en"
    code = str(value).strip().casefold().replace("_", "-").split("-", 1)[0]
    if code in SUPPORTED_LANGUAGES:
        return code
    raise PolicyError(
        f"{source}: front matter {UnsupportedLanguage(str(value))} (e.g. 'language: de'), "
        "or leave it out for English"
    )


def _date_of(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_date(str(value)) if value is not None else None


def last_updated(meta: dict[str, Any], body: str) -> tuple[str | None, dt.date | None]:
    """When the policy last changed, as written and as a date (None where it names no day).

    Best first: the front matter's lastmod (or last_updated, updated, ...), then the text's
    "Last updated/revised/modified ..." statement, then its "Effective ..." date, then the
    front matter's date (which Hugo and Jekyll use for when a page was first published)."""
    for key in UPDATED_KEYS:
        if meta.get(key) not in (None, ""):
            return text_of(meta[key]), _date_of(meta[key])
    for pattern in (_UPDATED_ON, _EFFECTIVE_ON):
        if found := pattern.search(body):
            written = found.group("date")
            return written, parse_date(written)
        if pattern is _UPDATED_ON and (line := _LAST_UPDATED_LINE.search(body)):
            written = line.group("date").strip()
            return written, parse_date(written)
    if meta.get("date") not in (None, ""):
        return text_of(meta["date"]), _date_of(meta["date"])
    return None, None
