"""Exact linear regions of a piecewise-linear network on a 2-D box (or a 1-D interval).

Start from the box; carry each region's affine map ``x -> A x + c`` forward step by step
(``chain_walk``, or ``graph_walk`` for a captured graph); at every activation, cut every
polygon by the lines of the neurons that cross it (``layer_split``), in float64. Within a
final region the network is exactly affine, and the pattern of active neurons is constant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from torch import nn

from ..errors import InputError
from ..tracing.trace import Trace
from . import polygons as pg
from .boundary import decision_boundary
from .chain_walk import Walk, walk_chain
from .chain_walk import cut_output as cut_along_output
from .graph_steps import graph_steps
from .graph_walk import walk_graph
from .layer_split import MAX_REGIONS
from .ordinary_pages import ordinary_pages
from .stage_map import StageMap
from .steps import AFFINE_IN_EVAL, LEAKY, PIECEWISE, is_chain, steps_of


@dataclass(frozen=True)
class Regions:
    """The linear regions of a network on a box, with each region's map to every stage."""

    verts: np.ndarray  # (R, M, d0) padded vertices, counter-clockwise
    count: np.ndarray  # (R,) valid vertices per region
    patterns: np.ndarray  # (R, n_neurons) bool: the active neurons (slope 1), in layer order
    maps: tuple[StageMap, ...]  # per stage, compact (stage_map(k) expands one)
    rows: np.ndarray  # (R, stages) each region's row in each stage's maps
    per_layer: tuple[int, ...]  # regions after each piecewise-linear layer
    bounds: tuple[float, ...]
    titles: tuple[str, ...] = ()  # stage titles, stage 0 = "Input"
    cut_output: bool = False  # also cut along each output's zero set (its signs end patterns)

    def __len__(self) -> int:
        return len(self.count)

    @property
    def polygons(self) -> list[np.ndarray]:
        """Each region's vertices, (m, 2) counter-clockwise ((2, 1) intervals in 1-D)."""
        return [v[:m] for v, m in zip(self.verts, self.count, strict=True)]

    @property
    def counted(self) -> str:
        """What the count counts, for titles: the hidden layers' activation patterns, and
        whether the output's zero set (or a classifier's argmax boundary) cuts them."""
        hidden = len(self.per_layer) - int(self.cut_output)
        layers = f"{hidden} hidden layer{'' if hidden == 1 else 's'}"
        outputs = self.maps[-1].c.shape[1]
        if self.cut_output:
            cut = "cut along the output's zero set" if outputs == 1 else \
                  "cut along each output's zero set, not the argmax boundary"
        else:
            cut = "the output's zero set not cut" if outputs == 1 else \
                  "the argmax boundary not cut"
        return f"activation patterns of the {layers}; {cut}"

    def stage_map(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Each region's map to stage k: A (R, d_k, d0), c (R, d_k)."""
        return self.maps[k].take(self.rows[:, k])

    @cached_property
    def boundary(self) -> list[np.ndarray]:
        """The decision boundary as polylines (n, 2), drawn exactly region by region:
        computed when first asked for (counting regions does not need it); [] in 1-D."""
        if self.verts.shape[2] != 2:
            return []
        return decision_boundary(self.verts, self.count, *self.affine)

    @cached_property
    def stage_maps(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """Every stage's ``stage_map``, expanded once when first asked for."""
        return tuple(self.stage_map(k) for k in range(len(self.maps)))

    @property
    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """Each region's map to the output: A (R, d_out, d0), c (R, d_out)."""
        return self.stage_map(len(self.maps) - 1)

    @property
    def areas(self) -> np.ndarray:
        """(R,) areas (lengths in 1-D)."""
        if self.verts.shape[2] == 1:
            return self.verts[:, 1, 0] - self.verts[:, 0, 0]
        return pg.areas(self.verts, self.count)

    def image(self, k: int) -> np.ndarray:
        """(R, M, d_k): every region's vertices mapped to stage k by its own affine map."""
        a, c = self.stage_map(k)
        return np.einsum("rkd,rmd->rmk", a, self.verts) + c[:, None, :]

    def area_change(self, k: int) -> np.ndarray:
        """(R,) |det A| of each region's map to a 2-D stage k (NaN for other widths)."""
        a = self.stage_map(k)[0]
        if a.shape[1] != a.shape[2]:
            return np.full(len(self), np.nan)
        return np.abs(np.linalg.det(a))

    @property
    def breakpoints(self) -> np.ndarray:
        """1-D input: the sorted points inside the interval where the map bends."""
        ends = np.unique(self.verts[:, :, 0])
        return ends[(ends > self.bounds[0]) & (ends < self.bounds[1])]


def regions(model_or_trace: nn.Module | Trace, bounds: tuple[float, ...] | None = None,
            max_regions: int | None = None, cut_output: bool = False) -> Regions:
    """The exact linear regions of a piecewise-linear network on ``bounds``.

    ``bounds`` is ``(x0, x1, y0, y1)`` for 2-D input, ``(x0, x1)`` for 1-D; a trace
    defaults to the box of its input points. More than ``max_regions`` (default
    ``MAX_REGIONS``) is refused, by estimate before each layer's cuts and by count while
    cutting. ``cut_output`` also cuts every region along each output's zero set (as tools
    that count the output's level set do); the output's signs then end the patterns.
    """
    if isinstance(model_or_trace, Trace):
        model_or_trace = without_final_softmax(model_or_trace)
    cap = MAX_REGIONS if max_regions is None else cap_of(max_regions)
    if isinstance(model_or_trace, nn.Module) and not isinstance(model_or_trace, nn.Sequential):
        model_or_trace = _probe_trace(model_or_trace, bounds)  # its graph, from a probe grid
    graph = isinstance(model_or_trace, Trace) and _needs_graph(model_or_trace)
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
    with ordinary_pages():  # (huge pages made its first touches wait: see ordinary_pages)
        if graph:
            walk = Walk(*walk_graph(gsteps, verts, count, cap))
        else:
            walk = walk_chain(steps, verts, count, cap)
        if cut_output:
            walk = cut_along_output(walk, cap)
    return Regions(walk.verts, walk.count, walk.patterns, walk.maps, walk.rows,
                   walk.per_layer, tuple(bounds), titles, cut_output)


# stages the chain walk (compact maps) takes; anything else goes through graph_walk
CHAIN_KINDS = frozenset({"linear", LEAKY, *PIECEWISE, *AFFINE_IN_EVAL})
SOFTMAXES = ("softmax", "logsoftmax", "log_softmax")


def _needs_graph(trace: Trace) -> bool:
    """Residual adds, concatenations, maxima, convolutions and poolings (and the refusals
    that name a stage) are read as a graph."""
    return not is_chain(trace) or any(s.kind not in CHAIN_KINDS for s in trace.stages[1:])


def without_final_softmax(trace: Trace) -> Trace:
    """A classifier's final softmax keeps its argmax: regions end at the logits (a softmax
    anywhere else is refused by name)."""
    if len(trace.stages) > 2 and trace.stages[-1].kind in SOFTMAXES:
        return replace(trace, stages=trace.stages[:-1], anchors=trace.anchors[:-1],
                       data=trace.data[:-1])
    return trace


def cap_of(max_regions: int) -> int:
    """``max_regions`` checked: a whole number of regions, 1 or more."""
    if not (isinstance(max_regions, int | np.integer | float) and np.isfinite(max_regions)
            and max_regions >= 1 and float(max_regions).is_integer()):
        raise InputError(f"max_regions {max_regions!r} is not a whole number of regions; "
                         "give one of 1 or more, e.g. 1e6", field="regions.max_regions")
    return int(max_regions)


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
