"""The escalation desk's mail: the question to privacy@, and the team's reply to the visitor."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from qa.casework.escalation import Escalation, Turn
from qa.delivery.message import quoted

if TYPE_CHECKING:  # the desk hands in the assistant's answer; these letters need no ranker
    from qa.answering.answers import Answer

SECTIONS_IN_MAIL = 3


def question_letter(
    reference: str,
    when: datetime,
    question: str,
    answer: Answer,
    transcript: tuple[Turn, ...],
    email: str | None,
    public_url: str,
) -> str:
    """The mail to privacy@: the question, what the policy says, the chat before."""
    sections = [
        f"- {s.heading}\n  {public_url}{s.url}\n  {s.snippet}"
        for s in answer.sections[:SECTIONS_IN_MAIL]
    ]
    # The visitor wrote the question and the transcript (its "answers" too: a client
    # can send anything), so each is quoted line by line and cannot pass for our text.
    turns = [
        f"Visitor:\n{quoted(t.question)}\nAssistant (as sent by the visitor):\n{quoted(t.answer)}"
        for t in transcript
    ]
    return (
        f"A visitor asked for a person.\n\nReference: {reference}\n"
        f"Received: {when.isoformat()}\n\n"
        f"Question:\n{quoted(question)}\n\n"
        f"What the policy says (the assistant's best sections; it judged the question "
        f"{'answered' if answer.answered else 'not answered'}):\n"
        + ("\n".join(sections) if sections else "(no section matched)")
        + "\n\n"
        + ("Conversation before:\n" + "\n".join(turns) + "\n\n" if turns else "")
        + (
            f"Reply to this e-mail to answer the visitor ({email}).\n"
            if email
            else "The visitor gave no address for a reply.\n"
        )
        # A reply through the desk also reaches the visitor's status page and the case.
        + f"To answer on their status page and mark the case answered: "
        f'`privacy-qa escalations reply {reference} "..."`, or reply to {reference} in the '
        "support tool.\n"
    )


def reply_letter(case: Escalation, text: str) -> str:
    """The mail to the visitor with the team's reply."""
    return (
        f"The privacy team has answered your question {case.reference}.\n\n"
        f"{text}\n\n"
        f"Your question was:\n{quoted(case.question)}\n\n"
        "Reply to this e-mail to write back; the status page you were given when you sent "
        "the question shows every reply.\n"
    )
