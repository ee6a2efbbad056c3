"""Safety-gate behaviour, run against both backends (Rust and pure Python)."""

from __future__ import annotations

import math

import pytest

from conftest import scores

# ---------------------------------------------------------------- config


def test_default_config_fields(gate):
    cfg = gate.BackfireConfig()
    assert (cfg.coherence_threshold, cfg.hard_limit, cfg.soft_limit) == (0.6, 0.5, 0.7)
    assert (cfg.w_logic, cfg.w_fact) == (0.6, 0.4)
    assert (cfg.window_size, cfg.window_threshold) == (10, 0.55)
    assert (cfg.trend_window, cfg.trend_threshold) == (5, 0.15)
    assert (cfg.history_window, cfg.deadline_ms, cfg.logit_entropy_limit) == (5, 50, 1.2)


def test_config_repr_and_keywords(gate):
    assert repr(gate.BackfireConfig()).startswith("BackfireConfig(")
    cfg = gate.BackfireConfig(coherence_threshold=0.8, hard_limit=0.3, deadline_ms=100)
    assert "0.8" in repr(cfg)
    # Raising the threshold alone lifts the derived soft limit with it.
    assert cfg.soft_limit == 0.8


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coherence_threshold": 1.5}, "coherence_threshold must be in [0, 1], got 1.5"),
        ({"hard_limit": -0.1}, "hard_limit must be in [0, 1], got -0.1"),
        ({"hard_limit": 1.1}, "hard_limit must be in [0, 1], got 1.1"),
        ({"coherence_threshold": math.nan}, "coherence_threshold must be in [0, 1], got NaN"),
        ({"w_logic": 0.5, "w_fact": 0.3}, "w_logic + w_fact must equal 1.0, got 0.5 + 0.3 = 0.8"),
        ({"w_logic": 1.5, "w_fact": -0.5}, "w_fact must be finite and >= 0, got -0.5"),
        ({"window_size": 0}, "window_size must be >= 1, got 0"),
        ({"trend_window": 1}, "trend_window must be >= 2, got 1"),
        ({"trend_threshold": 0.0}, "trend_threshold must be finite and > 0, got 0"),
        ({"trend_threshold": math.nan}, "trend_threshold must be finite and > 0, got NaN"),
        ({"window_threshold": 2.0}, "window_threshold must be in [0, 1], got 2"),
        ({"deadline_ms": 0}, "deadline_ms must be > 0, got 0"),
        ({"window_size": -1}, "window_size must be >= 1, got -1"),
        ({"window_size": 1 << 21}, "window_size must be <= 1048576, got 2097152"),
        ({"logit_entropy_limit": math.inf}, "logit_entropy_limit must be finite and > 0, got inf"),
        ({"hard_limit": 0.65}, "hard_limit must be <= coherence_threshold, got 0.65"),
        ({"soft_limit": 0.55}, "coherence_threshold must be <= soft_limit, got 0.6"),
    ],
)
def test_config_rejects_bad_values_naming_field_and_value(gate, kwargs, message):
    with pytest.raises(ValueError) as err:
        gate.BackfireConfig(**kwargs)
    assert str(err.value) == f"config error: {message}"


def test_config_boundaries_accepted(gate):
    gate.BackfireConfig(coherence_threshold=0.0, hard_limit=0.0)
    gate.BackfireConfig(coherence_threshold=1.0, hard_limit=1.0, soft_limit=1.0)


def test_config_type_errors(gate):
    with pytest.raises(TypeError):
        gate.BackfireConfig(hard_limit="0.5")
    with pytest.raises(TypeError, match="^window_size must be an integer, got float$"):
        gate.BackfireConfig(window_size=10.0)
    with pytest.raises(TypeError, match="^history_window must be an integer, got str$"):
        gate.BackfireConfig(history_window="5")
    with pytest.raises(ValueError, match="^config error: trend_window must be >= 2, got -1000000000000000000000$"):
        gate.BackfireConfig(trend_window=-(10**21))
    with pytest.raises(ValueError, match="^config error: window_size must be <= "):
        gate.BackfireConfig(window_size=10**21)
    assert gate.BackfireConfig(window_size=True).window_size == 1  # bool is an int, as in Python


def test_streaming_keywords_name_the_field(gate):
    with pytest.raises(TypeError, match="^window_size must be an integer, got float$"):
        gate.StreamingKernel(window_size=2.5)


