"""Jacobian measures: what the prefix map input -> stage k does around every point.

``J_k(x)`` (d_k, d_0) of the map from the input to stage k, for every point and stage at
once: ``d_0`` forward-mode JVPs through ``trace.program`` (one per input direction, under
``vmap``) give every stage's Jacobian columns in one pass, in float64; a chain of linear
and element-wise stages has them carried forward exactly in NumPy (``forward.py``). From it:

- singular values (stretch along the principal directions, largest first);
- log area change (sum of log singular values; length in 1-D, volume in 3-D);
- anisotropy (largest / smallest singular value);
- rank, a singular value counting when above ``RANK_RTOL * sigma_1 + RANK_ATOL``:
  collapse is rank below min(d_0, d_k);
- for square maps, ``det J_k < 0``: the stage folded space over (orientation reversed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.func import jvp, vmap

from ..errors import NetworkError
from ..tracing.trace import Trace
from .forward import forward_columns

RANK_RTOL = 1e-6  # relative to the point's largest singular value
RANK_ATOL = 1e-12
CHUNK_BYTES = 400_000_000  # Jacobian columns of every stage held at once, per JVP pass


@dataclass(frozen=True)
class Measures:
    """Per stage k, per point: the Jacobian's singular values and what follows from them."""

    singular_values: tuple[np.ndarray, ...]  # (N, min(d_0, d_k)) descending
    log_area: tuple[np.ndarray, ...]  # (N,) sum of log singular values (-inf when collapsed)
    anisotropy: tuple[np.ndarray, ...]  # (N,) sigma_max / sigma_min (inf when collapsed)
    rank: tuple[np.ndarray, ...]  # (N,) int
    folded: tuple[np.ndarray | None, ...]  # (N,) bool det J_k < 0, None for non-square maps
    rank_rtol: float = RANK_RTOL

    def collapsed(self, k: int) -> np.ndarray:
        """(N,) bool: the stage lost a dimension at this point."""
        return self.rank[k] < self.singular_values[k].shape[1]

    def summary(self, k: int) -> str:
        """One line for stage k's title: "area x0.02 (median), 31% folded, 12% collapsed"."""
        word = {1: "length", 2: "area"}.get(self.singular_values[0].shape[1], "volume")
        change = float(np.exp(np.median(self.log_area[k])))
        parts = [f"{word} x{change:.2g} (median)"]
        fold = self.folded[k]
        if fold is not None:
            parts.append(f"{100 * fold.mean():.0f}% folded")
        parts.append(f"{100 * self.collapsed(k).mean():.0f}% collapsed")
        return ", ".join(parts)


def measures(trace: Trace) -> Measures:
    """Jacobian measures of every point at every stage of ``trace``."""
    if trace.program is None:
        raise NetworkError("this trace has no differentiable program, so its Jacobians "
                           "cannot be measured; trace the model with spacewarp.tracing.trace",
                           field="network")
    x = trace.stages[0].points
    per_point = 8 * x.shape[1] * sum(s.dim for s in trace.stages)  # bytes of columns
    size = max(1, CHUNK_BYTES // per_point)  # 1e6 points for the default network
    chunks = [_chunk(trace, x[i:i + size], slice(i, i + size)) for i in range(0, len(x), size)]
    stages = range(len(trace.stages))
    sv, la, an, rk = ([_join([c[k][f] for c in chunks]) for k in stages] for f in range(4))
    folded = [None if chunks[0][k][4] is None else _join([c[k][4] for c in chunks])
              for k in stages]
    return Measures(tuple(sv), tuple(la), tuple(an), tuple(rk), tuple(folded))


Derived = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]


def _join(parts: list[np.ndarray | None]) -> np.ndarray:
    arrays = [p for p in parts if p is not None]
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def jacobians(trace: Trace, x: np.ndarray) -> list[np.ndarray]:
    """(n, d_0) -> per stage (n, d_k, d_0): every stage's Jacobian at every point."""
    return [np.moveaxis(c, 0, 2) for c in _columns(trace, x)]


