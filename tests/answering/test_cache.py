"""The cache of recent answers: same answers, the question echoed, no question text kept."""

from __future__ import annotations

import orjson
import pytest

from qa.answering.assistant import Assistant
from qa.answering.cache import AnswerCache
from qa.errors import InvalidQuestion


def test_a_cached_answer_equals_a_fresh_one_and_echoes_the_question_as_sent(
    assistant: Assistant,
) -> None:
    cache = AnswerCache(assistant, size=8)
    first = cache.answer("How long do you keep my data?")
    again = cache.answer("how  long do YOU keep my data?")
    assert (cache.hits, cache.misses) == (1, 1)
    assert again.question == "how  long do YOU keep my data?"
    assert again.to_dict() | {"question": ""} == first.to_dict() | {"question": ""}
    assert first == assistant.answer("How long do you keep my data?")


def test_the_cache_holds_no_question_text(assistant: Assistant) -> None:
    cache = AnswerCache(assistant, size=8)
    cache.answer("canary-question-7f3a how long do you keep my data")
    for key, (stored, body) in cache._items.items():
        assert b"canary" not in key and b"canary" not in body
        assert stored.question == ""
        assert "canary" not in repr(stored)


def test_the_cache_keeps_at_most_size_answers_and_top_k_and_document_are_part_of_the_key(
    assistant: Assistant,
) -> None:
    cache = AnswerCache(assistant, size=2)
    cache.answer("how long do you keep my data", top_k=1)
    cache.answer("how long do you keep my data", top_k=2)
    assert cache.misses == 2
    cache.answer("who do I contact about privacy")
    assert len(cache._items) == 2
    cache.answer("how long do you keep my data", top_k=1)  # evicted: asked again
    assert cache.misses == 4


def test_size_zero_turns_the_cache_off_and_bad_input_still_raises(assistant: Assistant) -> None:
    cache = AnswerCache(assistant, size=0)
    cache.answer("how long do you keep my data")
    cache.answer("how long do you keep my data")
    assert not cache._items and cache.hits == 0
    with pytest.raises(InvalidQuestion):
        AnswerCache(assistant, size=4).answer("   ")


def test_the_json_is_the_answer_with_the_question_as_sent(assistant: Assistant) -> None:
    cache = AnswerCache(assistant, size=4)
    for _ in range(2):
        answer, body = cache.answer_json('say "hi" \\ how long do you keep my data')
        assert (
            orjson.loads(body)
            == assistant.answer('say "hi" \\ how long do you keep my data').to_dict()
        )
        assert answer.question == ""
    assert cache.hits == 1
