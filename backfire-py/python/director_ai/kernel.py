"""Pure-Python safety kernels: the fallback when the Rust extension is not
installed, and the "Python" column of the benchmarks.

Semantics are those of ``backfire_kernel`` (tested for parity): the same
order of checks, strict comparisons, halt reasons, latch, callback failure
handling and drift-free window mean.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._text import fmt_float
from ._values import CallableFloat, CallableInt, CallableStr
from .config import BackfireConfig

__all__ = [
    "SAFETY_INTERRUPT",
    "INACTIVE_INTERRUPT",
    "TOTAL_TIMEOUT_INTERRUPT",
    "TOKEN_TIMEOUT_INTERRUPT",
    "SafetyKernel",
    "StreamingKernel",
    "StreamSession",
    "TokenEvent",
]

#: What ``SafetyKernel.stream_output`` returns when a token halts.
SAFETY_INTERRUPT = "[KERNEL INTERRUPT: COHERENCE LIMIT EXCEEDED]"
#: What ``SafetyKernel.stream_output`` returns when the kernel is latched.
INACTIVE_INTERRUPT = "[KERNEL INTERRUPT: kernel_inactive]"
#: What ``SafetyKernel.stream_output`` returns when ``total_timeout`` ran out.
TOTAL_TIMEOUT_INTERRUPT = "[KERNEL INTERRUPT: TOTAL TIMEOUT EXCEEDED]"
#: What ``SafetyKernel.stream_output`` returns when one callback took
#: longer than ``token_timeout``.
TOKEN_TIMEOUT_INTERRUPT = "[KERNEL INTERRUPT: TOKEN TIMEOUT EXCEEDED]"

CoherenceCallback = Callable[[str], Any]


class _Halt(Exception):
    """Internal: a token's score is a halt (carries the reason string)."""

    def __init__(self, reason: str, latches: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.latches = latches


def _token_list(tokens: Iterable[str]) -> list[str]:
    if isinstance(tokens, (str, bytes)):
        raise TypeError("tokens must be a sequence of str, not a single str")
    out = list(tokens)
    for tok in out:
        if not isinstance(tok, str):
            raise TypeError(f"tokens must be str, got {type(tok).__name__}")
    return out


def _score(callback: CoherenceCallback, token: str) -> float:
    """Call the coherence callback; any ``Exception`` or a non-number is a
    recorded failure (``_Halt``). ``KeyboardInterrupt``/``SystemExit``
    propagate."""
    try:
        value = callback(token)
    except Exception as exc:  # noqa: BLE001 - the fail-safe is the point
        raise _Halt(f"hard_limit (callback_error: {exc!r})", True) from None
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, complex):
        kind = type(value).__name__
        raise _Halt(f"hard_limit (callback_error: TypeError('callback returned {kind}, expected a number'))", True)
    try:
        return float(value)
    except Exception as exc:  # noqa: BLE001
        raise _Halt(f"hard_limit (callback_error: {exc!r})", True) from None


def _value_or_nan(score: Callable[[], float]) -> float:
    """The score, or NaN (a halt at any limit) if scoring failed."""
    try:
        return score()
    except _Halt:
        return math.nan


def _check_hard(score: float, limit: float) -> None:
    if not math.isfinite(score):
        raise _Halt("hard_limit (non-finite score)", True)
    if score < limit:
        raise _Halt(f"hard_limit ({score:.4f} < {fmt_float(limit)})", True)


def _length_mismatch(tokens: int, scores: int) -> ValueError:
    return ValueError(
        f"validation error: scores must have one value per token, got {scores} scores for {tokens} tokens"
    )


def _validated_timeout(name: str, value: Any) -> float:
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    seconds = float(value)
    if not (math.isfinite(seconds) and seconds >= 0.0):
        raise ValueError(f"validation error: {name} must be finite and >= 0, got {fmt_float(seconds)}")
    return seconds


def _validated_hook(name: str, value: Any) -> Callable[..., Any] | None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, got {type(value).__name__}")
    return value


