"""In-process latency of Assistant.answer over many questions: p50, p99, mean."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import orjson

from qa.answering.assistant import Assistant


@dataclass(frozen=True)
class Latency:
    """Timings of one policy, in milliseconds."""

    name: str
    sections: int
    questions: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    json_p50_ms: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share from 0 to 1) of the values."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def measure(
    name: str,
    assistant: Assistant,
    questions: list[str],
    warmup: int = 200,
    warm: list[str] | None = None,
    flush_bytes: int = 0,
) -> Latency:
    """Time answer() for every question, after a warm-up on the first `warmup` of them, or on
    `warm` if given (other questions: then no part of a timed answer was met before); also
    time the reply's serialisation. With `flush_bytes`, that much memory is read before each
    question (untimed): more than the CPU's caches hold, each answer then starts from memory,
    as an answer in a busy server starts from caches that its framework's work has filled."""
    for question in questions[:warmup] if warm is None else warm:
        orjson.dumps(assistant.answer(question).to_dict())
    answer_ms: list[float] = []
    json_ms: list[float] = []
    clock = time.perf_counter_ns
    flush = np.ones(max(1, flush_bytes // 8))
    for question in questions:
        if flush_bytes:
            flush.sum()
        start = clock()
        answer = assistant.answer(question)
        middle = clock()
        orjson.dumps(answer.to_dict())
        end = clock()
        answer_ms.append((middle - start) / 1e6)
        json_ms.append((end - middle) / 1e6)
    sections = sum(len(d.policy.sections) for d in assistant.documents.values())
    return Latency(
        name=name,
        sections=sections,
        questions=len(questions),
        p50_ms=percentile(answer_ms, 0.50),
        p99_ms=percentile(answer_ms, 0.99),
        mean_ms=statistics.fmean(answer_ms),
        max_ms=max(answer_ms),
        json_p50_ms=percentile(json_ms, 0.50),
    )
