"""Exact regions through a chain of steps: linear layers and piecewise-linear activations.

Start from the box; at every activation, cut every polygon by every neuron's line
``A_j x + c_j = 0`` (``layer_split``), in float64. Within a final region the network is
exactly affine, and the pattern of active neurons is constant. Each stage's maps are kept
compact (``StageMap``): ``rows`` (P, stages) holds each polygon's row in every stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layer_split import patterns_of, split_active
from .stage_map import StageMap
from .steps import Step


@dataclass(frozen=True)
class Walk:
    verts: np.ndarray  # (R, M, d0) the final polygons, padded
    count: np.ndarray  # (R,) valid vertices
    patterns: np.ndarray  # (R, n_neurons) bool, in layer order
    maps: tuple[StageMap, ...]  # per stage
    rows: np.ndarray  # (R, stages) each region's row in each stage's maps
    per_layer: tuple[int, ...]  # regions after each piecewise-linear layer


def walk_chain(steps: list[Step], verts: np.ndarray, count: np.ndarray, cap: int) -> Walk:
    """Carry the polygons through every step; the final regions and their maps."""
    d0 = verts.shape[2]
    maps = [StageMap(np.eye(d0)[None], np.zeros((1, d0)))]
    rows = np.zeros((len(count), 1), dtype=np.int64)
    bits: list[tuple[int, np.ndarray]] = []  # (stage, its ``on``): they make the patterns
    per_layer: list[int] = []
    for step in steps:
        if step.kind == "linear":
            assert step.weight is not None and step.bias is not None
            maps.append(maps[-1].then_linear(step.weight, step.bias))
            rows = np.concatenate([rows, rows[:, -1:]], axis=1)
        elif step.slope == 1.0:  # identity: the same map
            maps.append(maps[-1])
            rows = np.concatenate([rows, rows[:, -1:]], axis=1)
        else:
            pre = maps[-1].plain()
            cut = split_active(verts, count, pre.at, pre.c, rows[:, -1], cap)
            verts, count, rows = cut.verts, cut.count, rows[cut.src]
            maps[-1] = pre
            maps.append(StageMap(pre.at, pre.c, rows[:, -1], cut.on, step.slope,
                                 (cut.src, cut.sides)))
            rows = np.concatenate([rows, np.arange(len(count))[:, None]], axis=1)
            bits.append((len(maps) - 1, cut.on))
            per_layer.append(len(count))
    patterns = patterns_of(len(count), bits, rows)
    return Walk(verts, count, patterns, tuple(maps), rows, tuple(per_layer))


def cut_output(walk: Walk, cap: int) -> Walk:
    """The regions cut along each output's zero set too: the output's signs end the
    patterns, and every stage's rows follow their pieces."""
    out = walk.maps[-1].plain()
    row = walk.rows[:, -1]
    cut = split_active(walk.verts, walk.count, out.at, out.c, row, cap)
    verts, count, src, signs = cut.verts, cut.count, cut.src, cut.on  # signs: (R, d_out)
    rows = walk.rows[src]
    maps = (*walk.maps[:-1], out)
    return Walk(verts, count, np.concatenate([walk.patterns[src], signs], axis=1), maps,
                rows, (*walk.per_layer, len(count)))
