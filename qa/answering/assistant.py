"""The one answer path: every front end (API, chat, CLI, evaluation) calls Assistant.answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from index.library import Library
from index.policy import Policy, Section
from index.practices import Practices, default_practices
from index.ranker import Hit, Params, Ranking
from index.tokens import Analyzer, default_analyzer
from qa.answering.actions import SILENT_RIGHTS, actions_for
from qa.answering.answers import MAX_QUESTION, Answer, PolicyInfo
from qa.answering.contact import (
    CONTACT_ROUTES,
    ContactCard,
    contact_routes,
    find_contact_section,
    read_contact_card,
)
from qa.answering.documents import index_document, section_answer
from qa.answering.intents import IntentDetector, Intents, default_detector
from qa.answering.languages import choose_documents, document_analyzer, not_in_language_answer
from qa.answering.replies import (
    ANSWERED,
    ESCALATED_KINDS,
    NO_TERMS,
    NOT_COVERED,
    OFF_TOPIC,
    RELATED,
    SUGGESTIONS,
    reply,
    silence,
    small_talk,
)
from qa.answering.snippets import (
    prepare_query,
)
from qa.errors import InvalidQuestion, UnknownDocument, UnknownSection
from qa.settings import DEFAULT_MIN_CONFIDENCE

MAX_TOP_K = 20
LEADING_SECTIONS = 2  # the sections whose evidence decides whether the policy answers

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


# Read from here by the web pages and the escalations, with the Assistant.
__all__ = ["ESCALATED_KINDS", "MAX_QUESTION", "MAX_TOP_K", "SUGGESTIONS", "Assistant"]


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
        self.documents = {
            name: index_document(
                policy,
                document_analyzer(policy, self.analyzer),
                params,
                self.practices,
                [self.examples.get((name, s.id), ()) for s in policy.sections],
                vocabulary,
                self._lexicon,
                self.analyzer.related,  # the snippets read every question with these
            )
            for name, policy in library.documents.items()
        }
        self.contact = read_contact_card(library.default)
        self._gives = {
            name: contact_routes(policy, self.contact if policy is library.default else None)
            for name, policy in library.documents.items()
        }
        self.contacts = {
            name: section
            for name, policy in library.documents.items()
            if (section := find_contact_section(policy)) is not None
        }

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
        said = small_talk(text, self.analyzer)
        if said is not None:
            return reply(question, home, said, kind="social", suggestions=SUGGESTIONS)
        names = [home.name] if document is not None else list(self.documents)
        # Answered from the documents in the question's language, or told in it that there are
        # none (qa/answering/languages.py).
        choice = choose_documents(text, [self.library.documents[name] for name in names])
        if choice.language is not None and not choice.documents:
            actions = actions_for(Intents((), None, False), answered=False)
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
            message = silence(self.practices.silent, uncovered, bool(hits))
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
            section_answer(
                self.documents[hit.section.document],
                hit,
                query,
                by_term,
                url=self.section_url(hit.section),
                card=self._is_card(hit, contact),
            )
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
            actions=actions_for(intents, answered, uncovered),
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
        if any(h.section is contact for h in shown):
            return shown
        found = next((h for h in hits if h.section is contact), None)
        card = found or Hit(contact, 0.0, 0.0, frozenset())
        return [*shown[: top_k - 1], card]

    @staticmethod
    def _is_card(hit: Hit, contact: Section | None) -> bool:
        return contact is not None and hit.section is contact and not hit.matched

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

    def contact_card(self) -> ContactCard:
        """The contact card of the default document."""
        return self.contact
