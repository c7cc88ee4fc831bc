"""The next steps an answer offers: contact the team, make a rights request, ask a person."""

from __future__ import annotations

from collections.abc import Sequence

from qa.answering.answers import Action
from qa.answering.intents import RIGHT_LABELS, Intents

# The request that fits a question about a practice the policy is silent on: a visitor who asks
# whether their data is sold can still opt out of its sale.
SILENT_RIGHTS = {"sale": "opt_out"}


def actions_for(
    intents: Intents, answered: bool, uncovered: Sequence[str] = ()
) -> tuple[Action, ...]:
    """The next steps offered with an answer: contact, a rights request (of the right the
    question wants, or fits), and a person when the policy may not answer."""
    contact_label = "Contact the privacy team"
    actions = [Action("contact", contact_label, "/contact")]
    right = intents.right or next((SILENT_RIGHTS[p] for p in uncovered if p in SILENT_RIGHTS), None)
    if right:
        intents = Intents(intents.names, right, intents.wants_person, intents.cue_stems)
    if intents.right:
        actions.append(
            Action(
                "rights_request",
                f"Request {RIGHT_LABELS[intents.right]}",
                f"/rights-requests/new?right={intents.right}",
                intents.right,
            )
        )
    else:
        actions.append(Action("rights_request", "Make a privacy request", "/rights-requests/new"))
    if not answered or intents.wants_person:
        actions.append(Action("escalate", "Ask a person", "/escalations/new"))
    return tuple(actions)
