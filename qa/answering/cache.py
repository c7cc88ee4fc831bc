"""Answers to repeated questions, kept without the questions themselves."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import threading
from collections import OrderedDict

import orjson

from index.tokens import normalise
from qa.answering.answers import Answer
from qa.answering.assistant import Assistant


class AnswerCache:
    """The last `size` answers, by a keyed hash of the normalised question.

    Many visitors ask the same few questions (the starter questions above all), and an answer
    depends only on the question and the loaded policy. The key is a BLAKE2 hash with a random
    per-process key, and the stored answer has its question blanked, so the cache holds no
    question text (only the matched words an answer names, as every answer does)."""

    def __init__(self, assistant: Assistant, size: int) -> None:
        self.assistant = assistant
        self.size = size
        self._salt = secrets.token_bytes(16)
        # The answer with its question blanked, and its JSON without the question (the reply's
        # serialisation cost as much as the rest of a cached request).
        self._items: OrderedDict[bytes, tuple[Answer, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _key(self, question: str, top_k: int, document: str | None) -> bytes:
        text = f"{top_k}\0{document or ''}\0{' '.join(normalise(question).split())}"
        return hashlib.blake2b(text.encode(), key=self._salt, digest_size=16).digest()

    def answer(self, question: str, top_k: int = 3, document: str | None = None) -> Answer:
        """The assistant's answer, from the cache when the same question was answered lately."""
        answer, _ = self._lookup(question, top_k, document)
        return dataclasses.replace(answer, question=question)

    def answer_json(
        self, question: str, top_k: int = 3, document: str | None = None
    ) -> tuple[Answer, bytes]:
        """The answer (its question blanked where it is kept) and its JSON as the API sends it."""
        answer, tail = self._lookup(question, top_k, document)
        return answer, b'{"question":' + orjson.dumps(question) + b"," + tail

    def _lookup(self, question: str, top_k: int, document: str | None) -> tuple[Answer, bytes]:
        if self.size <= 0:  # nothing is kept: no copy of the answer to blank
            answer = self.assistant.answer(question, top_k, document)
            return answer, _tail(answer)
        key = self._key(question, top_k, document)
        with self._lock:
            cached = self._items.get(key)
            if cached is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return cached
        entry = _entry(self.assistant.answer(question, top_k, document))  # raises on bad input
        with self._lock:
            self.misses += 1
            self._items[key] = entry
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return entry


def _entry(answer: Answer) -> tuple[Answer, bytes]:
    return dataclasses.replace(answer, question=""), _tail(answer)


def _tail(answer: Answer) -> bytes:
    """The answer's JSON without its question and opening brace: what follows `{"question":..,`."""
    data = answer.to_dict()
    del data["question"]
    return orjson.dumps(data)[1:]
