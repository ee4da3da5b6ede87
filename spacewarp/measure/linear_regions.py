"""Exact linear regions of a piecewise-linear network on a 2-D box (or a 1-D interval).

Start from the box; carry each region's affine map ``x -> A x + c`` forward step by step;
at every activation, split every polygon by every neuron's line ``A_j x + c_j = 0``, all
polygons of the layer at once (``polygons.split``), in float64. Within a final region the
network is exactly affine, and the pattern of active neurons is constant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from torch import nn

from ..errors import InputError, LimitError
from ..tracing.trace import Trace
from . import polygons as pg
from .boundary import decision_boundary
from .graph_steps import graph_steps
from .graph_walk import walk_graph
from .steps import Step, is_chain, steps_of

MAX_REGIONS = 1_000_000  # polygons at any time: about 0.5 GB of vertices and maps


@dataclass(frozen=True)
class Regions:
    """The linear regions of a network on a box, with each region's map to every stage."""

    verts: np.ndarray  # (R, M, d0) padded vertices, counter-clockwise
    count: np.ndarray  # (R,) valid vertices per region
    patterns: np.ndarray  # (R, n_neurons) bool: the active neurons (slope 1), in layer order
    stage_maps: tuple[tuple[np.ndarray, np.ndarray], ...]  # per stage: A (R, d_k, d0), c (R, d_k)
    per_layer: tuple[int, ...]  # regions after each piecewise-linear layer
    bounds: tuple[float, ...]
    titles: tuple[str, ...] = ()  # stage titles, stage 0 = "Input"
    boundary: list[np.ndarray] = field(default_factory=list)  # decision boundary polylines

    def __len__(self) -> int:
        return len(self.count)

    @property
    def polygons(self) -> list[np.ndarray]:
        """Each region's vertices, (m, 2) counter-clockwise ((2, 1) intervals in 1-D)."""
        return [v[:m] for v, m in zip(self.verts, self.count, strict=True)]

    @property
    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """Each region's map to the output: A (R, d_out, d0), c (R, d_out)."""
        return self.stage_maps[-1]

    @property
    def areas(self) -> np.ndarray:
        """(R,) areas (lengths in 1-D)."""
        if self.verts.shape[2] == 1:
            return self.verts[:, 1, 0] - self.verts[:, 0, 0]
        return pg.areas(self.verts, self.count)

    def image(self, k: int) -> np.ndarray:
        """(R, M, d_k): every region's vertices mapped to stage k by its own affine map."""
        a, c = self.stage_maps[k]
        return np.einsum("rkd,rmd->rmk", a, self.verts) + c[:, None, :]

    def area_change(self, k: int) -> np.ndarray:
        """(R,) |det A| of each region's map to a 2-D stage k (NaN for other widths)."""
        a = self.stage_maps[k][0]
        if a.shape[1] != a.shape[2]:
            return np.full(len(self), np.nan)
        return np.abs(np.linalg.det(a))

    @property
    def breakpoints(self) -> np.ndarray:
        """1-D input: the sorted points inside the interval where the map bends."""
        ends = np.unique(self.verts[:, :, 0])
        return ends[(ends > self.bounds[0]) & (ends < self.bounds[1])]


def regions(model_or_trace: nn.Module | Trace,
            bounds: tuple[float, ...] | None = None) -> Regions:
    """The exact linear regions of a piecewise-linear network on ``bounds``.

    ``bounds`` is ``(x0, x1, y0, y1)`` for 2-D input, ``(x0, x1)`` for 1-D; a trace
    defaults to the box of its input points.
    """
    if isinstance(model_or_trace, Trace) and model_or_trace.frame is not None:
        raise InputError("exact regions of a slice are not made yet; draw the slice without "
                         "--regions, or regions of the network on a 2-D input",
                         field="input.slice")
    if isinstance(model_or_trace, nn.Module) and not isinstance(model_or_trace, nn.Sequential):
        model_or_trace = _probe_trace(model_or_trace, bounds)  # its graph, from a probe grid
    graph = isinstance(model_or_trace, Trace) and not is_chain(model_or_trace)
    if graph:  # residual adds, concatenations, maxima: each stage from its own inputs
        assert isinstance(model_or_trace, Trace)
        d0 = model_or_trace.stages[0].dim
        gsteps = graph_steps(model_or_trace)
        titles = tuple(s.title for s in model_or_trace.stages)
    else:
        steps, d0 = steps_of(model_or_trace)
        titles = ("Input", *(s.title for s in steps))
    bounds = _bounds(model_or_trace, bounds, d0)
    verts, count = pg.box(bounds) if d0 == 2 else pg.interval(bounds)  # type: ignore[arg-type]
    if graph:
        v, m, bits, maps, per_layer = walk_graph(gsteps, verts, count)
        walk: Walk = (v, m, bits, tuple(maps), per_layer)
    else:
        walk = _walk(steps, verts, count)
    boundary = decision_boundary(walk[0], walk[1], *walk[3][-1]) if d0 == 2 else []
    return Regions(walk[0], walk[1], walk[2], walk[3], walk[4], tuple(bounds), titles,
                   boundary)


