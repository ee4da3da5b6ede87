"""``spacewarp render`` end to end: in-process and as a process; every bad input is one
line on stderr, exit status 2, no traceback and no output folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spacewarp.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_render_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["render", "--points", "150", "--input", "spiral", "--color-by", "label",
                 "--activation", "relu", "--theme", "light", "--device", "cpu",
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "wrote 10 files" in said and "150 points" in said
    with np.load(out / "trace.npz", allow_pickle=False) as z:
        assert z["stage_00"].shape == (150, 2) and z["labels"].shape == (150,)
        np.testing.assert_array_equal(z["color"], z["labels"])
        assert z["stage_names"][2] == "ReLU"
    toml = (out / "experiment.toml").read_text()
    assert 'theme = "light"' in toml and 'activation = "relu"' in toml


def test_render_one_dimensional(tmp_path: Path) -> None:
    out = tmp_path / "line"
    assert main(["render", "--input", "line", "--layers", "1,2,1", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("stage-*.png")) == [
        "stage-00-input.png", "stage-01-linear.png", "stage-02-tanh.png",
        "stage-03-linear.png"]


@pytest.mark.parametrize("command", [
    [str(ROOT / ".venv" / "bin" / "spacewarp")],
    [sys.executable, "-m", "spacewarp.cli"],
    [sys.executable, "-m", "spacewarp"],
])
def test_render_as_a_process(tmp_path: Path, command: list[str]) -> None:
    if not Path(command[0]).exists():
        command = [sys.executable, "-m", "spacewarp.cli"]
    out = tmp_path / "out"
    done = subprocess.run([*command, "render", "--points", "100", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / "stages.png").is_file() and (out / "trace.npz").is_file()


@pytest.fixture
def bad_files(tmp_path: Path) -> Path:
    (tmp_path / "malformed.csv").write_text("a,b\nfoo,bar\n")
    (tmp_path / "nan.csv").write_text("1,2\nnan,3\n")
    (tmp_path / "unknown.toml").write_text("[network]\nlayerz = [2, 3, 2]\n")
    (tmp_path / "nanw.toml").write_text(
        '[network.weights]\n"0.weight" = [[nan, 0.0], [0.0, 1.0], [1.0, 1.0]]\n')
    (tmp_path / "shape.toml").write_text(
        '[network.weights]\n"0.weight" = [[1.0, 0.0], [0.0, 1.0]]\n')
    (tmp_path / "broken.toml").write_text("[network\n")
    return tmp_path


BAD = {
    "unknown input": (["--input", "nope"], "nope"),
    "unknown activation": (["--activation", "nope"], "nope"),
    "widths that do not parse": (["--layers", "2,x,2"], "2,x,2"),
    "widths against the data": (["--layers", "3,3,2"], "first width 2"),
    "negative count": (["--points", "-5"], "-5"),
    "absurd count": (["--points", "1e10"], "1e10"),
    "fractional count": (["--points", "2.5"], "2.5"),
    "missing data file": (["--data", "{d}/missing.csv"], "missing.csv"),
    "malformed data file": (["--data", "{d}/malformed.csv"], "malformed.csv"),
    "NaN in data": (["--data", "{d}/nan.csv"], "NaN"),
    "unknown config key": (["--config", "{d}/unknown.toml"], "layerz"),
    "malformed TOML": (["--config", "{d}/broken.toml"], "TOML"),
    "NaN weights": (["--config", "{d}/nanw.toml"], "NaN"),
    "wrong-shaped weights": (["--config", "{d}/shape.toml"], "(3, 2)"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_exit_2(case: str, bad_files: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    flags, expect = BAD[case]
    out = bad_files / "out"
    code = main(["render", *[f.format(d=bad_files) for f in flags], "--out", str(out)])
    said = capsys.readouterr()
    assert code == 2
    lines = said.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spacewarp: error: "), said.err
    assert expect in lines[0]
    assert "Traceback" not in said.err and said.out == ""
    assert not out.exists()


def test_bad_input_as_a_process_has_no_traceback(bad_files: Path) -> None:
    out = bad_files / "out"
    done = subprocess.run([sys.executable, "-m", "spacewarp.cli", "render", "--config",
                           str(bad_files / "shape.toml"), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not out.exists()


def test_out_that_is_a_file_is_refused(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "taken"
    target.write_text("mine")
    assert main(["render", "--points", "10", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert target.read_text() == "mine"


def test_a_data_file_reading_is_noted_in_one_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A header-less CSV's class column is read as labels, and the CLI says so in one line
    (a note, not a Python warning with its source line)."""
    rng = np.random.default_rng(3)
    table = np.column_stack([rng.standard_normal((20, 2)), np.arange(20) % 2])
    np.savetxt(tmp_path / "d.csv", table, delimiter=",")
    assert main(["render", "--data", str(tmp_path / "d.csv"), "--layers", "2,3,2",
                 "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("spacewarp: note: ") and "\n" not in err
    assert "last column as class labels" in err
    assert "color_by = \"label\"" in (tmp_path / "out" / "experiment.toml").read_text()
