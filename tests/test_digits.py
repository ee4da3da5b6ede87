"""The bundled 8x8 digits: the UCI optdigits test set, offline, shipped in the wheel."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import numpy as np

import spacewarp as sw
from spacewarp.inputs.points import make_points

ROOT = Path(__file__).resolve().parents[1]

# optdigits.names (UCI): the test set's class distribution, digits 0 .. 9
UCI_TEST_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
# the set's first image (a 0), as printed in scikit-learn's documentation of load_digits
FIRST_ROW = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0,
             0, 4, 12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0,
             0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]


def test_digits_are_the_uci_test_set() -> None:
    pts = make_points("digits")
    assert pts.x.shape == (1797, 64) and pts.x.dtype == np.float64
    np.testing.assert_array_equal(pts.x, np.rint(pts.x))
    assert pts.x.min() == 0 and pts.x.max() == 16
    np.testing.assert_array_equal(np.bincount(pts.labels), UCI_TEST_COUNTS)
    np.testing.assert_array_equal(pts.x[0], FIRST_ROW)
    assert pts.labels[0] == 0 and pts.color_by == "label"


def test_fewer_digits_are_a_seeded_subset_in_order() -> None:
    every = make_points("digits")
    some = make_points("digits", 100, seed=3)
    rows = [int(np.flatnonzero((every.x == r).all(axis=1))[0]) for r in some.x]
    assert rows == sorted(rows) and len(set(rows)) == 100
    np.testing.assert_array_equal(some.labels, every.labels[rows])
    np.testing.assert_array_equal(make_points("digits", 100, seed=3).x, some.x)


def test_more_digits_than_there_are_is_one_line(tmp_path: Path, capsys) -> None:
    from spacewarp.cli import main

    assert main(["render", "--input", "digits", "--points", "2000", "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--points" in err and "1797" in err
    assert not (tmp_path / "o").exists()


def test_digits_go_through_a_network_of_64_inputs() -> None:
    trace = sw.run(input="digits", points=50, device="cpu")
    assert trace.stages[0].points.shape == (50, 64)
    assert trace.stages[1].weight.shape == (3, 64)  # the default d,3,3,d network


def test_the_data_file_is_package_data() -> None:
    """setuptools puts the files that package-data names into the wheel."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["spacewarp"]
    data = ROOT / "spacewarp" / "inputs" / "data" / "digits.npz"
    assert data.is_file() and data.stat().st_size < 150_000
    rel = data.relative_to(ROOT / "spacewarp").as_posix()
    assert any(fnmatch.fnmatch(rel, p) for p in patterns)
