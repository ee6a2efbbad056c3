"""The reference Python kernels' hooks in director_ai (spec/10 §4.2, §5.8,
§8.3–§8.4 "Python class"): on_halt, timeouts, soft-zone warnings, evidence.
With none of them set the kernels behave exactly as the Rust ones
(test_parity.py)."""

from __future__ import annotations

import math
import time

import pytest

import director_ai
from director_ai.kernel import SAFETY_INTERRUPT, TOKEN_TIMEOUT_INTERRUPT, TOTAL_TIMEOUT_INTERRUPT


def feed(scores):
    it = iter(scores)
    return lambda _token: next(it)


# ------------------------------------------------------------ SafetyKernel


def test_safety_defaults_are_off():
    k = director_ai.SafetyKernel()
    assert (k.on_halt, k.token_timeout, k.total_timeout) == (None, 0.0, 0.0)


def test_on_halt_receives_the_score_once_and_not_on_pass():
    calls = []
    k = director_ai.SafetyKernel(0.5, on_halt=calls.append)
    assert k.stream_output(["a", "b"], feed([0.9, 0.8])) == "ab"
    assert calls == []
    assert k.stream_output(["a", "b", "c"], feed([0.9, 0.2, 0.9])) == SAFETY_INTERRUPT
    assert calls == [0.2] and k.is_active is False


def test_on_halt_gets_nan_for_a_failed_callback():
    calls = []
    k = director_ai.SafetyKernel(0.5, on_halt=calls.append)
    assert k.stream_output(["a"], lambda t: 1 / 0) == SAFETY_INTERRUPT
    assert len(calls) == 1 and math.isnan(calls[0])


def test_on_halt_exception_propagates_after_the_latch():
    def boom(_score):
        raise RuntimeError("hook failed")

    k = director_ai.SafetyKernel(0.5, on_halt=boom)
    with pytest.raises(RuntimeError, match="hook failed"):
        k.stream_output(["a"], lambda t: 0.1)
    assert k.is_active is False


def test_total_timeout_counts_the_time_producing_tokens():
    def slow():
        for i in range(5):
            time.sleep(0.05)
            yield f"t{i}"

    seen = []
    k = director_ai.SafetyKernel(0.5, total_timeout=0.1)
    assert k.stream_output(slow(), lambda t: seen.append(t) or 0.9) == TOTAL_TIMEOUT_INTERRUPT
    assert k.is_active is False
    assert 1 <= len(seen) < 5  # lazily consumed: stopped part-way


def test_token_timeout_halts_a_slow_callback():
    calls = []
    k = director_ai.SafetyKernel(0.5, on_halt=calls.append, token_timeout=0.05)
    slow = lambda t: (time.sleep(0.15), 0.9)[1]  # noqa: E731
    assert k.stream_output(["a", "b"], slow) == TOKEN_TIMEOUT_INTERRUPT
    assert k.is_active is False and calls == []  # on_halt is not for timeouts


def test_a_low_score_within_the_timeouts_is_a_coherence_halt():
    k = director_ai.SafetyKernel(0.5, total_timeout=10.0, token_timeout=10.0)
    assert k.stream_output(["a", "b"], feed([0.9, 0.1])) == SAFETY_INTERRUPT
    k.reactivate()
    assert k.stream_output(iter(["a", "b"]), feed([0.9, 0.8])) == "ab"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"on_halt": 3}, TypeError, "on_halt must be callable or None, got int"),
        ({"token_timeout": -1.0}, ValueError, "token_timeout must be finite and >= 0, got -1"),
        ({"total_timeout": math.inf}, ValueError, "total_timeout must be finite and >= 0"),
        ({"total_timeout": "1"}, TypeError, "total_timeout must be a number, got str"),
    ],
)
def test_safety_hook_validation(kwargs, error, message):
    with pytest.raises(error, match=message):
        director_ai.SafetyKernel(0.5, **kwargs)
    k = director_ai.SafetyKernel(0.5)
    name, value = next(iter(kwargs.items()))
    with pytest.raises(error, match=message):
        setattr(k, name, value)


# --------------------------------------------------------- StreamingKernel


def test_soft_zone_warnings():
    k = director_ai.StreamingKernel(hard_limit=0.4, soft_limit=0.7)
    s = k.stream_tokens(["a", "b", "c"], feed([0.5, 0.6, 0.8]))
    assert not s.halted and s.warning_count == 2
    assert [e.warning for e in s.events] == [True, True, False]
    s = director_ai.StreamingKernel(hard_limit=0.3, soft_limit=0.6).stream_tokens(["a", "b"], feed([0.4, 0.5]))
    assert not s.halted and s.warning_count == 2


