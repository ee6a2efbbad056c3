"""Pure-Python coherence scorer, knowledge store and heuristics, with the
semantics of ``backfire_kernel.CoherenceScorer`` (tested for parity)."""

from __future__ import annotations

import math
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ._text import fmt_float, words
from .config import BackfireConfig

__all__ = [
    "DIVERGENCE_ALIGNED",
    "DIVERGENCE_CONTRADICTED",
    "DIVERGENCE_NEUTRAL",
    "DEFAULT_FACTS",
    "CoherenceScore",
    "CoherenceScorer",
    "Fact",
    "GroundTruthStore",
    "heuristic_nli",
    "factual_divergence",
    "facts_from_context",
]

DIVERGENCE_NEUTRAL = 0.5
DIVERGENCE_ALIGNED = 0.1
DIVERGENCE_CONTRADICTED = 0.9

#: The built-in facts, in retrieval order (the same set as the Rust store).
DEFAULT_FACTS: tuple[tuple[str, str], ...] = (
    ("sky color", "blue"),
    ("scpn layers", "16"),
    ("system layers", "16"),
    ("layer 1", "quantum biological"),
    ("layer 16", "director"),
    ("sec metric", "sustainable ethical coherence"),
    ("backfire limit", "entropy threshold"),
    ("vibrana symmetry", "13-fold"),
)


def _clamp_unit(x: float) -> float:
    """NaN → 0, ±inf → bounds, else clamp into [0, 1]."""
    if math.isnan(x):
        return 0.0
    return min(max(x, 0.0), 1.0)


NO_EVIDENCE = "scored as no evidence (0.5)"


def _warn(message: str) -> None:
    """A ``RuntimeWarning`` for a callback whose answer could not be used,
    attributed to the code that called the scorer (the Rust backend warns
    with the same text)."""
    warnings.warn(message, RuntimeWarning, stacklevel=5)


def _divergence(raw: Any) -> float:
    """A backend's raw divergence: non-numbers and non-finite → 0.5, with a
    warning."""
    try:
        x = float(raw) if not isinstance(raw, (str, bytes)) and raw is not None else None
    except Exception:  # noqa: BLE001 - any failure is "no evidence"
        x = None
    if x is None:
        _warn(f"nli_callback returned {type(raw).__name__}, expected a number; {NO_EVIDENCE}")
        return DIVERGENCE_NEUTRAL
    if not math.isfinite(x):
        _warn(f"nli_callback returned {x!r}; {NO_EVIDENCE}")
        return DIVERGENCE_NEUTRAL
    return min(max(x, 0.0), 1.0)


@dataclass(frozen=True)
class CoherenceScore:
    """The scorer's verdict on one (prompt, response) pair."""

    score: float
    approved: bool
    h_logical: float
    h_factual: float
    warning: bool = False
    evidence: None = None

    def __post_init__(self) -> None:
        # The Rust scores are in [0, 1] by construction; one built by hand
        # must be too (the reference's accepted score=5.0, h_logical=-1).
        for name in ("score", "h_logical", "h_factual"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number, got {type(value).__name__}")
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {fmt_float(float(value))}")

    def to_dict(self) -> dict[str, Any]:
        """``score``, ``approved``, ``h_logical``, ``h_factual``, ``warning``."""
        return {
            "score": self.score,
            "approved": self.approved,
            "h_logical": self.h_logical,
            "h_factual": self.h_factual,
            "warning": self.warning,
        }


@dataclass(frozen=True)
class Fact:
    """One retrieved fact; ``key`` is empty for free-text context."""

    key: str
    value: str


@dataclass
class GroundTruthStore:
    """Insertion-ordered facts with word-based retrieval.

    A fact matches a query when any word of its key is a word of the query
    (whole words, case-insensitive: ``"sec"`` does not match ``"second"``).
    """

    facts: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FACTS))

    def add(self, key: str, value: str) -> None:
        """Insert or overwrite a fact (an overwrite keeps its position)."""
        self.facts[key] = value

    add_fact = add

    def retrieve_facts(self, query: str) -> list[Fact]:
        """The matching facts, in insertion order."""
        q = words(query)
        return [Fact(k, v) for k, v in self.facts.items() if words(k) & q]

    def retrieve_context(self, query: str) -> str | None:
        """``"key is value"`` for each match, joined with ``"; "``, or
        ``None``."""
        found = self.retrieve_facts(query)
        return "; ".join(f"{f.key} is {f.value}" for f in found) if found else None