PROBE_SIDE = 64  # probe grid per side on which a model object's graph is captured and checked


def _probe_trace(model: nn.Module, bounds: tuple[float, ...] | None) -> Trace:
    """A model that is not an ``nn.Sequential``, captured on a probe grid over ``bounds``
    (every graph step is read off and checked on these points)."""
    from ..inputs.points import Points
    from ..tracing.trace import trace

    if bounds is None or len(bounds) not in (2, 4):
        raise InputError("give bounds (x0, x1, y0, y1) for the regions of a model",
                         field="regions.bounds")
    _bounds(model, bounds, len(bounds) // 2)  # a box, before any work
    axes = [np.linspace(float(bounds[2 * i]), float(bounds[2 * i + 1]), PROBE_SIDE)
            for i in range(len(bounds) // 2)]
    x = np.stack([a.ravel() for a in np.meshgrid(*axes)], axis=1)  # (m, d0)
    return trace(model, Points(x, np.zeros(len(x))), device="cpu")


def _bounds(source: nn.Module | Trace, bounds: tuple[float, ...] | None,
            d0: int) -> tuple[float, ...]:
    if d0 not in (1, 2):
        raise InputError(f"exact regions need 1-D or 2-D input, and this network takes "
                         f"{d0}-D input", field="input")
    if bounds is None:
        if not isinstance(source, Trace):
            raise InputError("give bounds (x0, x1, y0, y1) for the regions of a model",
                             field="regions.bounds")
        x = source.stages[0].points
        bounds = tuple(v for lo, hi in zip(x.min(0), x.max(0), strict=True) for v in (lo, hi))
    b = tuple(float(v) for v in bounds)
    if len(b) != 2 * d0 or not all(np.isfinite(b)) or any(
            b[2 * i] >= b[2 * i + 1] for i in range(d0)):
        want = "x0,x1,y0,y1" if d0 == 2 else "x0,x1"
        raise InputError(f"bounds {b} are not a box; give {want} with x0 < x1"
                         + (" and y0 < y1" if d0 == 2 else ""), field="regions.bounds")
    return b


Walk = tuple[np.ndarray, np.ndarray, np.ndarray, tuple[tuple[np.ndarray, np.ndarray], ...],
             tuple[int, ...]]


def _walk(steps: list[Step], verts: np.ndarray, count: np.ndarray) -> Walk:
    """Carry the polygons through every step; returns the final regions and their maps."""
    d0 = verts.shape[2]
    a = np.eye(d0)[None]  # (P, d_k, d0): the map from the input to the current stage
    c = np.zeros((1, d0))  # (P, d_k)
    maps: list[tuple[np.ndarray, np.ndarray]] = [(a, c)]
    anc = np.zeros((1, 1), dtype=np.int64)  # (P, stages so far): row of each stage's map
    bits: list[tuple[int, np.ndarray]] = []  # (stage, (P_k, d_k) active) per activation
    per_layer: list[int] = []
    for step in steps:
        if step.kind == "linear":
            assert step.weight is not None and step.bias is not None
            a = np.einsum("ij,pjd->pid", step.weight, a)
            c = c @ step.weight.T + step.bias
        elif step.slope != 1.0:
            verts, count, src = _split_all(verts, count, a, c, d0)
            a, c, anc = a[src], c[src], anc[src]
            active = _active(verts, count, a, c)  # (P, d_k)
            a = np.where(active[..., None], a, step.slope * a)
            c = np.where(active, c, step.slope * c)
            bits.append((len(maps), active))
            per_layer.append(len(count))
        maps.append((a, c))
        anc = np.concatenate([anc, np.arange(len(count))[:, None]], axis=1)
    stage_maps = tuple((m[0][anc[:, k]], m[1][anc[:, k]]) for k, m in enumerate(maps))
    patterns = (np.concatenate([b[anc[:, k]] for k, b in bits], axis=1) if bits
                else np.zeros((len(count), 0), dtype=bool))
    return verts, count, patterns, stage_maps, tuple(per_layer)


def _split_all(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray,
               d0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split every polygon by every neuron's line; ``src`` maps pieces to the polygons given."""
    split = pg.split if d0 == 2 else pg.split_interval
    src = np.arange(len(count))
    for j in range(a.shape[1]):
        s = np.einsum("pmd,pd->pm", verts, a[src, j]) + c[src, j][:, None]  # (P, M)
        verts, count, piece_src, _ = split(verts, count, s)
        src = src[piece_src]
        if len(count) > MAX_REGIONS:
            raise LimitError(f"the network cuts the box into more than {MAX_REGIONS:,} "
                             "linear regions; use a smaller box or fewer, narrower layers",
                             field="network.layers")
    return verts, count, src


def _active(verts: np.ndarray, count: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(P, d_k) which pre-activations are positive inside each polygon (at its centroid)."""
    valid = (np.arange(verts.shape[1])[None, :] < count[:, None])[..., None]
    centre = np.where(valid, verts, 0.0).sum(axis=1) / count[:, None]  # (P, d0)
    return np.einsum("pkd,pd->pk", a, centre) + c > 0
