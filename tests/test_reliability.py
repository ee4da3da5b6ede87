"""Every example of issue 10 as a regression test: one line naming the flag, exit 2,
nothing written; budgets refuse before work, with numbers and what to do."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from spacewarp import budget
from spacewarp.cli import main
from spacewarp.config.experiment import validated
from spacewarp.errors import InputError, LimitError, NetworkError, SpacewarpError, WeightsError


def _npz_declaring(path: Path, shape: tuple[int, ...]) -> None:
    """An .npz whose x.npy header declares ``shape`` but holds (almost) no data."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        head, {"descr": "<f8", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", head.getvalue() + b"\0" * 64)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    toml = {
        "classes.toml": '[input]\nname = "spiral"\n[input.params]\nclasses = 1e6\n',
        "classes_nan.toml": '[input]\nname = "spiral"\n[input.params]\nclasses = nan\n',
        "classes_inf.toml": '[input]\nname = "spiral"\n[input.params]\nclasses = inf\n',
        "step.toml": '[input]\nname = "grid"\n[input.params]\nstep = 1e-3\n',
        "range.toml": '[input]\nname = "grid"\n[input.params]\nlow = -1e308\nhigh = 1e308\n',
        "wide.toml": '[input]\nname = "grid"\n[input.params]\nlow = -1e300\nhigh = 1e300\n',
        "point_size.toml": "[style]\npoint_size = 1e300\n",
        "layers_int.toml": "[network]\nlayers = 3\n",
        "layers_nested.toml": "[network]\nlayers = [[2, 3], 2]\n",
        "layers_inf.toml": "[network]\nlayers = [2, inf, 2]\n",
        "layers_float.toml": "[network]\nlayers = [2.9, 3.7, 2]\n",
        "points_true.toml": "[input]\npoints = true\n",
        "ragged.toml": '[network.weights]\n"0.weight" = [[1.0, 2.0], [3.0]]\n',
        "cmap.toml": '[style]\ncmap = "no_such_map"\n',
        "cmap_path.toml": '[style]\ncmap = "/etc/passwd"\n',
        "deep_arrays.toml": "a = " + "[" * 5000 + "]" * 5000 + "\n",
        "deep_tables.toml": "[" + ".".join(["t"] * 5000) + "]\n",
    }
    for name, text in toml.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "hex.csv").write_text("0x10,2\n1,2\n")
    np.savez(tmp_path / "member.npz", x=np.zeros((3, 2)))
    with zipfile.ZipFile(tmp_path / "member.npz", "a") as zf:
        zf.writestr("notes.txt", "not an array")
    _npz_declaring(tmp_path / "huge.npz", (1_000_000_000,))
    (tmp_path / "ok.csv").write_text("1,2\n3,4\n")
    return tmp_path


