"""Assistant.answer: sections in the policy's own words, intents, actions, contact, declines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.library import load_library
from index.passages import section_sentences
from qa.answering.answers import Answer
from qa.answering.assistant import Assistant
from qa.answering.contact import _PHONE_PARTS, _PHONE_WORD, _lines_with
from qa.answering.intents import RIGHTS
from qa.answering.render import render_markdown
from qa.answering.replies import (
    NO_TERMS,
    NOT_COVERED,
    OFF_TOPIC,
    RELATED,
    SOCIAL,
    SUGGESTIONS,
    THANKS,
)
from qa.errors import InvalidQuestion, UnknownDocument, UnknownSection
from tests.conftest import DATA


@pytest.fixture(scope="module")
def widgets() -> Assistant:
    """An assistant over the small fixture policy of Example Widgets Ltd."""
    return Assistant(load_library(DATA / "widgets-policy.md"))


@pytest.fixture(scope="module")
def acme() -> Assistant:
    """An assistant over a directory: a privacy policy beside a cookie policy."""
    return Assistant(load_library(DATA / "library"))


RIGHT_QUESTIONS = [
    ("Can I get a copy of my data?", "access"),
    ("How do I correct inaccurate information about me?", "rectification"),
    ("Please delete my account data", "erasure"),
    ("Can I restrict the processing of my data?", "restriction"),
    ("Can I export my data to another service?", "portability"),
    ("I object to you processing my data", "objection"),
    ("How do I withdraw my consent?", "withdraw_consent"),
    ("Do not sell my personal information", "opt_out"),
    ("Limit the use of my sensitive personal information", "limit"),
]


def tiny_policy(folder: Path, sections: str) -> Path:
    """A policy file titled P holding `sections` (Markdown from its first `##`)."""
    path = folder / "p.md"
    path.write_text(f"---\ntitle: P\n---\n\n{sections}", encoding="utf-8")
    return path


def kinds(answer: Answer) -> list[str]:
    """The kinds of the answer's actions, in order."""
    return [a.kind for a in answer.actions]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How long do you keep my data?", "data-retention"),
        ("who can I contact about privacy", "contact-us"),
        ("Is my data secure?", "data-security"),
        ("Will this privacy policy change?", "changes-to-the-privacy-policy"),
    ],
)
def test_bundled_policy_answers_plain_questions_with_the_obvious_section(
    assistant: Assistant, question: str, expected: str
) -> None:
    answer = assistant.answer(question)
    assert answer.answered
    assert answer.sections[0].id == expected
    assert answer.sections[0].url == f"/policy#{expected}"


def test_a_section_is_returned_verbatim_with_safe_html_snippet_and_highlights(
    widgets: Assistant,
) -> None:
    answer = widgets.answer("how long do you keep order records")
    top = answer.sections[0]
    section = widgets.section("how-long-we-keep-your-data")
    assert top.id == section.id and top.heading == "How Long We Keep Your Data"
    assert top.markdown == section.markdown
    assert top.html == render_markdown(section.markdown)
    assert top.document == "widgets-policy" and top.url == "/policy#how-long-we-keep-your-data"
    assert top.score > 0 and 0 < top.coverage <= 1
    assert top.snippet in section_sentences(section.markdown)
    marked = {h.text.casefold() for h in top.highlights}
    assert {"order", "records"} <= marked
    for h in top.highlights:
        assert top.snippet[h.start : h.end] == h.text
        assert f"<mark>{h.text}</mark>" in top.snippet_html


def test_answer_carries_policy_metadata_and_a_version_hash(widgets: Assistant) -> None:
    answer = widgets.answer("cookies")
    assert answer.policy.document == "widgets-policy"
    assert answer.policy.title == "Widgets Privacy Notice"
    assert answer.policy.last_updated == "March 3, 2025"
    assert answer.policy.version == widgets.library.default.version
    assert len(answer.policy.version) == 16


def test_top_k_caps_the_number_of_sections(widgets: Assistant) -> None:
    question = "order records postal address cookies consent"
    assert len(widgets.answer(question, top_k=1).sections) == 1
    assert len(widgets.answer(question, top_k=3).sections) == 3
    assert len(widgets.answer(question, top_k=20).sections) <= 20


