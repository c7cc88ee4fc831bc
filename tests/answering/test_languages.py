"""Other languages: detecting a question's language, per-language analyzers, and answering
from a document in the visitor's language (or saying, in it, that there is none)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.languages import (
    SUPPORTED_LANGUAGES,
    UnsupportedLanguage,
    analyzer_for,
    detect_language,
    stopwords,
)
from index.library import Library, load_library
from index.policy import PolicyError, read_policy
from index.tokens import default_analyzer
from qa.answering.assistant import Assistant
from qa.answering.languages import LANGUAGE_NAMES, not_in_language_message
from qa.settings import Settings
from tests.web.test_api import assert_answer_shape
from web.app import create_app

QUESTIONS = {
    "de": [
        "Welche Daten speichern Sie über mich?",
        "Wie lange speichern Sie meine Daten?",
        "Verkaufen Sie meine Daten an Dritte?",
        "Wie kann ich mein Konto löschen?",
        "Wer ist für den Datenschutz zuständig?",
        "Welche Cookies verwenden Sie auf der Website?",
        "Kann ich der Verarbeitung widersprechen?",
        "Geben Sie meine Daten an Partner weiter?",
        "Was passiert mit meinen Daten?",
    ],
    "fr": [
        "Combien de temps gardez-vous mes données ?",
        "Vendez-vous mes données ?",
        "Qu'est-ce que vous faites de mes données ?",
        "Comment supprimer mon compte ?",
        "Quels cookies utilisez-vous ?",
        "Qui est responsable de la protection des données ?",
        "Partagez-vous mes informations avec des tiers ?",
        "Puis-je obtenir une copie de mes données ?",
        "Où sont stockées mes données ?",
    ],
    "es": [
        "¿Venden mis datos?",
        "¿Cuánto tiempo guardan mis datos?",
        "¿Qué datos recopilan sobre mí?",
        "¿Cómo puedo borrar mi cuenta?",
        "¿Comparten mis datos con terceros?",
        "¿Qué cookies utilizan?",
        "¿Quién es el responsable del tratamiento?",
        "¿Dónde se almacenan mis datos?",
        "Quiero una copia de mis datos personales",
    ],
    "it": [
        "Vendete i miei dati?",
        "Per quanto tempo conservate i miei dati?",
        "Quali dati raccogliete su di me?",
        "Come posso cancellare il mio account?",
        "Condividete i miei dati con terze parti?",
        "Quali cookie usate sul sito?",
        "Chi è il titolare del trattamento?",
        "Dove sono conservati i miei dati?",
    ],
    "nl": [
        "Hoe lang bewaren jullie mijn gegevens?",
        "Verkopen jullie mijn gegevens?",
        "Welke gegevens verzamelen jullie over mij?",
        "Hoe kan ik mijn account verwijderen?",
        "Delen jullie mijn gegevens met derden?",
        "Welke cookies gebruikt u?",
        "Wie is verantwoordelijk voor de verwerking?",
        "Waar worden mijn gegevens opgeslagen?",
    ],
    "pt": [
        "Vocês vendem meus dados?",
        "Por quanto tempo vocês guardam os meus dados?",
        "Que dados vocês recolhem sobre mim?",
        "Como posso apagar a minha conta?",
        "Partilham os meus dados com terceiros?",
        "Quais cookies vocês usam?",
        "Quem é o responsável pelo tratamento dos dados?",
        "Onde são armazenados os meus dados?",
    ],
    "sv": [
        "Hur länge sparar ni mina uppgifter?",
        "Säljer ni mina personuppgifter?",
        "Vilka uppgifter samlar ni in om mig?",
        "Hur kan jag radera mitt konto?",
    ],
    "da": [
        "Hvor længe gemmer I mine data?",
        "Hvilke oplysninger indsamler I om mig?",
        "Hvordan kan jeg slette min konto?",
        "Deler I mine oplysninger med andre?",
    ],
    "pl": [
        "Jakie dane przechowujecie o mnie?",
        "Czy sprzedajecie moje dane?",
        "Jak mogę usunąć moje konto?",
        "Jak długo przechowujecie moje dane?",
    ],
}

# Plain English of every kind: typos, product and place names (German ones too), words
# that are function words elsewhere ("die", "den", "van", "so", "was", "to", "do").
ENGLISH = [
    "How long do you keep my data?",
    "do you store data in Berlin?",
    "Do you sell my personal information?",
    "Who do I contact about privacy?",
    "Can I delete my account?",
    "What cookies do you use?",
    "How can I opt out of marketing emails?",
    "Is my data shared with third parties?",
    "Do you transfer data outside the EU?",
    "What rights do I have under GDPR?",
    "delte my acount pls",
    "how lnog do yuo keep my dta",
    "Does Acme Cloud store my files in Frankfurt?",
    "Do you use Google Analytics on the site?",
    "what happens to my data if I die?",
    "Can I get a copy of my data?",
    "Who is your data protection officer?",
    "Do you share my data with Die Hard Games?",
    "Is my data sold to partners in Portugal or Spain?",
    "Do you share my data with El Corte Inglés?",
    "Do you send my data to Den Haag?",
    "Where are your servers located?",
    "Why do you need my phone number?",
    "I want to complain about how you use my data",
    "How do I withdraw my consent?",
    "Does the app track my location?",
    "do my data go to Poland?",
    "Do you keep logs of my IP address?",
    "What is the legal basis for processing?",
    "Can children use the service?",
    "How do you protect my information?",
    "Will you notify me of a data breach?",
    "Is my payment information stored?",
    "hi, can you tell me what data you collect",
    "Do you use my data for advertising?",
    "what do you do with my data",
    "Can I correct wrong information about me?",
    "Do you have an office in München or Zürich?",
    "Is there a fee for an access request?",
    "Do you share data with Deutsche Bank?",
    "How do I unsubscribe from the newsletter?",
    "Are my messages encrypted?",
    "Do you work with La Poste for deliveries?",
    "Can I see all the data you hold on me?",
    "Is my data used to train AI models?",
    "Do you share my data with Van der Valk hotels?",
    "Was my data sold?",
    "So what is in it for me?",
    "Do men and women get the same rights?",
    "Do you keep data for ten years?",
    "to whom do you sell my data",
]
UNSURE = ["data", "Datenschutz", "cookies?", "GDPR", "data privacy", "Daten löschen", "¿datos?"]


@pytest.mark.parametrize(
    ("language", "question"), [(code, q) for code, qs in QUESTIONS.items() for q in qs]
)
def test_questions_are_detected_in_their_language(language: str, question: str) -> None:
    assert detect_language(question) == language


def test_plain_english_is_never_taken_for_another_language() -> None:
    assert len(ENGLISH) >= 40
    wrong = {q: found for q in ENGLISH if (found := detect_language(q)) not in ("en", None)}
    assert wrong == {}
    assert detect_language("How long do you keep my data?") == "en"


@pytest.mark.parametrize("text", UNSURE)
def test_a_single_word_or_words_without_function_words_are_unsure(text: str) -> None:
    assert detect_language(text) is None


def test_the_default_language_wins_a_close_call() -> None:
    # "die" is German and English alike here; nothing else tells them apart.
    assert detect_language("Does Die Hard share data?") == "en"
    assert detect_language("Does Die Hard share data?", default="de") in ("de", None)


def test_every_supported_language_has_a_stopword_list_and_a_stemmer() -> None:
    assert set(SUPPORTED_LANGUAGES) >= {"en", "de", "fr", "es", "it", "nl", "pt", "sv", "da", "pl"}
    for code in SUPPORTED_LANGUAGES:
        words = stopwords(code)
        assert len(words) >= 100, code
        assert analyzer_for(code).stem("x") == "x"
    assert {"und", "über", "welche"} <= stopwords("de")
    assert {"vous", "l'", "qu'"} <= stopwords("fr")


def test_the_english_analyzer_is_the_default_one_with_its_vocabulary() -> None:
    assert analyzer_for("en") is default_analyzer()


def test_the_german_analyzer_stems_german_and_drops_german_function_words() -> None:
    analyzer = analyzer_for("de")
    assert analyzer.terms("Welche Daten speichern Sie über mich?") == ["dat", "speich"]
    assert analyzer.stem("gespeicherten") == analyzer.stem("gespeichert")
    assert {analyzer.stem(w) for w in ("löschen", "lösche")} == {"losch"}
    assert analyzer.stem("personenbezogenen") == analyzer.stem("personenbezogene")
    assert analyzer.groups == [] and analyzer.variants == {}


def test_french_elided_articles_are_dropped_from_the_word() -> None:
    analyzer = analyzer_for("fr")
    assert analyzer.terms("l'utilisation de vos données") == analyzer.terms("utilisation données")
    assert analyzer.is_stopword("qu'il") and not analyzer.is_stopword("l'utilisation")


def test_an_unsupported_language_names_the_field_and_the_codes() -> None:
    with pytest.raises(UnsupportedLanguage, match=r"language: 'tlh'.*en, de, fr"):
        analyzer_for("tlh")


def test_front_matter_language_is_read_and_defaults_to_english() -> None:
    assert read_policy("## A\nb\n", "t").language == "en"
    assert read_policy("---\nlanguage: de\n---\n## A\nb\n", "t").language == "de"
    assert read_policy("---\nlanguage: de-AT\n---\n## A\nb\n", "t").language == "de"


def test_bad_front_matter_language_is_refused_naming_the_field_and_the_fix() -> None:
    with pytest.raises(PolicyError) as raised:
        read_policy("---\nlanguage: Klingon\n---\n## A\nb\n", "t", "policy.md")
    message = str(raised.value)
    assert message.startswith("policy.md: front matter language: 'Klingon'")
    assert "en, de, fr" in message and "language: de" in message


ENGLISH_POLICY = """---
title: Privacy Policy
---
## Data retention

