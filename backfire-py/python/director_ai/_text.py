"""Small text helpers shared by the pure-Python fallback.

They reproduce the Rust core's conventions exactly, so that the fallback and
the extension module print and compare the same things.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal

_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")


def _is_word_char(c: str) -> bool:
    """A letter, mark, number or connector punctuation (Unicode categories
    L*, M*, N*, Pc) — the Rust scorer's rule. Python's ``\\w`` differs: it
    leaves out marks, and so cuts e.g. Devanagari words at their vowel
    signs."""
    category = unicodedata.category(c)
    return category[0] in "LMN" or category == "Pc"


def words(text: str) -> set[str]:
    """The set of lowercased word runs (see :func:`_is_word_char`).

    Punctuation never sticks to a word: ``"sky?"`` gives ``{"sky"}``.
    """
    lower = text.lower()
    if lower.isascii():
        return set(_ASCII_WORD.findall(lower))
    found: set[str] = set()
    start = None
    for i, c in enumerate(lower):
        if _is_word_char(c):
            if start is None:
                start = i
        elif start is not None:
            found.add(lower[start:i])
            start = None
    if start is not None:
        found.add(lower[start:])
    return found


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