class _Checked:
    """An attribute checked on every assignment by ``check(name, value)``."""

    def __init__(self, check: Callable[[str, Any], Any], doc: str) -> None:
        self.check, self.__doc__ = check, doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else getattr(obj, self.slot)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self.slot, self.check(self.name, value))


def _validated_hard_limit(value: Any) -> float:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"hard_limit must be a number, got {type(value).__name__}")
    limit = float(value)
    if not (0.0 <= limit <= 1.0):
        raise ValueError(f"validation error: hard_limit must be in [0, 1], got {fmt_float(limit)}")
    return limit


class _Latch:
    """The kernels' active flag: a halt latches it until :meth:`reactivate`."""

    _active: bool = True

    @property
    def is_active(self) -> bool:
        """``False`` after a latching halt or an emergency stop."""
        return self._active

    def emergency_stop(self) -> None:
        """Latch the kernel inactive (idempotent)."""
        self._active = False

    def reactivate(self) -> None:
        """Clear the latch."""
        self._active = True


class SafetyKernel(_Latch):
    """Hard-limit interlock: halts at the first token whose coherence is
    below ``hard_limit`` (or not a number, or whose callback failed), and
    stays halted until :meth:`reactivate`.

    The reference Python kernel's options (spec/10 §4.2), all off by
    default (then the semantics are exactly the Rust kernel's):

    * ``on_halt(score)`` is called once when a token halts the stream
      (``score`` is the callback's value, NaN if the callback raised or
      returned a non-number); an exception from it propagates, with the
      kernel already latched. Not called for timeouts.
    * ``token_timeout`` (seconds, 0 = off): a callback that takes longer
      halts the stream with :data:`TOKEN_TIMEOUT_INTERRUPT` (checked before
      the score).
    * ``total_timeout`` (seconds, 0 = off): checked before each token, so
      it includes the time spent producing tokens (the token iterable is
      then consumed lazily); when exceeded, :data:`TOTAL_TIMEOUT_INTERRUPT`.

    Both timeouts latch the kernel.
    """

    def __init__(
        self,
        hard_limit: float = 0.5,
        on_halt: Callable[[float], Any] | None = None,
        token_timeout: float = 0.0,
        total_timeout: float = 0.0,
    ) -> None:
        self._hard_limit = _validated_hard_limit(hard_limit)
        self.on_halt = on_halt
        self.token_timeout = token_timeout
        self.total_timeout = total_timeout
        self._active = True

    @property
    def hard_limit(self) -> float:
        """The hard floor (read-only)."""
        return self._hard_limit

    on_halt = _Checked(_validated_hook, "Called with the halting score (``None``: no hook).")
    token_timeout = _Checked(_validated_timeout, "Longest a callback may take, in seconds (0: no limit).")
    total_timeout = _Checked(_validated_timeout, "Longest a stream may take, in seconds (0: no limit).")

    def stream_output(self, tokens: Iterable[str], coherence_callback: CoherenceCallback) -> str:
        """Concatenate the tokens while each scores at least ``hard_limit``;
        on a halt return the interrupt message instead."""
        if self._token_timeout > 0.0 or self._total_timeout > 0.0:
            return self._timed_gate(tokens, coherence_callback)
        tokens = _token_list(tokens)
        return self._gate(tokens, lambda i, tok: _score(coherence_callback, tok))

    def stream_scores(self, tokens: Iterable[str], scores: Iterable[float]) -> str:
        """Like :meth:`stream_output` with precomputed scores (no timeouts:
        nothing is called per token)."""
        tokens = _token_list(tokens)
        values = [float(s) for s in scores]
        if len(values) != len(tokens):
            raise _length_mismatch(len(tokens), len(values))
        return self._gate(tokens, lambda i, tok: values[i])

    def _gate(self, tokens: list[str], score_of: Callable[[int, str], float]) -> str:
        if not self._active:
            return INACTIVE_INTERRUPT
        for i, tok in enumerate(tokens):
            if self._halts(_value_or_nan(lambda: score_of(i, tok))):
                return SAFETY_INTERRUPT
        return "".join(tokens)

    def _timed_gate(self, tokens: Iterable[str], callback: CoherenceCallback) -> str:
        """The reference's loop with timeouts; tokens consumed lazily."""
        if isinstance(tokens, (str, bytes)):
            raise TypeError("tokens must be a sequence of str, not a single str")
        if not self._active:
            return INACTIVE_INTERRUPT
        start, emitted = time.monotonic(), []
        for tok in tokens:
            if not isinstance(tok, str):
                raise TypeError(f"tokens must be str, got {type(tok).__name__}")
            if self._total_timeout > 0.0 and time.monotonic() - start > self._total_timeout:
                self._active = False
                return TOTAL_TIMEOUT_INTERRUPT
            t0 = time.monotonic()
            value = _value_or_nan(lambda: _score(callback, tok))
            if self._token_timeout > 0.0 and time.monotonic() - t0 > self._token_timeout:
                self._active = False
                return TOKEN_TIMEOUT_INTERRUPT
            if self._halts(value):
                return SAFETY_INTERRUPT
            emitted.append(tok)
        return "".join(emitted)

    def _halts(self, value: float) -> bool:
        """Whether ``value`` halts the stream; if so latches the kernel and
        calls ``on_halt``."""
        try:
            _check_hard(value, self._hard_limit)
            return False
        except _Halt:
            self._active = False
        if self._on_halt is not None:
            self._on_halt(value)
        return True

    def __repr__(self) -> str:
        return f"SafetyKernel(hard_limit={self._hard_limit!r}, is_active={self._active})"


