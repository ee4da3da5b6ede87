"""Exact linear regions through training: four numbers per snapshot (issue 19).

At every snapshot of a ``Training``, on the probe grid's box (the box the pictures show;
on a slice, the slice's box in slice coordinates):

- ``regions_total`` (S,): the exact regions of the hidden layers (``measure.regions``);
- ``regions_with_data`` (S,): distinct activation patterns among the run's points (every
  row of ``stage_00``, held-out points too; on a slice, every point of the probe grid on
  the slice: ``snapshot_networks.run_points``), from a plain forward pass of the steps;
- ``local_complexity`` (S,): the mean number of regions meeting the square of half-side
  ``r`` around each training point (held-out points excluded; on a slice, around each
  point of the probe grid, in slice coordinates);
- ``regions_near_boundary`` (S,): regions within ``r`` of the exact decision boundary;
- and every snapshot's polygons (``regions_vertices``, ``regions_vertex_count``), from which
  the training page and film draw the outlines (``outline_images``: through every stage).

Called by the fronts (api, cli) after training; ``training/`` never imports it (the layers
run the other way). 2-D inputs, or a plane through wider ones: the squares and the
boundary are planar. On a slice the slice's map folds into each snapshot's first layer
(``snapshot_networks``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..config.experiment import Experiment
from ..errors import InputError
from ..model.resolve import model_for
from ..tracing.trace import trace
from ..training.setup import DataSet, probe_for, probe_grid
from ..training.train import Training, probe_points
from . import polygons as pg
from .boundary import boundary_segments
from .box_pairs import Boxes, Grid, box_pairs
from .layer_split import MAX_REGIONS
from .linear_regions import Regions, cap_of, regions
from .snapshot_networks import run_points, snapshot_regions, snapshot_steps, snapshot_trace
from .snapshot_walk import SnapshotRegions
from .steps import SMOOTH, refuse_smooth

LC_SHARE = 0.01  # default r: 1% of the box's larger side
PAIR_CHUNK = 2_000_000  # (point, region) pairs tested at once: ~100 MB of float64 work
REGION_CHUNK = 16_384  # regions whose vertices' outputs are held at once (cache-sized)
CHECK_SIDE = 16  # the grid over a slice on which the initial network is traced to check it
GRID_MAX = 256  # cells per side of the grid that finds candidate pairs (box_pairs)


@dataclass(frozen=True)
class TrainingRegions:
    """The four curves of the module docstring, and the box and radius they were taken on."""

    total: np.ndarray  # (S,) int64
    with_data: np.ndarray  # (S,) int64
    local_complexity: np.ndarray  # (S,) float64
    near_boundary: np.ndarray  # (S,) int64
    lc_radius: float
    bounds: tuple[float, float, float, float]  # x0, x1, y0, y1
    # every snapshot's polygons, snapshot by snapshot (snapshot s owns regions_total[s]
    # consecutive regions), each counter-clockwise: what the outlines are drawn from
    vertices: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (V, 2)
    vertex_count: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # (R,)

    def named(self) -> dict[str, np.ndarray]:
        """training.npz's members, by name."""
        return {"regions_total": self.total, "regions_with_data": self.with_data,
                "local_complexity": self.local_complexity,
                "regions_near_boundary": self.near_boundary,
                "lc_radius": np.array(self.lc_radius, dtype=np.float64),
                "regions_bounds": np.array(self.bounds, dtype=np.float64),
                "regions_vertices": self.vertices, "regions_vertex_count": self.vertex_count}