def test_misspelled_words_are_corrected_and_reported(widgets: Assistant) -> None:
    answer = widgets.answer("how long do you retian order recrods")
    assert ("retian", "retain") in answer.corrections
    assert ("recrods", "records") in answer.corrections
    assert answer.sections[0].id == "how-long-we-keep-your-data"


def test_an_intent_is_found_through_a_corrected_word(widgets: Assistant) -> None:
    answer = widgets.answer("I want to delte my data")
    assert ("delte", "delete") in answer.corrections
    assert answer.intents == ("rights:erasure",)


def test_a_synonym_finds_the_section_that_uses_another_word(widgets: Assistant) -> None:
    # The policy says "retain"; the visitor says "store".
    answer = widgets.answer("how long do you store order records")
    assert answer.sections[0].id == "how-long-we-keep-your-data"


@pytest.mark.parametrize(("question", "right"), RIGHT_QUESTIONS)
def test_each_right_is_detected_and_offered_as_a_rights_request(
    widgets: Assistant, question: str, right: str
) -> None:
    answer = widgets.answer(question)
    assert answer.intents == (f"rights:{right}",)
    request = next(a for a in answer.actions if a.kind == "rights_request")
    assert request.url == f"/rights-requests/new?right={right}"
    assert request.right == right
    assert request.to_dict()["right"] == right


def test_every_right_has_a_test_question() -> None:
    assert {right for _, right in RIGHT_QUESTIONS} == set(RIGHTS)


def test_rights_in_general_are_plain_rights_and_the_request_names_no_right(
    widgets: Assistant,
) -> None:
    for question in ("What are my rights under GDPR?", "Can I delete or correct my data?"):
        answer = widgets.answer(question)
        assert "rights" in answer.intents
        assert not any(i.startswith("rights:") for i in answer.intents)
        request = next(a for a in answer.actions if a.kind == "rights_request")
        assert request.url == "/rights-requests/new" and request.right is None
        assert "right" not in request.to_dict()


def test_contact_and_complaint_intents(widgets: Assistant) -> None:
    assert "contact" in widgets.answer("How can I contact your privacy team?").intents
    assert "complaint" in widgets.answer("I want to file a complaint").intents
    assert widgets.answer("how long do you keep order records").intents == ()


def test_contact_action_comes_first_on_every_answer(widgets: Assistant) -> None:
    for question in ("cookies", "what is the capital of peru", "the", "delete my data"):
        first = widgets.answer(question).actions[0]
        assert (first.kind, first.url) == ("contact", "/contact")
        assert "rights_request" in kinds(widgets.answer(question))


def test_escalation_is_offered_when_not_answered_or_a_person_is_asked_for(
    widgets: Assistant,
) -> None:
    answered = widgets.answer("how long do you keep order records")
    assert answered.answered and "escalate" not in kinds(answered)
    declined = widgets.answer("what is the capital of peru")
    assert not declined.answered and "escalate" in kinds(declined)
    # With no confidence threshold the question counts as answered: only the person asked for
    # can add the escalation.
    lenient = Assistant(widgets.library, min_confidence=0.0)
    person = lenient.answer("I want to speak to someone about how long you keep order records")
    assert person.answered and "escalate" in kinds(person)
    assert "escalate" not in kinds(lenient.answer("how long do you keep order records"))
    escalate = next(a for a in person.actions if a.kind == "escalate")
    assert escalate.url == "/escalations/new"


def test_a_weak_match_is_declined_but_lists_related_sections(widgets: Assistant) -> None:
    answer = widgets.answer("do you share my shoe size with partners")
    assert not answer.answered
    assert (answer.kind, answer.message) == ("related", RELATED)
    assert answer.confidence < 0.5
    assert answer.sections, "sections sharing a term are offered as related"
    for section in answer.sections:
        assert section.matched_terms


