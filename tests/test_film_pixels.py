"""A film's points to pixels frame after frame (FilmPixels) and into the frame (Splatter),
against the plain products and the one-off splat."""

from __future__ import annotations

import numpy as np
import pytest

import spacewarp.render.splat as splat_module
from spacewarp.render.film_pixels import FilmPixels
from spacewarp.render.splat import Splatter, color_table, splat
from spacewarp.view.morph import Morph, RotationMorph

H = 120  # frame height in pixels


def _reference(points: np.ndarray, project: np.ndarray) -> np.ndarray:
    """(n, d) points -> (2, n) continuous columns and rows: (x, 1) @ P, divided by w,
    then y flipped (row 0 at the top, pixel centres at whole numbers)."""
    d = points.shape[1]
    rows = [*range(min(d, 3)), 3]
    h = np.column_stack([points[:, :3], np.ones(len(points))]) @ project[rows]
    px = h[:, :2] / h[:, 2:]
    return np.stack([px[:, 0] - 0.5, H - 0.5 - px[:, 1]])


def _projection(rng: np.random.Generator) -> np.ndarray:
    project = rng.normal(size=(4, 3)) * 20.0
    project[:, 2] = [0.0, 0.0, 0.0, 1.7]  # orthographic: one w for every point
    return project


@pytest.mark.parametrize("dim", [2, 3])
def test_pixels_of_a_straight_morph_are_its_points_projected(dim: int) -> None:
    """At every t, and after the camera changes, the pixels equal morph.at(t) through
    the projection (float32: within a thousandth of a pixel)."""
    rng = np.random.default_rng(7)
    start, end = rng.normal(size=(500, dim)), rng.normal(size=(500, dim)) * 3.0
    morph = Morph(start, end, 0, 1, "a morph")
    film = FilmPixels(400, H)  # the first 400 rows: the points, not carried rows
    for project in (_projection(rng), _projection(rng)):
        for t in (0.0, 0.3, 0.75, 1.0):
            got = film.at(morph, 0, t, project)
            assert got is not None and got.dtype == np.float32 and got.shape == (2, 400)
            np.testing.assert_allclose(got, _reference(morph.at(t)[:400], project),
                                       atol=1e-3)
    other = Morph(end, start, 1, 2, "the way back")  # a new morph, the same camera
    got = film.at(other, 1, 0.5, project)
    assert got is not None
    np.testing.assert_allclose(got, _reference(other.at(0.5)[:400], project), atol=1e-3)


def test_a_turn_or_a_perspective_camera_is_left_to_the_caller() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(50, 2))
    quarter = np.array([[0.0, -np.pi / 2], [np.pi / 2, 0.0]])  # skew generator
    turn = RotationMorph(x, x @ np.array([[0.0, 1.0], [-1.0, 0.0]]), 0, 1, "turn",
                         generator=quarter)
    film = FilmPixels(50, H)
    assert film.at(turn, 0, 0.5, _projection(rng)) is None
    perspective = _projection(rng)
    perspective[0, 2] = 0.1
    assert film.at(Morph(x, 2 * x, 0, 1, "m"), 0, 0.5, perspective) is None


@pytest.mark.parametrize("where", ["inside", "across the edge", "not finite"])
def test_a_splatter_draws_what_splat_draws(where: str, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """Frame after frame, a film's Splatter leaves the same bytes as the one-off splat of
    the same points, inside the frame, partly outside it (splat's clipping) and with
    points that are not finite (dropped)."""
    rng = np.random.default_rng(9)
    h, w, n = 60, 80, 3000
    xy = rng.normal([40, 30], [8, 6], size=(n, 2))  # display pixels, y up
    if where == "across the edge":
        xy[:200] += [45, 0]  # past the right side
    if where == "not finite":
        xy[:5, 0] = np.nan
        xy[5:9, 1] = np.inf
    values = rng.uniform(0, 1, n).astype(np.float32)
    table = color_table("magma")
    background = rng.integers(0, 256, size=(h, w, 4), dtype=np.uint8)
    want = background.copy()
    splat(want, xy, values, table, 0.9)
    splatter = Splatter(values, table, 0.9)
    cols = (xy[:, 0] - 0.5).astype(np.float32)
    rows = (h - xy[:, 1] - 0.5).astype(np.float32)
    one_off = []  # frames the Splatter handed to splat (its work arrays unused)
    monkeypatch.setattr(splat_module, "splat",
                        lambda *a, **k: (one_off.append(1), splat(*a, **k))[1])
    for _ in range(2):
        got = background.copy()
        splatter(got, cols, rows)
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
        assert (got != background).any()
    assert len(one_off) == (0 if where == "inside" else 2)
