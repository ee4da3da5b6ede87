"""Exact linear regions through training: four numbers per snapshot (issue 19).

At every snapshot of a ``Training``, on the probe grid's box (the box the pictures show):

- ``regions_total`` (S,): the exact regions of the hidden layers (``measure.regions``);
- ``regions_with_data`` (S,): distinct activation patterns among the run's points (every
  row of ``stage_00``, held-out points too), from a plain forward pass of the steps;
- ``local_complexity`` (S,): the mean number of regions meeting the square of half-side
  ``r`` around each training point (held-out points excluded);
- ``regions_near_boundary`` (S,): regions within ``r`` of the exact decision boundary.

Called by the fronts (api, cli) after training; ``training/`` never imports it (the layers
run the other way). 2-D inputs only: the squares and the boundary are planar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config.experiment import Experiment
from ..errors import InputError
from ..model.resolve import model_for
from ..training.setup import DataSet
from ..training.train import Training
from .linear_regions import Regions, regions
from .steps import SMOOTH, refuse_smooth, steps_of

LC_SHARE = 0.01  # default r: 1% of the box's larger side
PAIR_CHUNK = 2_000_000  # (point, region) pairs tested at once: ~100 MB of float64 work


@dataclass(frozen=True)
class TrainingRegions:
    """The four curves of the module docstring, and the box and radius they were taken on."""

    total: np.ndarray  # (S,) int64
    with_data: np.ndarray  # (S,) int64
    local_complexity: np.ndarray  # (S,) float64
    near_boundary: np.ndarray  # (S,) int64
    lc_radius: float
    bounds: tuple[float, float, float, float]  # x0, x1, y0, y1

    def named(self) -> dict[str, np.ndarray]:
        """training.npz's members, by name."""
        return {"regions_total": self.total, "regions_with_data": self.with_data,
                "local_complexity": self.local_complexity,
                "regions_near_boundary": self.near_boundary,
                "lc_radius": np.array(self.lc_radius, dtype=np.float64),
                "regions_bounds": np.array(self.bounds, dtype=np.float64)}


def training_regions(training: Training, lc_radius: float | None = None,
                     max_regions: int | None = None) -> TrainingRegions:
    """The regions of every snapshot of ``training`` (see the module docstring)."""
    bounds = regions_box(training.experiment, training.data)
    r = radius(bounds, lc_radius)
    x = np.asarray(training.points.x, dtype=np.float64)  # (N, 2)
    train_x = x[~np.asarray(training.data.test, dtype=bool)]
    rows = [snapshot_numbers(training.model(s), x, train_x, bounds, r, max_regions)
            for s in range(len(training.snapshots))]
    total, with_data, lc, near = (np.array(col) for col in zip(*rows, strict=True))
    return TrainingRegions(total.astype(np.int64), with_data.astype(np.int64),
                           lc.astype(np.float64), near.astype(np.int64), r, bounds)


def check_training_regions(experiment: Experiment, data: DataSet,
                           lc_radius: float | None = None,
                           max_regions: int | None = None) -> None:
    """Before training: refuse a radius that is not positive and finite, a smooth network,
    a non-2-D input and an initial network over the region cap (by estimate)."""
    bounds = regions_box(experiment, data)
    radius(bounds, lc_radius)
    if experiment.network.activation in SMOOTH:
        refuse_smooth(experiment.network.activation, "network.activation")
    regions(model_for(experiment).double(), bounds, max_regions=max_regions)


def regions_box(experiment: Experiment, data: DataSet) -> tuple[float, float, float, float]:
    """The probe grid's box (the points' box and a 10% margin): x0, x1, y0, y1."""
    from ..training.setup import probe_grid

    if data.points.dim != 2:
        raise InputError(f"regions through training need 2-D input, and these points are "
                         f"{data.points.dim}-D; train without --regions", field="style.regions")
    probe = probe_grid(np.asarray(data.points.x), 2)
    assert probe is not None
    (x0, x1), (y0, y1) = probe.box
    return (x0, x1, y0, y1)


def radius(bounds: tuple[float, ...], lc_radius: float | None) -> float:
    """``lc_radius``, checked; by default ``LC_SHARE`` of the box's larger side."""
    if lc_radius is None:
        return LC_SHARE * max(bounds[1] - bounds[0], bounds[3] - bounds[2])
    value = lc_radius if isinstance(lc_radius, int | float) else float("nan")
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"lc_radius {lc_radius!r} is not a positive finite length; give "
                         "one like 0.05 (default: 1% of the box's larger side)",
                         field="train.lc_radius")
    return float(value)