def test_the_hard_limit_halting_token_is_no_warning_but_a_window_halt_is():
    k = director_ai.StreamingKernel(hard_limit=0.4, soft_limit=0.7, window_size=2, window_threshold=0.6)
    s = k.stream_tokens(["a", "b"], feed([0.55, 0.5]))
    assert s.halt_reason.startswith("window_avg") and s.warning_count == 2
    s = director_ai.StreamingKernel(hard_limit=0.4, soft_limit=0.7).stream_tokens(["a", "b"], feed([0.5, 0.1]))
    assert s.halt_reason.startswith("hard_limit") and s.warning_count == 1


def test_on_halt_gets_the_session_once_for_hard_and_window_halts_only():
    calls = []
    k = director_ai.StreamingKernel(hard_limit=0.5, window_size=2, window_threshold=0.7, on_halt=calls.append)
    ok = k.stream_tokens(["a", "b"], feed([0.9, 0.9]))
    assert calls == [] and not ok.halted
    window = k.stream_tokens(["a", "b"], feed([0.6, 0.6]))
    assert calls == [window] and window.halt_reason.startswith("window_avg")
    hard = k.stream_tokens(["a"], feed([0.2]))
    assert calls == [window, hard]
    inactive = k.stream_tokens(["a"], feed([0.9]))  # latched by the hard halt
    assert inactive.halt_reason == "kernel_inactive" and calls[-1] is inactive


def test_evidence_callback_sees_the_text_including_the_halting_token():
    seen = []
    k = director_ai.StreamingKernel(hard_limit=0.5)
    s = k.stream_tokens(["x ", "y ", "z "], feed([0.8, 0.3, 0.9]), evidence_callback=lambda t: seen.append(t) or "EV")
    assert seen == ["x y "] and s.halt_evidence == "EV" and s.events[-1].evidence == "EV"
    assert str(s.output) == "x "
    s = k.stream_tokens(["a"], feed([0.9]), evidence_callback=lambda t: seen.append(t))
    assert s.halt_reason == "kernel_inactive" and s.halt_evidence is None and seen == ["x y "]


def test_streaming_hook_validation():
    with pytest.raises(TypeError, match="on_halt must be callable"):
        director_ai.StreamingKernel(on_halt="x")
    with pytest.raises(TypeError, match="evidence_callback must be callable"):
        director_ai.StreamingKernel().stream_tokens(["a"], feed([0.9]), evidence_callback=1)
    with pytest.raises(ValueError, match="soft_limit"):
        director_ai.StreamingKernel(hard_limit=0.5, soft_limit=0.4)


@pytest.mark.parametrize("backend", ["rust", "python"])
def test_both_backends_time_out_the_same_way(backend):
    import backfire_kernel as bk

    safety = bk.SafetyKernel if backend == "rust" else director_ai.SafetyKernel
    slow = lambda t: (time.sleep(0.06), 0.9)[1]  # noqa: E731
    k = safety(0.5, token_timeout=0.02)
    assert k.token_timeout == 0.02 and k.total_timeout == 0.0
    assert k.stream_output(["a", "b"], slow) == TOKEN_TIMEOUT_INTERRUPT
    assert k.is_active is False
    calls = []
    k = safety(0.5, total_timeout=0.05)
    out = k.stream_output(["t"] * 10, lambda t: calls.append(t) or slow(t))
    assert out == TOTAL_TIMEOUT_INTERRUPT and 1 <= len(calls) < 10 and k.is_active is False
    k = safety(0.5, total_timeout=10.0, token_timeout=10.0)
    assert k.stream_output(["a", "b"], feed([0.9, 0.1])) == SAFETY_INTERRUPT
    with pytest.raises(ValueError, match="token_timeout must be finite and >= 0, got -1"):
        safety(0.5, token_timeout=-1.0)
    with pytest.raises(ValueError, match="total_timeout must be finite and >= 0, got inf"):
        safety(0.5, total_timeout=math.inf)


def test_rust_streaming_kernel_timeouts_name_the_limit():
    import backfire_kernel as bk

    k = bk.StreamingKernel(token_timeout=0.02)
    session = k.stream_tokens(["a", "b", "c"], lambda t: (time.sleep(0.06 if t == "b" else 0), 0.9)[1])
    assert session.halted and session.halt_index == 1 and session.halt_reason.startswith("token_timeout (")
    assert session.coherence_history == [0.9, 0.9] and k.is_active is False
    k = bk.StreamingKernel(total_timeout=0.05)
    out = k.stream_output(["t"] * 10, lambda t: (time.sleep(0.02), 0.9)[1])
    assert out.startswith("[KERNEL INTERRUPT: total_timeout (") and out.endswith(" s > 0.05 s)]")
    # Precomputed scores are never timed.
    assert not bk.StreamingKernel(total_timeout=1e-9).stream_scores(["a"] * 5, [0.9] * 5).halted