def heuristic_nli(premise: str, hypothesis: str) -> float:
    """Keyword rules, then word overlap: ``0.5 − 0.3·|P∩H|/|P|`` in [0.1, 0.9]."""
    h = hypothesis.lower()
    if "consistent with reality" in h:
        return DIVERGENCE_ALIGNED
    if "opposite is true" in h:
        return DIVERGENCE_CONTRADICTED
    if "depends on your perspective" in h:
        return DIVERGENCE_NEUTRAL
    p = words(premise)
    if not p:
        return DIVERGENCE_NEUTRAL
    ratio = len(p & words(hypothesis)) / len(p)
    return min(max(0.5 - 0.3 * ratio, 0.1), 0.9)


def factual_divergence(facts: Iterable[Fact], output: str) -> float:
    """Each fact judges the output — states its value: 0.1; mentions its
    subject without the value: 0.9; unrelated: 0.5 — and the lowest
    judgement wins (one supporting fact is enough). No facts, or facts
    without value words, give 0.5."""
    out = words(output)
    judgements = []
    for fact in facts:
        value = words(fact.value)
        if not value:
            continue
        if value <= out:
            judgements.append(DIVERGENCE_ALIGNED)
        elif words(fact.key) & out:
            judgements.append(DIVERGENCE_CONTRADICTED)
        else:
            judgements.append(DIVERGENCE_NEUTRAL)
    return min(judgements, default=DIVERGENCE_NEUTRAL)


def facts_from_context(context: Any) -> list[Fact]:
    """What a knowledge callback returned, as facts: a non-empty ``str`` is
    one key-less fact; a list of ``(key, value)`` pairs (or :class:`Fact`)
    keeps its structure; anything else (``None``, ``""``, other types) is
    no context."""
    if isinstance(context, str):
        return [Fact("", context)] if context else []
    if isinstance(context, (list, tuple)):
        out = []
        for item in context:
            if isinstance(item, Fact):
                out.append(item)
            elif isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(x, str) for x in item):
                out.append(Fact(item[0], item[1]))
            else:
                return []
        return out
    return []


NliCallback = Callable[[str, str], Any]
KnowledgeCallback = Callable[[str], Any]


