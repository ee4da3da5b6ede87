"""Outlines thinned for a page (``view.outline_thinning``): a tiling of squares, each
square's corners written out separately (as a training's polygons are), against what
plain geometry says: every grid vertex once, every square's corners by index, edges
shorter than the pixel grid dropped."""

from __future__ import annotations

import numpy as np

from spacewarp.view.outline_thinning import PIXEL_LEVELS, thinned

N = 6  # squares per side of the tiling


def tiling(noise: float) -> tuple[np.ndarray, np.ndarray]:
    """The unit square cut into N x N squares, each listed with its 4 corners
    counter-clockwise, each corner moved by up to ``noise`` (rounding of a shared vertex
    computed twice): vertices (4 N^2, 2) and counts (N^2,)."""
    rng = np.random.default_rng(0)
    squares = []
    for i in range(N):
        for j in range(N):
            corner = np.array([[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]], float) / N
            squares.append(corner + rng.uniform(-noise, noise, corner.shape))
    return np.concatenate(squares), np.full(N * N, 4)


def test_shared_vertices_are_sent_once_and_every_corner_by_index() -> None:
    verts, count = tiling(1e-12)
    lifted = verts @ np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0]])  # a 3-D key, affine
    thin = thinned(count, (verts, lifted))
    assert len(thin.keys[0]) == (N + 1) ** 2  # the grid's vertices, once each
    np.testing.assert_array_equal(thin.count, count)  # no edge is under a pixel
    for key, full in zip(thin.keys, (verts, lifted), strict=True):
        np.testing.assert_allclose(key[thin.index], full, atol=1e-11)
    raw = 2 * len(verts) * 5 + 4 * len(count)  # int16 corners in both keys, the counts
    assert thin.nbytes < raw


def test_edges_shorter_than_the_pixel_grid_are_dropped() -> None:
    verts, count = tiling(0.0)
    tiny = 0.1 / PIXEL_LEVELS  # a tenth of a grid step of the unit range
    extra = np.array([[0.5, 0.5], [0.5 + tiny, 0.5], [0.5, 0.5 + tiny]])  # one point, 3x
    thin = thinned(np.r_[count, 3, 5], (np.concatenate(
        [verts, extra, [[0.0, 0.0], [0.2, 0.0], [0.2, 0.0], [0.2, 0.2], [0.0, 0.0]]]),))
    assert thin.count.tolist() == [4] * N * N + [1, 3]  # collapsed: kept, once; repeats gone
    last = thin.keys[0][thin.index[-3:]]  # the same closed path, from another corner
    np.testing.assert_allclose(np.roll(last, 1, axis=0), [[0.0, 0.0], [0.2, 0.0], [0.2, 0.2]])
