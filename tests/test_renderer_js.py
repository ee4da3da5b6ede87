"""The browser renderer's sources (``render/js``): inlined into one scope by
``render.browser.renderer_js``, so their imports, exports and top-level names must fit
that; and short functions, as the Python has."""

from __future__ import annotations

import re

from spacewarp.render.browser import JS_DIR, MODULES

MAX_LINES = 60  # a function's lines, first to last, as the house rules ask
IMPORT = re.compile(r"^import \{([^}]*)\} from '\./([\w.]+)'$")
TOP = re.compile(r"^(?:export )?(?:function|class|const|let|var) (\w+)")
CONTROL = {"if", "for", "while", "switch", "catch", "with"}


def _source(name: str) -> str:
    return (JS_DIR / name).read_text(encoding="utf-8")


def _exports(name: str) -> set[str]:
    return set(re.findall(r"^export (?:function|class|const|let) (\w+)", _source(name), re.M))


def _blank(text: str) -> str:
    """``text`` with every character but newlines made a space."""
    return re.sub(r"[^\n]", " ", text)


def _literal_end(text: str, i: int) -> int:
    """The index after the comment or quoted string that starts at ``i`` (not a template)."""
    if text.startswith("//", i):
        j = text.find("\n", i)
        return len(text) if j < 0 else j
    if text.startswith("/*", i):
        return text.index("*/", i) + 2
    j = i + 1
    while text[j] != text[i]:
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _code_only(text: str) -> str:
    """``text`` with strings and comments blanked (newlines kept), template literals'
    ``${...}`` kept as code: what is left shows the braces that shape the code."""
    out: list[str] = []
    i, stack = 0, ["code"]  # "template" while inside one; "code" again inside its ${ }
    while i < len(text):
        piece = text[i]
        if stack[-1] == "template":
            if piece == "`":
                stack.pop()
            elif text.startswith("${", i):
                stack.append("code")
                piece = "${"
            else:
                piece = _blank(text[i:i + (2 if piece == "\\" else 1)])
        elif text.startswith(("//", "/*", "'", '"'), i):
            piece = _blank(text[i:_literal_end(text, i)])
        elif piece == "`":
            stack.append("template")
        elif piece == "{" and len(stack) > 1:  # a brace inside a template's ${ ... }
            stack.append("brace")
        elif piece == "}" and len(stack) > 1:  # that brace closed, or the ${ ... } itself
            stack.pop()
        out.append(piece)
        i += len(piece)
    return "".join(out)


def _opens_function(before: str) -> bool:
    """Whether a ``{`` after ``before`` (the code up to it) opens a function's body:
    ``=> {``, or ``name(...) {`` / ``function (...) {`` but not ``if (...) {``."""
    before = before.rstrip()
    if before.endswith("=>"):
        return True
    if not before.endswith(")"):
        return False
    depth, j = 0, len(before) - 1
    while j >= 0:
        depth += {")": 1, "(": -1}.get(before[j], 0)
        if depth == 0:
            break
        j -= 1
    word = re.search(r"(\w*)\s*$", before[:j])
    return word is not None and word.group(1) not in CONTROL


def _lengths_of(code: str) -> list[tuple[int, int]]:
    """(first line, lines) of every function body in ``code`` (``_code_only``'s), in the
    order they close."""
    opened: list[tuple[int, bool]] = []
    found = []
    for i, c in enumerate(code):
        if c == "{":
            opened.append((i, _opens_function(code[max(0, i - 400):i])))
        elif c == "}":
            start, is_function = opened.pop()
            if is_function:
                found.append((code.count("\n", 0, start) + 1, code.count("\n", start, i) + 1))
    return found


def test_every_module_is_in_the_page_and_imports_only_earlier_exports() -> None:
    on_disk = {p.name for p in JS_DIR.glob("*.js")}
    assert on_disk == set(MODULES)
    for k, name in enumerate(MODULES):
        for line in _source(name).splitlines():
            if not line.startswith("import"):
                continue
            m = IMPORT.match(line)  # one line, plain names: the inliner drops it whole
            assert m, f"{name}: {line!r}"
            assert m.group(2) in MODULES[:k], f"{name} imports {m.group(2)}, not before it"
            names = {n.strip() for n in m.group(1).split(",")}
            assert names <= _exports(m.group(2)), f"{name}: {names - _exports(m.group(2))}"


def test_top_level_names_are_unique_across_the_inlined_modules() -> None:
    seen: dict[str, str] = {}
    for name in MODULES:
        for line in _source(name).splitlines():
            m = TOP.match(line)
            if m:
                assert m.group(1) not in seen, f"{m.group(1)} in {seen.get(m.group(1))} and {name}"
                seen[m.group(1)] = name


def test_no_function_is_longer_than_a_screen() -> None:
    long = [f"{name}:{first} ({lines} lines)" for name in MODULES
            for first, lines in _lengths_of(_code_only(_source(name))) if lines > MAX_LINES]
    assert not long, long


def test_the_length_check_sees_a_long_function_and_its_inner_ones() -> None:
    src = ("function outer(a) {\n  if (a) {\n    const f = () => {\n" + "    x('}')\n" * 70
           + "    }\n  }\n  return `${a.map(b => { return b })}}`\n}\n")
    code = _code_only(src)
    starts = [i for i, c in enumerate(code) if c == "{" and _opens_function(code[:i])]
    assert [code.count("\n", 0, i) + 1 for i in starts] == [1, 3, 76]  # not the if
    assert [n for _, n in _lengths_of(code)] == [70 + 2, 1, 77]
