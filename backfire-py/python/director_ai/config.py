"""Pure-Python ``BackfireConfig``: the same fields, defaults and validation
as the Rust ``backfire_kernel.BackfireConfig``."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from ._text import fmt_float

__all__ = ["BackfireConfig", "DEFAULT_SOFT_LIMIT", "MAX_WINDOW"]

#: The soft limit used when none is given and the threshold is at most 0.7.
DEFAULT_SOFT_LIMIT = 0.7
#: The largest window_size / trend_window (each stream allocates that many scores).
MAX_WINDOW = 1 << 20

_FLOAT_FIELDS = (
    "coherence_threshold",
    "hard_limit",
    "soft_limit",
    "w_logic",
    "w_fact",
    "window_threshold",
    "trend_threshold",
    "logit_entropy_limit",
)
_INT_FIELDS = ("window_size", "trend_window", "history_window", "deadline_ms")


def _error(field: str, value: float, rule: str) -> ValueError:
    return ValueError(f"config error: {field} must be {rule}, got {fmt_float(float(value))}")


@dataclass(frozen=True)
class BackfireConfig:
    """Gate configuration: thresholds, window sizes and weights.

    Every field is a keyword argument and a read-only attribute. Values are
    validated on construction; a bad value raises ``ValueError`` naming the
    field and the value. ``soft_limit`` defaults to ``max(0.7,
    coherence_threshold)`` so that raising the threshold alone never makes
    the configuration inconsistent.
    """

    coherence_threshold: float = 0.6
    hard_limit: float = 0.5
    soft_limit: float | None = None
    w_logic: float = 0.6
    w_fact: float = 0.4
    window_size: int = 10
    window_threshold: float = 0.55
    trend_window: int = 5
    trend_threshold: float = 0.15
    history_window: int = 5
    deadline_ms: int = 50
    logit_entropy_limit: float = 1.2

    def __post_init__(self) -> None:
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if name == "soft_limit" and value is None:
                value = max(DEFAULT_SOFT_LIMIT, _as_float("coherence_threshold", self.coherence_threshold))
            object.__setattr__(self, name, _as_float(name, value))
        for name in _INT_FIELDS:
            object.__setattr__(self, name, _as_int(name, getattr(self, name)))
        self._validate()

    def _validate(self) -> None:
        # Same rules, order and messages as the Rust BackfireConfig.validate.
        _unit("coherence_threshold", self.coherence_threshold)
        _unit("soft_limit", self.soft_limit)
        if self.coherence_threshold > self.soft_limit:
            raise _error("coherence_threshold", self.coherence_threshold, "<= soft_limit")
        for name in ("window_size", "trend_window"):
            if getattr(self, name) > MAX_WINDOW:
                raise _error(name, getattr(self, name), f"<= {MAX_WINDOW}")
        _unit("hard_limit", self.hard_limit)
        if self.window_size < 1:
            raise _error("window_size", self.window_size, ">= 1")
        _unit("window_threshold", self.window_threshold)
        if self.trend_window < 2:
            raise _error("trend_window", self.trend_window, ">= 2")
        _positive("trend_threshold", self.trend_threshold)
        for name in ("w_logic", "w_fact"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise _error(name, value, "finite and >= 0")
        if abs((self.w_logic + self.w_fact) - 1.0) > 1e-9:
            a, b = self.w_logic, self.w_fact
            raise ValueError(
                "config error: w_logic + w_fact must equal 1.0, "
                f"got {fmt_float(a)} + {fmt_float(b)} = {fmt_float(a + b)}"
            )
        if self.hard_limit > self.coherence_threshold:
            raise _error("hard_limit", self.hard_limit, "<= coherence_threshold")
        if self.history_window < 0:
            raise _error("history_window", self.history_window, ">= 0")
        if self.deadline_ms < 1:
            raise _error("deadline_ms", self.deadline_ms, "> 0")
        _positive("logit_entropy_limit", self.logit_entropy_limit)

    # -- serialisation -------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The 12 fields, in order."""
        return asdict(self)

    def to_json(self) -> str:
        """Compact JSON with the 12 fields in order."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> BackfireConfig:
        """Parse and validate. Missing keys take their defaults; unknown keys
        are an error (a typo in a safety config must not pass silently)."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as exc:
            raise ValueError(f"config error: JSON parse error: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError("config error: JSON parse error: expected an object")
        known = {f.name for f in fields(BackfireConfig)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"config error: JSON parse error: unknown field `{unknown[0]}`")
        try:
            return BackfireConfig(**data)
        except TypeError as exc:  # wrong JSON type for a field
            raise ValueError(f"config error: JSON parse error: {exc}") from None

    def replace(self, **changes: Any) -> BackfireConfig:
        """A copy with some fields changed (validated)."""
        data = self.to_dict()
        data.update({k: v for k, v in changes.items() if v is not None})
        return BackfireConfig(**data)

    def __repr__(self) -> str:
        inner = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return f"BackfireConfig({inner})"


def _as_float(name: str, value: Any) -> float:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) or not hasattr(value, "__index__"):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
        value = value.__index__()
    return int(value)


def _unit(name: str, value: float) -> None:
    if not (0.0 <= value <= 1.0):
        raise _error(name, value, "in [0, 1]")


def _positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise _error(name, value, "finite and > 0")