@dataclass
class TokenEvent:
    """One scored token of a stream."""

    token: str
    index: int
    coherence: float
    timestamp_s: float | None  # None unless the kernel records per-token times
    halted: bool = False
    warning: bool = False  # approved but below the soft limit
    evidence: str | None = None  # the evidence callback's result, on the halting token


@dataclass
class StreamSession:
    """What happened in one stream: every scored token (including the
    halting one), its coherence, and why it halted."""

    tokens: list[str] = field(default_factory=list)
    coherence_history: list[float] = field(default_factory=list)
    events: list[TokenEvent] = field(default_factory=list)
    halted: bool = False
    halt_index: int = -1
    halt_reason: str = ""
    start_time_s: float = 0.0
    end_time_s: float = 0.0
    warning_count: int = 0
    halt_evidence: str | None = None

    @property
    def output(self) -> CallableStr:
        """The emitted text: all tokens, or those before the halting one."""
        end = self.halt_index if self.halted and 0 <= self.halt_index <= len(self.tokens) else len(self.tokens)
        return CallableStr("".join(self.tokens[:end]))

    @property
    def token_count(self) -> CallableInt:
        """Number of scored tokens (the halting one included)."""
        return CallableInt(len(self.tokens))

    @property
    def avg_coherence(self) -> CallableFloat:
        """Mean coherence clamped into [0, 1]; 0 for an empty stream."""
        hist = self.coherence_history
        if not hist:
            return CallableFloat(0.0)
        mean = math.fsum(hist) / len(hist)
        return CallableFloat(min(max(mean, 0.0), 1.0) if not math.isnan(mean) else 0.0)

    @property
    def min_coherence(self) -> CallableFloat:
        """Lowest coherence, floored at 0; 0 for an empty stream."""
        finite = [x for x in self.coherence_history if not math.isnan(x)]
        return CallableFloat(max(min(finite), 0.0) if finite else 0.0)

    @property
    def duration_ms(self) -> CallableFloat:
        """Wall time of the stream in milliseconds."""
        return CallableFloat((self.end_time_s - self.start_time_s) * 1000.0)

    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        return (
            f"StreamSession(tokens={len(self.tokens)}, halted={self.halted}, "
            f"halt_reason={self.halt_reason!r}, avg_coherence={float(self.avg_coherence):.4f})"
        )


