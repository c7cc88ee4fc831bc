"""The casework desk: the store, the outbox, rights requests and escalations, built together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from index.library import Library
from qa.answering.answers import Answer
from qa.answering.contact import ContactCard
from qa.casework.escalations import Escalations
from qa.casework.rights import RightsRequests
from qa.delivery.outbox import Outbox
from qa.delivery.transports import transport_for
from qa.delivery.webhooks import Webhooks, webhooks_for
from qa.ratelimits import limit_named
from qa.settings import Settings
from qa.storage.store import Store, open_store


class PolicyDesk(Protocol):
    """What the casework needs of the policy: its documents (the section ids a request may
    name), its contact card (where requests go) and an answer to a question (the sections an
    escalation carries to the team). The Assistant is one; the casework commands use a lighter
    one that builds the index only if a question is asked (qa/cli/cases.py)."""

    @property
    def library(self) -> Library: ...

    def contact_card(self) -> ContactCard: ...

    def answer(self, question: str, top_k: int = 3, document: str | None = None) -> Answer: ...


@dataclass
class Casework:
    """Everything that receives, stores and mails requests; the server and the CLI share it."""

    store: Store
    outbox: Outbox
    rights: RightsRequests
    escalations: Escalations
    webhooks: Webhooks
    owns_store: bool

    def close(self) -> None:
        """Close the store if this desk opened it."""
        if self.owns_store:
            self.store.close()

    def __enter__(self) -> Casework:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """A casework session ends with its store closed, whatever happened in it."""
        self.close()


def privacy_address(settings: Settings, assistant: PolicyDesk) -> str | None:
    """Where requests go: PRIVACY_QA_PRIVACY_EMAIL, else the policy's contact e-mail; None
    when neither gives one (rights requests and escalations are then refused with a 503)."""
    return settings.privacy_email or assistant.contact_card().email or None


def mailbox_warning(settings: Settings, assistant: PolicyDesk) -> str | None:
    """The one line `privacy-qa index` prints and the server logs when requests have nowhere
    to go; None when they do. It names the file, never an address."""
    if privacy_address(settings, assistant) is not None:
        return None
    return (
        f"warning: {assistant.library.default.source} names no contact e-mail; rights requests "
        "and escalations are off until PRIVACY_QA_PRIVACY_EMAIL is set"
    )


def open_casework(
    settings: Settings, assistant: PolicyDesk, store: Store | None = None
) -> Casework:
    """Open the store the settings name (unless one is given) and build the desk over it."""
    privacy_email = privacy_address(settings, assistant)
    owns_store = store is None
    store = store or open_store(settings)
    outbox = Outbox(
        store,
        transport_for(settings),
        settings.mail_from,
        retry_seconds=settings.mail_retry_seconds,
    )
    webhooks = webhooks_for(settings, store)
    rights = RightsRequests(
        store,
        outbox,
        public_url=settings.public_url,
        privacy_email=privacy_email,
        verification_ttl=timedelta(hours=settings.verification_ttl_hours),
        mail_limit=limit_named(settings.rate_limits, "verify_mail"),
        webhooks=webhooks,
        library=assistant.library,
    )
    escalations = Escalations(
        store,
        outbox,
        assistant,
        public_url=settings.public_url,
        privacy_email=privacy_email,
        webhooks=webhooks,
    )
    return Casework(store, outbox, rights, escalations, webhooks, owns_store)