@pytest.mark.parametrize(
    "question",
    ["what colour are your garden gnomes", "what is the capital of peru", "is Bristol nice"],
)
def test_a_question_about_something_else_is_declined_with_no_sections(
    widgets: Assistant, question: str
) -> None:
    # "garden" and "Bristol" are words of the policy (its preamble, its postal address), but
    # the question is not about privacy: it is not answered from the policy.
    answer = widgets.answer(question)
    assert (answer.answered, answer.kind, answer.message) == (False, "off_topic", OFF_TOPIC)
    assert answer.sections == ()
    assert kinds(answer)[0] == "contact"


def test_a_privacy_question_the_policy_has_no_words_for_is_not_covered(
    tmp_path: Path,
) -> None:
    policy = tiny_policy(
        tmp_path,
        "## Orders\n\nWe keep order records for six years.\n",
    )
    answer = Assistant(load_library(policy)).answer("is my personal information pseudonymised")
    assert (answer.answered, answer.kind, answer.message) == (False, "not_covered", NOT_COVERED)
    assert answer.sections == ()


@pytest.mark.parametrize(
    ("question", "message"), [("hi", SOCIAL), ("Hello there!", SOCIAL), ("thanks!", THANKS)]
)
def test_a_greeting_or_thanks_gets_a_friendly_line_and_starter_questions(
    widgets: Assistant, question: str, message: str
) -> None:
    answer = widgets.answer(question)
    assert (answer.kind, answer.message, answer.sections) == ("social", message, ())
    assert answer.suggestions == SUGGESTIONS
    assert "escalate" not in kinds(answer), "small talk is not escalated to the privacy team"


def test_a_greeting_with_a_question_is_answered_as_the_question(widgets: Assistant) -> None:
    answer = widgets.answer("hi, how long do you keep order records?")
    assert answer.kind == "answer"
    assert answer.sections[0].id == "how-long-we-keep-your-data"


def test_question_of_stopwords_only_asks_for_a_real_question(widgets: Assistant) -> None:
    answer = widgets.answer("what is the ???")
    assert not answer.answered and answer.message == NO_TERMS


def test_bundled_off_topic_question_is_declined(assistant: Assistant) -> None:
    answer = assistant.answer("what is the weather like in paris tomorrow")
    assert not answer.answered
    assert "escalate" in kinds(answer)


def test_contact_card_is_read_from_the_policy_not_from_code(
    widgets: Assistant, assistant: Assistant
) -> None:
    card = widgets.contact_card()
    assert card.organisation == "Example Widgets Ltd"
    assert card.address == ("12 Orchard Lane", "Bristol BS1 4AA", "United Kingdom")
    assert card.phone == "+44 117 496 0123"
    assert card.email == "privacy@widgets.example"
    assert card.website == "https://widgets.example"
    assert card.section_id == "contact-us"
    bundled = assistant.contact_card()
    assert bundled.email == "privacy@openinfrastructure.co"
    assert bundled.organisation == "Open Infrastructure Services, LLC"


@pytest.mark.parametrize(
    ("question", "top_k", "field"),
    [
        ("", 3, "question"),
        ("   \n\t ", 3, "question"),
        ("x" * 501, 3, "question"),
        ("cookies", 0, "top_k"),
        ("cookies", 21, "top_k"),
    ],
)
def test_bad_input_raises_invalid_question_naming_the_field(
    widgets: Assistant, question: str, top_k: int, field: str
) -> None:
    with pytest.raises(InvalidQuestion) as raised:
        widgets.answer(question, top_k)
    assert raised.value.field == field
    assert raised.value.message.startswith(f"{field}:")


def test_a_question_of_exactly_500_characters_is_accepted(widgets: Assistant) -> None:
    question = ("cookies " * 70)[:500]
    assert len(widgets.answer(question).sections) == 1


def test_unknown_document_and_section_name_the_choices(widgets: Assistant) -> None:
    with pytest.raises(UnknownDocument) as raised:
        widgets.answer("cookies", document="nope")
    assert raised.value.field == "document" and "widgets-policy" in raised.value.message
    with pytest.raises(UnknownSection) as missing:
        widgets.section("nope")
    assert missing.value.field == "section" and "/api/policy" in missing.value.message


