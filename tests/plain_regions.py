"""A plain reference for the exact regions of a small ReLU network on a box (tests, bench).

Written apart from spacewarp.measure and as plainly as possible: one polygon at a time,
one neuron at a time, pure-Python half-plane clipping of a vertex list. A layer's
pre-activations are taken from the torch model itself at the polygon's vertices (a
forward pass of the model's prefix), and carried to a new vertex by interpolating along
its edge: inside the polygon the layer is affine, so this is exact. Slow: small networks.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

ON_LINE = 1e-10  # a vertex value within this fraction of the polygon's largest is on it


def plain_regions(model: nn.Sequential, box: tuple[float, float, float, float],
                  cut_output: bool = False) -> list[tuple[list[tuple[float, float]], tuple]]:
    """[(polygon vertices, pattern)] for a chain of ``nn.Linear`` and ``nn.ReLU``."""
    x0, x1, y0, y1 = box
    pieces = [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]]
    cuts = [k for k, m in enumerate(model) if isinstance(m, nn.ReLU)]  # pre-activations
    if cut_output:
        cuts.append(len(model))
    for k in cuts:
        layer = model[:k]
        pieces = [q for poly in pieces for q in _cut_by_layer(poly, layer)]
    centres = [tuple(np.mean(poly, axis=0)) for poly in pieces]
    signs = np.concatenate([_forward(model[:k], centres) > 0 for k in cuts], axis=1)
    return [(poly, tuple(map(bool, bits))) for poly, bits in zip(pieces, signs, strict=True)]


def _cut_by_layer(poly: list[tuple[float, float]], prefix: nn.Sequential
                  ) -> list[list[tuple[float, float]]]:
    """One polygon cut by every neuron of the layer that ends ``prefix``."""
    values = _forward(prefix, poly)  # one row of the layer's values per vertex
    pieces = [(poly, values)]
    for j in range(values.shape[1]):
        pieces = [part for p, v in pieces for part in _clip_both(p, v, j)]
    return [p for p, _ in pieces]


def _clip_both(poly: list[tuple[float, float]], values: np.ndarray, j: int) -> list:
    s = values[:, j]
    scale = max(abs(float(v)) for v in s)
    s = np.where(np.abs(s) <= ON_LINE * scale, 0.0, s)
    if not (s > 0).any() or not (s < 0).any():
        return [(poly, values)]
    return [_half(poly, values, s, +1), _half(poly, values, s, -1)]


def _half(poly: list[tuple[float, float]], values: np.ndarray, s: np.ndarray,
          sign: int) -> tuple[list[tuple[float, float]], np.ndarray]:
    """Sutherland-Hodgman against one half-plane, carrying every vertex's values."""
    out, out_values = [], []
    n = len(poly)
    for i in range(n):
        k = (i + 1) % n
        if sign * s[i] >= 0:
            out.append(poly[i])
            out_values.append(values[i])
        if s[i] * s[k] < 0:
            t = s[i] / (s[i] - s[k])
            out.append((poly[i][0] + t * (poly[k][0] - poly[i][0]),
                        poly[i][1] + t * (poly[k][1] - poly[i][1])))
            out_values.append(values[i] + t * (values[k] - values[i]))
    return out, np.array(out_values)


def _forward(prefix: nn.Sequential, points: list[tuple[float, float]]) -> np.ndarray:
    with torch.no_grad():
        return prefix(torch.tensor(points, dtype=torch.float64)).numpy()