class _Window:
    """Sliding-window mean by block restarts (no drift), as in the Rust core."""

    __slots__ = ("size", "ring", "block_pos", "total", "evicted", "fill", "count")

    def __init__(self, size: int, capacity: int) -> None:
        self.size = size
        self.ring: list[float] = [0.0] * capacity
        self.block_pos = 0
        self.total = self.evicted = self.fill = 0.0
        self.count = 0

    def push(self, x: float) -> None:
        x = min(max(x, 0.0), 1.0)  # one wild score cannot hide a run of low ones
        if self.block_pos == self.size:
            self.total, self.fill, self.evicted, self.block_pos = self.fill, 0.0, 0.0, 0
        cap = len(self.ring)
        if self.count >= self.size:
            self.evicted += self.ring[(self.count - self.size) % cap]
        self.ring[self.count % cap] = x
        self.count += 1
        self.fill += x
        self.block_pos += 1

    def mean_below(self, threshold: float) -> float | None:
        """The window mean if it is strictly below ``threshold``."""
        if self.count < self.size:
            return None
        mean = ((self.total - self.evicted) + self.fill) / self.size
        return mean if mean < threshold else None

    def drop_over(self, span: int) -> float | None:
        if self.count < span:
            return None
        cap = len(self.ring)
        return self.ring[(self.count - span) % cap] - self.ring[(self.count - 1) % cap]


