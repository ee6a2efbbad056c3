"""Coherence scorer behaviour, run against both backends."""

from __future__ import annotations

import math
import warnings

import pytest

SKY = "What color is the sky?"


def test_truthful_sky_answer_is_approved(gate):
    approved, s = gate.CoherenceScorer().review(SKY, "The sky is blue, consistent with reality")
    assert approved and s.approved
    assert s.score == pytest.approx(0.9) and s.h_logical == pytest.approx(0.1) and s.h_factual == pytest.approx(0.1)
    assert s.warning is False
    assert set(s.to_dict()) == {"score", "approved", "h_logical", "h_factual", "warning"}
    assert s.evidence is None


def test_contradicting_sky_answer_is_rejected(gate):
    approved, s = gate.CoherenceScorer().review(SKY, "The sky is green and the opposite is true")
    assert not approved
    # Reference: 0.0599… with hF = 1.0; ours uses one "contradicted" level, 0.9.
    assert s.score == pytest.approx(0.1) and s.h_logical == pytest.approx(0.9) and s.h_factual == pytest.approx(0.9)


def test_word_based_heuristics(gate):
    scorer = gate.CoherenceScorer()
    # "sky?" now matches "sky": 3 of 5 prompt words → 0.5 − 0.18 = 0.32 (reference 0.38).
    assert scorer.calculate_logical_divergence(SKY, "The sky is blue") == pytest.approx(0.32)
    assert scorer.review(SKY, "The sky is blue")[1].score == pytest.approx(0.768)
    assert scorer.calculate_logical_divergence("test prompt", "test action") == pytest.approx(0.35)
    assert scorer.calculate_logical_divergence("a b", "a b") == pytest.approx(0.2)
    assert scorer.calculate_logical_divergence("", "x") == 0.5
    assert scorer.calculate_logical_divergence("p", "it depends on your perspective") == 0.5


def test_factual_divergence_levels(gate):
    scorer = gate.CoherenceScorer()
    assert scorer.calculate_factual_divergence("How many SCPN layers?", "There are many layers in the system") == 0.9
    assert scorer.calculate_factual_divergence("How many SCPN layers?", "There are 16 layers") == 0.1
    assert scorer.calculate_factual_divergence("xyzzy plugh", "anything") == 0.5
    # Whole words only: "sec" (from "sec metric") does not match "second".
    assert scorer.calculate_factual_divergence("second thoughts", "the metric is bad") == 0.5


@pytest.mark.parametrize(
    ("prompt", "action", "expected", "approved"),
    [
        ("test prompt", "test action", 0.59, False),
        ("a", "b", 0.5, False),
        ("prompt", "action", 0.5, False),
        ("test", "response", 0.5, False),
    ],
)
def test_reference_scores_that_carry_over(gate, prompt, action, expected, approved):
    ok, s = gate.CoherenceScorer().review(prompt, action)
    assert s.score == pytest.approx(expected) and ok is approved


def test_history_is_bounded(gate):
    scorer = gate.CoherenceScorer()
    for i in range(10):
        assert scorer.review(SKY, f"The sky is blue, consistent with reality {i}")[0]
    assert scorer.history_len == 5
    assert scorer.history[-1].endswith("9")


def test_nli_callback(gate):
    scorer = gate.CoherenceScorer(nli_callback=lambda p, h: 0.2)
    assert scorer.use_nli is True
    assert scorer.calculate_logical_divergence("x", "y") == pytest.approx(0.2)
    for bad, said in ((math.nan, "nan"), (None, "NoneType, expected a number"), ("0.2", "str, expected a number")):
        s = gate.CoherenceScorer(nli_callback=lambda p, h, bad=bad: bad)
        with pytest.warns(RuntimeWarning, match=rf"^nli_callback returned {said}; scored as no evidence \(0\.5\)$"):
            assert s.calculate_logical_divergence("x", "y") == 0.5

    def boom(p, h):
        raise RuntimeError("nli down")

    message = r"^nli_callback raised RuntimeError\('nli down'\); scored as no evidence \(0\.5\)$"
    with pytest.warns(RuntimeWarning, match=message):
        assert gate.CoherenceScorer(nli_callback=boom).calculate_logical_divergence("x", "y") == 0.5
    assert gate.CoherenceScorer(nli_callback=lambda p, h: 7).calculate_logical_divergence("x", "y") == 1.0