def _columns(trace: Trace, x: np.ndarray) -> list[np.ndarray]:
    """(n, d_0) -> per stage (d_0, n, d_k): the Jacobian's columns, one JVP per input axis."""
    assert trace.program is not None
    program = trace.program
    xt = torch.tensor(x, dtype=torch.float64)  # a copy: x may be read-only
    d0 = xt.shape[1]
    basis = torch.eye(d0, dtype=torch.float64)[:, None, :].expand(d0, *xt.shape)  # (d0, n, d0)

    def columns(t: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return jvp(program, (xt,), (t,))[1]

    with torch.no_grad():
        cols = vmap(columns)(basis.contiguous())  # per stage (d0, n, d_k)
    if len(cols) != len(trace.stages):
        raise NetworkError(f"the trace's program gives {len(cols)} stages but the trace has "
                           f"{len(trace.stages)}; trace the model again", field="network")
    return [c.cpu().numpy() for c in cols]


def _chunk(trace: Trace, x: np.ndarray, rows: slice) -> list[Derived]:
    """Every stage's measures for a chunk of points, ``trace``'s rows ``rows`` (stage 0, the
    identity, written down). Chains of linear and element-wise stages carry the columns
    forward in NumPy (``forward.py``); anything else goes through ``torch.func``."""
    carried = forward_columns(trace, x, rows)
    cols = [x] + carried if carried is not None else _columns(trace, x)
    n, d0 = x.shape
    identity = (np.ones((n, d0)), np.zeros(n), np.ones(n), np.full(n, d0), np.zeros(n, bool))
    return [identity] + [_derived(c, singular_values_batch(c)) for c in cols[1:]]


def _derived(cols: np.ndarray, sv: np.ndarray) -> Derived:
    """Columns (d_0, n, d_k), singular values (n, r) -> (sv, log_area, anisotropy, rank,
    folded or None)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        anisotropy = sv[:, 0] / sv[:, -1]
        # column by column: a reduction along a short axis is slow
        log_area = np.log(sv[:, 0] * sv[:, 1] if sv.shape[1] == 2 else sv.prod(axis=1))
    tol = RANK_RTOL * sv[:, 0] + RANK_ATOL
    rank = (sv[:, 0] > tol).astype(np.int64)
    for j in range(1, sv.shape[1]):
        rank += sv[:, j] > tol
    square = cols.shape[0] == cols.shape[2]
    return sv, log_area, anisotropy, rank, (_det(cols) < 0) if square else None


def singular_values_batch(cols: np.ndarray) -> np.ndarray:
    """Columns (d_0, n, d_k) -> (n, min(d_k, d_0)) descending; closed form for two columns."""
    d0, n, dk = cols.shape
    if d0 == 1:
        return np.sqrt(np.einsum("nk,nk->n", cols[0], cols[0]))[:, None]
    if dk == 1:
        return np.sqrt(np.einsum("dn,dn->n", cols[..., 0], cols[..., 0]))[:, None]
    if d0 == 2:
        return _two_column_sv(cols[0], cols[1])
    return np.linalg.svd(np.moveaxis(cols, 0, 2), compute_uv=False)


def _two_column_sv(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Columns (n, d_k) each: sigma_1 from the 2x2 Gram matrix, sigma_1 * sigma_2 from the
    2x2 minors (Cauchy-Binet), so a small sigma_2 keeps its relative accuracy."""
    a, b, c = (np.einsum("nk,nk->n", p, q) for p, q in ((u, u), (u, v), (v, v)))
    s1 = np.sqrt(0.5 * (a + c) + np.sqrt(0.25 * (a - c) ** 2 + b * b))
    dk = u.shape[1]
    if dk <= 4:
        prod2 = sum((u[:, i] * v[:, j] - u[:, j] * v[:, i]) ** 2
                    for i in range(dk) for j in range(i + 1, dk))
    else:
        prod2 = np.maximum(a * c - b * b, 0.0)  # Lagrange's identity
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(s1 > 0, np.sqrt(prod2) / s1, 0.0)
    return np.stack([s1, s2], axis=1)


def _det(cols: np.ndarray) -> np.ndarray:
    """Columns (d, n, d) of square Jacobians -> (n,) determinants."""
    if cols.shape[0] == 2:
        return cols[0, :, 0] * cols[1, :, 1] - cols[1, :, 0] * cols[0, :, 1]
    return np.linalg.det(np.moveaxis(cols, 0, 2))
