"""Small text helpers shared by the pure-Python fallback.

They reproduce the Rust core's conventions exactly, so that the fallback and
the extension module print and compare the same things.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

_WORD = re.compile(r"\w+")


def words(text: str) -> set[str]:
    """The set of lowercased word runs (letters, digits, underscore).

    Punctuation never sticks to a word: ``"sky?"`` gives ``{"sky"}``.
    """
    return set(_WORD.findall(text.lower()))


def fmt_float(x: float) -> str:
    """Format a float the way Rust's ``Display`` does.

    Shortest round-trip digits, no exponent, no trailing ``.0``:
    ``1.0 → "1"``, ``0.5 → "0.5"``, ``1e-07 → "0.0000001"``,
    NaN → ``"NaN"``, infinity → ``"inf"``.
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e16:
        return str(int(x)) if x != 0 or math.copysign(1.0, x) > 0 else "-0"
    text = repr(x)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text
