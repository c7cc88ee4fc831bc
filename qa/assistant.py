"""The one answer path: every front end (API, chat, CLI, evaluation) calls Assistant.answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.library import Library
from index.policy import Policy, Section
from index.ranker import Hit, Params, QueryTerm, Ranker
from index.tokens import Analyzer, default_analyzer
from qa.answers import Action, Answer, PolicyInfo, SectionAnswer
from qa.contact import ContactCard, find_contact_section, read_contact_card
from qa.errors import InvalidQuestion, UnknownDocument, UnknownSection
from qa.intents import RIGHT_LABELS, IntentDetector, Intents, default_detector
from qa.render import render_markdown
from qa.snippets import Sentence, SnippetQuery, make_snippet, prepare_query, prepare_sentences

MAX_QUESTION = 500
_CONTACT = re.compile(r"\bcontact", re.IGNORECASE)
# Chosen with `privacy-qa eval eval/questions.jsonl` (README, "Quality"): the lowest share of
# explained terms at which answerable questions are answered and unanswerable ones declined.
DEFAULT_MIN_CONFIDENCE = 0.25
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
NO_TERMS = (
    "Please ask a question about our privacy policy, for example: how long do you keep my data?"
)


@dataclass(frozen=True)
class _Document:
    policy: Policy
    ranker: Ranker
    html: dict[str, str]
    sentences: dict[str, tuple[Sentence, ...]]


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
    ) -> None:
        self.library = library
        self.params = params
        self.min_confidence = min_confidence
        self.analyzer = analyzer or default_analyzer()
        self.detector = detector or default_detector()
        self.documents: dict[str, _Document] = {}
        for name, policy in library.documents.items():
            ranker = Ranker(policy.sections, self.analyzer, params)
            self.documents[name] = _Document(
                policy,
                ranker,
                {s.id: render_markdown(s.markdown, s.subheadings) for s in policy.sections},
                {
                    s.id: prepare_sentences(sentences, self.analyzer)
                    for s, sentences in zip(policy.sections, ranker.sentences, strict=True)
                },
            )
        self.contact = read_contact_card(library.default)
        self.contacts = {
            name: section
            for name, policy in library.documents.items()
            if (section := find_contact_section(policy)) is not None
        }
        self._single = len(self.documents) == 1

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
        names = [home.name] if document is not None else list(self.documents)
        # Every section that matches is ranked (a policy has tens of sections): the sections
        # where an intent is met may lie below top_k and are moved up.
        rankings = [self.documents[name].ranker.rank(text) for name in names]
        home_ranking = rankings[names.index(home.name)]
        terms = list(home_ranking.terms)
        # Intents are read from the words as corrected against the home document.
        corrections = {t.typed: t.word for t in terms if t.typed != t.word}
        intents = self.detector.detect_stems(home_ranking.stems)
        preferred = self._action_sections(home.name, intents)
        uncovered = set(home_ranking.uncovered)
        hits = [hit for ranking in rankings for hit in ranking.hits]
        if len(names) > 1:
            order = {name: i for i, name in enumerate(names)}
            hits.sort(key=lambda h: (-h.score, order[h.section.document], h.section.position))
        hits = self._prefer(hits, preferred)[:top_k]
        # Whether the policy answers is read from the leading sections, not the first alone: two
        # sections close in score swap places easily, and the answer shows both.
        confidence = max(
            (self._confidence(h, terms, intents, preferred) for h in hits[:LEADING_SECTIONS]),
            default=0.0,
        )
        # A question about a practice the policy never mentions (children's data, fees,
        # encryption, ...) is not answered from it, however many of its words match.
        answered = confidence >= self.min_confidence and not uncovered
        if answered:
            message = ANSWERED
        elif uncovered:
            message = NOT_COVERED
        elif hits:
            message = RELATED
        elif terms:
            message = NOT_COVERED
        else:
            message = NO_TERMS
        query = prepare_query(terms, self.analyzer, self.params.synonym_weight)
        by_term = {t.term: t.typed for t in terms}
        sections = tuple(self._section_answer(hit, query, by_term) for hit in hits)
        top_policy = self.library.documents[hits[0].section.document] if hits else home
        return Answer(
            question=question,
            answered=answered,
            confidence=confidence,
            message=message,
            intents=intents.names,
            sections=sections,
            actions=self._actions(intents, answered),
            policy=PolicyInfo(
                top_policy.name, top_policy.title, top_policy.last_updated, top_policy.version
            ),
            corrections=tuple(corrections.items()),
        )

    def _action_sections(self, document: str, intents: Intents) -> list[Section]:
        """Where the policy says how to act on the visitor's intent: its rights and contact
        sections. A visitor who wants to exercise a right or reach a person is best answered
        there, whatever words they used; but only sections whose headings say so are put first
        (in a policy without such headings, the ranking is surer than a guess at the place)."""
        found: list[Section] = []
        if intents.wants_rights:
            rights = self.documents[document].ranker.best_for_practice("rights", titled=True)
            if rights is not None:
                found.append(rights)
        if intents.wants_rights or intents.wants_contact:
            contact = self.contacts.get(document)
            if contact is not None and contact not in found and _CONTACT.search(contact.heading):
                found.append(contact)
        return found

    @staticmethod
    def _prefer(hits: list[Hit], preferred: list[Section]) -> list[Hit]:
        """The sections where the intent is met first, then the rest in ranking order."""
        if not preferred:
            return hits
        by_id = {(h.section.document, h.section.id): h for h in hits}
        first = [by_id.get((s.document, s.id)) or Hit(s, 0.0, 0.0, frozenset()) for s in preferred]
        chosen = {(h.section.document, h.section.id) for h in first}
        return first + [h for h in hits if (h.section.document, h.section.id) not in chosen]

    @staticmethod
    def _confidence(
        hit: Hit, terms: list[QueryTerm], intents: Intents, preferred: list[Section]
    ) -> float:
        """Share of the question's weighted terms that a section explains; the words that name
        an intent count as explained when the section is where that intent is met."""
        total = sum(t.weight for t in terms)
        if not total:
            return 0.0
        explained = hit.coverage
        if hit.section in preferred:
            cues = intents.cue_stems
            extra = sum(
                t.weight
                for t in terms
                if t.term not in hit.matched and all(p in cues for p in t.term.split("_"))
            )
            explained += extra / total
        return min(explained, 1.0)

    def _section_answer(
        self, hit: Hit, query: SnippetQuery, by_term: dict[str, str]
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
            markdown=section.markdown,
            html=document.html[section.id],
        )

    def _actions(self, intents: Intents, answered: bool) -> tuple[Action, ...]:
        contact_label = "Contact the privacy team"
        actions = [Action("contact", contact_label, "/contact")]
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
