"""A polygon cut by all of its lines at once (spacewarp.measure.arrangement), against
plain geometry: pairwise intersections solved one by one, points located by half-planes;
and degenerate arrangements, which go through the one-line-per-round cuts, against the
plain reference (tests/plain_regions.py)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from plain_regions import plain_regions
from torch import nn

from spacewarp.measure import arrangement, regions


def hexagon() -> tuple[np.ndarray, np.ndarray]:
    angle = np.linspace(0, 2 * np.pi, 7)[:-1] + 0.1
    return np.stack([np.cos(angle), np.sin(angle)], 1)[None] * 2.0, np.array([6])


def cut_by(lines: np.ndarray) -> arrangement.Faces:
    verts, count = hexagon()
    poly = np.zeros(len(lines), dtype=np.int64)
    found = arrangement.chords(verts, count, poly, lines[:, :2], lines[:, 2],
                               np.arange(len(lines)))
    return arrangement.faces(verts, count, found)


def inside_hexagon(p: np.ndarray) -> bool:
    verts = hexagon()[0][0]
    edge = np.roll(verts, -1, axis=0) - verts
    rel = p - verts
    return bool(np.all(edge[:, 0] * rel[:, 1] - edge[:, 1] * rel[:, 0] > 0))


def test_faces_of_random_lines_are_the_arrangement_in_the_polygon() -> None:
    rng = np.random.default_rng(4)
    lines = np.concatenate([rng.normal(size=(14, 2)), rng.uniform(-1, 1, (14, 1))], 1)
    f = cut_by(lines)
    assert not f.degenerate.any()
    crossings = sum(inside_hexagon(np.linalg.solve(lines[[i, j], :2], -lines[[i, j], 2]))
                    for i in range(len(lines)) for j in range(i + 1, len(lines)))
    assert len(f.count) == 1 + len(lines) + crossings  # every line crosses the hexagon
    polys = [v[:m] for v, m in zip(f.verts, f.count, strict=True)]
    area = [0.5 * np.sum(p[:, 0] * np.roll(p[:, 1], -1) - p[:, 1] * np.roll(p[:, 0], -1))
            for p in polys]
    assert np.all(np.array(area) > 0)  # counter-clockwise
    assert np.isclose(sum(area), 6 * np.sqrt(3), rtol=1e-12)  # the hexagon of side 2
    signs = [tuple(np.sign(lines[:, :2] @ p.mean(0) + lines[:, 2])) for p in polys]
    assert len(set(signs)) == len(polys)
    for p, s in zip(polys, signs, strict=True):  # each face on one side of every line
        assert np.all((lines[:, :2] @ p.T + lines[:, 2:]) * np.array(s)[:, None] > -1e-12)
    points = rng.uniform(-2, 2, size=(3000, 2))
    for x in points[[inside_hexagon(x) for x in points]]:  # in exactly one face
        edge = [np.roll(p, -1, axis=0) - p for p in polys]
        hits = sum(np.all(e[:, 0] * (x - p)[:, 1] - e[:, 1] * (x - p)[:, 0] >= 0)
                   for p, e in zip(polys, edge, strict=True))
        assert hits == 1


def test_neighbours_differ_across_one_line() -> None:
    rng = np.random.default_rng(5)
    lines = np.concatenate([rng.normal(size=(10, 2)), rng.uniform(-1, 1, (10, 1))], 1)
    f = cut_by(lines)
    centre = np.array([v[:m].mean(0) for v, m in zip(f.verts, f.count, strict=True)])
    side = centre @ lines[:, :2].T + lines[:, 2] > 0  # (F, k)
    for neg, pos, line in f.sides:
        assert np.flatnonzero(side[neg] != side[pos]).tolist() == [line]
        assert side[pos, line] and not side[neg, line]
    parent, flip, depth = arrangement.spanning_tree(f.src, f.sides)
    child = np.flatnonzero(parent >= 0)
    assert len(child) > 0 and np.all(depth[child] == depth[parent[child]] + 1)
    for c in child:
        assert np.flatnonzero(side[c] != side[parent[c]]).tolist() == [flip[c]]


@pytest.mark.parametrize("lines", [
    [[1, 0, 0], [0, 1, 0], [1, 1, 0]],  # three lines through a point
    [[1, 0, 0.3], [2, 0, 0.6], [0, 1, 0.1]],  # two equal lines
    [[np.cos(1.1), -np.sin(1.1), 0], [0, 1, 0.5]],  # generic: the corner line alone
])
def test_degenerate_lines_are_left_to_the_rounds(lines: list[list[float]]) -> None:
    corner = hexagon()[0][0, 0]  # one more line through a corner of the hexagon
    through = [[1.0, 1.0, -corner.sum()]]
    f = cut_by(np.array(lines + through, dtype=float))
    assert f.degenerate.all() and len(f.count) == 0


def degenerate_net() -> nn.Sequential:
    torch.manual_seed(8)
    first = nn.Linear(2, 6)
    with torch.no_grad():  # through the origin three times, a repeated line, a diagonal
        first.weight[:] = torch.tensor([[1, 0], [0, 1], [1, 1], [2, 0], [1, -1], [1, 2]])
        first.bias[:] = torch.tensor([0, 0, 0, 0, 0, 0.5])
    return nn.Sequential(first, nn.ReLU(), nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 1)).double()


@pytest.mark.parametrize("cut_output", [False, True])
def test_degenerate_networks_equal_the_plain_reference(monkeypatch: pytest.MonkeyPatch,
                                                       cut_output: bool) -> None:
    seen: list[bool] = []
    faces = arrangement.faces

    def watched(*args: object) -> arrangement.Faces:
        out = faces(*args)  # type: ignore[arg-type]
        seen.append(bool(out.degenerate.any()))
        return out

    monkeypatch.setattr(arrangement, "faces", watched)
    model, box = degenerate_net(), (-1.0, 1.0, -1.0, 1.0)  # the diagonal hits two corners
    found = regions(model, box, cut_output=cut_output)
    ref = plain_regions(model, box, cut_output=cut_output)
    assert seen[0]  # the box went through the rounds
    assert len(found) == len(ref)
    assert sorted(map(tuple, found.patterns.tolist())) == sorted(p for _, p in ref)
    assert np.isclose(found.areas.sum(), 4.0, rtol=1e-12) and np.all(found.areas > 0)


def test_colliding_face_names_are_caught_and_cut_line_by_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every face of every polygon named alike (all weights and salts 0): no face may come
    out of the arrangement wrong; the rounds cut them all."""
    model = nn.Sequential(nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(),
                          nn.Linear(12, 1)).double()
    torch.manual_seed(9)
    for m in model:
        if isinstance(m, nn.Linear):
            m.reset_parameters()
    box = (-2.0, 2.0, -2.0, 2.0)
    monkeypatch.setattr(arrangement, "hash_weights",
                        lambda k, p: (np.zeros(k, np.uint64), np.zeros(p, np.uint64)))
    found = regions(model, box)
    ref = plain_regions(model, box)
    assert len(found) == len(ref) > 20
    assert sorted(map(tuple, found.patterns.tolist())) == sorted(p for _, p in ref)
    assert np.isclose(found.areas.sum(), 16.0, rtol=1e-12) and np.all(found.areas > 0)