def training_regions(training: Training, lc_radius: float | None = None,
                     max_regions: int | None = None) -> TrainingRegions:
    """The regions of every snapshot of ``training`` (see the module docstring): a chain's
    snapshots enumerated in one batched pass (``snapshot_walk``), a graph's one by one."""
    bounds = regions_box(training.experiment, training.data)
    r = radius(bounds, lc_radius)
    centres = run_points(training)[1]  # (N', 2) the squares' centres
    cap = MAX_REGIONS if max_regions is None else cap_of(max_regions)
    found, with_data = snapshot_regions(training, bounds, cap)
    count = len(training.snapshots)
    boxes = region_boxes(found, r, count)  # their cells found once, for both searches
    met = met_pairs(found, centres, r, boxes)[1]  # (pairs,) the region of each
    lc = np.bincount(found.snapshot[met], minlength=count) / max(1, len(centres))
    near = found.snapshot[near_regions(found, r, boxes)]
    order = np.argsort(found.snapshot, kind="stable")  # snapshot by snapshot
    valid = np.arange(found.verts.shape[1])[None, :] < found.count[order, None]
    return TrainingRegions(found.per_snapshot(count).astype(np.int64), with_data,
                           lc.astype(np.float64),
                           np.bincount(near, minlength=count).astype(np.int64), r, bounds,
                           found.verts[order][valid], found.count[order].astype(np.int32))


def snapshot_polygons(named: dict[str, np.ndarray], s: int
                      ) -> tuple[np.ndarray, np.ndarray] | None:
    """Snapshot ``s``'s polygons from ``TrainingRegions.named()`` (``Training.regions``):
    vertices (V, 2) and each region's vertex count (R,); None when they were not kept."""
    if "regions_vertex_count" not in named:
        return None
    total = np.asarray(named["regions_total"], dtype=np.int64)
    count = np.asarray(named["regions_vertex_count"], dtype=np.int64)
    first = int(total[:s].sum())  # the regions of the snapshots before s
    start = int(count[:first].sum())
    mine = count[first:first + int(total[s])]
    return np.asarray(named["regions_vertices"])[start:start + int(mine.sum())], mine


def outline_images(training: Training, s: int, vertices: np.ndarray) -> list[np.ndarray]:
    """Per stage (the input first): the vertices (V, 2) of snapshot ``s``'s polygons
    through its network, (V, d_k). The network is continuous, so a vertex's image is the
    image by the map of every region it bounds: the outlines' images in every stage. On
    a slice the vertices are slice coordinates; a graph's are traced as points."""
    steps = snapshot_steps(training, [s])
    if steps is None:
        return [np.asarray(st.points) for st in snapshot_trace(training, s, vertices).stages]
    h, out = vertices, [vertices]
    for step in steps[0]:
        if step.kind == "linear":
            assert step.weight is not None and step.bias is not None
            h = h @ step.weight.T + step.bias  # (V, d_in) -> (V, d_out)
        else:
            h = np.where(h > 0, h, step.slope * h)
        out.append(h)
    return out


def check_training_regions(experiment: Experiment, data: DataSet,
                           lc_radius: float | None = None,
                           max_regions: int | None = None) -> None:
    """Before training: refuse a radius that is not positive and finite, a smooth network,
    an input that is neither 2-D nor a plane through the data, and an initial network
    over the region cap (by estimate; on a slice, its trace on a grid over the slice)."""
    bounds = regions_box(experiment, data)
    radius(bounds, lc_radius)
    if experiment.network.activation in SMOOTH:
        refuse_smooth(experiment.network.activation, "network.activation")
    model = model_for(experiment).double()
    if data.frame is None:
        regions(model, bounds, max_regions=max_regions)
        return
    probe = probe_for(data, CHECK_SIDE)
    assert probe is not None
    regions(trace(model, probe_points(probe, data.points), device="cpu",
                  experiment=experiment), bounds, max_regions=max_regions)


def regions_box(experiment: Experiment, data: DataSet) -> tuple[float, float, float, float]:
    """The probe grid's box (the points' box and a 10% margin), or a slice's box (slice
    coordinates): x0, x1, y0, y1."""
    if data.frame is not None:
        x0, x1, y0, y1 = (float(v) for v in data.frame.box)  # training's slices are planes
        return (x0, x1, y0, y1)
    if data.points.dim != 2:
        raise InputError(f"regions through training need 2-D input or a plane through the "
                         f"data, and these points are {data.points.dim}-D; give --slice "
                         "I,J,K (or pca), or train without --regions", field="style.regions")
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


