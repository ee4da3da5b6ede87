"""Jacobian columns carried forward through a chain of linear and element-wise stages.

For ``x -> W x + b`` the columns become ``W J``; for an element-wise ``f`` they are scaled
row by row by ``f'(z)``, ``z`` the stage's input (the previous stage's points, float64).
That is exact, in float64, and much cheaper than forward-mode autodiff through the
program. Every step is checked on a sample of the trace's own points (the stage must be
reproduced: the weights, the activation and its parameters), else ``None``: the caller
falls back to ``torch.func``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..tracing.trace import Stage, Trace

SAMPLE = 512  # rows on which each stage is checked
Pair = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _leaky(slope: float) -> Pair:
    return (lambda z: np.where(z >= 0, z, slope * z),
            lambda z: np.where(z > 0, 1.0, slope))


# kind -> candidate (f, f') pairs, tried in order; the first that reproduces the stage counts
ELEMENTWISE: dict[str, tuple[Pair, ...]] = {
    "tanh": ((np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),),
    "relu": ((lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(np.float64)),),
    "leakyrelu": tuple(_leaky(s) for s in (0.1, 0.01, 0.2)),
    "sigmoid": ((_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),),
    "silu": ((lambda z: z * _sigmoid(z), lambda z: _sigmoid(z) * (1.0 + z * (1.0 - _sigmoid(z)))),),
    "elu": ((lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
             lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))),),
    "softplus": ((lambda z: np.where(z > 20, z, np.log1p(np.exp(np.minimum(z, 20.0)))),
                  lambda z: np.where(z > 20, 1.0, _sigmoid(z))),),
    "identity": ((lambda z: z, np.ones_like),),
}


def forward_columns(trace: Trace, x: np.ndarray, rows: slice) -> list[np.ndarray] | None:
    """(n, d_0) points (``trace``'s rows ``rows``) -> per stage k >= 1 the Jacobian columns
    (d_0, n, d_k), or None when a stage is not a checked linear or element-wise step."""
    steps = _steps(trace)
    if steps is None:
        return None
    n, d0 = x.shape
    cols = np.repeat(np.eye(d0)[:, :, None], n, axis=2)  # (d0, d0, n): axis-first columns
    out = []
    for k, step in enumerate(steps, start=1):
        if isinstance(step, np.ndarray):  # a linear stage's weight (d_k, d_{k-1})
            cols = _times(step, cols)  # (d0, d_{k-1}, n) -> (d0, d_k, n)
        else:
            z = trace.stages[k - 1].points[rows]  # (n, d_{k-1}): the stage's input
            cols = cols * step(z).T[None]
        out.append(np.moveaxis(cols, 2, 1))  # (d0, n, d_k), a view
    return out


def _times(w: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``W`` (d_k, d) times columns (d0, d, n): sums of scaled contiguous rows, no BLAS
    (whose threads spin against each other on a busy machine for such thin products)."""
    out = np.empty((cols.shape[0], w.shape[0], cols.shape[2]))
    for i in range(w.shape[0]):
        out[:, i] = w[i, 0] * cols[:, 0]
        for j in range(1, w.shape[1]):
            out[:, i] += w[i, j] * cols[:, j]
    return out


def _steps(trace: Trace) -> list[np.ndarray | Callable[[np.ndarray], np.ndarray]] | None:
    """Per stage: its weight (linear) or its f' (element-wise), each checked; else None."""
    steps: list[np.ndarray | Callable[[np.ndarray], np.ndarray]] = []
    for k, stage in enumerate(trace.stages[1:], start=1):
        if stage.inputs not in ((), (k - 1,)):
            return None
        before = trace.stages[k - 1].points[:SAMPLE]
        step = _linear(stage, before) if stage.kind == "linear" else _elementwise(stage, before)
        if step is None:
            return None
        steps.append(step)
    return steps


def _reproduces(got: np.ndarray, stage: Stage) -> bool:
    want = stage.points[: len(got)]
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-9, atol=1e-12))


def _linear(stage: Stage, before: np.ndarray) -> np.ndarray | None:
    if stage.weight is None:
        return None
    w = np.asarray(stage.weight, dtype=np.float64)
    b = 0.0 if stage.bias is None else np.asarray(stage.bias, dtype=np.float64)
    if before.shape[1] != w.shape[1] or not _reproduces(before @ w.T + b, stage):
        return None
    return w


def _elementwise(stage: Stage, before: np.ndarray) -> Callable[[np.ndarray], np.ndarray] | None:
    for f, slope in ELEMENTWISE.get(stage.kind, ()):
        if _reproduces(f(before), stage):
            return slope
    return None
