"""director_ai — coherence oversight for generated text.

``CoherenceAgent`` generates candidate responses, scores them with a
dual-divergence ``CoherenceScorer`` and gates the best one through a
``SafetyKernel``. When the Rust extension ``backfire_kernel`` is installed
(it ships in the same wheel) the agent uses it; otherwise it falls back to
the pure-Python classes of this package, which have the same semantics.

Names are resolved lazily, so importing a submodule (e.g.
``director_ai._values``) never pulls in the agent or the extension.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "AnthropicGenerator",
    "BackfireConfig",
    "CoherenceAgent",
    "CoherenceScore",
    "CoherenceScorer",
    "Fact",
    "GroundTruthStore",
    "LLMGenerator",
    "MockGenerator",
    "OpenAIGenerator",
    "ReviewResult",
    "SafetyKernel",
    "StreamSession",
    "StreamingKernel",
    "TokenEvent",
]

_WHERE = {
    "AnthropicGenerator": "actor",
    "LLMGenerator": "actor",
    "MockGenerator": "actor",
    "OpenAIGenerator": "actor",
    "BackfireConfig": "config",
    "CoherenceAgent": "agent",
    "ReviewResult": "agent",
    "CoherenceScore": "scorer",
    "CoherenceScorer": "scorer",
    "Fact": "scorer",
    "GroundTruthStore": "scorer",
    "SafetyKernel": "kernel",
    "StreamSession": "kernel",
    "StreamingKernel": "kernel",
    "TokenEvent": "kernel",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'director_ai' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
