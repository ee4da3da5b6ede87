"""Morph paths between stages, basis-vector arrows, and lattice lines. Arrays only.

A morph is a straight path per point from one stage to the next, in display
coordinates: ``(1 - t) x + t (W x + b)`` for a linear stage, ``(1 - t) x + t f(x)`` for an
activation, both ends zero-padded to the larger display dimension. With ``split_bias``
a linear stage with bias becomes two morphs, ``x -> W x`` then ``W x -> W x + b`` (as in
Olah's animations).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..trace import Stage, Trace
from .coords import Projection, pad, projection


@dataclass(frozen=True)
class Morph:
    """A straight path from one stage to the next, in a shared display dimension.

    ``at(0)`` is exactly ``start`` and ``at(1)`` exactly ``end``. For a linear stage
    this is ``(1 - t) x + t (W x + b)``, for an activation ``(1 - t) x + t f(x)``.
    """

    start: np.ndarray  # (n, D) float64
    end: np.ndarray  # (n, D) float64
    from_stage: int
    to_stage: int
    title: str
    kind: str = ""  # the stage's kind ("linear", "tanh"); "matrix" / "bias" for split parts
    start_dim: int = 0  # display dimension of the start before padding (0: D)
    end_dim: int = 0  # display dimension of the end before padding (0: D)

    def at(self, t: float) -> np.ndarray:
        """(n, D) points at time t in [0, 1]; the ends are returned exactly."""
        if t <= 0.0:
            return self.start
        if t >= 1.0:
            return self.end
        return self.start + t * (self.end - self.start)

    @property
    def dim(self) -> int:
        return int(self.start.shape[1])

    @property
    def dims(self) -> tuple[int, int]:
        """Display dimensions of the two ends before padding: (2, 3) for a lift into 3-D."""
        return (self.start_dim or self.dim, self.end_dim or self.dim)


# --- morphs ---------------------------------------------------------------------------------

def _states(trace: Trace, arrays: list[np.ndarray], split_bias: bool | str
            ) -> list[tuple[np.ndarray, int, str, str]]:
    """The shown states in order: (points (m, d_k), stage index, title, kind), from ``arrays``.

    ``arrays[k]`` are the points of stage k in its own space (the stage's points, or the
    arrow ends carried through it); split parts insert ``W x`` before a biased linear stage.
    """
    out = [(arrays[0], 0, trace.stages[0].title, "input")]
    for k in range(1, len(trace.stages)):
        stage = trace.stages[k]
        if split_bias == "svd" and stage.kind == "linear" and stage.weight is not None:
            from .svd import svd_states  # W x + b as V^T, S, U, + b (view/svd.py)

            out += [(points, k, title, kind) for points, title, kind
                    in svd_states(arrays[k - 1], stage)]
        elif split_bias and stage.kind == "linear" and stage.bias is not None \
                and stage.weight is not None:
            wx = arrays[k - 1] @ stage.weight.T  # (m, d_in) -> (m, d_out)
            out.append((wx, k, f"{stage.title}: W x", "matrix"))
            out.append((arrays[k], k, f"{stage.title}: + b", "bias"))
        else:
            out.append((arrays[k], k, stage.title, stage.kind))
    return out


def _chain(states: list[tuple[np.ndarray, int, str, str]], projections: list[Projection],
           ) -> tuple[Morph, ...]:
    from .svd import ROTATE, rotation_morph

    shown = [projections[i](s[0]) for i, s in enumerate(states)]
    out = []
    for i in range(1, len(states)):
        a, b = shown[i - 1], shown[i]
        dim = max(a.shape[1], b.shape[1])
        make = rotation_morph if states[i][3] == ROTATE else Morph
        out.append(make(pad(a, dim), pad(b, dim), states[i - 1][1], states[i][1],
                         states[i][2], states[i][3], a.shape[1], b.shape[1]))
    return tuple(out)


def morphs(trace: Trace, *, split_bias: bool | str = False) -> tuple[Morph, ...]:
    """One morph per stage transition (two for a biased linear stage with ``split_bias``).

    Every stage is shown in its display coordinates (``display_coords``), so the end of
    one morph and the start of the next are the same points; each ends exactly at a stage.
    """
    states = _states(trace, [s.points for s in trace.stages], split_bias)
    return _chain(states, _projections(states))


def _projections(states: list[tuple[np.ndarray, int, str, str]]) -> list[Projection]:
    """One display projection per state; ``W x`` is shown through its stage's projection,
    so that the bias part of a split linear stage is a visible shift even beyond 3-D."""
    own = [projection(s[0]) for s in states]
    return [own[i + 1] if s[3] == "matrix" else own[i] for i, s in enumerate(states)]


# --- basis arrows -----------------------------------------------------------------------------

def basis_arrows(trace: Trace, *, split_bias: bool | str = False) -> tuple[Morph | None, ...]:
    """The input basis arrows carried through the network, one entry per morph.

    Each entry is a Morph of the arrow ends: row 0 the tail (the image of the origin),
    rows 1.. the tips (images of e1 and, for input of 2-D or more, e2), on the same path
    as the points and in the same display coordinates. Through linear stages the ends
    move exactly as points do (the tips minus the tail are the columns of the accumulated
    matrix while no activation has intervened). Through an activation both ends are
    passed through f, so the arrow joins the images of its ends. Where f cannot be
    reproduced in NumPy (an unknown module, or one whose parameters differ from the
    defaults, checked against the trace) the entry is None from there on: no arrows.
    """
    d0 = trace.stages[0].dim
    ends = np.zeros((1 + min(d0, 2), d0))  # (1 + m, d0): origin, e1, e2
    ends[1:, :] = np.eye(d0)[: min(d0, 2)]
    carried: list[np.ndarray | None] = [ends]
    for k in range(1, len(trace.stages)):
        prev = carried[-1]
        carried.append(None if prev is None else _carry(trace.stages[k - 1], trace.stages[k],
                                                        prev))
    # stages whose arrows are lost get NaN placeholders; their morphs become None
    arrays = [a if a is not None else np.full((len(ends), s.dim), np.nan)
              for a, s in zip(carried, trace.stages, strict=True)]
    states = _states(trace, arrays, split_bias)
    point_states = _states(trace, [s.points for s in trace.stages], split_bias)
    chained = _chain(states, _projections(point_states))
    return tuple(None if not (np.isfinite(m.start).all() and np.isfinite(m.end).all()) else m
                 for m in chained)


def _carry(before: Stage, stage: Stage, ends: np.ndarray) -> np.ndarray | None:
    """The arrow ends (m, d_before) after ``stage``: (m, d_stage), or None if not reproducible."""
    if stage.kind == "linear" and stage.weight is not None:
        out = ends @ stage.weight.T
        return out + stage.bias if stage.bias is not None else out
    sample = before.points[:512]
    for f in ACTIVATIONS.get(stage.kind, ()):
        if np.allclose(f(sample), stage.points[:512], rtol=1e-9, atol=1e-12):
            return f(ends)
    return None


_erf = np.vectorize(math.erf, otypes=[float])


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.where(x > 20.0, x, np.log1p(np.exp(np.minimum(x, 20.0))))


def _leaky(slope: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: np.where(x >= 0, x, slope * x)


# NumPy twins of the activation modules, by Stage.kind; candidates are tried in order
# and kept only when they reproduce the traced stage.
ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], ...]] = {
    "tanh": (np.tanh,),
    "relu": (lambda x: np.maximum(x, 0.0),),
    "leakyrelu": tuple(_leaky(s) for s in (0.1, 0.01, 0.2)),
    "sigmoid": (lambda x: 1.0 / (1.0 + np.exp(-x)),),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),),
    "gelu": (lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),),
    "silu": (lambda x: x / (1.0 + np.exp(-x)),),
    "softplus": (_softplus,),
    "identity": (lambda x: x,),
}


# --- lattice lines ----------------------------------------------------------------------------

def lattice_lines(points: np.ndarray, grid_shape: tuple[int, int], every: int = 1) -> np.ndarray:
    """Polylines along the lattice rows and columns, NaN-separated, for one line artist/trace.

    ``points`` (rows*cols, D) in lattice order -> (r*(cols+1) + c*(rows+1), D): every kept
    row of the lattice, then every kept column, each followed by a NaN row. With ``every``
    > 1 only every ``every``-th row and column is kept (plus the last, so the border is
    drawn); each kept line still passes through all its lattice points. Neighbours joined
    are the same lattice neighbours in every stage and frame.
    """
    rows, cols = grid_shape
    d = points.shape[1]
    lattice = points.reshape(rows, cols, d)
    keep_r, keep_c = lattice_indices(rows, every), lattice_indices(cols, every)
    sub_r, sub_c = lattice[keep_r], lattice[:, keep_c].transpose(1, 0, 2)
    gap_r = np.full((len(keep_r), 1, d), np.nan)
    gap_c = np.full((len(keep_c), 1, d), np.nan)
    along_rows = np.concatenate([sub_r, gap_r], axis=1).reshape(-1, d)  # (r*(cols+1), D)
    along_cols = np.concatenate([sub_c, gap_c], axis=1).reshape(-1, d)  # (c*(rows+1), D)
    return np.concatenate([along_rows, along_cols])


def lattice_indices(count: int, every: int) -> np.ndarray:
    """Indices of the kept lattice lines: 0, every, 2*every, ..., and the last."""
    if every <= 1:
        return np.arange(count)
    return np.unique(np.r_[np.arange(0, count, every), count - 1])


def lattice_every(grid_shape: tuple[int, int], max_lines: int = 21) -> int:
    """The step that keeps at most about ``max_lines`` lines in each direction."""
    return max(1, math.ceil((max(grid_shape) - 1) / max(max_lines - 1, 1)))
