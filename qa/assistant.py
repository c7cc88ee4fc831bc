"""The one answer path: every front end (API, chat, CLI, evaluation) calls Assistant.answer."""

from __future__ import annotations

from dataclasses import dataclass

from index.library import Library
from index.policy import Policy, Section
from index.ranker import Hit, Params, QueryTerm, Ranker
from index.tokens import Analyzer, default_analyzer
from qa.answers import Action, Answer, PolicyInfo, SectionAnswer
from qa.contact import ContactCard, read_contact_card
from qa.errors import InvalidQuestion, UnknownDocument, UnknownSection
from qa.intents import RIGHT_LABELS, IntentDetector, Intents, default_detector
from qa.render import render_markdown
from qa.snippets import Sentence, make_snippet, prepare_sentences

MAX_QUESTION = 500
MAX_TOP_K = 20

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
        min_confidence: float = 0.5,
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
                {s.id: render_markdown(s.markdown) for s in policy.sections},
                {
                    s.id: prepare_sentences(sentences, self.analyzer)
                    for s, sentences in zip(policy.sections, ranker.sentences, strict=True)
                },
            )
        self.contact = read_contact_card(library.default)
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
        names = [self.document(document).name] if document is not None else list(self.documents)
        hits: list[tuple[Hit, str]] = []
        terms = None
        corrections: dict[str, str] = {}
        for name in names:
            ranking = self.documents[name].ranker.rank(text, top_k)
            hits.extend((hit, name) for hit in ranking.hits)
            if terms is None:
                terms = list(ranking.terms)
            corrections.update({t.typed: t.word for t in ranking.terms if t.typed != t.word})
        if len(names) > 1:
            order = {name: i for i, name in enumerate(names)}
            hits.sort(key=lambda h: (-h[0].score, order[h[1]], h[0].section.position))
        hits = hits[:top_k]
        intents = self.detector.detect(text, tuple(corrections.values()))
        confidence = hits[0][0].coverage if hits else 0.0
        answered = confidence >= self.min_confidence
        if answered:
            message = ANSWERED
        elif hits:
            message = RELATED
        elif terms:
            message = NOT_COVERED
        else:
            message = NO_TERMS
        sections = tuple(self._section_answer(hit, terms or []) for hit, _ in hits)
        top_policy = self.library.documents[hits[0][1]] if hits else self.document(document)
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

    def _section_answer(self, hit: Hit, terms: list[QueryTerm]) -> SectionAnswer:
        section = hit.section
        document = self.documents[section.document]
        snippet = make_snippet(
            document.sentences[section.id],
            terms,
            self.analyzer,
            self.params.synonym_weight,
        )
        by_term = {t.term: t.typed for t in terms}
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