def grid_side(regions_per_snapshot: float) -> int:
    """Cells per side of ``box_pairs``'s grid: about one region per cell."""
    return int(np.clip(np.sqrt(max(regions_per_snapshot, 1.0)), 4, GRID_MAX))


def squares_met(found: Regions, centres: np.ndarray, r: float) -> np.ndarray:
    """(N,) how many regions meet the open square of half-side ``r`` around each centre."""
    one = _one_snapshot(found)
    point, _ = met_pairs(one, centres, r, region_boxes(one, r, 1))
    return np.bincount(point, minlength=len(centres))


def near_boundary(found: Regions, r: float) -> int:
    """How many regions lie within ``r`` of the decision boundary."""
    one = _one_snapshot(found)
    return int(near_regions(one, r, region_boxes(one, r, 1)).size)


def _one_snapshot(found: Regions) -> SnapshotRegions:
    a, c = found.affine  # (R, d_out, 2), (R, d_out)
    verts = pg.pad(found.verts, found.count, found.verts.shape[1])  # as walk_snapshots pads
    return SnapshotRegions(verts, found.count, np.zeros(len(found), dtype=np.int64),
                           a.transpose(0, 2, 1), c)


def region_boxes(found: SnapshotRegions, r: float, snapshots: int) -> Boxes:
    """Every region's bounding box grown by ``r``, on a grid of about one region a cell."""
    lo, hi = _extent(found.verts)
    a, b = lo.min(0) - r, hi.max(0) + r  # where the grid is laid
    side = grid_side(len(lo) / max(1, snapshots))
    grid = Grid((float(a[0]), float(b[0]), float(a[1]), float(b[1])), side, snapshots)
    return Boxes(lo - r, hi + r, found.snapshot, grid)