def test_config_json_round_trip(gate):
    cfg = gate.BackfireConfig(coherence_threshold=0.7, hard_limit=0.4)
    text = cfg.to_json()
    back = gate.BackfireConfig.from_json(text)
    assert (back.coherence_threshold, back.hard_limit) == (0.7, 0.4)
    assert "0.7" in repr(back)
    assert gate.BackfireConfig().to_json() == (
        '{"coherence_threshold":0.6,"hard_limit":0.5,"soft_limit":0.7,"w_logic":0.6,"w_fact":0.4,'
        '"window_size":10,"window_threshold":0.55,"trend_window":5,"trend_threshold":0.15,'
        '"history_window":5,"deadline_ms":50,"logit_entropy_limit":1.2}'
    )


@pytest.mark.parametrize("text", ["{invalid}", "{invalid json", "", "[1, 2]", '{"hard_limit": null}'])
def test_config_from_json_rejects_malformed(gate, text):
    with pytest.raises(ValueError, match="config error"):
        gate.BackfireConfig.from_json(text)


def test_config_from_json_validates_and_rejects_unknown_keys(gate):
    with pytest.raises(ValueError, match="coherence_threshold must be in"):
        gate.BackfireConfig.from_json('{"coherence_threshold": 5}')
    with pytest.raises(ValueError, match="hard_limt"):
        gate.BackfireConfig.from_json('{"hard_limt": 0.4}')
    # Missing keys take their defaults.
    assert gate.BackfireConfig.from_json('{"hard_limit": 0.4}').window_size == 10


# ---------------------------------------------------------- safety kernel


def test_safety_kernel_passes_and_halts(gate):
    assert gate.SafetyKernel(hard_limit=0.3).stream_output(["Hello", " world"], lambda t: 0.9) == "Hello world"
    kernel = gate.SafetyKernel(hard_limit=0.5)
    out = kernel.stream_output(["a", "b"], lambda t: 0.1)
    assert out == "[KERNEL INTERRUPT: COHERENCE LIMIT EXCEEDED]"
    assert kernel.is_active is False


def test_safety_kernel_strict_comparison(gate):
    assert gate.SafetyKernel(0.5).stream_output(["a", "b"], lambda t: 0.5) == "ab"
    assert "INTERRUPT" in gate.SafetyKernel(0.5).stream_output(["a", "b"], lambda t: 0.4999)


def test_safety_kernel_halt_latches_until_reactivate(gate):
    kernel = gate.SafetyKernel(0.5)
    kernel.stream_output(["x"], lambda t: 0.1)
    calls = []
    assert kernel.stream_output(["a"], lambda t: calls.append(t) or 0.9) == "[KERNEL INTERRUPT: kernel_inactive]"
    assert calls == []
    kernel.reactivate()
    assert kernel.is_active is True
    assert kernel.stream_output(["a", "b"], lambda t: 0.9) == "ab"


def test_safety_kernel_emergency_stop(gate):
    kernel = gate.SafetyKernel()
    kernel.emergency_stop()
    kernel.emergency_stop()
    assert kernel.is_active is False
    kernel.reactivate()
    assert kernel.is_active is True


def test_safety_kernel_callback_called_up_to_the_halting_token(gate):
    seen = []

    def cb(token):
        seen.append(token)
        return 0.1 if token == "c" else 0.9

    gate.SafetyKernel().stream_output(["a", "b", "c", "d"], cb)
    assert seen == ["a", "b", "c"]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_scores_halt_even_with_zero_limit(gate, bad):
    assert "INTERRUPT" in gate.SafetyKernel(hard_limit=0.0).stream_output(["a"], lambda t: bad)


def test_raising_and_non_numeric_callbacks_halt(gate):
    def boom(_):
        raise RuntimeError("boom")

    assert "INTERRUPT" in gate.SafetyKernel(0.0).stream_output(["a"], boom)
    assert "INTERRUPT" in gate.SafetyKernel(0.0).stream_output(["a"], lambda t: None)
    assert "INTERRUPT" in gate.SafetyKernel(0.0).stream_output(["a"], lambda t: "0.9")
    # ints, bools and __float__ objects are numbers
    assert gate.SafetyKernel(0.5).stream_output(["a"], lambda t: 1) == "a"


