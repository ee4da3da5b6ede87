"""A property-based fuzz of the CLI's flags and TOML files, bounded in time (in-process).

Every generated mistake exits 2 with one line on stderr, no traceback, and leaves nothing
behind; every generated valid input runs and writes its files.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacewarp import names
from spacewarp.cli import main

# SPACEWARP_FUZZ=500 for a deeper, randomised local run; the default is bounded and repeatable.
DEEP = int(os.environ.get("SPACEWARP_FUZZ", "0"))
FUZZ = settings(max_examples=DEEP or 60, deadline=None, derandomize=not DEEP, database=None,
                suppress_health_check=[HealthCheck.too_slow])

# --- mistakes ---------------------------------------------------------------------------

bad_count = st.one_of(
    st.integers(max_value=0).map(str), st.integers(min_value=10**7 + 1).map(str),
    st.sampled_from(["3_0", "\u0663\u0660\u0660", "\uff13", "0x10", "1e400", "nan", "inf",
                     "-inf", "2.5", "1e-3", "", " ", "true", "1,000", "1e5x", "--1"]),
    st.floats(allow_nan=True, allow_infinity=True).filter(
        lambda f: not (math.isfinite(f) and f.is_integer() and 1 <= f <= 10**7)).map(repr),
    st.text(alphabet=st.characters(blacklist_categories=("Nd",)), min_size=1, max_size=8))
bad_seed = st.one_of(st.integers(max_value=-1), st.integers(min_value=2**32)).map(str)
bad_layers = st.one_of(
    st.sampled_from(["", "2", "2,,2", "2,0,2", "2,-3,2", "2,x,2", "2,4097,2", "2;3;2",
                     "2,2.5,2", "2,inf,2", "2,1e9,2", ",".join(["2"] * 70)]),
    st.lists(st.integers(), min_size=0, max_size=4).filter(
        lambda w: len(w) < 2 or any(not 1 <= x <= 4096 for x in w)).map(
        lambda w: ",".join(map(str, w))))


def _not_in(choices: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.text(min_size=0, max_size=12).filter(lambda t: t not in choices)


FLAG_MISTAKES = st.one_of(
    st.tuples(st.just("--points"), bad_count),
    st.tuples(st.just("--seed"), bad_seed | st.sampled_from(
        ["3_0", "\u0663", "0x10", "nan", "inf", "2.5", "", "true", "-0.5", "4294967296"])),
    st.tuples(st.just("--layers"), bad_layers),
    st.tuples(st.just("--input"), _not_in(names.INPUTS)),
    st.tuples(st.just("--activation"), _not_in(names.ACTIVATIONS)),
    st.tuples(st.just("--init"), _not_in(names.RECIPES)),
    st.tuples(st.just("--color-by"), _not_in(names.COLORINGS)),
    st.tuples(st.just("--theme"), _not_in(names.THEMES)),
    st.tuples(st.just("--device"), _not_in(names.DEVICES)),
    st.tuples(st.just("--scale"), st.sampled_from(["nan", "inf", "x", "", "1e400", "1e7"])),
    st.tuples(st.just("--cmap"), st.sampled_from(["", "no_such", "../a", "/etc/passwd",
                                                  "viridis\x00", "a b"])),
    st.tuples(st.just("--point-size"), st.sampled_from(["0", "-1", "1e300", "nan", "x"])),
)

FILM_MISTAKES = st.one_of(
    st.tuples(st.just("--fps"), bad_count | st.sampled_from(["121", "1e9"])),
    st.tuples(st.just("--frames-per-stage"), bad_count | st.sampled_from(["10001", "1e9"])),
    st.tuples(st.just("--seconds"), st.sampled_from(["0", "-1", "nan", "inf", "1e9", "x", ""])),
    st.tuples(st.just("--hold"), st.sampled_from(["-1", "61", "nan", "x", ""])),
    st.tuples(st.just("--size"), st.sampled_from(["", "x", "800", "8x6", "800x600x3", "1e9x2",
                                                  "axb", "-800x600", "800x6000"])),
)

# TOML values of the wrong kind for each key (every one of them a mistake). Text is parsed
# as on the command line ("1e5" is a count in TOML too), so only text that is no number.
WRONG = st.one_of(st.booleans(), st.sampled_from(["", "x", "3_0", "nan", "2,,2", "true"]),
                  st.floats(allow_nan=True),
                  st.lists(st.integers(), max_size=3), st.lists(st.lists(st.integers(),
                                                                        max_size=2), max_size=2),
                  st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
TOML_MISTAKES = st.one_of(
    st.builds(lambda v: {"input": {"points": v}},
              WRONG.filter(lambda v: not (isinstance(v, float) and math.isfinite(v)
                                          and v.is_integer() and 1 <= v <= 1e7))),
    st.builds(lambda v: {"network": {"layers": v}},
              WRONG.filter(lambda v: not (isinstance(v, list) and len(v) >= 2 and all(
                  isinstance(x, int) and 1 <= x <= 4096 for x in v)))),
    st.builds(lambda v: {"seed": v}, WRONG.filter(
        lambda v: not (isinstance(v, float) and v.is_integer() and 0 <= v < 2**32))),
    st.builds(lambda v: {"network": {"bias": v}}, WRONG.filter(lambda v: not isinstance(v, bool))),
    st.builds(lambda v: {"style": {"point_size": v}}, WRONG.filter(
        lambda v: not (isinstance(v, float) and 0.01 <= v <= 100))),
    st.builds(lambda k: {"input": {"params": {k: 1.0}}},
              st.text(min_size=1, max_size=6).filter(lambda k: k not in ("std",))),
    st.builds(lambda k, v: {k: v}, st.text(min_size=1, max_size=8).filter(
        lambda k: k not in ("input", "network", "style", "seed", "device")), st.integers()),
    st.builds(lambda rows: {"network": {"weights": {"0.weight": rows}}},
              st.lists(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3),
                       min_size=1, max_size=4)),
)


def _mistake(argv: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(folder.iterdir())
    code = main([*argv, "--out", str(folder / "out")])
    said = capsys.readouterr()
    lines = said.err.strip().splitlines()
    assert code == 2, (argv, said.err)
    assert len(lines) == 1 and lines[0].startswith("spacewarp: error: "), (argv, said.err)
    assert "Traceback" not in said.err and said.out == ""
    assert sorted(folder.iterdir()) == before, argv  # nothing left behind


@FUZZ
@given(FLAG_MISTAKES)
def test_flag_mistakes_are_one_line(case: tuple[str, str]) -> None:
    capsys = _CAPSYS[0]
    with tempfile.TemporaryDirectory() as tmp:
        _mistake(["render", "--points", "20", *case], Path(tmp), capsys)


@FUZZ
@given(FILM_MISTAKES)
def test_film_mistakes_are_one_line(case: tuple[str, str]) -> None:
    capsys = _CAPSYS[0]
    with tempfile.TemporaryDirectory() as tmp:
        before = sorted(Path(tmp).iterdir())
        code = main(["animate", "--points", "20", *case, "--out", f"{tmp}/f.mp4"])
        said = capsys.readouterr()
        assert code == 2 and len(said.err.strip().splitlines()) == 1, (case, said.err)
        assert sorted(Path(tmp).iterdir()) == before


@FUZZ
@given(TOML_MISTAKES)
def test_toml_mistakes_are_one_line(data: dict) -> None:
    capsys = _CAPSYS[0]
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "e.toml"
        try:
            config.write_text(tomli_w.dumps(data))
        except (TypeError, ValueError):  # not expressible in TOML: nothing to try
            return
        _mistake(["render", "--config", str(config)], Path(tmp), capsys)


# --- valid inputs -----------------------------------------------------------------------

VALID = st.fixed_dictionaries({
    "input": st.sampled_from(["gaussian", "grid", "spiral", "moons", "xor", "circle", "disk"]),
    "points": st.one_of(st.integers(4, 40).map(str), st.just("1e1"), st.just("2.0e1")),
    "hidden": st.lists(st.integers(1, 5), max_size=2),
    "out_width": st.integers(1, 3),
    "activation": st.sampled_from(names.ACTIVATIONS),
    "bias": st.booleans(),
    "seed": st.one_of(st.integers(0, 2**32 - 1), st.just(2**32 - 1)),
    "theme": st.sampled_from(names.THEMES),
})


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(VALID)
def test_valid_inputs_run(case: dict) -> None:
    capsys = _CAPSYS[0]
    layers = ",".join(map(str, [2, *case["hidden"], case["out_width"]]))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        argv = ["render", "--input", case["input"], "--points", case["points"], "--layers",
                layers, "--activation", case["activation"], "--seed", str(case["seed"]),
                "--theme", case["theme"], "--bias" if case["bias"] else "--no-bias",
                "--device", "cpu", "--out", str(out)]
        code = main(argv)
        said = capsys.readouterr()
        assert code == 0, (argv, said.err)
        assert (out / "stages.png").is_file() and (out / "trace.npz").is_file()
        assert [p for p in Path(tmp).iterdir() if p.name.startswith(".")] == []


_CAPSYS: list[pytest.CaptureFixture[str]] = []


@pytest.fixture(autouse=True)
def _keep_capsys(capsys: pytest.CaptureFixture[str]) -> object:
    """Hypothesis reruns a test body many times; capsys is read (and reset) per example."""
    _CAPSYS[:] = [capsys]
    yield
    _CAPSYS.clear()