def snapshot_numbers(model: object, x: np.ndarray, train_x: np.ndarray,
                     bounds: tuple[float, ...], r: float, max_regions: int | None
                     ) -> tuple[int, int, float, int]:
    """One snapshot's (total, with data, local complexity, near the boundary)."""
    found = regions(model, bounds, max_regions=max_regions)  # type: ignore[arg-type]
    meets = squares_met(found, train_x, r)  # (N_train,)
    near = near_boundary(found, r)
    return len(found), distinct_patterns(model, x), float(meets.mean()), near


def distinct_patterns(model: object, x: np.ndarray) -> int:
    """How many distinct activation patterns (negative side or not, every activation in
    order) the points ``x`` (N, d0) fall in."""
    steps, _ = steps_of(model)  # type: ignore[arg-type]
    h, bits = x, []
    for step in steps:
        if step.kind == "linear":
            assert step.weight is not None and step.bias is not None
            h = h @ step.weight.T + step.bias  # (N, d_in) -> (N, d_out)
        else:
            bits.append(h > 0)
            h = np.where(h > 0, h, step.slope * h)
    if not bits:
        return 1
    return len(np.unique(np.concatenate(bits, axis=1), axis=0))


def squares_met(found: Regions, centres: np.ndarray, r: float) -> np.ndarray:
    """(N,) how many regions meet the open square of half-side ``r`` around each centre:
    convex polygons and squares separated by no axis (the square's two, each edge's normal)."""
    verts, valid, nxt = _edges(found)  # (R, M, 2), (R, M), (R, M, 2)
    lo, hi = _extent(verts, valid)
    normal = np.stack([nxt[..., 1] - verts[..., 1], verts[..., 0] - nxt[..., 0]], -1)
    reach = r * np.abs(normal).sum(-1)  # (R, M) the square's half-extent along each normal
    met = np.zeros(len(centres), dtype=np.int64)
    step = max(1, PAIR_CHUNK // max(1, len(verts)))
    for start in range(0, len(centres), step):
        c = centres[start:start + step]  # (n, 2)
        box = (c[:, 0, None] + r > lo[None, :, 0]) & (c[:, 0, None] - r < hi[None, :, 0])
        box &= (c[:, 1, None] + r > lo[None, :, 1]) & (c[:, 1, None] - r < hi[None, :, 1])
        p, q = np.nonzero(box)  # candidate (point, region) pairs: their boxes overlap
        side = np.einsum("pmd,pmd->pm", normal[q], c[p][:, None, :] - verts[q])
        apart = ((side - reach[q] >= 0) & valid[q]).any(1)  # wholly outside one edge
        met[start:start + step] = np.bincount(p[~apart], minlength=len(c))
    return met


def near_boundary(found: Regions, r: float) -> int:
    """How many regions lie within ``r`` of the decision boundary: the least distance
    between a region's edges and the boundary's segments, vertex to segment both ways
    (a segment lies in one region, so a region it does not touch is reached at ends)."""
    if not found.boundary:
        return 0
    seg = np.concatenate([np.stack([p[:-1], p[1:]], 1) for p in found.boundary])  # (B, 2, 2)
    verts, valid, nxt = _edges(found)
    lo, hi = _extent(verts, valid)  # (R, 2)
    near = np.zeros(len(verts), dtype=bool)
    step = max(1, PAIR_CHUNK // max(1, len(verts)))
    for start in range(0, len(seg), step):
        s = seg[start:start + step]  # (b, 2, 2)
        box = ((s.min(1)[:, None] - r <= hi[None]) & (s.max(1)[:, None] + r >= lo[None])).all(-1)
        b, q = np.nonzero(box)  # candidate (segment, region) pairs
        d1 = _point_segment(verts[q], s[b, None, 0], s[b, None, 1])  # (pairs, M)
        d2 = _point_segment(s[b, None, :, :], verts[q][:, :, None], nxt[q][:, :, None])
        d = np.where(valid[q], np.minimum(d1, d2.min(-1)), np.inf)  # (pairs, M)
        near[q[d.min(1) <= r]] = True
    return int(near.sum())


def _edges(found: Regions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each region's vertices (R, M, 2), which are real (R, M), and each edge's far end."""
    verts, count = found.verts, found.count
    m = verts.shape[1]
    valid = np.arange(m)[None, :] < count[:, None]
    nxt = np.take_along_axis(verts, ((np.arange(m)[None, :] + 1) % count[:, None])[..., None],
                             axis=1)
    return verts, valid, nxt


def _extent(verts: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each region's bounding box: low (R, 2) and high (R, 2) corners."""
    return (np.where(valid[..., None], verts, np.inf).min(1),
            np.where(valid[..., None], verts, -np.inf).max(1))


def _point_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points ``p`` to segments ``a``-``b`` (broadcast, last axis 2)."""
    ab, ap = b - a, p - a
    length = np.maximum((ab * ab).sum(-1), 1e-300)
    t = np.clip((ap * ab).sum(-1) / length, 0.0, 1.0)
    return np.linalg.norm(ap - t[..., None] * ab, axis=-1)