def met_pairs(found: SnapshotRegions, centres: np.ndarray, r: float, boxes: Boxes
              ) -> tuple[np.ndarray, np.ndarray]:
    """The (centre, region) pairs, each centre against every snapshot's regions, where
    the open square of half-side ``r`` around the centre meets the convex polygon: no
    separating axis among the square's two and each edge's normal."""
    verts, (valid, nxt) = found.verts, found.edges  # (R, M, 2), (R, M), (R, M, 2)
    n, snapshots = len(centres), boxes.grid.groups
    at = np.tile(centres, (snapshots, 1))  # (S N, 2) every centre in every snapshot
    q, pc = box_pairs(boxes, Boxes(at, at, np.repeat(np.arange(snapshots), n), boxes.grid))
    p = pc % max(1, n)  # the centre of each candidate pair
    nx, ny = nxt[..., 1] - verts[..., 1], verts[..., 0] - nxt[..., 0]  # (R, M) normals
    reach = r * (np.abs(nx) + np.abs(ny))  # (R, M) the square's half-extent on each normal
    # (R, M): a centre with n . c >= offset is outside the edge by r; past a polygon's
    # count, +inf: no padding edge separates
    offset = np.where(valid, nx * verts[..., 0] + ny * verts[..., 1] + reach, np.inf)
    met = np.zeros(len(q), dtype=bool)
    step = max(1, PAIR_CHUNK // verts.shape[1])
    for lo in range(0, len(q), step):  # (pairs, M) at a time
        qk, c = q[lo:lo + step], centres[p[lo:lo + step]]  # (k,), (k, 2)
        side_of = nx[qk] * c[:, :1] + ny[qk] * c[:, 1:] - offset[qk]  # (k, M)
        met[lo:lo + step] = (side_of < 0).all(1)  # outside no edge
    return p[met], q[met]


def near_regions(found: SnapshotRegions, r: float, boxes: Boxes) -> np.ndarray:
    """The regions (sorted indices) within ``r`` of their snapshot's decision boundary:
    the least distance between a region's edges and the boundary's segments, vertex to
    segment both ways (a segment lies in one region, so a region it does not touch is
    reached at ends)."""
    cross = crossed_by_boundary(found)  # the boundary is only computed where it can be
    seg, where = boundary_segments(found.verts[cross], found.count[cross],
                                   found.out_at[cross].transpose(0, 2, 1), found.out_c[cross])
    where = cross[where]
    if not len(seg):
        return np.zeros(0, dtype=np.int64)
    verts, (valid, nxt) = found.verts, found.edges
    q, b = box_pairs(boxes, Boxes(seg.min(1), seg.max(1), found.snapshot[where], boxes.grid))
    near = np.zeros(len(verts), dtype=bool)
    near[where] = True  # a region the boundary crosses is at distance 0
    q, b = q[~near[q]], b[~near[q]]  # only the others are measured
    for start in range(0, len(q), PAIR_CHUNK // 64):  # (pairs, M, M) of distances
        qk, bk = q[start:start + PAIR_CHUNK // 64], b[start:start + PAIR_CHUNK // 64]
        s = seg[bk]  # (k, 2, 2)
        d1 = _point_segment(verts[qk], s[:, None, 0], s[:, None, 1])  # (k, M)
        d2 = _point_segment(s[:, None, :, :], verts[qk][:, :, None], nxt[qk][:, :, None])
        d = np.where(valid[qk], np.minimum(d1, d2.min(-1)), np.inf)  # (k, M)
        near[qk[d.min(1) <= r]] = True
    return np.flatnonzero(near)


def crossed_by_boundary(found: SnapshotRegions) -> np.ndarray:
    """The regions (indices) whose vertices do not all have one decision: the output's
    sign (one output) or the argmax (several) differs, or a vertex is on a tie. With
    several outputs: some vertex where a class other than the first vertex's leader is
    level with it or ahead (one pass, no argmax per vertex)."""
    crossed = np.zeros(len(found.count), dtype=bool)
    for lo in range(0, len(crossed), REGION_CHUNK):  # cache-sized blocks of regions
        k = slice(lo, lo + REGION_CHUNK)
        v, a = found.verts[k], found.out_at[k]  # (p, M, 2), (p, 2, K)
        out = v[..., :1] * a[:, None, 0] + v[..., 1:] * a[:, None, 1] \
            + found.out_c[k][:, None, :]  # (p, M, K) the output at each vertex
        if out.shape[2] == 1:
            crossed[k] = (out[:, :1, 0] * out[..., 0] <= 0).any(1)  # a sign change or 0
            continue
        lead = out[:, 0].argmax(1)  # (p,) the first vertex's class
        level = np.take_along_axis(out, lead[:, None, None], 2)  # (p, M, 1) its output
        crossed[k] = ((out >= level).sum(2) > 1).any(1)  # another class level or ahead
    return np.flatnonzero(crossed)


def _extent(verts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each region's bounding box: low (R, 2) and high (R, 2) corners (the rows past a
    polygon's count are copies of its last vertex: ``polygons.pad``, which
    ``walk_snapshots`` and ``_one_snapshot`` apply). Vertex by vertex, (R, 2) at a time:
    a reduction over the middle axis of (R, M, 2) was 2.6x slower."""
    lo, hi = verts[:, 0].copy(), verts[:, 0].copy()
    for j in range(1, verts.shape[1]):
        np.minimum(lo, verts[:, j], out=lo)
        np.maximum(hi, verts[:, j], out=hi)
    return lo, hi


def _point_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points ``p`` to segments ``a``-``b`` (broadcast, last axis 2)."""
    ab, ap = b - a, p - a
    length = np.maximum((ab * ab).sum(-1), 1e-300)
    t = np.clip((ap * ab).sum(-1) / length, 0.0, 1.0)
    return np.linalg.norm(ap - t[..., None] * ab, axis=-1)
