"""Shared fixtures: every gate test runs against both backends.

``gate`` is either the Rust extension module ``backfire_kernel`` or the
pure-Python fallback ``director_ai``; both expose ``BackfireConfig``,
``SafetyKernel``, ``StreamingKernel`` and ``CoherenceScorer`` with the same
semantics, so one test body checks both (and therefore their parity).
"""

from __future__ import annotations

import importlib
import pathlib
import types

import pytest

SEED_GUIDE = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "rust-ffi-guide.txt"


def _python_backend() -> types.SimpleNamespace:
    import director_ai

    return types.SimpleNamespace(
        name="python",
        BackfireConfig=director_ai.BackfireConfig,
        SafetyKernel=director_ai.SafetyKernel,
        StreamingKernel=director_ai.StreamingKernel,
        CoherenceScorer=director_ai.CoherenceScorer,
    )


def _rust_backend() -> types.SimpleNamespace:
    bk = importlib.import_module("backfire_kernel")
    return types.SimpleNamespace(
        name="rust",
        BackfireConfig=bk.BackfireConfig,
        SafetyKernel=bk.SafetyKernel,
        StreamingKernel=bk.StreamingKernel,
        CoherenceScorer=bk.CoherenceScorer,
    )


@pytest.fixture(params=["rust", "python"])
def gate(request: pytest.FixtureRequest) -> types.SimpleNamespace:
    """The gate classes of one backend."""
    return _rust_backend() if request.param == "rust" else _python_backend()


@pytest.fixture
def both() -> tuple[types.SimpleNamespace, types.SimpleNamespace]:
    """Both backends, for side-by-side parity checks."""
    return _rust_backend(), _python_backend()


def scores(*values: float):
    """A coherence callback returning ``values`` in order."""
    it = iter(values)
    return lambda _token: next(it)
