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


GATE_CLASSES = ("BackfireConfig", "SafetyKernel", "StreamingKernel", "CoherenceScorer")


def _backend(name: str, module_name: str) -> types.SimpleNamespace:
    module = importlib.import_module(module_name)
    return types.SimpleNamespace(name=name, **{cls: getattr(module, cls) for cls in GATE_CLASSES})


def _python_backend() -> types.SimpleNamespace:
    return _backend("python", "director_ai")


def _rust_backend() -> types.SimpleNamespace:
    return _backend("rust", "backfire_kernel")


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