def test_answers_from_several_documents_name_their_document(acme: Assistant) -> None:
    answer = acme.answer("how do I block cookies in my browser")
    top = answer.sections[0]
    assert (top.document, top.id) == ("cookie-policy", "managing-cookies")
    assert top.url == "/policy/cookie-policy#managing-cookies"
    assert answer.policy.document == "cookie-policy"
    assert answer.policy.title == "Acme Cookie Policy"
    retention = acme.answer("how long do you keep my account records").sections[0]
    assert (retention.document, retention.url) == ("privacy-policy", "/policy#data-retention")


def test_document_filter_searches_only_that_document(acme: Assistant) -> None:
    everywhere = acme.answer("keep account records cookies", top_k=10)
    assert {s.document for s in everywhere.sections} == {"privacy-policy", "cookie-policy"}
    only = acme.answer("keep account records cookies", top_k=10, document="cookie-policy")
    assert only.sections and {s.document for s in only.sections} == {"cookie-policy"}
    assert only.policy.document == "cookie-policy"


def test_raw_html_in_a_policy_never_reaches_section_html_or_snippets() -> None:
    unsafe = Assistant(load_library(DATA / "unsafe-policy.md"))
    answer = unsafe.answer("hello world script click to win")
    top = answer.sections[0]
    assert "<script" in top.markdown  # verbatim source, for API clients that render it
    for html in (top.html, top.snippet_html):
        assert "<script" not in html and "<img" not in html
        assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in top.html
    assert 'href="https://example.org/rules"' in top.html


def test_to_dict_has_every_field_of_the_api_answer(widgets: Assistant) -> None:
    data = widgets.answer("Can I get a copy of my data?").to_dict()
    assert {
        "question",
        "answered",
        "confidence",
        "message",
        "intents",
        "sections",
        "actions",
        "policy",
    } <= set(data)
    assert {"id", "document", "heading", "url", "score", "snippet", "highlights"} <= set(
        data["sections"][0]
    )
    assert {"markdown", "html"} <= set(data["sections"][0])
    assert {"title", "last_updated", "version"} <= set(data["policy"])
    assert all({"kind", "label", "url"} <= set(a) for a in data["actions"])


def test_an_intent_never_lifts_a_section_above_a_better_match(widgets: Assistant) -> None:
    answer = widgets.answer("how long do you keep order records before you delete them")
    assert answer.intents == ("rights:erasure",)
    assert answer.sections[0].id == "how-long-we-keep-your-data"


def test_sections_are_best_first_and_the_contact_card_comes_last(widgets: Assistant) -> None:
    rights = widgets.answer("can you erase my account data")
    ids = [s.id for s in rights.sections]
    assert ids[0] == "your-rights" and ids[-1] == "contact-us"
    scores = [s.score for s in rights.sections]
    assert scores == sorted(scores, reverse=True)
    assert [s.card for s in rights.sections] == [False] * (len(ids) - 1) + [True]
    contact = widgets.answer("how can I contact your privacy team about cookies")
    assert contact.sections[0].id == "contact-us" and not contact.sections[0].card


def test_a_complaint_finds_the_contact_section_although_it_never_says_complain(
    widgets: Assistant,
) -> None:
    answer = widgets.answer("I want to complain about how you handle my data")
    assert "complaint" in answer.intents
    assert answer.sections[0].id == "contact-us"
    assert not answer.sections[0].card, "found by what the visitor wants, so not a bare card"


def test_without_titled_sections_an_intent_leaves_the_order_to_the_ranking(
    tmp_path: Path,
) -> None:
    # Sections without telling headings (as in policies converted from plain text): the
    # section with the most rights words is no surer a place than the ranking's first choice.
    (tmp_path / "untitled.md").write_text(
        "---\ntitle: Untitled\n---\n\n"
        "## Part 1\n\nYou may access, review, correct or update your profile and your rights "
        "at any time.\n\n"
        "## Part 2\n\nWe erase order records after two years, and you may ask us to erase "
        "order records sooner.\n\n"
        "## Part 3\n\nWrite to privacy@example.com with any question.\n",
        encoding="utf-8",
    )
    untitled = Assistant(load_library(tmp_path / "untitled.md"))
    answer = untitled.answer("can you erase my order records")
    assert answer.intents == ("rights:erasure",)
    assert answer.sections[0].id == "part-2"


