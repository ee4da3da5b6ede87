"""The package's import rules, read from the source (the AST of every module in spacewarp/):
no import cycle among its modules, and no name starting with ``_`` taken from another module.

Every import counts, wherever it sits: at the top, inside a function, or under
``TYPE_CHECKING``. An import moved into a function or behind ``TYPE_CHECKING`` still ties
the two modules together (one cannot be read, tested or moved without the other); it only
hides the circle from Python's import machinery. import-linter's ``acyclic_siblings``
contract in ``make lint`` counts them the same way.

A module's edge goes to the module it names: ``from .x import y`` is an edge to ``x``, or to
the submodule ``x.y`` when ``y`` is one. Running ``a.b.c`` also runs the package ``a.b``'s
``__init__``; that implicit parent import is not an edge (import-linter does not count it
either), so a package may re-export its modules' names.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import spacewarp

ROOT = Path(spacewarp.__file__).resolve().parent
# Circles known and owned by someone, by their modules; each entry says who cuts it.
KNOWN_CYCLES: set[frozenset[str]] = set()
# Private names known to be taken across modules, as (file, what is taken); each entry says
# who makes them public.
KNOWN_PRIVATE: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Module:
    name: str  # spacewarp.view.paths
    where: str  # spacewarp/view/paths.py
    package: str  # the package its relative imports start from: spacewarp.view
    tree: ast.Module


def modules(root: Path = ROOT) -> dict[str, Module]:
    """Every module of the package, by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        name = ".".join(parts)
        package = name if is_package else name.rpartition(".")[0]
        where = path.relative_to(root.parent).as_posix()
        out[name] = Module(name, where, package, ast.parse(path.read_text(encoding="utf-8")))
    return out


def imported_from(module: Module, node: ast.ImportFrom) -> str:
    """The absolute name of the module ``from <it> import ...`` names ("" if none)."""
    if not node.level:
        return node.module or ""
    base = module.package.split(".")[: len(module.package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def edges(module: Module, known: dict[str, Module]) -> set[tuple[str, int]]:
    """(imported module of the package, line) for every import anywhere in ``module``."""
    out = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            out |= {(a.name, node.lineno) for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            source = imported_from(module, node)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                target = sub if sub in known else source
                if target in known and target != module.name:
                    out.add((target, node.lineno))
    return out


def cycles(known: dict[str, Module]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    graph = {name: sorted({t for t, _ in edges(m, known)}) for name, m in known.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return sorted(found)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(module: Module, known: dict[str, Module]) -> list[tuple[int, str]]:
    """``from .x import _y`` and ``x._y`` (x an imported module of the package) in ``module``,
    as (line, text)."""
    out = []
    bound: dict[str, str] = {}  # local name -> the package's module it is bound to
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            source = imported_from(module, node)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in known:
                    bound[alias.asname or alias.name] = sub
                elif source in known and is_private(alias.name):
                    out.append((node.lineno, f"from {source} import {alias.name}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known and alias.asname:
                    bound[alias.asname] = alias.name
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in bound and is_private(node.attr):
            out.append((node.lineno, f"{bound[node.value.id]}.{node.attr}"))
    return sorted(set(out))


def test_no_import_cycle_among_the_package_modules() -> None:
    known = modules()
    found = [c for c in cycles(known) if frozenset(c) not in KNOWN_CYCLES]
    assert not found, "import cycles (cut each where it ties: move the shared names into " \
        "a small module both import):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_private_name_imported_from_another_module() -> None:
    known = modules()
    found = [f"{m.where}:{line}: {text}" for m in known.values()
             for line, text in private_imports(m, known) if (m.where, text) not in KNOWN_PRIVATE]
    assert not found, "names starting with _ used from another module (make them public " \
        "with a good name, or move them):\n" + "\n".join(found)


# --- the checks above, on small packages written here -------------------------------------

def _package(tmp: Path, files: dict[str, str]) -> dict[str, Module]:
    for rel, text in files.items():
        path = tmp / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return modules(tmp / "pkg")


def test_a_cycle_through_a_function_or_type_checking_import_is_found(tmp_path: Path) -> None:
    known = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "def f():\n    from .b import g\n    return g\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import c\n",
        "c.py": "from .a import f\n",
        "d.py": "from . import a\n",  # into the circle, not part of it
    })
    assert cycles(known) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_private_names_from_another_module_are_found(tmp_path: Path) -> None:
    known = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "_hidden = 1\n__version__ = '1'\n",
        "b.py": "from .a import _hidden, __version__\nfrom . import a\nx = a._hidden\n"
                "import os\ny = os._exit\n",
    })
    assert private_imports(known["pkg.b"], known) == [
        (1, "from pkg.a import _hidden"), (3, "pkg.a._hidden")]


def test_tests_import_their_helpers_as_top_level_modules() -> None:
    """``from hooks import ...``, never ``from tests.hooks import ...``: pytest puts tests/ on
    the path (there is no tests package), and ``tests.`` resolves only where the repository's
    root happens to be on sys.path too (a PYTHONPATH), not in ``make test`` on a fresh clone."""
    found = []
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            found += [f"{path.name}: {n}" for n in names if n == "tests" or n.startswith("tests.")]
    assert not found, found
