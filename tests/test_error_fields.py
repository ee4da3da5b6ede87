"""Every user error raised in the library says which config field it concerns (``field=``),
so fronts never parse message text; the CLI turns the field into its flag."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from spacewarp.cli import main, one_line
from spacewarp.errors import InputError, SpacewarpError

PACKAGE = Path(__file__).resolve().parents[1] / "spacewarp"
ERRORS = {"SpacewarpError", "InputError", "NetworkError", "WeightsError", "LimitError",
          "OutputError", "error"}  # "error": a parser's chosen subclass, passed in
# Owned by other engineers while this was written; their raises get fields on main.
ELSEWHERE = ("app/", "view/")


def _raises_without_field() -> list[str]:
    missing = []
    for file in PACKAGE.rglob("*.py"):
        rel = file.relative_to(PACKAGE).as_posix()
        if rel.startswith(ELSEWHERE):
            continue
        for node in ast.walk(ast.parse(file.read_text())):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if name in ERRORS and not any(k.arg == "field" for k in node.exc.keywords):
                missing.append(f"{rel}:{node.lineno}")
    return missing


def test_every_raise_names_its_field() -> None:
    assert _raises_without_field() == []


@pytest.mark.parametrize("field,flag", [("network.layers", "--layers"),
                                        ("input.points", "--points"),
                                        ("film.frames_per_stage", "--frames-per-stage"),
                                        ("input.params.step", "input.params.step")])
def test_the_cli_names_the_flag_of_the_field(field: str, flag: str) -> None:
    assert one_line(InputError("bad\nvalue", field=field)) == f"{flag}: bad value"
    assert one_line(SpacewarpError("no field")) == "no field"


def test_a_real_error_reaches_the_user_with_its_flag(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--input", "line", "--layers", "2,3,2", "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spacewarp: error: --layers: layers 2,3,2 start at width 2")
