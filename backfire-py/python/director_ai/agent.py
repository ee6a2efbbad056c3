"""``CoherenceAgent``: generate candidates, score them, gate the best one.

At import time the agent looks for the Rust extension (``backfire_kernel``);
when it is there, scoring and gating run in Rust, otherwise in the
pure-Python fallback with the same semantics.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .actor import AnthropicGenerator, Generator, LLMGenerator, MockGenerator, OpenAIGenerator
from .config import BackfireConfig
from .kernel import SafetyKernel as PySafetyKernel
from .scorer import CoherenceScore, CoherenceScorer as PyCoherenceScorer, GroundTruthStore

try:  # import-time detection of the Rust kernel
    import backfire_kernel as _bk

    _RUST_AVAILABLE = True
except ImportError:  # pragma: no cover - exercised by the fallback tests
    _bk = None
    _RUST_AVAILABLE = False

__all__ = ["CoherenceAgent", "ReviewResult", "SYSTEM_HALT"]

SYSTEM_HALT = "[SYSTEM HALT]: No coherent response found. Self-termination to prevent divergence."

_PROVIDERS = {"openai": ("OPENAI_API_KEY", OpenAIGenerator), "anthropic": ("ANTHROPIC_API_KEY", AnthropicGenerator)}


@dataclass
class ReviewResult:
    """The outcome of :meth:`CoherenceAgent.process`."""

    output: str
    coherence: Any  # CoherenceScore (Rust or Python) or None
    halted: bool
    candidates_evaluated: int
    fallback_used: bool = False


class CoherenceAgent:
    """Generate → score → gate.

    Args:
        llm_api_url: a llama.cpp-style completion endpoint (``LLMGenerator``).
        use_nli: kept for compatibility; ``True`` requires ``nli_callback``
            (no NLI model ships with this package).
        provider: ``"openai"`` or ``"anthropic"`` (API key from the
            environment); exclusive with ``llm_api_url``.
        fallback: ``None``, ``"retrieval"`` or ``"disclaimer"`` — what to do
            when no candidate is approved.
        disclaimer_prefix: prepended to approved outputs that carry a
            soft-limit warning.
        generator: any object with ``generate_candidates(prompt, n)``
            (overrides the three options above).
        nli_callback: ``(premise, hypothesis) -> divergence`` for the scorer.
        backend: ``"auto"`` (Rust if available), ``"rust"`` or ``"python"``.
    """

    def __init__(
        self,
        llm_api_url: str | None = None,
        use_nli: bool | None = None,
        provider: str | None = None,
        fallback: str | None = None,
        disclaimer_prefix: str = "[Confidence: moderate] ",
        *,
        generator: Generator | None = None,
        nli_callback: Any = None,
        backend: str = "auto",
        config: BackfireConfig | None = None,
    ) -> None:
        if fallback not in (None, "retrieval", "disclaimer"):
            raise ValueError(f"fallback must be None, 'retrieval' or 'disclaimer', got {fallback!r}")
        if use_nli and nli_callback is None:
            raise ValueError("use_nli=True needs nli_callback=...: no NLI model ships with director_ai")
        self.generator = generator if generator is not None else _make_generator(llm_api_url, provider)
        self.fallback = fallback
        self.disclaimer_prefix = disclaimer_prefix
        self.store = GroundTruthStore()
        self._rust = _choose_backend(backend)
        cfg = config if config is not None else BackfireConfig(coherence_threshold=0.6)
        self.scorer, self.kernel = self._build(cfg, nli_callback)

    @property
    def _rust_available(self) -> bool:
        """``True`` when this agent scores and gates in Rust."""
        return self._rust

    def _build(self, cfg: BackfireConfig, nli_callback: Any) -> tuple[Any, Any]:
        knowledge = self._facts_for
        if self._rust:
            assert _bk is not None
            rust_cfg = _bk.BackfireConfig(**cfg.to_dict())
            scorer = _bk.CoherenceScorer(rust_cfg, nli_callback=nli_callback, knowledge_callback=knowledge)
            return scorer, _bk.SafetyKernel(hard_limit=cfg.hard_limit)
        scorer = PyCoherenceScorer(cfg, nli_callback=nli_callback, knowledge_callback=knowledge)
        return scorer, PySafetyKernel(hard_limit=cfg.hard_limit)

    def _facts_for(self, query: str) -> list[tuple[str, str]]:
        """The store's matching facts as (key, value) pairs — structured, so
        the scorer can tell "about the subject" from "states the value"."""
        return [(f.key, f.value) for f in self.store.retrieve_facts(query)]

    def process(self, prompt: str) -> ReviewResult:
        """Generate candidates, keep the best approved one, and stream it
        through the safety kernel; otherwise apply the fallback mode."""
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("prompt must be a non-empty string")
        candidates = self.generator.generate_candidates(prompt)
        best, best_score, rejected, rejected_score = None, None, None, None
        for cand in candidates:
            text = cand.get("text", "") if isinstance(cand, dict) else str(cand)
            approved, score = self.scorer.review(prompt, text)
            if approved:
                if best_score is None or score.score > best_score.score:
                    best, best_score = text, score
            elif rejected_score is None or score.score > rejected_score.score:
                rejected, rejected_score = text, score
        n = len(candidates)
        if best is not None:
            return self._emit(best, best_score, n)
        if self.fallback == "retrieval":
            context = self.store.retrieve_context(prompt)
            if context:
                return ReviewResult(f"Based on verified sources: {context}", rejected_score, False, n, True)
        if self.fallback == "disclaimer" and rejected:
            text = f"Note: This response could not be fully verified. {rejected}"
            return ReviewResult(text, rejected_score, False, n, True)
        return ReviewResult(SYSTEM_HALT, rejected_score, True, n)

    def _emit(self, text: str, score: CoherenceScore, n: int) -> ReviewResult:
        """Stream the approved text word by word through the kernel."""
        tokens = _word_tokens(text)
        gated = self.kernel.stream_scores(tokens, [score.score] * len(tokens))
        if gated.startswith("[KERNEL INTERRUPT"):
            return ReviewResult(gated, score, True, n)
        prefix = self.disclaimer_prefix if score.warning else ""
        return ReviewResult(f"{prefix}[AGI Output]: {gated}", score, False, n)

    def process_query(self, prompt: str) -> str:
        """``process(prompt).output``."""
        return self.process(prompt).output


def _word_tokens(text: str) -> list[str]:
    """Split keeping whitespace attached, so ``"".join`` restores the text."""
    tokens, start = [], 0
    for i in range(1, len(text) + 1):
        if i == len(text) or (text[i - 1].isspace() and not text[i].isspace()):
            tokens.append(text[start:i])
            start = i
    return tokens


def _choose_backend(backend: str) -> bool:
    if backend == "auto":
        return _RUST_AVAILABLE
    if backend == "rust":
        if not _RUST_AVAILABLE:
            raise ImportError("backend='rust' but backfire_kernel is not installed")
        return True
    if backend == "python":
        return False
    raise ValueError(f"backend must be 'auto', 'rust' or 'python', got {backend!r}")


def _make_generator(llm_api_url: str | None, provider: str | None) -> Generator:
    if provider is not None and llm_api_url is not None:
        raise ValueError("provider and llm_api_url are mutually exclusive")
    if provider is not None:
        if provider not in _PROVIDERS:
            raise ValueError(f"Unknown provider {provider!r}; use 'openai' or 'anthropic'")
        env, cls = _PROVIDERS[provider]
        key = os.environ.get(env)
        if not key:
            raise ValueError(f"{env} not set in environment")
        return cls(key)
    if llm_api_url is not None:
        return LLMGenerator(llm_api_url)
    return MockGenerator()
