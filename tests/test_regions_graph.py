"""Exact regions of captured graphs (residual adds, concatenation, maxima of affine pieces)
against a fine probe grid's activation patterns, computed by hand in torch, and the model
evaluated at the polygon vertices."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import spacewarp as sw
from spacewarp.errors import NetworkError
from spacewarp.render.browser import BrowserOptions, film_spec


class Graph(nn.Module):
    """A residual ReLU block, a concatenation, torch.maximum and a maxout by amax."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.a, self.b, self.c = nn.Linear(2, 2), nn.Linear(2, 3), nn.Linear(2, 1)
        self.d, self.e = nn.Linear(4, 6), nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x + torch.relu(self.a(x))
        g = torch.cat([torch.relu(self.b(h)), self.c(h)], dim=1)
        m = torch.maximum(self.d(g)[:, :3], self.d(g)[:, 3:])
        z = self.d(g).view(-1, 3, 2).amax(-1)
        return self.e(m + z)

    def pattern(self, x: torch.Tensor) -> np.ndarray:
        """(n, 17) the signs and leading pieces, in stage order, written out by hand."""
        pa = self.a(x)
        h = x + torch.relu(pa)
        pb = self.b(h)
        g = torch.cat([torch.relu(pb), self.c(h)], dim=1)
        y = self.d(g)
        lead_m = (y[:, 3:] > y[:, :3]).long()  # 0: the first argument leads
        lead_z = y.view(-1, 3, 2).argmax(-1)
        onehot = [torch.nn.functional.one_hot(lead, 2).reshape(len(x), -1)
                  for lead in (lead_m, lead_z)]
        return torch.cat([pa > 0, pb > 0, *[o > 0 for o in onehot]], dim=1).numpy()


@pytest.fixture(scope="module")
def model() -> Graph:
    return Graph().double()


@pytest.fixture(scope="module")
def found(model: Graph) -> sw.Regions:
    t = sw.trace(model, sw.make_points("grid", 400), device="cpu")
    return sw.regions(t)


def test_polygons_tile_the_box_with_distinct_patterns(found: sw.Regions) -> None:
    x0, x1, y0, y1 = found.bounds
    assert found.areas.sum() == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-9)
    assert (found.areas > 0).all()
    assert len({tuple(p) for p in found.patterns}) == len(found)
    assert found.patterns.shape[1] == 2 + 3 + 6 + 6
    assert found.per_layer[-1] == len(found) and list(found.per_layer) == sorted(found.per_layer)


def test_every_probe_lies_in_the_polygon_of_its_pattern(model: Graph,
                                                        found: sw.Regions) -> None:
    x0, x1, y0, y1 = found.bounds
    g = np.stack(np.meshgrid(np.linspace(x0, x1, 241), np.linspace(y0, y1, 241)), -1)
    probe = g.reshape(-1, 2)
    with torch.no_grad():
        want = model.pattern(torch.from_numpy(probe))
    # signed distances of every probe to every polygon's edges (counter-clockwise: inside >= 0)
    v, m = found.verts, found.count
    nxt = np.where(np.arange(v.shape[1])[None] + 1 < m[:, None], np.arange(v.shape[1]) + 1, 0)
    edge = np.take_along_axis(v, nxt[..., None], axis=1) - v  # (R, M, 2)
    valid = np.arange(v.shape[1])[None] < m[:, None]
    rel = probe[:, None, None, :] - v[None]  # (N, R, M, 2)
    cross = edge[None, ..., 0] * rel[..., 1] - edge[None, ..., 1] * rel[..., 0]
    cross = np.where(valid[None], cross, np.inf)
    inside = (cross >= -1e-9).all(axis=2)  # (N, R)
    strict = (cross > 1e-6).all(axis=2)
    assert inside.any(axis=1).all()  # the polygons cover every probe
    assert (strict.sum(axis=1) <= 1).all()  # and never overlap
    rows, regs = np.nonzero(strict)
    assert len(rows) > 0.95 * len(probe)
    assert np.array_equal(found.patterns[regs], want[rows])


def test_each_region_map_is_the_model_at_its_vertices(model: Graph, found: sw.Regions) -> None:
    valid = np.arange(found.verts.shape[1])[None] < found.count[:, None]
    with torch.no_grad():
        want = model(torch.from_numpy(found.verts[valid])).numpy()
    assert np.allclose(found.image(len(found.stage_maps) - 1)[valid], want, atol=1e-12)


def test_graph_regions_are_drawn_on_the_page(model: Graph, found: sw.Regions) -> None:
    t = sw.trace(model, sw.make_points("grid", 400), device="cpu")
    spec = film_spec(t, BrowserOptions(regions="region"))
    assert spec["regions"]["count"]["shape"] == [len(found)]


def test_an_unsupported_stage_is_refused_by_name() -> None:
    class Square(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = torch.relu(self.a(x))
            return h * h + x

    t = sw.trace(Square(), sw.make_points("grid", 100), device="cpu")
    with pytest.raises(NetworkError) as err:
        sw.regions(t)
    assert "mul" in str(err.value) and "\n" not in str(err.value)


def test_a_model_object_is_captured_on_a_probe_grid(model: Graph, found: sw.Regions) -> None:
    direct = sw.regions(model, found.bounds)  # no trace given: the graph from a probe grid
    assert len(direct) == len(found) and direct.per_layer == found.per_layer
    assert np.isclose(direct.areas.sum(), found.areas.sum())
    with pytest.raises(sw.SpacewarpError, match="x0 < x1"):
        sw.regions(model, (1, -1, 0, 1))
