"""House rule (issue 16): no Python function in the package is longer than about 60 lines.

The JavaScript renderer has the same rule in tests/test_renderer_js.py."""

from __future__ import annotations

import ast
from pathlib import Path

import spacewarp

ROOT = Path(spacewarp.__file__).resolve().parent
MAX_LINES = 60


def long_functions(source: str, where: str) -> list[str]:
    """``where:name (N lines)`` for every function of ``source`` over MAX_LINES lines."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_LINES:
                out.append(f"{where}:{node.name} ({lines} lines)")
    return out


def test_no_function_is_over_60_lines() -> None:
    found = [f for p in sorted(ROOT.rglob("*.py"))
             for f in long_functions(p.read_text(), str(p.relative_to(ROOT)))]
    assert not found, "split these functions: " + ", ".join(found)


def test_the_check_sees_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    assert long_functions(f"def f():\n{body}\n", "m.py") == ["m.py:f (61 lines)"]
    assert long_functions("def g():\n    return 1\n", "m.py") == []
