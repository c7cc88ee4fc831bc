"""Synthetic policies (40 sections, or any number, and libraries of them), built the same way
on every run (fixed seeds)."""

from __future__ import annotations

import random

from index.library import Library
from index.policy import read_policy

TOPICS = (
    "Overview",
    "Who We Are",
    "Scope of This Notice",
    "Information You Give Us",
    "Information We Collect Automatically",
    "Information From Third Parties",
    "Cookies and Similar Technologies",
    "Analytics",
    "Advertising",
    "How We Use Your Information",
    "Legal Bases for Processing",
    "Legitimate Interests",
    "Consent",
    "Marketing Communications",
    "Sharing With Service Providers",
    "Sharing With Partners",
    "Business Transfers",
    "Legal Requests",
    "International Transfers",
    "Data Retention",
    "Data Security",
    "Data Breaches",
    "Your Rights",
    "Access to Your Data",
    "Correcting Your Data",
    "Deleting Your Data",
    "Restricting Processing",
    "Data Portability",
    "Objecting to Processing",
    "Withdrawing Consent",
    "California Privacy Rights",
    "Do Not Sell or Share",
    "Sensitive Personal Information",
    "Children's Privacy",
    "Automated Decision Making",
    "Third-party Links",
    "Changes to This Policy",
    "Complaints",
    "Data Protection Officer",
    "Contact Us",
)

SUBJECTS = (
    "We",
    "Our service providers",
    "Our partners",
    "You",
    "The privacy team",
    "Our systems",
    "Authorised staff",
)
VERBS = (
    "collect",
    "store",
    "retain",
    "delete",
    "share",
    "process",
    "protect",
    "review",
    "transfer",
    "encrypt",
    "disclose",
    "use",
    "request",
    "update",
)
OBJECTS = (
    "your personal data",
    "contact details",
    "account information",
    "technical data such as your IP address",
    "browser and device information",
    "usage data",
    "payment records",
    "marketing preferences",
    "support messages",
    "location data",
    "cookie identifiers",
    "order history",
)
CLAUSES = (
    "for as long as necessary",
    "where the law allows",
    "with your consent",
    "to provide the service",
    "to meet legal obligations",
    "for security purposes",
    "for up to six years",
    "unless you object",
    "within thirty days of your request",
    "under appropriate safeguards",
    "only when needed",
    "as described in this notice",
)


def _sentence(rng: random.Random, topic: str) -> str:
    words = topic.lower().replace("'s", "")
    return (
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
        f"{rng.choice(CLAUSES)} in relation to {words}."
    )


def synthetic_policy_text(seed: int = 40, sections: int = len(TOPICS)) -> str:
    """Markdown of a policy of `sections` sections (the topics in turn, numbered after the
    first round) of four to nine sentences a section; 40 by default."""
    rng = random.Random(seed)
    parts = ['---\ntitle: "Synthetic Privacy Policy"\nlast_updated: 2025-01-01\n---\n']
    for n in range(sections):
        topic = TOPICS[n % len(TOPICS)]
        heading = topic if n < len(TOPICS) else f"{topic} ({n // len(TOPICS) + 1})"
        body = " ".join(_sentence(rng, topic) for _ in range(rng.randint(4, 9)))
        parts.append(f"## {heading}\n\n{body}\n")
    parts[-1] += (
        "\nExample Org Ltd\n\n1 High Street\n\nPhone: +44 20 7946 0000\n\n"
        "Email: privacy@example.org\n"
    )
    return "\n".join(parts)


def synthetic_library(sections: int = len(TOPICS), documents: int = 1) -> Library:
    """A library of `documents` synthetic policies of `sections` sections each; one 40-section
    document by default."""
    policies = []
    for n in range(documents):
        name = "synthetic-policy" if n == 0 else f"synthetic-policy-{n + 1}"
        text = synthetic_policy_text(40 + n, sections)
        policies.append(read_policy(text, name, "<synthetic>"))
    return Library({p.name: p for p in policies})
