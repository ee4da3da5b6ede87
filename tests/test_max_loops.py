"""The compiled max-pooling loops (measure/max_loops.py) against plain NumPy: every entry's
value at every vertex of every polygon, from each row's map expanded whole."""

from __future__ import annotations

import numpy as np
import pytest

from spacewarp.measure import max_loops
from spacewarp.measure.polygons import REL_TOL
from spacewarp.measure.stage_map import StageMap

UNITS, P = 24, 4


def gated_stage(slope: float, rng: np.random.Generator) -> StageMap:
    """A ReLU stage kept compact: 5 pre-activation rows of 2-D maps to 96 columns, 40
    gated rows, each with its own on-bits (the off entries are 0 when the slope is 0, so
    windows hold ties, as dead ReLUs do)."""
    at, c = rng.standard_normal((5, 2, UNITS * P)), rng.standard_normal((5, UNITS * P))
    return StageMap(at, c, rng.integers(0, 5, 40), rng.random((40, UNITS * P)) > 0.4, slope)


def polygons(rng: np.random.Generator, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Convex polygons of 3 to 6 corners, counter-clockwise, padded with the last corner,
    from tiny (every window clear) to wide (many windows split)."""
    count = rng.integers(3, 7, n)
    verts = np.empty((n, 6, 2))
    for q, m in enumerate(count):
        angles = np.sort(rng.uniform(0, 2 * np.pi, m))
        corners = rng.standard_normal(2) + 10.0 ** rng.uniform(-4, 0.5) * np.stack(
            [np.cos(angles), np.sin(angles)], axis=1)
        verts[q] = np.concatenate([corners, np.repeat(corners[-1:], 6 - m, axis=0)])
    return verts, count


def plain_values(stage: StageMap, row: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """(Q, M, D) every column's value at every vertex: each row's map expanded whole."""
    at, c = stage.take_t(row)  # (Q, 2, D), (Q, D)
    return np.einsum("qmd,qdn->qmn", verts, at) + c[:, None, :]


@pytest.mark.parametrize("slope", [0.0, 0.1])
def test_leaders_are_the_entries_that_lead_at_every_vertex(slope: float) -> None:
    rng = np.random.default_rng(1)
    stage, (verts, count) = gated_stage(slope, rng), polygons(rng)
    row = rng.integers(0, 40, len(count))
    groups = rng.permutation(UNITS * P).reshape(UNITS, P)
    first, straddle = max_loops.leaders(stage, row, groups, verts, count)
    values = plain_values(stage, row, verts)[:, :, groups]  # (Q, M, units, p)
    valid = (np.arange(6)[None, :] < count[:, None])[:, :, None, None]
    top = np.where(valid, values, -np.inf).max(axis=3, keepdims=True)
    leads = np.all((values >= top - REL_TOL * (1 + np.abs(top))) | ~valid, axis=1)
    assert np.array_equal(straddle, ~leads.any(axis=2))
    assert 0 < straddle.mean() < 0.9  # both kinds of window are tested
    assert np.array_equal(first[~straddle], leads.argmax(axis=2)[~straddle])


def test_winners_stage_gathers_the_winners_maps_and_their_bits() -> None:
    rng = np.random.default_rng(2)
    stage = gated_stage(0.1, rng)
    row = rng.integers(0, 40, 50)
    groups = rng.permutation(UNITS * P).reshape(UNITS, P)
    choice = rng.integers(0, P, (50, UNITS)).astype(np.int8)
    out, bits = max_loops.winners_stage(stage, row, groups, choice)
    at, c = stage.take_t(row)  # (50, 2, D) expanded whole
    lead = groups[np.arange(UNITS)[None, :], choice]  # (50, units)
    assert np.allclose(out.at, np.take_along_axis(at, lead[:, None, :], axis=2),
                       rtol=0, atol=1e-12)
    assert np.allclose(out.c, np.take_along_axis(c, lead, axis=1), rtol=0, atol=1e-12)
    expected = np.zeros((50, UNITS, P), dtype=bool)
    np.put_along_axis(expected, choice[..., None].astype(np.int64), True, axis=2)
    assert np.array_equal(bits, expected.reshape(50, -1))


def test_winners_read_on_each_piece_lead_there() -> None:
    rng = np.random.default_rng(3)
    stage, (verts, count) = gated_stage(0.0, rng), polygons(rng)
    row = rng.integers(0, 40, len(count))
    cols = rng.permutation(UNITS * P)[:P][None, :].repeat(len(count), axis=0)
    won = max_loops.winners(stage, row, cols, verts, count)
    values = np.take_along_axis(plain_values(stage, row, verts), cols[:, None, :], axis=2)
    valid = np.arange(6)[None, :] < count[:, None]
    top = np.where(valid[..., None], values, -np.inf).max(axis=2)  # (Q, M)
    leads = np.all((values >= (top - REL_TOL * (1 + np.abs(top)))[..., None])
                   | ~valid[..., None], axis=1)  # (Q, p)
    mean = np.where(valid[..., None], values, 0).sum(axis=1) / count[:, None]
    expected = np.where(leads.any(axis=1), leads.argmax(axis=1), mean.argmax(axis=1))
    assert np.array_equal(won, expected)
    a, c = max_loops.entries(stage, row, cols)
    at, c_all = stage.take_t(row)
    assert np.allclose(a, np.take_along_axis(at, cols[:, None, :], axis=2).transpose(0, 2, 1),
                       rtol=0, atol=1e-12)
    assert np.allclose(c, np.take_along_axis(c_all, cols, axis=1), rtol=0, atol=1e-12)


def test_split_max_parts_tile_each_polygon_where_their_piece_leads() -> None:
    """Each polygon cut where each of 4 affine pieces is largest: the parts' areas sum
    to the polygon's, and at each part's corners its piece is within tolerance of the
    top (values in plain NumPy)."""
    rng = np.random.default_rng(4)
    verts, count = polygons(rng, 200)
    a, c = rng.standard_normal((200, P, 2)), rng.standard_normal((200, P))
    parts, m, src, which = max_loops.split_max_2d(verts, count, a, c)
    area = np.array([shoelace(v[:k]) for v, k in zip(parts, m, strict=True)])
    whole = np.array([shoelace(v[:k]) for v, k in zip(verts, count, strict=True)])
    assert np.allclose(np.bincount(src, area, minlength=200), whole, rtol=1e-9, atol=0)
    assert len(np.unique(src)) == 200 and len(m) > 200  # some polygons are split
    for v, k, q, i in zip(parts, m, src, which, strict=True):
        values = v[:k] @ a[q].T + c[q]  # (k, p)
        top = values.max(axis=1)
        scale = np.abs(values - values[:, [i]]).max() + 1.0
        assert np.all(values[:, i] >= top - 1e-9 * scale)


def shoelace(v: np.ndarray) -> float:
    return 0.5 * float(np.sum(v[:, 0] * np.roll(v[:, 1], -1) - v[:, 1] * np.roll(v[:, 0], -1)))
