"""The contact card, read from the policy's own contact section."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.passages import plain_blocks
from index.policy import Policy, Section

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://[^\s<>\"')]+")
_PHONE = re.compile(r"\+?\d[\d ().-]{6,}\d")
_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z -]{1,20}):\s*(?P<value>.+)$")
_HOST = re.compile(r"(?:[\w-]+\.)+[a-zA-Z]{2,}(?:/\S*)?")


@dataclass(frozen=True)
class ContactCard:
    """Who to write to about privacy: organisation, postal address, phone, e-mail, website."""

    organisation: str | None = None
    address: tuple[str, ...] = ()
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    section_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """The card as JSON-ready data."""
        return {
            "organisation": self.organisation,
            "address": list(self.address),
            "phone": self.phone,
            "email": self.email,
            "website": self.website,
            "section_id": self.section_id,
        }


def find_contact_section(policy: Policy) -> Section | None:
    """The section headed 'Contact…', else the last section that gives an e-mail address."""
    for section in policy.sections:
        if re.search(r"\bcontact", section.heading, re.IGNORECASE):
            return section
    with_email = [s for s in policy.sections if _EMAIL.search(s.markdown)]
    return with_email[-1] if with_email else None


def web_address(value: str) -> str | None:
    """An http(s) URL for a Website: line (a bare host gets https://); None for anything else,
    such as javascript: or data:, which the contact page would otherwise link to."""
    value = value.strip()
    if (found := _URL.match(value)) and found.end() == len(value):
        return value
    if _HOST.fullmatch(value):
        return f"https://{value}"
    return None


def _is_prose(block: str) -> bool:
    return block.endswith((".", ":", "?")) or len(block.split()) > 10


def read_contact_card(policy: Policy) -> ContactCard:
    """Parse the contact section: labelled lines (Phone:, Email:, Website:) and address lines."""
    section = find_contact_section(policy)
    if section is None:
        return ContactCard()
    phone = email = website = None
    lines: list[str] = []
    extra: dict[str, str] = {}
    # Raw HTML as written: the card shows what the policy page shows (HTML as text).
    for block in plain_blocks(section.markdown, html_as_text=True):
        labelled = _LABEL.match(block)
        label = labelled.group("label").strip().casefold() if labelled else ""
        value = labelled.group("value").strip() if labelled else block
        if label in ("email", "e-mail", "mail") and _EMAIL.search(value):
            email = email or _EMAIL.search(value).group()  # type: ignore[union-attr]
        elif label in ("phone", "telephone", "tel", "call"):
            phone = phone or value
        elif label in ("website", "web", "url", "site", "web site"):
            website = website or web_address(value)
        elif labelled and not _is_prose(block):
            extra[label] = value
        elif _is_prose(block):
            email = email or (m.group() if (m := _EMAIL.search(block)) else None)
        else:
            lines.append(block)
    email = email or (m.group() if (m := _EMAIL.search(section.markdown)) else None)
    if website is None and (m := _URL.search(section.markdown)):
        website = m.group()
    if phone is None and (m := _PHONE.search(section.markdown)):
        phone = m.group()
    organisation = lines[0] if lines else None
    return ContactCard(organisation, tuple(lines[1:]), phone, email, website, section.id, extra)


CONTACT_ROUTES = ("phone", "postal")  # practices asked of the contact card, not of cues
_PHONE_WORD = re.compile(r"\b(?:phone|telephone|tel|call|fax)\b", re.IGNORECASE)
_PHONE_PARTS = ("phone", "tel", "call", "fax")  # "telephone" has "tel" in it


def contact_routes(policy: Policy, card: ContactCard | None = None) -> frozenset[str]:
    """Which of CONTACT_ROUTES the policy gives: a phone number (on its contact card, or a line
    that says phone or call and has seven digits or more), a postal address (on its card).
    `card` is the policy's contact card, when the caller has read it."""
    card = read_contact_card(policy) if card is None else card
    body = "\n".join(s.markdown for s in policy.sections)
    lines = _lines_with(_PHONE_WORD, _PHONE_PARTS, body)
    numbered = any(sum(c.isdigit() for c in line) >= 7 for line in lines)
    found = set()
    if card.phone or numbered:
        found.add("phone")
    if card.address:
        found.add("postal")
    return frozenset(found)


def _lines_with(word: re.Pattern[str], parts: tuple[str, ...], text: str) -> list[str]:
    """Each line of `text` in which `word` stands (a case-blind pattern of whole words) and that
    has one of `parts`, the words lowered, in it. A line without one cannot match: searching
    for a word across the whole text, a regex tries every position (about a millisecond a
    policy), and `in` finds none in a fraction of that."""
    lines = []
    for line in text.split("\n"):
        lowered = line.lower()
        if any(part in lowered for part in parts) and word.search(line):
            lines.append(line)
    return lines
