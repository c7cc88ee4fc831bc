"""What the assistant says in its own words: the message of each kind of answer, and the
replies to small talk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from index.policy import Policy
from index.tokens import Analyzer, word_texts
from qa.answering.answers import Action, Answer, PolicyInfo

ANSWERED = "Here is what our privacy policy says."
RELATED = (
    "Our privacy policy does not seem to answer this directly. These sections might be related; "
    "you can also ask a person on the privacy team."
)
NOT_COVERED = (
    "Our privacy policy does not cover this question. You can ask a person on the privacy team."
)
SILENT = "Our privacy policy does not {what}."
SILENT_RELATED = " These sections are the closest it comes; you can also ask the privacy team."
SILENT_ALONE = " You can ask a person on the privacy team."
OFF_TOPIC = (
    "I can only answer questions about our privacy policy, and this one does not seem to be "
    "about it. Try, for example: how long do you keep my data?"
)
NO_TERMS = (
    "Please ask a question about our privacy policy, for example: how long do you keep my data?"
)
# The kinds of answer that offer to send the question to the privacy team there and then: the
# policy may not answer it. Small talk and questions about something else are not sent.
ESCALATED_KINDS = ("related", "not_covered", "silent")
SOCIAL = "Hello! I answer questions about our privacy policy, in the policy's own words."
THANKS = "You're welcome! Ask me anything else about our privacy policy."
SUGGESTIONS = (
    "How long do you keep my data?",
    "What data do you collect about me?",
    "How can I delete my data?",
    "Who do I contact about privacy?",
)
# Greetings and thanks: a message made only of these (and stopwords) is small talk, answered
# with a friendly line and the starter questions, never sent to the privacy team.
_GREETINGS = frozenset(
    (
        "hi hello hey hiya howdy yo hallo hola bonjour greetings morning afternoon evening good "
        "day there sup whats up ok okay cool great nice awesome test testing bot anyone"
    ).split()
)
_THANKS = frozenset("thanks thank thx ty cheers bye goodbye appreciated helpful perfect".split())


def reply(
    question: str, home: Policy, message: str, *, kind: str, suggestions: tuple[str, ...]
) -> Answer:
    """An answer that quotes no section: small talk, or a question in another language."""
    return Answer(
        question=question,
        answered=False,
        confidence=0.0,
        message=message,
        intents=(),
        sections=(),
        actions=(Action("contact", "Contact the privacy team", "/contact"),),
        policy=PolicyInfo(home.name, home.title, home.last_updated, home.version),
        corrections=(),
        kind=kind,
        suggestions=suggestions,
    )


def small_talk(text: str, analyzer: Analyzer) -> str | None:
    """A friendly line for a greeting or a thanks; None for anything with a question in it."""
    words = word_texts(text)
    if not words or len(words) > 8:
        return None
    talk = [w for w in words if w in _GREETINGS or w in _THANKS]
    rest = [w for w in words if w not in _GREETINGS and w not in _THANKS]
    if not talk or any(not analyzer.is_stopword(w) for w in rest):
        return None
    return THANKS if any(w in _THANKS for w in talk) else SOCIAL


def silence(silent: Mapping[str, str], uncovered: Sequence[str], related: bool) -> str:
    """What the policy does not say, in plain words, for the practices it never mentions
    (`silent` gives the words of each practice)."""
    what = [silent[p] for p in uncovered if p in silent]
    if not what:
        return NOT_COVERED
    head = SILENT.format(what=" or ".join(dict.fromkeys(what)))
    return head + (SILENT_RELATED if related else SILENT_ALONE)
