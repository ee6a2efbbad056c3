"""Every Python code block of shared/seed/rust-ffi-guide.txt runs verbatim.

The guide is plain text (no fences), so a block is found as the longest run
of lines, starting at an ``import``/``from`` line, that compiles as Python.
"""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from conftest import SEED_GUIDE


def _python_blocks(text: str) -> list[str]:
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if not re.match(r"(from|import) \w", lines[i]):
            i += 1
            continue
        end = i + 1
        for j in range(i + 1, len(lines) + 1):
            try:
                compile("\n".join(lines[i:j]), "<seed>", "exec")
                end = j
            except SyntaxError:
                continue
        blocks.append("\n".join(lines[i:end]))
        i = end
    return blocks


BLOCKS = _python_blocks(SEED_GUIDE.read_text()) if SEED_GUIDE.exists() else []


def test_the_guide_has_the_expected_blocks():
    assert SEED_GUIDE.exists(), f"seed guide not found at {SEED_GUIDE}"
    assert len(BLOCKS) == 2
    assert "RustStreamingKernel(" in BLOCKS[0] and "CoherenceAgent()" in BLOCKS[1]


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_block_runs_verbatim(block):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "<seed>", "exec"), {"__name__": "__seed__"})
    printed = out.getvalue().split()
    if "RustStreamingKernel(" in block:
        assert printed == ["False", "0.9"]  # session.halted, session.avg_coherence
    else:
        assert printed == ["True"]  # agent._rust_available


def test_exposed_classes_table():
    """The guide's class table names classes the module must export."""
    import backfire_kernel

    table = re.findall(r"^(\w+) \|$", SEED_GUIDE.read_text(), flags=re.MULTILINE)
    assert {"BackfireConfig", "RustSafetyKernel", "UPDEStepper", "PGBOEngine"} <= set(table)
    missing = [name for name in table if not hasattr(backfire_kernel, name)]
    assert missing == [], f"classes named in the guide but not exported: {missing}"
