"""Questions in other languages: which documents answer them, and what to say when none can."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from index.languages import SUPPORTED_LANGUAGES, UnsupportedLanguage, analyzer_for, detect_language
from index.policy import Policy
from index.tokens import Analyzer
from qa.answering.answers import Action, Answer, PolicyInfo

# Each language by its own name, for a language picker or a label.
LANGUAGE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pt": "Português",
    "sv": "Svenska",
    "da": "Dansk",
    "pl": "Polski",
}

# Per language of the message, the languages' names in the form its sentence needs (Polish:
# the locative after "w języku").
_NAMES_IN = {
    "en": {
        **{"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian"},
        **{"nl": "Dutch", "pt": "Portuguese", "sv": "Swedish", "da": "Danish", "pl": "Polish"},
    },
    "de": {
        **{"en": "Englisch", "de": "Deutsch", "fr": "Französisch", "es": "Spanisch"},
        **{"it": "Italienisch", "nl": "Niederländisch", "pt": "Portugiesisch"},
        **{"sv": "Schwedisch", "da": "Dänisch", "pl": "Polnisch"},
    },
    "fr": {
        **{"en": "anglais", "de": "allemand", "fr": "français", "es": "espagnol", "it": "italien"},
        **{"nl": "néerlandais", "pt": "portugais", "sv": "suédois", "da": "danois"},
        "pl": "polonais",
    },
    "es": {
        **{"en": "inglés", "de": "alemán", "fr": "francés", "es": "español", "it": "italiano"},
        **{"nl": "neerlandés", "pt": "portugués", "sv": "sueco", "da": "danés", "pl": "polaco"},
    },
    "it": {
        **{"en": "inglese", "de": "tedesco", "fr": "francese", "es": "spagnolo", "it": "italiano"},
        **{"nl": "olandese", "pt": "portoghese", "sv": "svedese", "da": "danese"},
        "pl": "polacco",
    },
    "nl": {
        **{"en": "Engels", "de": "Duits", "fr": "Frans", "es": "Spaans", "it": "Italiaans"},
        **{"nl": "Nederlands", "pt": "Portugees", "sv": "Zweeds", "da": "Deens", "pl": "Pools"},
    },
    "pt": {
        **{"en": "inglês", "de": "alemão", "fr": "francês", "es": "espanhol", "it": "italiano"},
        **{"nl": "neerlandês", "pt": "português", "sv": "sueco", "da": "dinamarquês"},
        "pl": "polonês",
    },
    "sv": {
        **{"en": "engelska", "de": "tyska", "fr": "franska", "es": "spanska", "it": "italienska"},
        **{"nl": "nederländska", "pt": "portugisiska", "sv": "svenska", "da": "danska"},
        "pl": "polska",
    },
    "da": {
        **{"en": "engelsk", "de": "tysk", "fr": "fransk", "es": "spansk", "it": "italiensk"},
        **{"nl": "nederlandsk", "pt": "portugisisk", "sv": "svensk", "da": "dansk", "pl": "polsk"},
    },
    "pl": {
        **{"en": "angielskim", "de": "niemieckim", "fr": "francuskim", "es": "hiszpańskim"},
        **{"it": "włoskim", "nl": "niderlandzkim", "pt": "portugalskim", "sv": "szwedzkim"},
        **{"da": "duńskim", "pl": "polskim"},
    },
}

# "Our privacy policy is in {language}. Please ask in it; or contact the privacy team."
_NOT_IN_LANGUAGE = {
    "en": (
        "Our privacy policy is in {0}. Please ask your question in {0}; "
        "you can also contact our privacy team."
    ),
    "de": (
        "Unsere Datenschutzerklärung ist auf {0}. Bitte stellen Sie Ihre Frage auf {0}; "
        "Sie können sich auch an unser Datenschutzteam wenden."
    ),
    "fr": (
        "Notre politique de confidentialité est rédigée en {0}. Veuillez poser votre question "
        "en {0}. Vous pouvez aussi contacter notre équipe chargée de la protection des données."
    ),
    "es": (
        "Nuestra política de privacidad está en {0}. Por favor, haga su pregunta en {0}. "
        "También puede ponerse en contacto con nuestro equipo de privacidad."
    ),
    "it": (
        "La nostra informativa sulla privacy è in {0}. La preghiamo di porre la sua domanda "
        "in {0}. Può anche contattare il nostro team per la privacy."
    ),
    "nl": (
        "Ons privacybeleid is in het {0} opgesteld. Stel uw vraag alstublieft in het {0}. "
        "U kunt ook contact opnemen met ons privacyteam."
    ),
    "pt": (
        "Nossa política de privacidade está em {0}. Por favor, faça sua pergunta em {0}. "
        "Você também pode entrar em contato com nossa equipe de privacidade."
    ),
    "sv": (
        "Vår integritetspolicy är skriven på {0}. Ställ gärna din fråga på {0}. "
        "Du kan också kontakta vårt dataskyddsteam."
    ),
    "da": (
        "Vores privatlivspolitik er skrevet på {0}. Stil venligst dit spørgsmål på {0}. "
        "Du kan også kontakte vores databeskyttelsesteam."
    ),
    "pl": (
        "Nasza polityka prywatności jest dostępna w języku {0}. Prosimy o zadanie pytania "
        "w tym języku. Można też skontaktować się z naszym zespołem ds. ochrony danych."
    ),
}


def not_in_language_message(question_language: str, document_language: str) -> str:
    """Tell the visitor, in their language, that the policy is in another one and to ask in it."""
    for field, code in (
        ("question_language", question_language),
        ("document_language", document_language),
    ):
        if code not in SUPPORTED_LANGUAGES:
            raise UnsupportedLanguage(code, field)
    return _NOT_IN_LANGUAGE[question_language].format(
        _NAMES_IN[question_language][document_language]
    )


def document_analyzer(policy: Policy, english: Analyzer) -> Analyzer:
    """The analyzer a document is indexed and asked with: `english` (the assistant's, with its
    privacy vocabulary) for English documents, the language's own for the others."""
    return english if policy.language == "en" else analyzer_for(policy.language)


# Its own __init__, which compiles (index/compiled.py).
@dataclass(slots=True, init=False, unsafe_hash=True)
class LanguageChoice:
    """The question's language (None when unsure) and the documents to answer it from."""

    language: str | None
    documents: tuple[Policy, ...]

    def __init__(self, language: str | None, documents: tuple[Policy, ...]) -> None:
        self.language = language
        self.documents = documents


def choose_documents(question: str, documents: Sequence[Policy]) -> LanguageChoice:
    """The documents written in the question's language (none, if no document is); all of
    them when the language is unsure."""
    language = detect_language(question)
    if language is None:
        return LanguageChoice(None, tuple(documents))
    return LanguageChoice(language, tuple(p for p in documents if p.language == language))


def not_in_language_answer(
    question: str, language: str, policy: Policy, actions: tuple[Action, ...]
) -> Answer:
    """The answer to a question in a language no document is written in: no sections, and the
    message in the visitor's language."""
    return Answer(
        question=question,
        answered=False,
        confidence=0.0,
        message=not_in_language_message(language, policy.language),
        intents=(),
        sections=(),
        actions=actions,
        policy=PolicyInfo(policy.name, policy.title, policy.last_updated, policy.version),
        corrections=(),
        kind="language",
        language=language,
    )
