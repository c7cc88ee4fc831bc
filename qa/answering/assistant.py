"""The one answer path: every front end (API, chat, CLI, evaluation) calls Assistant.answer."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from index.library import Library
from index.policy import Policy, Section
from index.practices import Practices, default_practices
from index.ranker import Hit, Params, Ranker, Ranking
from index.tokens import Analyzer, default_analyzer, split_words
from qa.answering.answers import Action, Answer, PolicyInfo, SectionAnswer
from qa.answering.contact import ContactCard, find_contact_section, read_contact_card
from qa.answering.intents import RIGHT_LABELS, IntentDetector, Intents, default_detector
from qa.answering.languages import choose_documents, document_analyzer, not_in_language_answer
from qa.answering.render import render_markdown
from qa.answering.snippets import (
    Sentences,
    SnippetQuery,
    make_snippet,
    prepare_query,
    prepare_sentences,
)
from qa.errors import InvalidQuestion, UnknownDocument, UnknownSection
from qa.settings import DEFAULT_MIN_CONFIDENCE

MAX_QUESTION = 500
# The request that fits a question about a practice the policy is silent on: a visitor who asks
# whether their data is sold can still opt out of its sale.
SILENT_RIGHTS = {"sale": "opt_out"}
MAX_TOP_K = 20
LEADING_SECTIONS = 2  # the sections whose evidence decides whether the policy answers

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
# Words of any question about the policy itself that are in no cue list.
# Words of privacy beyond the practices' cues: a question using one is about the policy, even
# if the policy never uses the word ("will it save everything I type?").
_POLICY_WORDS = (
    "data information personal privacy private policy details record records save saved "
    "store stored keep kept track tracking tracked monitor monitored spy spying spam hide "
    "hidden listen listening hack hacked hacker attack vulnerable leak leaked anonymous "
    "anonymously incognito secret secure safe safety confidential visible "
    "typed messages chats location photos pictures contacts account profile email "
    "password login"
)


CONTACT_ROUTES = ("phone", "postal")  # practices asked of the contact card, not of cues
_PHONE_LINE = re.compile(r"(?im)^.*\b(?:phone|telephone|tel|call|fax)\b.*$")


def _contact_routes(policy: Policy) -> frozenset[str]:
    """Which of CONTACT_ROUTES the policy gives: a phone number (on its contact card, or a line
    that says phone or call and has seven digits or more), a postal address (on its card)."""
    card = read_contact_card(policy)
    body = "\n".join(s.markdown for s in policy.sections)
    numbered = any(sum(c.isdigit() for c in m.group()) >= 7 for m in _PHONE_LINE.finditer(body))
    found = set()
    if card.phone or numbered:
        found.add("phone")
    if card.address:
        found.add("postal")
    return frozenset(found)


@dataclass(frozen=True)
class _Document:
    policy: Policy
    ranker: Ranker
    html: dict[str, str]
    sentences: dict[str, Sentences]


class Assistant:
    """Answers questions from a library of policies; built once, then read-only and thread-safe."""

    def __init__(
        self,
        library: Library,
        *,
        params: Params = Params(),
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        analyzer: Analyzer | None = None,
        detector: IntentDetector | None = None,
        practices: Practices | None = None,
        examples: Mapping[tuple[str, str], Sequence[str]] | None = None,
    ) -> None:
        """`examples` are the privacy team's example questions by (document, section id): each
        is indexed as a field of its section. Examples of sections that do not exist are kept
        in `stale_examples`, for the caller to report."""
        self.library = library
        self.params = params
        self.min_confidence = min_confidence
        self.analyzer = analyzer or default_analyzer()
        self.detector = detector or default_detector()
        self.practices = practices or default_practices()
        self.examples = {key: tuple(found) for key, found in (examples or {}).items() if found}
        self.stale_examples = tuple(
            key
            for key in self.examples
            if key[0] not in library.documents or library.documents[key[0]].section(key[1]) is None
        )
        self._lexicon = (
            self.practices.stems
            | self.detector.stems
            | frozenset(t for group in self.analyzer.groups for t in group)
            | frozenset(self.analyzer.content_stems(_POLICY_WORDS))
        )
        vocabulary = [*self.detector.words, *self.practices.words]
        self.documents: dict[str, _Document] = {}
        for name, policy in library.documents.items():
            ranker = Ranker(
                policy.sections,
                document_analyzer(policy, self.analyzer),
                params,
                self.practices,
                [self.examples.get((name, s.id), ()) for s in policy.sections],
                vocabulary,
                self._lexicon,
            )
            self.documents[name] = _Document(
                policy,
                ranker,
                {s.id: render_markdown(s.markdown, s.subheadings) for s in policy.sections},
                {
                    s.id: prepare_sentences(sentences, ranker.analyzer)
                    for s, sentences in zip(policy.sections, ranker.sentences, strict=True)
                },
            )
        self.contact = read_contact_card(library.default)
        self._gives = {name: _contact_routes(policy) for name, policy in library.documents.items()}
        self.contacts = {
            name: section
            for name, policy in library.documents.items()
            if (section := find_contact_section(policy)) is not None
        }
        self._single = len(self.documents) == 1

    def with_examples(self, examples: Mapping[tuple[str, str], Sequence[str]]) -> Assistant:
        """A new assistant over the same library and settings, with these example questions."""
        return Assistant(
            self.library,
            params=self.params,
            min_confidence=self.min_confidence,
            analyzer=self.analyzer,
            detector=self.detector,
            practices=self.practices,
            examples=examples,
        )

    def document(self, name: str | None) -> Policy:
        """The named document, or the default one; UnknownDocument names the choices."""
        if name is None:
            return self.library.default
        found = self.library.get(name)
        if found is None:
            raise UnknownDocument(
                f"document: no document named {name!r}; use one of: {', '.join(self.documents)}",
                "document",
            )
        return found

    def section(self, section_id: str, document: str | None = None) -> Section:
        """One section by id; UnknownSection says where to find the ids."""
        policy = self.document(document)
        found = policy.section(section_id)
        if found is None:
            raise UnknownSection(
                f"section: {policy.name!r} has no section {section_id!r}; "
                "GET /api/policy lists the section ids",
                "section",
            )
        return found

    def section_url(self, section: Section) -> str:
        """Where a section is shown: /policy#id for the default document."""
        if section.document == self.library.default.name:
            return f"/policy#{section.id}"
        return f"/policy/{section.document}#{section.id}"

    def section_html(self, section: Section) -> str:
        """The section's body as safe HTML (rendered once, at start-up)."""
        return self.documents[section.document].html[section.id]

    def answer(self, question: str, top_k: int = 3, document: str | None = None) -> Answer:
        """The policy's own sections that answer `question`, the intents, and next steps."""
        text = question.strip()
        if not text:
            raise InvalidQuestion("question: must not be empty; type a question", "question")
        if len(question) > MAX_QUESTION:
            raise InvalidQuestion(
                f"question: is {len(question)} characters; keep it to {MAX_QUESTION} or fewer",
                "question",
            )
        if not 1 <= top_k <= MAX_TOP_K:
            raise InvalidQuestion(f"top_k: must be 1 to {MAX_TOP_K}, not {top_k}", "top_k")
        home = self.document(document)
        small_talk = self._small_talk(text)
        if small_talk is not None:
            return self._reply(question, home, small_talk, kind="social", suggestions=SUGGESTIONS)
        names = [home.name] if document is not None else list(self.documents)
        # Answered from the documents in the question's language, or told in it that there are
        # none (qa/answering/languages.py).
        choice = choose_documents(text, [self.library.documents[name] for name in names])
        if choice.language is not None and not choice.documents:
            actions = self._actions(Intents((), None, False), answered=False)
            return not_in_language_answer(question, choice.language, home, actions)
        home, names = choice.documents[0], [p.name for p in choice.documents]
        # Intents are read from the words as corrected against each document. They choose the
        # actions offered and name the practice asked about (a visitor who wants their data
        # deleted asks about rights), but never move a section: the evidence orders those.
        # Only the best top_k of each document can be shown (each document's best are the best
        # of all), and the contact section, wherever it ranks, may close the list.
        rankings = [
            self.documents[name].ranker.rank(
                text, top_k, topics_of=self._intent_topics, keep=self.contacts.get(name)
            )
            for name in names
        ]
        home_ranking = rankings[names.index(home.name)]
        terms = list(home_ranking.terms)
        corrections = {t.typed: t.word for t in terms if t.typed != t.word}
        intents = self.detector.detect_stems(home_ranking.stems)
        # A practice the question only mentions ("opt out of the sale") does not stop an answer
        # to a visitor who wants to exercise the right that fits it: how is still in the policy.
        uncovered = [
            p
            for p in home_ranking.uncovered
            if p in home_ranking.uncovered_asked
            or intents.right is None
            or SILENT_RIGHTS.get(p) != intents.right
        ]
        # A number to call or an address to write to: the policy gives one or it does not.
        uncovered += [
            p
            for p in CONTACT_ROUTES
            if p in home_ranking.topics and p not in self._gives[home.name]
        ]
        hits = [hit for ranking in rankings for hit in ranking.hits]
        if len(names) > 1:
            order = {name: i for i, name in enumerate(names)}
            hits.sort(key=lambda h: (-h.score, order[h.section.document], h.section.position))
        hits = self._with_contact_card(hits, home.name, intents, top_k)
        # Whether the policy answers is read from the leading sections, not the first alone: two
        # sections close in score swap places easily, and the answer shows both.
        confidence = max((h.coverage for h in hits[:LEADING_SECTIONS]), default=0.0)
        # The privacy vocabulary is English: in another language, sharing a word is enough.
        on_topic = self._on_topic(home_ranking, intents) if home.language == "en" else True
        # A question about a practice the policy never mentions (selling data, children's data,
        # where data is stored, ...) is not answered from it, however many of its words match.
        answered = confidence >= self.min_confidence and not uncovered and on_topic
        kind = "answer"
        if answered:
            message = ANSWERED
        elif uncovered:
            kind = "silent"
            message = self._silence(uncovered, bool(hits))
        elif not terms:
            kind = "no_terms"
            message = NO_TERMS
        elif not on_topic:
            kind, hits = "off_topic", []
            message = OFF_TOPIC
        elif hits:
            kind = "related"
            message = RELATED
        else:
            kind = "not_covered"
            message = NOT_COVERED
        query = prepare_query(terms, self.analyzer, self.params.synonym_weight)
        by_term = {t.term: t.typed for t in terms}
        contact = self.contacts.get(home.name)
        sections = tuple(
            self._section_answer(hit, query, by_term, card=self._is_card(hit, contact))
            for hit in hits
        )
        top_policy = self.library.documents[hits[0].section.document] if hits else home
        return Answer(
            question=question,
            answered=answered,
            confidence=confidence,
            message=message,
            intents=intents.names,
            sections=sections,
            actions=self._actions(intents, answered, uncovered),
            policy=PolicyInfo(
                top_policy.name, top_policy.title, top_policy.last_updated, top_policy.version
            ),
            corrections=tuple(corrections.items()),
            kind=kind,
        )

    def _intent_topics(self, stems: Sequence[str]) -> dict[str, frozenset[str]]:
        """The practices a question's intents are about (rights, or reaching the organisation),
        each with the stems of the words that said so."""
        intents = self.detector.detect_stems(stems)
        found = {}
        if intents.wants_rights:
            found["rights"] = intents.cue_stems
        if intents.wants_contact or intents.wants_person:
            found["contact"] = intents.cue_stems
        return found

    def _with_contact_card(
        self, hits: list[Hit], document: str, intents: Intents, top_k: int
    ) -> list[Hit]:
        """The best `top_k` sections; for a visitor who wants to act (a right, a person, a
        complaint), the policy's contact section closes the list when it is not already in it,
        after the sections that answer, never above them."""
        if not (intents.names or intents.wants_person) or top_k < 2:
            return hits[:top_k]
        contact = self.contacts.get(document)
        if contact is None:
            return hits[:top_k]
        shown = hits[:top_k]
        if any(h.section == contact for h in shown):
            return shown
        found = next((h for h in hits if h.section == contact), None)
        card = found or Hit(contact, 0.0, 0.0, frozenset())
        return [*shown[: top_k - 1], card]

    @staticmethod
    def _is_card(hit: Hit, contact: Section | None) -> bool:
        return contact is not None and hit.section == contact and not hit.matched

    def _reply(
        self, question: str, home: Policy, message: str, *, kind: str, suggestions: tuple[str, ...]
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

    def _small_talk(self, text: str) -> str | None:
        """A friendly line for a greeting or a thanks; None for anything with a question in it."""
        words = [w.text for w in split_words(text)]
        if not words or len(words) > 8:
            return None
        talk = [w for w in words if w in _GREETINGS or w in _THANKS]
        rest = [w for w in words if w not in _GREETINGS and w not in _THANKS]
        if not talk or any(not self.analyzer.is_stopword(w) for w in rest):
            return None
        return THANKS if any(w in _THANKS for w in talk) else SOCIAL

    def _on_topic(self, ranking: Ranking, intents: Intents) -> bool:
        """Whether a question is about the policy at all: it asks about a practice, wants to act
        on a right or reach a person, uses the privacy vocabulary, or every word it has is a word
        of the policy. A question that shares only an incidental word with the policy (a city of
        its postal address) and has words the policy never uses is not."""
        if intents.names or ranking.topics:
            return True
        stems = {t.term for t in ranking.terms}
        if stems & self._lexicon:
            return True
        return not ranking.unknown

    def _silence(self, uncovered: list[str], related: bool) -> str:
        """What the policy does not say, in plain words, for the practices it never mentions."""
        silent = self.practices.silent
        what = [silent[p] for p in uncovered if p in silent]
        if not what:
            return NOT_COVERED
        head = SILENT.format(what=" or ".join(dict.fromkeys(what)))
        return head + (SILENT_RELATED if related else SILENT_ALONE)

    def _section_answer(
        self, hit: Hit, query: SnippetQuery, by_term: dict[str, str], *, card: bool = False
    ) -> SectionAnswer:
        section = hit.section
        document = self.documents[section.document]
        snippet = make_snippet(document.sentences[section.id], query)
        return SectionAnswer(
            id=section.id,
            document=section.document,
            heading=section.heading,
            path=section.path,
            url=self.section_url(section),
            score=hit.score,
            coverage=hit.coverage,
            snippet=snippet.text,
            snippet_html=snippet.html,
            highlights=snippet.highlights,
            matched_terms=tuple(sorted({by_term.get(t, t) for t in hit.matched})),
            example=hit.example,
            card=card,
            markdown=section.markdown,
            html=document.html[section.id],
        )

    def _actions(
        self, intents: Intents, answered: bool, uncovered: Sequence[str] = ()
    ) -> tuple[Action, ...]:
        contact_label = "Contact the privacy team"
        actions = [Action("contact", contact_label, "/contact")]
        right = intents.right or next(
            (SILENT_RIGHTS[p] for p in uncovered if p in SILENT_RIGHTS), None
        )
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
            actions.append(
                Action("rights_request", "Make a privacy request", "/rights-requests/new")
            )
        if not answered or intents.wants_person:
            actions.append(Action("escalate", "Ask a person", "/escalations/new"))
        return tuple(actions)

    def contact_card(self) -> ContactCard:
        """The contact card of the default document."""
        return self.contact