def test_unusable_callback_answers_warn_at_the_callers_line(gate):
    def store_down(query):
        raise ConnectionError("store down")

    scorer = gate.CoherenceScorer(nli_callback=lambda p, h: None, knowledge_callback=store_down)
    with pytest.warns(RuntimeWarning) as caught:
        ok, s = scorer.review("x", "y")
    assert [str(w.message) for w in caught] == [
        "nli_callback returned NoneType, expected a number; scored as no evidence (0.5)",
        "knowledge_callback raised ConnectionError('store down'); used as no context",
    ]
    assert all(w.filename == __file__ for w in caught), [w.filename for w in caught]
    assert s.score == pytest.approx(0.5)
    # Warnings turned into errors stop the review.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning, match="nli_callback returned NoneType"):
            scorer.review("x", "y")


def test_knowledge_callback_text_and_facts(gate):
    scorer = gate.CoherenceScorer(knowledge_callback=lambda q: "known fact")
    assert scorer.review("query", "known fact")[1].score == pytest.approx(0.66)
    empty = gate.CoherenceScorer(nli_callback=lambda p, h: 0.1, knowledge_callback=lambda q: None)
    assert empty.review("x", "y")[1].score == pytest.approx(0.74)
    blank = gate.CoherenceScorer(knowledge_callback=lambda q: "")
    assert blank.calculate_factual_divergence("x", "y") == 0.5
    structured = gate.CoherenceScorer(knowledge_callback=lambda q: [("capital", "Paris")])
    assert structured.calculate_factual_divergence("What is the capital?", "The capital is Paris") == 0.1
    assert structured.calculate_factual_divergence("What is the capital?", "The capital is Rome") == 0.9


def test_threshold_and_soft_limit_setters_validate(gate):
    scorer = gate.CoherenceScorer()
    scorer.soft_limit = 0.95
    scorer.threshold = 0.9
    assert (scorer.threshold, scorer.soft_limit) == (0.9, 0.95)
    with pytest.raises(ValueError, match="coherence_threshold must be in \\[0, 1\\], got 999"):
        scorer.threshold = 999.0
    with pytest.raises(ValueError, match="soft_limit must be in \\[0, 1\\], got NaN"):
        scorer.soft_limit = math.nan
    with pytest.raises(ValueError, match="coherence_threshold must be <= soft_limit, got 0.9"):
        scorer.soft_limit = 0.5
    with pytest.raises(ValueError, match="hard_limit must be <= coherence_threshold, got 0.5"):
        scorer.threshold = 0.4
    assert (scorer.threshold, scorer.soft_limit) == (0.9, 0.95)


def test_threshold_rejects_and_soft_limit_warns(gate):
    scorer = gate.CoherenceScorer()
    scorer.soft_limit = 0.99
    approved, s = scorer.review(SKY, "The sky is blue, consistent with reality")
    assert approved and s.warning
    scorer.threshold = 0.99
    assert scorer.review("test", "consistent with reality")[0] is False


def test_compute_divergence_in_unit_interval(gate):
    scorer = gate.CoherenceScorer()
    d = scorer.compute_divergence("test", "some text")
    assert 0.0 <= d <= 1.0
    assert d == pytest.approx(0.6 * 0.5 + 0.4 * 0.5)


def test_scorer_config(gate):
    scorer = gate.CoherenceScorer(gate.BackfireConfig(coherence_threshold=0.7, hard_limit=0.4))
    assert scorer.threshold == 0.7 and scorer.config.hard_limit == 0.4
    with pytest.raises(TypeError):
        gate.CoherenceScorer(config=42)


def test_both_backends_know_the_same_default_facts():
    # The fallback keeps its own copy of the Rust DEFAULT_FACTS: for every
    # fact, asking about its key and answering with (or against) its value
    # must score the same in both backends.
    import backfire_kernel
    import director_ai
    from director_ai.scorer import DEFAULT_FACTS

    rust, python = backfire_kernel.CoherenceScorer(), director_ai.scorer.CoherenceScorer()
    for key, value in DEFAULT_FACTS:
        prompt = f"What is the {key}?"
        for answer in (f"The {key} is {value}", f"The {key} is not {value} but something else"):
            assert rust.calculate_factual_divergence(prompt, answer) == pytest.approx(
                python.calculate_factual_divergence(prompt, answer)
            ), (key, answer)
        assert rust.calculate_factual_divergence(prompt, f"The {key} is {value}") < 0.5, key


def test_python_coherence_score_is_validated():
    import director_ai

    assert director_ai.CoherenceScore(0.9, True, 0.1, 0.1).to_dict()["score"] == 0.9
    with pytest.raises(ValueError, match=r"^score must be in \[0, 1\], got 5$"):
        director_ai.CoherenceScore(5.0, True, 0.1, 0.1)
    with pytest.raises(ValueError, match=r"^h_logical must be in \[0, 1\], got NaN$"):
        director_ai.CoherenceScore(0.5, False, math.nan, 0.1)
    with pytest.raises(TypeError, match="^h_factual must be a number, got str$"):
        director_ai.CoherenceScore(0.5, False, 0.1, "0.1")
