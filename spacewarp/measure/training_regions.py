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
from .boundary import boundary_segments
from .layer_split import MAX_REGIONS
from .linear_regions import Regions, cap_of, regions
from .ordinary_pages import ordinary_pages
from .snapshot_networks import run_points, snapshot_regions, snapshot_steps, snapshot_trace
from .snapshot_walk import SnapshotRegions
from .steps import SMOOTH, refuse_smooth

LC_SHARE = 0.01  # default r: 1% of the box's larger side
CHECK_SIDE = 16  # the grid over a slice on which the initial network is traced to check it
GRID_MAX = 256  # cells per side of the compiled searches' grids, at most


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
    snapshots enumerated in batches of one walk (``snapshot_walk``), a graph's one by
    one; each part measured where it lies (no copy of every polygon into one array)."""
    bounds = regions_box(training.experiment, training.data)
    r = radius(bounds, lc_radius)
    centres = run_points(training)[1]  # (N', 2) the squares' centres
    cap = MAX_REGIONS if max_regions is None else cap_of(max_regions)
    with ordinary_pages():  # (as regions(): huge pages made its first touches wait)
        parts, with_data = snapshot_regions(training, bounds, cap)
    count = len(training.snapshots)
    total, met, near = np.zeros(count, np.int64), np.zeros(count), np.zeros(count, np.int64)
    vertices, vertex_count = [np.zeros((0, 2))], [np.zeros(0, np.int32)]
    for found in parts:  # in snapshot order
        total += found.per_snapshot(count)
        met += np.bincount(found.snapshot, weights=met_counts(found, centres, r)[0],
                           minlength=count)  # (S,) (centre, region) pairs met
        near += np.bincount(found.snapshot[near_regions(found, r)], minlength=count)
        order = np.argsort(found.snapshot, kind="stable")  # snapshot by snapshot
        vertices.append(vertices_of(found, order))
        vertex_count.append(found.count[order].astype(np.int32))
    return TrainingRegions(total, with_data, met / max(1, len(centres)), near, r, bounds,
                           np.concatenate(vertices), np.concatenate(vertex_count))


def vertices_of(found: SnapshotRegions, order: np.ndarray) -> np.ndarray:
    """(V, 2) the vertices of the regions ``order``, region after region: one gather of
    rows of the flat (P M, 2) vertices, no (P, M, 2) copy."""
    m = found.count[order].astype(np.int64)  # (R,)
    first = order * found.verts.shape[1] - np.cumsum(m) + m  # (R,) flat row - output row
    return found.verts.reshape(-1, 2)[np.arange(int(m.sum())) + np.repeat(first, m)]


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


def squares_met(found: Regions, centres: np.ndarray, r: float) -> np.ndarray:
    """(N,) how many regions meet the open square of half-side ``r`` around each centre."""
    return met_counts(_one_snapshot(found), centres, r)[1]


def near_boundary(found: Regions, r: float) -> int:
    """How many regions lie within ``r`` of the decision boundary."""
    return int(near_regions(_one_snapshot(found), r).size)


def _one_snapshot(found: Regions) -> SnapshotRegions:
    a, c = found.affine  # (R, d_out, 2), (R, d_out)
    return SnapshotRegions(found.verts, found.count, np.zeros(len(found), dtype=np.int64),
                           a.transpose(0, 2, 1), c)


def met_counts(found: SnapshotRegions, centres: np.ndarray, r: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Where the open square of half-side ``r`` around a centre meets a region's convex
    polygon (no separating axis among the square's two and each edge's normal), each
    centre against every snapshot's regions: how many centres each region (P,) meets,
    and how many regions each centre (N,) meets. Candidates from a grid over the
    centres, about one a cell (``training_regions_loops.squares_met``)."""
    from . import training_regions_loops as loops  # numba: imported where regions are counted

    centres = np.ascontiguousarray(centres, dtype=np.float64)
    if not len(centres):
        return np.zeros(len(found.count), np.int64), np.zeros(0, np.int64)
    side = int(np.clip(np.sqrt(len(centres)), 1, GRID_MAX))
    return loops.squares_met(*_polygons(found), centres, float(r),
                             grid_over(centres.min(0), centres.max(0), side))


def near_regions(found: SnapshotRegions, r: float) -> np.ndarray:
    """The regions (sorted indices) within ``r`` of their snapshot's decision boundary:
    those it crosses, and those whose least distance to its segments, vertex to segment
    both ways, is at most r (a segment lies in one region, so a region it does not touch
    is reached at ends; ``training_regions_loops.near_segments``)."""
    from . import training_regions_loops as loops  # numba: imported where regions are counted

    cross = crossed_by_boundary(found)  # the boundary is only computed where it can be
    seg, where = boundary_segments(found.verts[cross], found.count[cross],
                                   found.out_at[cross].transpose(0, 2, 1), found.out_c[cross])
    where = cross[where]
    if not len(seg):
        return np.zeros(0, dtype=np.int64)
    near = np.zeros(len(found.count), dtype=bool)
    near[where] = True  # a region the boundary crosses is at distance 0
    first = int(found.snapshot.min())  # the table's snapshots: first .. first + span - 1
    span = int(found.snapshot.max()) - first + 1
    side = int(np.clip(np.sqrt(len(seg) / span), 1, GRID_MAX))  # a segment a cell
    grid = grid_over(seg.min((0, 1)), seg.max((0, 1)), side)
    verts, count = _polygons(found)
    return np.flatnonzero(loops.near_segments(
        verts, count, _int64(found.snapshot - first), near,
        np.ascontiguousarray(seg, dtype=np.float64), _int64(found.snapshot[where] - first),
        float(r), grid, span))


def crossed_by_boundary(found: SnapshotRegions) -> np.ndarray:
    """The regions (indices) whose vertices do not all have one decision: the output's
    sign (one output) or the argmax (several) differs, or a vertex is on a tie. With
    several outputs: some vertex where a class other than the first vertex's leader is
    level with it or ahead (one pass, no argmax per vertex)."""
    from . import training_regions_loops as loops  # numba: imported where regions are counted

    return np.flatnonzero(loops.crossed(*_polygons(found),
                                        np.ascontiguousarray(found.out_at, dtype=np.float64),
                                        np.ascontiguousarray(found.out_c, dtype=np.float64)))


def grid_over(lo: np.ndarray, hi: np.ndarray, side: int) -> np.ndarray:
    """The grid of the compiled searches over the box lo (2,) .. hi (2,): x0, y0, the
    cells' width and height (1 where the box is flat), and ``side`` cells a side."""
    size = (hi - lo) / side
    size = np.where(size > 0, size, 1.0)
    return np.array([lo[0], lo[1], size[0], size[1], side], dtype=np.float64)


def _polygons(found: SnapshotRegions) -> tuple[np.ndarray, np.ndarray]:
    """The polygons as the compiled loops take them: verts (P, M, 2) float64, count (P,)
    int64 (one type each: one compiled version)."""
    return np.ascontiguousarray(found.verts, dtype=np.float64), _int64(found.count)


def _int64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)