CASES = {  # argv (with {d} the folder of files) -> (flag or field said first, words)
    "seed -1": (["--seed", "-1"], "--seed:", "between 0 and 4,294,967,295"),
    "seed 2**64": (["--seed", str(2**64)], "--seed:", "between 0"),
    "layers as an int": (["--config", "{d}/layers_int.toml"], "--layers:", "list of widths"),
    "nested layers": (["--config", "{d}/layers_nested.toml"], "--layers:", "a number"),
    "inf in layers": (["--config", "{d}/layers_inf.toml"], "--layers:", "finite"),
    "layers 2.9": (["--config", "{d}/layers_float.toml"], "--layers:", "whole number, got 2.9"),
    "points = true": (["--config", "{d}/points_true.toml"], "--points:", "must be a number"),
    "ragged weights": (["--config", "{d}/ragged.toml"], "network.weights.0.weight:", "ragged"),
    "deep arrays": (["--config", "{d}/deep_arrays.toml"], "--config:", "nested"),
    "deep tables": (["--config", "{d}/deep_tables.toml"], "--config:", "nested"),
    "unknown colour map": (["--config", "{d}/cmap.toml"], "--cmap:", "unknown colour map"),
    "colour map as a path": (["--config", "{d}/cmap_path.toml"], "--cmap:", "not a colour map"),
    "cmap flag as a path": (["--cmap", "../x.png"], "--cmap:", "not a colour map"),
    "grid step 1e-3": (["--config", "{d}/step.toml"], "input.params.step:", "step of at least"),
    "grid range": (["--config", "{d}/range.toml"], "input.params.low:", "finite low < high"),
    "grid range wide": (["--config", "{d}/wide.toml"], "input.params.step:", "step of at least"),
    "classes 1e6": (["--config", "{d}/classes.toml"], "input.params.classes:", "1,000"),
    "classes NaN": (["--config", "{d}/classes_nan.toml"], "input.params.classes:", "NaN"),
    "classes inf": (["--config", "{d}/classes_inf.toml"], "input.params.classes:", "inf"),
    "npz member not .npy": (["--data", "{d}/member.npz"], "--data:", "not a .npy"),
    "npz header 1e9": (["--data", "{d}/huge.npz"], "--data:", "1,000,000,000"),
    "wide layers, many points": (["--layers", "2,4096,2", "--points", "1e7"], "--points:",
                                 "or narrower layers"),  # its PCA fits: fewer points do
    "two 4096 layers at 1e4": (["--layers", "2,4096,4096,2", "--points", "1e4"], "--layers:",
                               "4096 x 4096 weights at 1e4 points need about"),
    "point_size 1e300": (["--config", "{d}/point_size.toml"], "--point-size:", "100"),
    "CSV first row 0x10,2": (["--data", "{d}/hex.csv"], "--data:", "'0x10'"),
    "data with input grid": (["--input", "grid", "--data", "{d}/ok.csv"], "--data:",
                             "not both"),
    "points 3_0": (["--points", "3_0"], "--points:", "plain number"),
    "points in Arabic digits": (["--points", "\u0663\u0660\u0660"], "--points:", "plain number"),
    "points 0": (["--points", "0"], "--points:", "between 1"),
    "points nan": (["--points", "nan"], "--points:", "plain number"),
    "points overflow": (["--points", "1e400"], "--points:", "between 1"),
    "out empty": (["--out", ""], "error: --out", "not a path"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_example_is_one_line_naming_its_flag(case: str, files: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    argv, where, words = CASES[case]
    out = files / "out"
    args = [a.format(d=files) for a in argv]
    if "--out" not in args:
        args += ["--out", str(out)]
    before = set(files.iterdir())
    assert main(["render", *args]) == 2
    said = capsys.readouterr()
    lines = said.err.strip().splitlines()
    assert len(lines) == 1, said.err
    assert lines[0].startswith("spacewarp: error: ") and where in lines[0], lines[0]
    assert words in lines[0], lines[0]
    assert set(files.iterdir()) == before  # nothing written, no hidden leftovers


def test_film_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    film = str(tmp_path / "f.mp4")
    for argv, said in ((["--frames-per-stage", "1000000000"], "--frames-per-stage:"),
                       (["--size", ""], "--size:"), (["--seconds", "1e9"], "--seconds:")):
        assert main(["animate", "--points", "20", *argv, "--out", film]) == 2
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_errors_carry_their_field_and_family(files: Path) -> None:
    cases = [({"seed": -1}, SpacewarpError, "seed"),
             ({"network": {"layers": 3}}, NetworkError, "network.layers"),
             ({"network": {"activation": "swish"}}, NetworkError, "network.activation"),
             ({"network": {"weights": {"0.weight": [[1], [1, 2]]}}}, WeightsError,
              "network.weights.0.weight"),
             ({"input": {"points": True}}, InputError, "input.points"),
             ({"input": {"name": "grid", "path": "x.csv"}}, InputError, "input.path"),
             ({"style": {"cmap": "nope"}}, InputError, "style.cmap")]
    for data, kind, field in cases:
        with pytest.raises(kind) as err:
            validated(data)
        assert err.value.field == field, data


def test_budget_is_checked_before_points_are_made(files: Path) -> None:
    exp = validated({"input": {"name": "file", "path": str(files / "huge.npz")}})
    with pytest.raises(LimitError) as err:
        budget.check_experiment(exp)
    assert err.value.field == "input.path"
    n, widths = budget.check_experiment(validated({"input": {"name": "grid"}}))
    assert (n, widths) == (100 * 100, [2, 3, 3, 2])
    with pytest.raises(InputError, match="step"):
        budget.check_experiment(validated({"input": {"name": "grid",
                                                     "params": {"step": 1e-200}}}))


def test_budget_numbers_follow_the_issue() -> None:
    # 2 x 4096 x 4096 at 1e4 points: four (1e4, 4096) float64 stages are 1.31 GB, once
    cost = budget.trace_cost(10_000, [2, 4096, 4096, 2])
    stages = 8 * 10_000 * (2 + 4 * 4096 + 2)
    assert stages == pytest.approx(1.31e9, rel=0.01)
    assert cost.bytes >= stages and cost.what == "4096 x 4096 weights at 1e4 points"
    small = budget.trace_cost(1000, [2, 3, 3, 2])
    assert small.seconds < budget.COMMANDS["render"].base + 3


def test_caps_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    cost = budget.trace_cost(10_000, [2, 4096, 4096, 2])
    with pytest.raises(LimitError, match="the cap is 2 GB"):
        budget.check(cost, "use fewer")
    monkeypatch.setenv("SPACEWARP_MAX_MEMORY_MB", "100000")
    monkeypatch.setenv("SPACEWARP_MAX_SECONDS", "100000")
    budget.check(cost, "use fewer")


def test_data_headers_are_read_before_the_data(tmp_path: Path) -> None:
    from spacewarp.inputs.datafile import declared_shape
    from spacewarp.inputs.points import make_points

    _npz_declaring(tmp_path / "wide.npz", (200_000, 4096))  # 8e8 values: 6.5 GB declared
    with pytest.raises(LimitError, match="values in all") as err:
        make_points("file", path=str(tmp_path / "wide.npz"))
    assert err.value.field == "input.path"
    np.save(tmp_path / "ok.npy", np.ones((7, 3)))
    assert declared_shape(str(tmp_path / "ok.npy")) == (7, 3)
    (tmp_path / "t.csv").write_text("x,y,label\n1,2,0\n3,4,1\n")
    assert declared_shape(str(tmp_path / "t.csv")) == (2, 2)
