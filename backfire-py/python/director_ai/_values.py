"""Values that read both as attributes and as zero-argument calls.

The seed guide reads ``session.avg_coherence`` as a value; code written for
the reference extension calls ``session.avg_coherence()``. A
:class:`CallableFloat` is a real ``float`` (arithmetic, comparisons,
``isinstance(x, float)`` all work) that also returns itself when called, so
both spellings work.

This module imports nothing, so both ``backfire_kernel`` and the
pure-Python fallback can use it without import cycles.
"""

from __future__ import annotations

__all__ = ["CallableFloat", "CallableInt", "CallableStr"]


class CallableFloat(float):
    """A ``float`` that can also be called: ``x()`` returns ``float(x)``."""

    __slots__ = ()

    def __call__(self) -> float:
        return float(self)


class CallableInt(int):
    """An ``int`` that can also be called: ``x()`` returns ``int(x)``."""

    __slots__ = ()

    def __call__(self) -> int:
        return int(self)


class CallableStr(str):
    """A ``str`` that can also be called: ``x()`` returns ``str(x)``."""

    __slots__ = ()

    def __call__(self) -> str:
        return str(self)
