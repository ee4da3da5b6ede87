"""Point generators against the seed's own constructions and independent references."""

from __future__ import annotations

import numpy as np
import pytest

from spacewarp.errors import SpacewarpError
from spacewarp.inputs.points import COLORINGS, GENERATORS, make_points


def seed_mesh() -> np.ndarray:
    """The seed notebook's Mesh Grid, verbatim."""
    x = np.arange(-5, 5, 0.1)
    y = np.arange(-5, 5, 0.1)
    xx, yy = np.meshgrid(x, y, sparse=True)
    xx = xx.reshape(-1)
    yy = yy.reshape(-1)
    return np.array([(i, j) for i in xx for j in yy])


def test_default_grid_is_the_seeds_mesh_exactly() -> None:
    pts = make_points("grid")
    ref = seed_mesh()
    assert pts.x.shape == (10_000, 2)
    assert np.array_equal(pts.x, ref)
    assert pts.grid_shape == (100, 100)
    assert np.array_equal(make_points("grid", 10_000).x, ref)


def test_grid_shape_describes_the_lattice() -> None:
    pts = make_points("grid", 400)
    rows, cols = pts.grid_shape or (0, 0)
    lattice = pts.x.reshape(rows, cols, 2)
    assert np.all(lattice[:, :, 0] == lattice[:, :1, 0])  # first coordinate constant along a row
    assert np.all(np.diff(lattice[0, :, 1]) > 0)


def test_gaussian_defaults_and_seed() -> None:
    pts = make_points("gaussian")
    assert pts.x.shape == (1000, 2) and pts.x.dtype == np.float64
    assert abs(pts.x.mean()) < 0.1 and abs(pts.x.std() - 1) < 0.1
    assert np.array_equal(make_points("gaussian", seed=3).x, make_points("gaussian", seed=3).x)
    assert not np.array_equal(make_points("gaussian", seed=3).x, pts.x)


def test_line_is_the_seeds_linspace() -> None:
    pts = make_points("line")
    assert pts.x.shape == (50, 1)
    assert np.array_equal(pts.x[:, 0], np.linspace(-1, 1, 50))
    assert make_points("gaussian1d").x.shape == (50, 1)


def test_default_colour_is_the_first_coordinate() -> None:
    pts = make_points("gaussian")
    assert np.array_equal(pts.color, pts.x[:, 0])


def test_colourings() -> None:
    pts = make_points("spiral", 300, color_by="angle")
    assert np.allclose(pts.color, np.arctan2(pts.x[:, 1], pts.x[:, 0]))
    assert np.allclose(make_points("disk", color_by="radius").color,
                       np.hypot(*make_points("disk").x.T))
    labelled = make_points("moons", 100, color_by="label")
    assert labelled.labels is not None
    assert np.array_equal(labelled.color, labelled.labels.astype(float))
    with pytest.raises(SpacewarpError, match="has no labels"):
        make_points("gaussian", color_by="label")
    assert {"x", "y", "angle", "radius", "label"} <= set(COLORINGS.names())


def test_spiral_has_three_labelled_arms() -> None:
    pts = make_points("spiral", 300, noise=0.0)
    assert pts.labels is not None
    assert np.array_equal(np.bincount(pts.labels), [100, 100, 100])
    radius = np.hypot(pts.x[:, 0], pts.x[:, 1])
    assert np.allclose(radius[:100], np.linspace(0, 1, 100))  # t runs 0 -> 1 along each arm


def test_xor_and_moons_labels() -> None:
    xor = make_points("xor", 500)
    assert xor.labels is not None
    assert np.array_equal(xor.labels, (xor.x[:, 0] * xor.x[:, 1] > 0).astype(int))
    moons = make_points("moons", 101)
    assert moons.labels is not None and sorted(set(moons.labels.tolist())) == [0, 1]


def test_every_generator_follows_one_signature() -> None:
    for name in GENERATORS.names():
        if name == "file":
            continue
        pts = make_points(name, 64, seed=1)
        assert pts.x.ndim == 2 and pts.color.shape == (pts.n,)
        assert not pts.x.flags.writeable  # results are immutable values


@pytest.mark.parametrize("n", [0, -5, 10**10])
def test_absurd_counts_are_refused(n: int) -> None:
    with pytest.raises(SpacewarpError, match="between 1 and"):
        make_points("gaussian", n)


def test_unknown_names_list_the_choices() -> None:
    with pytest.raises(SpacewarpError, match="unknown input 'nope'.*gaussian"):
        make_points("nope")
    with pytest.raises(SpacewarpError, match="no parameter 'bogus'"):
        make_points("spiral", bogus=1)


def test_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ref = np.random.default_rng(0).standard_normal((20, 2))
    np.save(tmp_path / "a.npy", ref)
    np.savez(tmp_path / "b.npz", x=ref, labels=np.arange(20) % 2)
    (tmp_path / "c.csv").write_text("x,y,label\n" + "\n".join(
        f"{float(a)!r},{float(b)!r},{i % 3}" for i, (a, b) in enumerate(ref)))
    (tmp_path / "d.csv").write_text("\n".join(f"{float(a)!r},{float(b)!r}" for a, b in ref))
    for name in ("a.npy", "b.npz", "c.csv", "d.csv"):
        pts = make_points("file", path=str(tmp_path / name))
        assert np.array_equal(pts.x, ref), name
    assert np.array_equal(make_points("file", path=str(tmp_path / "c.csv")).labels,
                          np.arange(20) % 3)
    sub = make_points("file", 5, path=str(tmp_path / "a.npy"))
    assert sub.n == 5 and all(any(np.array_equal(r, q) for q in ref) for r in sub.x)


@pytest.mark.parametrize("content,match", [
    ("1,2\n3,nan\n", "NaN or inf"),
    ("1,2\n3,x\n", "cannot read"),
    ("", "is empty"),
])
def test_bad_csv(tmp_path, content: str, match: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(SpacewarpError, match=match):
        make_points("file", path=str(path))


def test_bad_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpacewarpError, match="does not exist"):
        make_points("file", path=str(tmp_path / "missing.npy"))
    with pytest.raises(SpacewarpError, match="must end in"):
        make_points("file", path=str(tmp_path / "x.txt"))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(SpacewarpError, match="cannot read"):
        make_points("file", path=str(tmp_path / "junk.npz"))
    np.save(tmp_path / "obj.npy", np.array(["a", "b"]))
    with pytest.raises(SpacewarpError, match="must hold numbers"):
        make_points("file", path=str(tmp_path / "obj.npy"))
    with pytest.raises(SpacewarpError, match="needs a path"):
        make_points("file")
    np.save(tmp_path / "pickled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(SpacewarpError, match="holds Python objects") as err:
        make_points("file", path=str(tmp_path / "pickled.npy"))
    assert "allow_pickle" not in str(err.value)
    (tmp_path / "header.csv").write_text("x,y\n")
    with pytest.raises(SpacewarpError, match="header but no rows"):
        make_points("file", path=str(tmp_path / "header.csv"))