class CoherenceScorer:
    """Dual-divergence scorer: ``score = 1 − (w_logic·H_logical +
    w_fact·H_factual)``, approved iff ``score >= threshold``.

    ``nli_callback(premise, hypothesis) -> float`` replaces the heuristic
    NLI; ``knowledge_callback(query) -> str | None`` replaces the built-in
    store (its text is treated as one key-less fact). Callback exceptions and
    non-numeric or non-finite returns count as "no evidence" (0.5) and emit
    a ``RuntimeWarning`` saying so; ``KeyboardInterrupt``/``SystemExit``
    propagate.
    """

    def __init__(
        self,
        config: BackfireConfig | None = None,
        nli_callback: NliCallback | None = None,
        knowledge_callback: KnowledgeCallback | None = None,
        *,
        store: GroundTruthStore | None = None,
    ) -> None:
        if config is not None and not isinstance(config, BackfireConfig):
            raise TypeError(f"config must be a BackfireConfig, got {type(config).__name__}")
        self._config = config if config is not None else BackfireConfig()
        self._threshold = self._config.coherence_threshold
        self._soft_limit = self._config.soft_limit
        self._nli = nli_callback
        self._knowledge = knowledge_callback
        self._store = store if store is not None else GroundTruthStore()
        self._history: deque[str] = deque(maxlen=self._config.history_window)
        self._lock = threading.Lock()

    # -- configuration --------------------------------------------------

    @property
    def config(self) -> BackfireConfig:
        """The configuration the scorer was built with."""
        return self._config

    @property
    def threshold(self) -> float:
        """Approval threshold (validated on assignment)."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._set_limits(_setting("coherence_threshold", value), self._soft_limit)

    @property
    def soft_limit(self) -> float:
        """Warning limit for approved scores (validated on assignment)."""
        return self._soft_limit

    @soft_limit.setter
    def soft_limit(self, value: float) -> None:
        self._set_limits(self._threshold, _setting("soft_limit", value))

    def _set_limits(self, threshold: float, soft_limit: float) -> None:
        """Re-validate the whole configuration with the new limits, so the
        scorer's limits always form a valid config (hard <= threshold <=
        soft); nothing changes on error."""
        self._config.replace(coherence_threshold=threshold, soft_limit=soft_limit)
        self._threshold, self._soft_limit = threshold, soft_limit

    @property
    def use_nli(self) -> bool:
        """``True`` when an NLI callback replaces the heuristic."""
        return self._nli is not None

    @property
    def history_len(self) -> int:
        """Number of approved actions remembered (at most ``history_window``)."""
        return len(self._history)

    @property
    def history(self) -> list[str]:
        """The remembered approved actions, oldest first."""
        with self._lock:
            return list(self._history)

    # -- divergences ----------------------------------------------------

    def calculate_logical_divergence(self, prompt: str, text_output: str) -> float:
        """NLI divergence of the output from the prompt, in [0, 1]."""
        if self._nli is None:
            return heuristic_nli(prompt, text_output)
        try:
            raw = self._nli(prompt, text_output)
        except Exception as exc:  # noqa: BLE001 - a failing backend is "no evidence"
            warnings.warn(f"nli_callback raised {exc!r}; {NO_EVIDENCE}", RuntimeWarning, stacklevel=3)
            return DIVERGENCE_NEUTRAL
        return _divergence(raw)

    def calculate_factual_divergence(self, prompt: str, text_output: str) -> float:
        """Divergence of the output from the facts retrieved for the prompt."""
        return factual_divergence(self._facts(prompt), text_output)

    def _facts(self, prompt: str) -> list[Fact]:
        if self._knowledge is None:
            return self._store.retrieve_facts(prompt)
        try:
            return facts_from_context(self._knowledge(prompt))
        except Exception as exc:  # noqa: BLE001 - a failing store is "no context"
            warnings.warn(f"knowledge_callback raised {exc!r}; used as no context", RuntimeWarning, stacklevel=4)
            return []

    def compute_divergence(self, prompt: str, action: str) -> float:
        """``w_logic·H_logical + w_fact·H_factual`` (unclamped weights sum to 1)."""
        hl = self.calculate_logical_divergence(prompt, action)
        hf = self.calculate_factual_divergence(prompt, action)
        return self._config.w_logic * hl + self._config.w_fact * hf

    def review(self, prompt: str, action: str) -> tuple[bool, CoherenceScore]:
        """Score a response; approved responses enter the bounded history."""
        hl = _clamp_unit(self.calculate_logical_divergence(prompt, action))
        hf = _clamp_unit(self.calculate_factual_divergence(prompt, action))
        score = _clamp_unit(1.0 - (self._config.w_logic * hl + self._config.w_fact * hf))
        approved = score >= self._threshold
        warning = approved and score < self._soft_limit
        if approved and self._history.maxlen:
            with self._lock:
                self._history.append(action)
        return approved, CoherenceScore(score, approved, hl, hf, warning)


def _setting(name: str, value: Any) -> float:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)
