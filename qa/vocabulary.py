"""The casework's words, in one place: the rights, the jurisdictions, the statuses, their labels.

The API's schemas (web/schemas), its error hints (web/errors.py), the CLI's choices, the forms
and the mails all read these. To add a right: add it to `Right` and give it a label in each
table below (tests/casework/test_vocabulary.py checks that every table names every value), then
its deadline rule in qa/casework/deadlines.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

Right = Literal[
    "access",
    "rectification",
    "erasure",
    "restriction",
    "portability",
    "objection",
    "withdraw_consent",
    "opt_out",
    "limit",
]
# The data-subject rights, by the names the API, the forms and the intents all use.
RIGHTS: tuple[str, ...] = get_args(Right)

Jurisdiction = Literal["gdpr", "uk_gdpr", "ccpa", "other"]
JURISDICTIONS: tuple[str, ...] = get_args(Jurisdiction)

# A rights request's life: qa/casework/transitions.py says which may follow which.
RequestStatus = Literal[
    "received", "verified", "in_progress", "extended", "completed", "denied", "withdrawn"
]
STATUSES: tuple[str, ...] = get_args(RequestStatus)

# open: the team has not answered; answered: a reply went to the visitor; closed: done with.
# Any status may follow any other (a case is reopened when the visitor writes again).
EscalationStatus = Literal["open", "answered", "closed"]
ESCALATION_STATUSES: tuple[str, ...] = get_args(EscalationStatus)

# A right as the mails and the assistant's answers name it.
RIGHT_LABELS = {
    "access": "access to your data",
    "rectification": "correction of your data",
    "erasure": "erasure of your data",
    "restriction": "restriction of processing",
    "portability": "a copy to take elsewhere (portability)",
    "objection": "objection to processing",
    "withdraw_consent": "withdrawal of consent",
    "opt_out": "opt-out of sale or sharing",
    "limit": "limits on the use of sensitive data",
}
# A right as the form offers it, in the visitor's words.
RIGHT_CHOICES = {
    "access": "See the data you hold about me (access)",
    "rectification": "Correct data about me (rectification)",
    "erasure": "Delete my data (erasure)",
    "restriction": "Restrict how you use my data (restriction)",
    "portability": "Give me my data to take elsewhere (portability)",
    "objection": "Stop using my data for a purpose I object to (objection)",
    "withdraw_consent": "Withdraw a consent I gave (withdraw consent)",
    "opt_out": "Do not sell or share my data (opt-out)",
    "limit": "Limit the use of my sensitive data",
}

# A jurisdiction as the mails, the CLI and the support tool name it.
JURISDICTION_LABELS = {
    "gdpr": "EU GDPR",
    "uk_gdpr": "UK GDPR",
    "ccpa": "CCPA (California)",
    "other": "other or not stated",
}
# A jurisdiction as the form offers it.
JURISDICTION_CHOICES = {
    "gdpr": "EU or EEA (EU GDPR)",
    "uk_gdpr": "United Kingdom (UK GDPR)",
    "ccpa": "California (CCPA)",
    "other": "Somewhere else, or not sure",
}

# A request's status as its status page tells the requester.
STATUS_TEXT = {
    "received": "Received: waiting for you to confirm your e-mail address with the link we sent",
    "verified": "Confirmed: the privacy team has your request",
    "in_progress": "In progress",
    "extended": "In progress, with more time (see below)",
    "completed": "Completed",
    "denied": "Declined (see our reason below)",
    "withdrawn": "Withdrawn",
}
# An escalation's status as its status page tells the visitor.
ESCALATION_STATUS_TEXT = {
    "open": "Sent: the privacy team has your question",
    "answered": "Answered (see below)",
    "closed": "Closed",
}


def status_words(status: str) -> str:
    """A status in a sentence of a mail: in_progress is "in progress"."""
    return status.replace("_", " ")


def one_of(values: Sequence[str]) -> str:
    """The values as a list a person reads: "gdpr, uk_gdpr, ccpa or other"."""
    return f"{', '.join(values[:-1])} or {values[-1]}" if len(values) > 1 else "".join(values)
