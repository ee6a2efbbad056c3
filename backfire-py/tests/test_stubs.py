"""The type stubs describe the module that is really there."""

from __future__ import annotations

import ast
import pathlib

import backfire_kernel

STUB = pathlib.Path(backfire_kernel.__file__).with_name("_native.pyi")


def _stub_classes() -> dict[str, set[str]]:
    tree = ast.parse(STUB.read_text())
    classes = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
            classes[node.name] = members
    return classes


def test_every_class_and_member_in_the_stub_exists():
    for name, members in _stub_classes().items():
        cls = getattr(backfire_kernel, name)
        missing = sorted(m for m in members if m != "__init__" and not hasattr(cls, m))
        assert missing == [], f"{name}: stub members missing at run time: {missing}"


def test_every_public_member_is_in_the_stub():
    stub = _stub_classes()
    for name in backfire_kernel.__all__:
        if name.startswith("Rust"):
            continue
        assert name in stub, f"{name} has no stub"
        public = {m for m in dir(getattr(backfire_kernel, name)) if not m.startswith("_")}
        undocumented = sorted(public - stub[name])
        assert undocumented == [], f"{name}: members missing from the stub: {undocumented}"