def test_numba_is_imported_only_when_regions_are_cut() -> None:
    """The compiled loops' import (numba, about 0.3 CPU s) is paid by the regions only."""
    code = ("import sys\nimport spacewarp, spacewarp.api, spacewarp.measure, spacewarp.cli\n"
            "before = 'numba' in sys.modules\n"
            "from spacewarp.measure import regions\nimport torch\n"
            "regions(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),\n"
            "        torch.nn.Linear(3, 1)).double(), (-1.0, 1.0, -1.0, 1.0))\n"
            "print(before, 'numba' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=600)
    assert out.stdout.split() == ["False", "True"]


def test_faces_carry_their_polygons_on_bits_and_their_own_signs() -> None:
    """Lines labelled 3, 5, ... of 12 neurons: each face's on-bits are its polygon's for
    the other neurons and, for the lines, the signs at the face's centroid (numpy)."""
    rng = np.random.default_rng(6)
    lines = np.concatenate([rng.normal(size=(9, 2)), rng.uniform(-1, 1, (9, 1))], 1)
    verts, count = hexagon()
    label = 3 + np.arange(len(lines))
    found = arrangement.chords(verts, count, np.zeros(len(lines), dtype=np.int64),
                               lines[:, :2], lines[:, 2], label)
    polygon_on = rng.uniform(size=(1, 12)) > 0.5
    f = arrangement.faces(verts, count, found, polygon_on)
    assert len(f.count) > 20 and f.on.shape == (len(f.count), 12)
    centre = np.array([v[:m].mean(0) for v, m in zip(f.verts, f.count, strict=True)])
    expected = np.repeat(polygon_on, len(f.count), axis=0)
    expected[:, label] = centre @ lines[:, :2].T + lines[:, 2] > 0
    assert np.array_equal(f.on, expected)
