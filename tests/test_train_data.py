"""Labelled and regression point sets for training, against hand-written references."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from spacewarp.errors import InputError, SpacewarpError, SpacewarpNote
from spacewarp.inputs.points import make_points


def course_spiral(per_class: int, classes: int, noise: float, seed: int) -> np.ndarray:
    """The course's construction (04-spiral_classification), arm by arm, with numpy's rng."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(classes):
        t = np.linspace(0, 1, per_class)
        inner = np.linspace(2 * math.pi / classes * c, 2 * math.pi / classes * (2 + c),
                            per_class) + rng.standard_normal(per_class) * noise
        rows += [[t[i] * math.sin(inner[i]), t[i] * math.cos(inner[i])]
                 for i in range(per_class)]
    return np.array(rows)


def test_default_spiral_is_the_courses_three_arms() -> None:
    pts = make_points("spiral", 3000, seed=4)
    np.testing.assert_allclose(pts.x, course_spiral(1000, 3, 0.2, 4), rtol=0, atol=1e-12)
    assert pts.labels is not None
    assert np.array_equal(pts.labels, np.repeat([0, 1, 2], 1000))


def test_spiral_arms_and_turns() -> None:
    pts = make_points("spiral", 400, classes=4, turns=1.5, noise=0.0)
    assert pts.labels is not None and sorted(set(pts.labels.tolist())) == [0, 1, 2, 3]
    arm = pts.x[pts.labels == 1]  # (100, 2): starts at angle 2 pi / 4, sweeps 1.5 turns
    angle = np.unwrap(np.arctan2(arm[1:, 0], arm[1:, 1]))  # sin, cos as in the course
    assert math.isclose(angle[-1] - angle[0], 1.5 * 2 * math.pi * 98 / 99, rel_tol=1e-9)
    with pytest.raises(SpacewarpError, match="turns > 0"):
        make_points("spiral", 10, turns=0)


def test_circles_are_concentric_rings_one_class_each() -> None:
    pts = make_points("circles", 600, classes=3, noise=0.0)
    assert pts.labels is not None
    radius = np.linalg.norm(pts.x, axis=1)
    for c in range(3):
        np.testing.assert_allclose(radius[pts.labels == c], (c + 1) / 3)
    assert np.bincount(pts.labels).tolist() == [200, 200, 200]


def test_blobs_are_gaussians_around_a_circle() -> None:
    pts = make_points("blobs", 30000, classes=5, std=0.1, seed=1)
    assert pts.labels is not None
    for c in range(5):
        cloud = pts.x[pts.labels == c]
        centre = [math.cos(2 * math.pi * c / 5), math.sin(2 * math.pi * c / 5)]
        np.testing.assert_allclose(cloud.mean(axis=0), centre, atol=0.01)
        np.testing.assert_allclose(cloud.std(axis=0), 0.1, rtol=0.05)
    with pytest.raises(SpacewarpError, match="whole number of classes"):
        make_points("blobs", 10, classes=2.5)


@pytest.mark.parametrize(("name", "f"), [("sin", lambda x: np.sin(np.pi * x)),
                                         ("abs", np.abs),
                                         ("step", lambda x: np.where(x > 0, 1.0, 0.0))])
def test_regression_targets(name: str, f: object) -> None:
    pts = make_points(name, 101)
    x = np.linspace(-1, 1, 101)
    assert pts.x.shape == (101, 1) and pts.labels is None
    assert pts.targets is not None and pts.targets.shape == (101, 1)
    np.testing.assert_array_equal(pts.x[:, 0], x)
    np.testing.assert_allclose(pts.targets[:, 0], f(x))  # type: ignore[operator]


