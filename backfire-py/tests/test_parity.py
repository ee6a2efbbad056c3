"""The Rust extension and the pure-Python fallback agree, input for input.

Randomised (seeded) streams, configurations and texts go through both
backends; every observable must be identical.
"""

from __future__ import annotations

import math
import random

import pytest

import backfire_kernel as bk
import director_ai

SPECIAL = [math.nan, math.inf, -math.inf, 5.0, -0.5, 1e-320, 0.5, 0.55, 0.15]


def _config(rng: random.Random) -> dict:
    hard = rng.choice([0.0, 0.2, 0.5])
    return {
        "coherence_threshold": max(hard, 0.6),
        "hard_limit": hard,
        "window_size": rng.randint(1, 12),
        "window_threshold": rng.choice([0.0, 0.4, 0.55, 0.7]),
        "trend_window": rng.randint(2, 8),
        "trend_threshold": rng.choice([0.05, 0.15, 0.3]),
    }


def _scores(rng: random.Random, n: int) -> list[float]:
    return [rng.choice(SPECIAL) if rng.random() < 0.05 else rng.uniform(0.3, 1.0) for _ in range(n)]


def _observed(session) -> tuple:
    history = [0.0 if math.isnan(x) else x for x in session.coherence_history]
    return (
        session.halted,
        session.halt_index,
        session.halt_reason,
        session.tokens,
        history,
        str(session.output),
        int(session.token_count),
        float(session.avg_coherence),
        float(session.min_coherence),
    )


@pytest.mark.parametrize("seed", range(40))
def test_streaming_kernels_agree(seed):
    rng = random.Random(seed)
    kwargs = _config(rng)
    rust = bk.StreamingKernel(bk.BackfireConfig(**kwargs))
    py = director_ai.StreamingKernel(director_ai.BackfireConfig(**kwargs))
    for _ in range(5):  # several streams: the latch carries over
        n = rng.randint(0, 40)
        tokens = [f"t{i} " for i in range(n)]
        scores = _scores(rng, n)
        a = rust.stream_tokens(tokens, _feed(scores))
        b = py.stream_tokens(tokens, _feed(scores))
        assert _observed(a) == _observed(b), (kwargs, scores)
        assert rust.is_active == py.is_active
        c = rust.stream_scores(tokens, scores)
        d = py.stream_scores(tokens, scores)
        assert _observed(c) == _observed(d)
        if rng.random() < 0.3:
            rust.reactivate()
            py.reactivate()


def _feed(scores):
    it = iter(scores)
    return lambda _token: next(it)


@pytest.mark.parametrize("seed", range(20))
def test_safety_kernels_agree(seed):
    rng = random.Random(seed)
    limit = rng.choice([0.0, 0.3, 0.5, 0.9])
    rust, py = bk.SafetyKernel(limit), director_ai.SafetyKernel(limit)
    for _ in range(4):
        n = rng.randint(0, 20)
        tokens = [f"w{i}" for i in range(n)]
        scores = _scores(rng, n)
        assert rust.stream_output(tokens, _feed(scores)) == py.stream_output(tokens, _feed(scores))
        assert rust.is_active == py.is_active
        if rng.random() < 0.5:
            rust.reactivate()
            py.reactivate()


VOCAB = "the sky is blue green sky? color what How many SCPN layers 16 system layer 1 director " \
    "sec metric second backfire limit entropy threshold consistent with reality opposite is true " \
    "depends on your perspective capital Paris , . !".split()


@pytest.mark.parametrize("seed", range(30))
def test_scorers_agree(seed):
    rng = random.Random(seed)
    rust, py = bk.CoherenceScorer(), director_ai.CoherenceScorer()
    for _ in range(20):
        prompt = " ".join(rng.choices(VOCAB, k=rng.randint(0, 8)))
        answer = " ".join(rng.choices(VOCAB, k=rng.randint(0, 10)))
        (ok_a, a), (ok_b, b) = rust.review(prompt, answer), py.review(prompt, answer)
        assert ok_a == ok_b and a.to_dict() == pytest.approx(b.to_dict(), abs=1e-15), (prompt, answer)
    assert rust.history == py.history


UNICODE_CASES = [
    ("क्या आकाश नीला है", "आकाश नीला है"),  # Devanagari: vowel signs are marks
    ("Is the café open?", "The cafe\u0301 is open"),  # composed vs decomposed é
    ("ท้องฟ้าสีอะไร", "ท้องฟ้าสีฟ้า"),  # Thai: tone marks
    ("What is ΣΟΦΙΑ?", "σοφια and σοφίας"),  # Greek, final sigma
    ("snake_case\u203fjoined?", "snake_case\u203fjoined ½ x²"),  # Pc joins; No digits
]


@pytest.mark.parametrize(("prompt", "answer"), UNICODE_CASES)
def test_scorers_agree_on_unicode_words(prompt, answer):
    rust, py = bk.CoherenceScorer(), director_ai.CoherenceScorer()
    (ok_a, a), (ok_b, b) = rust.review(prompt, answer), py.review(prompt, answer)
    assert ok_a == ok_b and a.to_dict() == pytest.approx(b.to_dict(), abs=1e-15)


def test_words_keep_marks_inside():
    from director_ai._text import words

    assert words("क्या आकाश नीला है?") == {"क्या", "आकाश", "नीला", "है"}
    assert words("Grüße, SKY? snake_case") == {"grüße", "sky", "snake_case"}


def test_config_errors_agree():
    bad = [
        {"coherence_threshold": 1.5},
        {"soft_limit": 0.5},
        {"hard_limit": 0.7},
        {"w_logic": 0.2},
        {"window_size": 0},
        {"trend_window": 1},
        {"trend_threshold": -1.0},
        {"deadline_ms": 0},
        {"logit_entropy_limit": math.nan},
        {"window_threshold": -0.1},
        {"history_window": -1},
    ]
    for kwargs in bad:
        messages = []
        for module in (bk, director_ai):
            with pytest.raises(ValueError) as err:
                module.BackfireConfig(**kwargs)
            messages.append(str(err.value))
        assert messages[0] == messages[1], kwargs
