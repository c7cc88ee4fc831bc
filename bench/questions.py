"""Generic visitor questions for timing (not the eval set): varied wording, typos, off-topic."""

from __future__ import annotations

from itertools import cycle, islice

QUESTIONS = (
    "How long do you keep my data?",
    "what personal information do you collect",
    "Do you sell my data to anyone?",
    "who can see my information",
    "how do i delete my account",
    "Can I get a copy of everything you have on me?",
    "do you use cookies on this site",
    "what are cookies used for",
    "Is my data safe with you?",
    "how do you protect my personal data from hackers",
    "who do I contact about privacy",
    "what is your email address for privacy questions",
    "can I speak to a real person",
    "I want to complain about how you handled my data",
    "how do I opt out of marketing emails",
    "can I withdraw my consent",
    "how do I correct wrong information about me",
    "do you share my info with third parties",
    "what third party websites do you link to",
    "do you transfer my data outside the EU",
    "what are my rights under GDPR",
    "what rights do i have under the ccpa",
    "Do you collect my IP address?",
    "what do you do with my browser and device information",
    "why do you need my phone number",
    "How will I know if this policy changes?",
    "when was this privacy policy last updated",
    "who are you and what does your company do",
    "Do you use my data for advertising?",
    "can i object to you processing my data",
    "can you restrict processing of my information",
    "I want to export my data to another provider",
    "what happens to my data when I close my account",
    "do you keep records for tax purposes",
    "what legal basis do you have for using my data",
    "do you use automated decision making or profiling",
    "do you collect data about children",
    "is my payment card information stored",
    "do you track my location",
    "what subprocessors do you use",
    "how long do u keep my stuff",
    "wat data do you colect about me",
    "do you sell or shair my personal informaton",
    "how can i delte my data",
    "whats your privacy policy about",
    "can I see what data you hold about me",
    "do you record my phone calls",
    "how do i unsubscribe",
    "what happens if there is a data breach",
    "do you use google analytics",
    "Are my messages encrypted?",
    "who is your data protection officer",
    "what is your postal address",
    "where are you based",
    "do you read my emails",
    "can you stop using my data for marketing",
    "I changed my mind about sharing my data",
    "how do I make a subject access request",
    "is there a fee to access my data",
    "how quickly will you answer my request",
    "what is the weather like tomorrow",
    "what is the price of your consulting services",
    "can you recommend a good restaurant",
    "how do I reset my password",
    "do you have a job opening",
    "tell me a joke",
    "is this website secure",
    "what login data do you keep",
    "do you collect my username",
    "do you combine my data with other sources",
    "how do I limit the use of my sensitive information",
    "Do not sell or share my personal information",
    "what happens to my data if you are sold to another company",
    "can I use your website without giving personal data",
    "do you keep backups of deleted data",
    "will you tell me if my data is leaked",
    "how do I contact your privacy team by phone",
    "I want to lodge a complaint with the regulator",
    "Can someone call me back about my data?",
    "what does legitimate interest mean here",
)


def questions(count: int) -> list[str]:
    """`count` questions, cycling through the list (there is no answer cache to flatter)."""
    return list(islice(cycle(QUESTIONS), count))


# Ways visitors open and close a question: combined with QUESTIONS they give distinct questions
# in the same vocabulary, so that no answer cache can carry a run.
_OPENINGS = ("", "hi, ", "quick question: ", "please tell me ", "i was wondering ")
_CLOSINGS = ("", " please", " on your app", " for my account", " thanks")
_MIN_SWAP = 5  # letters a word needs before a typo is put in it


def _with_typo(question: str, n: int) -> str:
    """`question` with two adjacent letters of its `n`-th long word swapped (a typo)."""
    words = question.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= _MIN_SWAP and w.isalpha()]
    if not long:
        return question
    i = long[n % len(long)]
    word = words[i]
    at = 1 + n % (len(word) - 2)
    words[i] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return " ".join(words)


def distinct_questions(count: int) -> list[str]:
    """`count` different questions (up to about 4,000), the same on every run: each of
    QUESTIONS with an opening and a closing, one in three with a typo as well."""
    found: list[str] = []
    seen: set[str] = set()
    forms = len(_OPENINGS) * len(_CLOSINGS)
    for n in range(len(QUESTIONS) * forms * 2):
        base = QUESTIONS[n % len(QUESTIONS)]
        form = (n // len(QUESTIONS)) % forms
        question = f"{_OPENINGS[form % len(_OPENINGS)]}{base}{_CLOSINGS[form // len(_OPENINGS)]}"
        if n % 3 == 2 or n >= len(QUESTIONS) * forms:
            question = _with_typo(question, n)
        key = " ".join(question.casefold().split())
        if key not in seen:
            seen.add(key)
            found.append(question)
        if len(found) == count:
            return found
    raise ValueError(f"count: at most {len(found)} distinct questions can be made, not {count}")