def test_a_csv_with_a_label_column_is_labelled(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("a,label,b\n0.5,2,1.0\n-1,0,2\n3,1,0.25\n")
    pts = make_points("file", path=str(path), color_by="label")
    np.testing.assert_array_equal(pts.x, [[0.5, 1.0], [-1, 2], [3, 0.25]])
    assert pts.labels is not None and pts.labels.tolist() == [2, 0, 1]
    npz = tmp_path / "mine.npz"
    np.savez(npz, x=pts.x, labels=np.array([1, 1, 0]))
    labelled = make_points("file", path=str(npz))
    assert labelled.labels is not None and labelled.labels.tolist() == [1, 1, 0]


def _csv(path: Path, header: str | None, table: np.ndarray) -> str:
    rows = [",".join(repr(float(v)) for v in row) for row in table]
    path.write_text("\n".join(([header] if header else []) + rows) + "\n")
    return str(path)


def test_labels_under_the_names_people_use(tmp_path: Path) -> None:
    """A CSV column named target, class, y or label, and scikit-learn's .npz names (X, y;
    data, target) give labels, never an input column."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((40, 2)), rng.integers(0, 3, 40)
    table = np.column_stack([x, y])
    files = {f"{name}.csv": _csv(tmp_path / f"{name}.csv", f"a,b,{name}", table)
             for name in ("target", "class", "y", "label")}
    files["first.csv"] = _csv(tmp_path / "first.csv", "class,a,b",
                              np.column_stack([y, x]))
    for names in (("X", "y"), ("data", "target"), ("x", "labels")):
        np.savez(tmp_path / f"{names[0]}.npz", **{names[0]: x, names[1]: y})
        files[f"{names[0]}.npz"] = str(tmp_path / f"{names[0]}.npz")
    for name, path in files.items():
        pts = make_points("file", path=path)
        np.testing.assert_array_equal(pts.x, x, err_msg=name)
        assert pts.labels is not None and pts.labels.tolist() == y.tolist(), name
        assert pts.color_by == "label", name
    coords = make_points("file", path=_csv(tmp_path / "xy.csv", "x,y", x))  # x,y: axes
    assert coords.labels is None and coords.dim == 2


def test_a_csv_without_header_has_its_class_column_read_as_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((30, 2)), np.arange(30) % 2
    path = _csv(tmp_path / "savetxt.csv", None, np.column_stack([x, y]))
    with pytest.warns(SpacewarpNote, match="first 2 columns are read as points and its last "
                                           "column as class labels"):
        pts = make_points("file", path=path)
    np.testing.assert_array_equal(pts.x, x)
    assert pts.labels is not None and pts.labels.tolist() == y.tolist()
    whole = np.arange(30).reshape(10, 3) % 4  # integer coordinates throughout: all points
    assert make_points("file", path=_csv(tmp_path / "ints.csv", None, whole)).dim == 3


def test_ambiguous_data_files_say_what_they_hold_and_what_is_read(tmp_path: Path) -> None:
    x, y = np.ones((5, 2)) * 0.5, np.arange(5) % 2
    np.savez(tmp_path / "positional.npz", x, y)  # numpy.savez(path, X, y): arr_0, arr_1
    with pytest.raises(InputError, match=r"holds arrays 'arr_0', 'arr_1': points are read "
                                         r"from an array named x or X or data") as err:
        make_points("file", path=str(tmp_path / "positional.npz"))
    assert "labels from one named label or labels or target" in str(err.value)
    two = _csv(tmp_path / "two.csv", "a,target,class", np.column_stack([x[:, 0], y, y]))
    with pytest.raises(InputError, match="several label columns \\('target', 'class'\\)"):
        make_points("file", path=two)
    np.savez(tmp_path / "regression.npz", X=x, y=x[:, 0] * 0.3)
    with pytest.warns(SpacewarpNote, match="array 'y' .* holds fractions"):
        pts = make_points("file", path=str(tmp_path / "regression.npz"))
    assert pts.labels is None and pts.dim == 2


def test_color_by_label_without_labels_says_what_labels_are_called(tmp_path: Path) -> None:
    path = _csv(tmp_path / "plain.csv", "a,b", np.ones((4, 2)) * 0.5)
    with pytest.raises(InputError, match="a CSV column or an .npz array named label, labels, "
                                         "target, class or y") as err:
        make_points("file", path=path, color_by="label")
    assert err.value.field == "input.color_by"