We keep your personal data for two years after your last order, then delete it.

## Sharing

We never sell your data. We share it with our payment provider only.

## Contact us

Write to privacy@example.org.
"""

GERMAN_POLICY = """---
title: Datenschutzerklärung
language: de
---
## Speicherdauer

Wir speichern Ihre personenbezogenen Daten zwei Jahre nach Ihrer letzten Bestellung und
löschen sie danach.

## Welche Daten wir erheben

Wir erheben Ihren Namen, Ihre Anschrift und Ihre E-Mail-Adresse, wenn Sie bestellen.

## Kontakt

Schreiben Sie an datenschutz@example.org.
"""


def _library(folder: Path, **documents: str) -> Library:
    folder.mkdir()
    for name, text in documents.items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    return load_library(folder)


@pytest.fixture()
def bilingual(tmp_path: Path) -> Assistant:
    """An English privacy policy beside its German version (front matter `language: de`)."""
    return Assistant(
        _library(
            tmp_path / "policies",
            **{"privacy-policy": ENGLISH_POLICY, "datenschutz": GERMAN_POLICY},
        )
    )


@pytest.fixture()
def english_only(tmp_path: Path) -> Assistant:
    return Assistant(_library(tmp_path / "policies", **{"privacy-policy": ENGLISH_POLICY}))


def test_a_german_question_is_answered_from_the_german_document(bilingual: Assistant) -> None:
    assert bilingual.library.documents["datenschutz"].language == "de"
    answer = bilingual.answer("Wie lange speichern Sie meine Daten?")
    assert answer.language is None
    assert answer.sections and {s.document for s in answer.sections} == {"datenschutz"}
    assert answer.sections[0].id == "speicherdauer"
    assert answer.policy.document == "datenschutz"
    assert answer.answered and "<mark>speichern</mark>" in answer.sections[0].snippet_html


def test_a_german_question_finds_the_section_by_german_stems(bilingual: Assistant) -> None:
    answer = bilingual.answer("Welche Daten erheben Sie über mich?")
    assert answer.sections[0].id == "welche-daten-wir-erheben"


def test_an_english_question_in_a_bilingual_library_stays_english(bilingual: Assistant) -> None:
    answer = bilingual.answer("How long do you keep my data?")
    assert answer.answered and answer.language is None
    assert {s.document for s in answer.sections} == {"privacy-policy"}
    assert answer.sections[0].id == "data-retention"


def test_a_named_document_in_another_language_is_not_searched_for_a_german_question(
    bilingual: Assistant,
) -> None:
    answer = bilingual.answer("Wie lange speichern Sie meine Daten?", document="privacy-policy")
    assert answer.language == "de" and answer.sections == ()
    assert answer.message.startswith("Unsere Datenschutzerklärung ist auf Englisch.")
    assert answer.policy.document == "privacy-policy"


def test_a_french_question_to_an_english_library_is_told_so_in_french(
    english_only: Assistant,
) -> None:
    answer = english_only.answer("Combien de temps gardez-vous mes données ?")
    assert answer.language == "fr"
    assert answer.answered is False and answer.sections == ()
    assert answer.message == not_in_language_message("fr", "en")
    assert "en anglais" in answer.message
    assert "escalate" in {a.kind for a in answer.actions}


def test_a_question_in_no_clear_language_is_answered_as_before(english_only: Assistant) -> None:
    answer = english_only.answer("data retention")
    assert answer.language is None and answer.sections[0].id == "data-retention"


def test_every_language_has_its_own_name_and_a_message_about_every_other() -> None:
    assert set(LANGUAGE_NAMES) == set(SUPPORTED_LANGUAGES)
    assert LANGUAGE_NAMES["de"] == "Deutsch"
    assert not_in_language_message("de", "en") == (
        "Unsere Datenschutzerklärung ist auf Englisch. Bitte stellen Sie Ihre Frage auf "
        "Englisch; Sie können sich auch an unser Datenschutzteam wenden."
    )
    assert not_in_language_message("en", "de").startswith("Our privacy policy is in German.")
    messages = {
        not_in_language_message(q, d) for q in SUPPORTED_LANGUAGES for d in SUPPORTED_LANGUAGES
    }
    assert len(messages) == len(SUPPORTED_LANGUAGES) ** 2
    with pytest.raises(UnsupportedLanguage, match="document_language: 'xx'"):
        not_in_language_message("de", "xx")


@pytest.fixture()
def english_client(tmp_path: Path) -> Iterator[TestClient]:
    """The real app in-process over an English-only library."""
    policy = tmp_path / "privacy-policy.md"
    policy.write_text(ENGLISH_POLICY, encoding="utf-8")
    settings = Settings(policy=policy, data_dir=tmp_path)
    assistant = Assistant(load_library(settings.policy))
    with TestClient(create_app(settings, assistant=assistant)) as test_client:
        yield test_client


def test_api_answers_a_french_question_with_the_french_message(
    english_client: TestClient,
) -> None:
    response = english_client.post(
        "/api/ask", json={"question": "Combien de temps gardez-vous mes données ?"}
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert_answer_shape(data)
    assert data["language"] == "fr" and data["answered"] is False
    assert data["sections"] == []
    assert data["message"] == not_in_language_message("fr", "en")


def test_api_answers_english_with_no_language_flag(english_client: TestClient) -> None:
    data = english_client.post("/api/ask", json={"question": "Do you sell my data?"}).json()
    assert data["language"] is None and data["sections"]