def test_the_visitors_own_contact_details_are_data_not_a_contact_request(
    widgets: Assistant,
) -> None:
    for question in ("do you collect my phone number", "what contact details do you collect"):
        answer = widgets.answer(question)
        assert "contact" not in answer.intents, question
        assert answer.sections[0].id == "what-we-collect", question
    assert "contact" in widgets.answer("what are your contact details").intents


def test_a_core_practice_named_in_passing_is_not_spoken_of(tmp_path: Path) -> None:
    # "retain" in a list of verbs says nothing about how long data is kept; "we never sell"
    # once is the answer to whether data is sold.
    policy = tiny_policy(
        tmp_path,
        "## About\n\nThis notice says how we ask for, use, retain and "
        "protect your personal information.\n\n## Sharing\n\nWe share your name with the "
        "courier. We never sell your information.\n",
    )
    assistant = Assistant(load_library(policy))
    kept = assistant.answer("how long do you keep my information")
    assert (kept.answered, kept.kind) == (False, "silent")
    assert kept.message.startswith("Our privacy policy does not say how long personal data is kept")
    sold = assistant.answer("do you sell my information")
    assert sold.answered and sold.sections[0].id == "sharing"


def test_a_number_or_an_address_the_policy_never_gives_is_named_as_silence(
    tmp_path: Path, widgets: Assistant
) -> None:
    policy = tiny_policy(
        tmp_path,
        "## What we collect\n\nWe collect your name, your email address "
        "and your phone number.\n\n"
        "## Contact\n\nWrite to privacy@example.org with any question.\n",
    )
    bare = Assistant(load_library(policy))
    phone = bare.answer("what is your phone number")
    assert (phone.kind, phone.answered) == ("silent", False)
    assert phone.message.startswith("Our privacy policy does not give a phone number to call")
    postal = bare.answer("what is your mailing address")
    assert postal.message.startswith("Our privacy policy does not give a postal address")
    # The visitor's own phone number is data the policy speaks of, not a number to call.
    assert bare.answer("do you keep my phone number").sections[0].id == "what-we-collect"
    # A policy whose contact card gives them answers from it.
    answer = widgets.answer("what is your phone number")
    assert answer.answered and answer.sections[0].id == "contact-us"
    postal = widgets.answer("what is your mailing address")
    assert postal.kind == "answer" and "contact-us" in [s.id for s in postal.sections]


def test_a_question_about_a_child_is_about_the_childrens_section(tmp_path: Path) -> None:
    policy = tiny_policy(
        tmp_path,
        "## What we collect\n\nYour name and address.\n\n"
        "## Children\n\nThe service is not meant for anyone under 16.\n",
    )
    answer = Assistant(load_library(policy)).answer("my son is 15, can he sign up?")
    assert answer.answered and answer.sections[0].id == "children"


# The whole-line pattern the phone lines were once found with: the oracle for the faster search.
_WHOLE_LINE = re.compile(r"(?im)^.*\b(?:phone|telephone|tel|call|fax)\b.*$")
_PHONE_TEXTS = [
    "Call us on +44 117 496 0123.\nWrite to us.",
    "No number here.\nOur TELEPHONE line: 0800 123 4567",  # the last line, no newline after
    "telephones and calls are no keyword; a phone is.\r\nFax: 555-0100-22\n\nphone phone",
    "Callers: call\ncall 12 34 56 7\nTel. 0800 123 4567",
    "",
]


@pytest.mark.parametrize(
    "text",
    [pytest.param(text, id=f"text-{n}") for n, text in enumerate(_PHONE_TEXTS)]
    + [
        pytest.param(path.read_text(encoding="utf-8"), id=path.name)
        for path in sorted(DATA.glob("**/*.md"))
    ],
)
def test_the_phone_lines_are_those_the_whole_line_pattern_finds(text: str) -> None:
    found = _lines_with(_PHONE_WORD, _PHONE_PARTS, text)
    assert found == [m.group() for m in _WHOLE_LINE.finditer(text)]