def test_keyboard_interrupt_propagates(gate):
    def stop(_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gate.SafetyKernel().stream_output(["a"], stop)
    with pytest.raises(KeyboardInterrupt):
        gate.StreamingKernel().stream_tokens(["a"], stop)


@pytest.mark.parametrize("limit", [math.nan, 2.0, -0.5])
def test_safety_kernel_validates_limit(gate, limit):
    with pytest.raises(ValueError, match="hard_limit must be in"):
        gate.SafetyKernel(hard_limit=limit)


def test_tokens_must_be_strings(gate):
    with pytest.raises(TypeError):
        gate.SafetyKernel().stream_output("abc", lambda t: 0.9)
    with pytest.raises(TypeError):
        gate.StreamingKernel().stream_tokens([1, 2], lambda t: 0.9)


def test_empty_input(gate):
    assert gate.SafetyKernel().stream_output([], lambda t: 0.0) == ""
    session = gate.StreamingKernel().stream_tokens([], lambda t: 0.0)
    assert not session.halted and session.token_count == 0 and session.output == ""


# ------------------------------------------------------- streaming kernel


def test_streaming_pass(gate):
    session = gate.StreamingKernel().stream_tokens(["Hello ", "beautiful ", "world"], lambda t: 0.8)
    assert not session.halted
    assert session.output == "Hello beautiful world" and session.output() == "Hello beautiful world"
    assert session.token_count == 3 and session.token_count() == 3
    assert session.halt_index == -1 and session.halt_reason == ""


def test_streaming_hard_limit_halt(gate):
    kernel = gate.StreamingKernel()
    session = kernel.stream_tokens(["Hello ", "world ", "bad"], scores(0.8, 0.7, 0.3))
    assert session.halted and session.halt_index == 2
    assert session.halt_reason == "hard_limit (0.3000 < 0.5)"
    assert session.tokens == ["Hello ", "world ", "bad"]
    assert session.output == "Hello world "
    assert kernel.is_active is False
    again = kernel.stream_tokens(["a"], lambda t: 0.9)
    assert again.halted and again.halt_index == 0 and again.halt_reason == "kernel_inactive"
    assert again.tokens == []
    assert kernel.stream_output(["a"], lambda t: 0.9) == "[KERNEL INTERRUPT: kernel_inactive]"
    kernel.reactivate()
    assert not kernel.stream_tokens(["a"], lambda t: 0.9).halted


def test_streaming_window_halt_does_not_latch(gate):
    kernel = gate.StreamingKernel(gate.BackfireConfig(window_size=3, window_threshold=0.7, coherence_threshold=0.7))
    session = kernel.stream_tokens(["a ", "b ", "c ", "d"], lambda t: 0.6)
    assert session.halt_index == 2 and session.halt_reason == "window_avg (0.6000 < 0.7)"
    assert session.output == "a b "
    assert kernel.is_active is True


def test_window_sees_scores_clamped_to_the_unit_interval(gate):
    kernel = gate.StreamingKernel(window_size=3, window_threshold=0.5, hard_limit=0.0)
    session = kernel.stream_scores(["a", "b", "c"], [5.0, 0.1, 0.1])
    assert session.halt_reason == "window_avg (0.4000 < 0.5)"
    assert session.coherence_history == [5.0, 0.1, 0.1]  # the history keeps raw scores


def test_streaming_window_from_keywords(gate):
    kernel = gate.StreamingKernel(window_size=3, window_threshold=0.6)
    session = kernel.stream_tokens(["t0 ", "t1 ", "t2 ", "t3 "], scores(0.7, 0.55, 0.5, 0.45))
    assert session.halt_reason == "window_avg (0.5833 < 0.6)"
    assert session.halt_index == 2 and session.output == "t0 t1 "


def test_streaming_trend_halt_on_third_token(gate):
    kernel = gate.StreamingKernel(trend_window=3, trend_threshold=0.1, hard_limit=0.1, window_threshold=0.1)
    session = kernel.stream_tokens(["a", "b", "c", "d"], scores(0.9, 0.8, 0.7, 0.5))
    assert session.halt_index == 2
    assert session.halt_reason == "downward_trend (0.2000 > 0.1)"
    assert kernel.is_active is True


def test_streaming_keywords_override_config(gate):
    cfg = gate.BackfireConfig(hard_limit=0.2)
    kernel = gate.StreamingKernel(cfg, window_size=3)
    assert kernel.config.window_size == 3 and kernel.config.hard_limit == 0.2
    assert kernel.is_active


def test_streaming_kernel_validates_keywords(gate):
    with pytest.raises(ValueError, match="window_size must be >= 1, got 0"):
        gate.StreamingKernel(window_size=0)
    with pytest.raises(ValueError, match="trend_threshold"):
        gate.StreamingKernel(trend_threshold=math.nan)
    with pytest.raises(TypeError):
        gate.StreamingKernel(config="not a config")


def test_streaming_failures_record_the_cause(gate):
    def boom(_):
        raise RuntimeError("boom")

    session = gate.StreamingKernel(hard_limit=0.0).stream_tokens(["a", "b"], boom)
    assert session.halted and session.halt_index == 0
    assert "hard_limit" in session.halt_reason and "RuntimeError('boom')" in session.halt_reason
    assert session.coherence_history == [0.0]
    nan = gate.StreamingKernel().stream_tokens(["a"], lambda t: math.nan)
    assert nan.halt_reason == "hard_limit (non-finite score)"
    typed = gate.StreamingKernel().stream_tokens(["a"], lambda t: None)
    assert "TypeError" in typed.halt_reason


def test_streaming_output_on_halt(gate):
    kernel = gate.StreamingKernel()
    assert kernel.stream_output(["Hello ", "bad"], lambda t: 0.1 if t == "bad" else 0.8).startswith(
        "[KERNEL INTERRUPT: hard_limit"
    )
    assert gate.StreamingKernel().stream_output(["x", "y"], lambda t: 0.9) == "xy"


def test_session_metrics(gate):
    session = gate.StreamingKernel().stream_tokens(["a", "b", "c"], scores(0.8, 0.6, 0.7))
    assert session.avg_coherence == pytest.approx(0.7) and session.avg_coherence() == pytest.approx(0.7)
    assert session.min_coherence == pytest.approx(0.6) and session.min_coherence() == pytest.approx(0.6)
    assert session.duration_ms >= 0 and session.duration_ms() >= 0
    assert session.coherence_history == [0.8, 0.6, 0.7]
    assert [e.index for e in session.events] == [0, 1, 2]
    assert [e.token for e in session.events] == ["a", "b", "c"]
    assert not any(e.halted for e in session.events)
    assert all(e.timestamp_s is None for e in session.events)  # opt-in
    timed = gate.StreamingKernel(timestamps=True).stream_tokens(["a", "b", "c"], lambda t: 0.9)
    stamps = [e.timestamp_s for e in timed.events]
    assert stamps == sorted(stamps) and stamps[0] >= 0
    assert stamps[-1] * 1000 <= timed.duration_ms


def test_callbacks_receive_the_token_objects_and_may_keep_their_arguments(gate):
    kept = []

    def cb(*args):
        kept.append(args)  # keeps the argument tuple alive
        return 0.9

    tokens = ["a", "b", "c"]
    gate.StreamingKernel().stream_tokens(tokens, cb)
    assert kept == [("a",), ("b",), ("c",)]
    assert all(args[0] is tok for args, tok in zip(kept, tokens))


def test_tokens_from_any_iterable(gate):
    session = gate.StreamingKernel().stream_tokens((t for t in ["x", "y"]), lambda t: 0.9)
    assert session.output == "xy" and session.tokens == ["x", "y"]


def test_reentrant_stream_sees_the_latch(gate):
    kernel = gate.StreamingKernel()
    seen = []

    def cb(token):
        seen.append(token)
        if token == "b":
            kernel.stream_tokens(["inner"], lambda t: 0.1)  # trips the latch
        return 0.9

    session = kernel.stream_tokens(["a", "b", "c", "d"], cb)
    assert session.halted and session.halt_index == 2 and session.halt_reason == "kernel_inactive"
    assert session.tokens == ["a", "b"] and seen == ["a", "b"]


# ------------------------------------------------------------- batch API


def test_batch_scores_match_callbacks(gate):
    values = [0.9, 0.85, 0.8, 0.75, 0.74, 0.72, 0.3, 0.9]
    tokens = [f"t{i} " for i in range(len(values))]
    a = gate.StreamingKernel().stream_tokens(tokens, scores(*values))
    b = gate.StreamingKernel().stream_scores(tokens, values)
    assert (a.halted, a.halt_index, a.halt_reason, a.tokens) == (b.halted, b.halt_index, b.halt_reason, b.tokens)
    assert gate.SafetyKernel().stream_scores(["a", "b"], [0.9, 0.9]) == "ab"
    assert "INTERRUPT" in gate.SafetyKernel().stream_scores(["a", "b"], [0.9, 0.1])


def test_batch_accepts_buffers(gate):
    import array

    numpy = pytest.importorskip("numpy")
    tokens = ["a", "b", "c"]
    for values in (array.array("d", [0.9, 0.8, 0.7]), numpy.array([0.9, 0.8, 0.7]), (0.9, 0.8, 0.7)):
        assert gate.StreamingKernel().stream_scores(tokens, values).output == "abc"


def test_batch_length_mismatch_is_an_error(gate):
    with pytest.raises(ValueError, match="got 2 scores for 3 tokens"):
        gate.StreamingKernel().stream_scores(["a", "b", "c"], [0.9, 0.9])