class StreamingKernel(_Latch):
    """Sliding-window streaming oversight: hard limit, window mean and
    downward trend, with full session tracking.

    Accepts a ``config`` and/or the per-field keywords of the seed guide
    (``hard_limit=``, ``window_size=``, …, ``soft_limit=``), which override
    the config. ``timestamps=True`` records the time of every token (a
    clock read per token); otherwise only the stream's duration is recorded.

    As the reference Python kernel (spec/10 §5.8): a token that passes the
    hard limit but scores below ``soft_limit`` is marked ``warning`` and
    counted in ``session.warning_count`` (a token that then halts on the
    window or trend still counts); ``on_halt(session)`` is called once
    after a stream that halted (any reason); ``stream_tokens(...,
    evidence_callback=f)`` calls ``f(text so far, halting token included)``
    on a hard-limit, window or trend halt and stores the result on the
    halting event and as ``session.halt_evidence``. Exceptions from the
    hooks propagate; the halt is recorded (and latched) first.
    """

    def __init__(
        self,
        config: BackfireConfig | None = None,
        *,
        hard_limit: float | None = None,
        window_size: int | None = None,
        window_threshold: float | None = None,
        trend_window: int | None = None,
        trend_threshold: float | None = None,
        soft_limit: float | None = None,
        on_halt: Callable[[StreamSession], Any] | None = None,
        timestamps: bool = False,
    ) -> None:
        if config is not None and not isinstance(config, BackfireConfig):
            raise TypeError(f"config must be a BackfireConfig, got {type(config).__name__}")
        overrides = {
            "hard_limit": hard_limit,
            "window_size": window_size,
            "window_threshold": window_threshold,
            "trend_window": trend_window,
            "trend_threshold": trend_threshold,
            "soft_limit": soft_limit,
        }
        if config is None:
            # Keywords alone describe a streaming kernel, which never reads the
            # scorer's threshold: keep the threshold (and the derived soft
            # limit) between the requested hard and soft limits instead of
            # rejecting them.
            threshold = max(BackfireConfig.coherence_threshold, float(hard_limit or 0.0))
            if soft_limit is not None:
                threshold = max(float(hard_limit or 0.0), min(threshold, float(soft_limit)))
            self._config = BackfireConfig(coherence_threshold=threshold).replace(**overrides)
        else:
            self._config = config.replace(**overrides)
        self._timestamps = bool(timestamps)
        self.on_halt = on_halt
        self._active = True

    @property
    def config(self) -> BackfireConfig:
        """The validated configuration."""
        return self._config

    on_halt = _Checked(_validated_hook, "Called with the session after a stream that halted.")

    def stream_tokens(
        self,
        tokens: Iterable[str],
        coherence_callback: CoherenceCallback,
        evidence_callback: Callable[[str], Any] | None = None,
    ) -> StreamSession:
        """Score each token and stop at the first halt."""
        tokens = _token_list(tokens)
        evidence = _validated_hook("evidence_callback", evidence_callback)
        return self._run(tokens, lambda i, tok: _score(coherence_callback, tok), evidence)

    def stream_scores(self, tokens: Iterable[str], scores: Iterable[float]) -> StreamSession:
        """Like :meth:`stream_tokens` with precomputed scores."""
        tokens = _token_list(tokens)
        values = [float(s) for s in scores]
        if len(values) != len(tokens):
            raise _length_mismatch(len(tokens), len(values))
        return self._run(tokens, lambda i, tok: values[i])

    def stream_output(self, tokens: Iterable[str], coherence_callback: CoherenceCallback) -> str:
        """The emitted text, or ``[KERNEL INTERRUPT: <reason>]`` on a halt."""
        session = self.stream_tokens(tokens, coherence_callback)
        if session.halted:
            return f"[KERNEL INTERRUPT: {session.halt_reason}]"
        return str(session.output)

    def _run(
        self,
        tokens: Sequence[str],
        score_of: Callable[[int, str], float],
        evidence_callback: Callable[[str], Any] | None = None,
    ) -> StreamSession:
        cfg = self._config
        session = StreamSession()
        window = _Window(cfg.window_size, max(cfg.window_size, cfg.trend_window))
        t0 = time.perf_counter()
        for i, tok in enumerate(tokens):
            if not self._active:
                session.halted, session.halt_index, session.halt_reason = True, i, "kernel_inactive"
                break
            try:
                score = score_of(i, tok)
                failure = None
            except _Halt as halt:
                score, failure = 0.0, halt
            recorded = score if math.isfinite(score) else 0.0
            event = TokenEvent(tok, i, recorded, time.perf_counter() - t0 if self._timestamps else None)
            session.tokens.append(tok)
            session.coherence_history.append(recorded)
            session.events.append(event)
            reason = failure.reason if failure else self._hard_reason(score)
            if reason is None:
                if score < cfg.soft_limit:
                    event.warning = True
                    session.warning_count += 1
                reason = self._window_reason(window, score)
            if reason is not None:
                event.halted = session.halted = True
                session.halt_index, session.halt_reason = i, reason
                if reason.startswith("hard_limit"):
                    self._active = False
                if evidence_callback is not None:
                    event.evidence = session.halt_evidence = evidence_callback("".join(session.tokens))
                break
        session.end_time_s = time.perf_counter() - t0
        if session.halted and self._on_halt is not None:
            self._on_halt(session)
        return session

    def _hard_reason(self, score: float) -> str | None:
        try:
            _check_hard(score, self._config.hard_limit)
        except _Halt as halt:
            return halt.reason
        return None

    def _window_reason(self, window: _Window, score: float) -> str | None:
        cfg = self._config
        window.push(score)
        mean = window.mean_below(cfg.window_threshold)
        if mean is not None:
            return f"window_avg ({mean:.4f} < {fmt_float(cfg.window_threshold)})"
        drop = window.drop_over(cfg.trend_window)
        if drop is not None and drop > cfg.trend_threshold:
            return f"downward_trend ({drop:.4f} > {fmt_float(cfg.trend_threshold)})"
        return None

    def __repr__(self) -> str:
        c = self._config
        return (
            f"StreamingKernel(hard_limit={c.hard_limit!r}, window_size={c.window_size}, "
            f"window_threshold={c.window_threshold!r}, trend_window={c.trend_window}, "
            f"trend_threshold={c.trend_threshold!r}, is_active={self._active})"
        )
