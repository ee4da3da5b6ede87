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
from dataclasses import dataclass, replace

import numpy as np

from ..tracing.trace import Stage, Trace
from .coords import MAX_DISPLAY_DIM, Projection, aligned, fit, lift, pad, projection
from .morph import ROTATE, Morph, rotation_morph
from .plan_cache import PLANS, stages_key
from .svd import svd_states
from .weight_text import SLICE_NAMES

OWN_AXES = "own axes"  # the kind of a view turn from a shared projection to a narrow
# state's own coordinates (right after the morph that reaches it; see ``plan_steps``)

# --- morphs ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShownState:
    """One shown state: a stage's points (or a split part), and the state it is reached from."""

    points: np.ndarray  # (m, d_k) in the stage's own space
    stage: int
    title: str
    kind: str
    source: int  # index of the state its morph starts from (-1 for the input)


@dataclass(frozen=True)
class PlanStep:
    """A morph in the plan: from state ``src`` to state ``dst``, each end through a projection.

    A network operation has one projection for both ends; a view turn (kind "projection")
    shows one state through two projections."""

    src: int
    dst: int
    start: Projection
    end: Projection
    title: str
    kind: str
    rest_title: str = ""  # the title at rest on ``dst`` ("": ``title``)
    rests: bool = True  # False: no hold on ``dst`` before the next step (see ``plan_steps``)


def main_input(trace: Trace, k: int) -> int:
    """The stage that stage k's morph starts from: its main path, the latest feeding stage
    of its own width (a residual add's branch, not its shortcut; ``x`` in ``x / |x|``)."""
    inputs = trace.stages[k].inputs
    if not inputs:
        return k - 1
    same = [i for i in inputs if trace.stages[i].dim == trace.stages[k].dim]
    return max(same or inputs)


def shown_states(trace: Trace, arrays: list[np.ndarray], split_bias: bool | str
            ) -> list[ShownState]:
    """The shown states in order, from ``arrays`` (``arrays[k]``: stage k's points in its own
    space, or the arrow ends carried through it); split parts insert ``W x`` before a biased
    linear stage. A state's morph starts from the last state of its feeding stage."""
    out = [ShownState(arrays[0], 0, trace.stages[0].title, "input", -1)]
    last_state = {0: 0}  # stage -> index of its (last) state
    for k in range(1, len(trace.stages)):
        stage = trace.stages[k]
        source = last_state[main_input(trace, k)]
        # the split parts' names: W·axesᵀ u + W·origin + b on a slice (only asked when
        # splitting: the explorer's live structure holds the stages alone)
        names = SLICE_NAMES if split_bias and trace.slice_fed(k) else ("W", "b")
        if split_bias == "svd" and stage.kind == "linear" and stage.weight is not None:
            # W x + b as V^T, S, U, + b (view/svd.py)
            for points, title, kind in svd_states(out[source].points, stage, names):
                out.append(ShownState(points, k, title, kind, source))
                source = len(out) - 1
        elif split_bias and stage.kind == "linear" and stage.bias is not None \
                and stage.weight is not None:
            wx = out[source].points @ stage.weight.T  # (m, d_in) -> (m, d_out)
            x = "x" if names[0] == "W" else "u"  # the slice's coordinates
            out.append(ShownState(wx, k, f"{stage.title}: {names[0]} {x}", "matrix", source))
            out.append(ShownState(arrays[k], k, f"{stage.title}: + {names[1]}", "bias",
                                  len(out) - 1))
        else:
            out.append(ShownState(arrays[k], k, stage.title, stage.kind, source))
        last_state[k] = len(out) - 1
    return out


def linear_weights(trace: Trace) -> dict[int, np.ndarray]:
    """Stage index -> its linear map's weight (d_out, d_in), for the linear stages."""
    return {k: s.weight for k, s in enumerate(trace.stages)
            if s.kind == "linear" and s.weight is not None}


def plan_steps(states: list[ShownState], weights: dict[int, np.ndarray] | None = None,
          fit_rows: int | None = None) -> list[PlanStep]:
    """Morphs with one projection each; a view turn where the next projection differs.

    A state is first shown through its own projection (PCA beyond 3-D); each morph is shown
    through a projection fitted on both its ends. Before a morph whose projection differs
    from the one its start was last shown in, the view turns (Procrustes-aligned) on that
    state. ``W x`` parts use their stage's projection, so ``+ b`` is a visible shift. A
    linear map between widths brings its narrow side into the wide space through its polar
    factor (``coords.lift``), not by zero padding. A state of at most 3-D is held only in
    its own coordinates: reached through a wide projection, the view turns on at once
    (kind ``OWN_AXES``) to them, and a turn from them into a wide projection goes on at
    once into its morph (``rests=False``: no hold between). Projections are
    fitted on the first ``fit_rows`` rows only (the points; rows carried after them, such
    as region outlines, go along without moving the view)."""
    def fitted(state: ShownState) -> np.ndarray:
        """The rows fitted: the array itself when all count (its moments and projections
        are remembered by the array: ``coords.moments``, ``Projection``)."""
        return state.points if fit_rows is None else state.points[:fit_rows]

    shown_in: dict[int, Projection] = {0: projection(fitted(states[0]))}
    steps: list[PlanStep] = []
    for i in range(1, len(states)):
        a, b = states[states[i].source], states[i]
        w = (weights or {}).get(b.stage) if b.kind in ("linear", "matrix") else None
        widths = (a.points.shape[1], b.points.shape[1])
        embed = lift(w) if w is not None and w.shape == widths[::-1] else None
        proj = fit(fitted(a), fitted(b), embed=embed)
        before = shown_in[b.source]
        if not (proj.is_identity and before.is_identity):
            proj = aligned(proj, before, fitted(a))
        if not _same_view(proj(fitted(a)), before(fitted(a))):
            steps.append(PlanStep(b.source, b.source, before, proj,
                                  f"{a.title}: the view turns ({proj.note})", "projection",
                                  rests=not before.is_identity))
        jump = b.source != i - 1
        title = f"{b.title} (from {a.title})" if jump else b.title
        title = f"{title} · {proj.note}" if proj.note else title
        steps.append(PlanStep(b.source, i, proj, proj, title, b.kind))
        shown_in[i] = proj
        own = fitted(b)  # (m, d): the state in its own coordinates
        if own.shape[1] <= MAX_DISPLAY_DIM and not _same_view(proj(own), own):
            steps[-1] = replace(steps[-1], rests=False)
            steps.append(PlanStep(i, i, proj, Projection(),
                                  f"{b.title}: the view turns to its own axes",
                                  OWN_AXES, b.title))
            shown_in[i] = Projection()
    return steps


def _same_view(a: np.ndarray, b: np.ndarray) -> bool:
    """Two display coordinate sets (m, <= 3) of the same points that look the same."""
    if not a.size:
        return a.shape[0] == b.shape[0]
    dim = max(a.shape[1], b.shape[1])
    scale = max(float(a.max()), -float(a.min()))  # max |a|, without an |a| temporary
    gap = np.subtract(pad(a, dim), pad(b, dim))  # (m, dim): allclose's four temporaries in one
    return bool(np.abs(gap, out=gap).max() <= 1e-9 * scale)


def _narrow(shown: np.ndarray, own: np.ndarray) -> np.ndarray:
    """A state as a morph's end: ``own`` (m, d), its own coordinates, where a wider shared
    projection ``shown`` (m, d' > d) shows it exactly so (a slice's plane, lifted into a PCA
    of the next stage and aligned back onto it: zeros beyond d). Its display dimension is
    then d, so a 2-D stage rests top-down in its own axes and the camera turns only during
    the morph into 3-D, as for any 2-D -> 3-D morph."""
    narrower = own.shape[1] < shown.shape[1] and own.shape[1] <= MAX_DISPLAY_DIM
    return own if narrower and _same_view(shown, own) else shown


def chain_morphs(states: list[ShownState], steps: list[PlanStep]) -> tuple[Morph, ...]:
    out = []
    last: dict[int, np.ndarray] = {}  # state -> how the last morph into it left it
    for step in steps:
        a = _narrow(step.start(states[step.src].points), states[step.src].points)
        if step.src in last and _same_view(a, last[step.src]):
            a = last[step.src]  # the same view up to rounding: start exactly where it ended
        b = _narrow(step.end(states[step.dst].points), states[step.dst].points)
        last[step.dst] = b
        dim = max(a.shape[1], b.shape[1])
        make = rotation_morph if step.kind == ROTATE else Morph
        out.append(make(pad(a, dim), pad(b, dim), states[step.src].stage,
                        states[step.dst].stage, step.title, step.kind, a.shape[1], b.shape[1],
                        step.rest_title, step.rests))
    return tuple(out)


def morphs(trace: Trace, *, split_bias: bool | str = False, fit_rows: int | None = None,
           steps: tuple[PlanStep, ...] | None = None) -> tuple[Morph, ...]:
    """One morph per operation (two for a biased linear stage with ``split_bias``; the SVD
    sub-steps with ``split_bias="svd"``), plus a view turn (kind "projection") where a
    wide film changes its projection.

    A morph starts from its feeding stage and ends exactly at its stage, both ends in one
    projection; consecutive morphs meet exactly. ``steps``: the trace's ``plan``, when the
    caller has it (it is made here otherwise)."""
    states = shown_states(trace, [s.points for s in trace.stages], split_bias)
    return chain_morphs(states, list(steps or plan(trace, split_bias=split_bias,
                                                   fit_rows=fit_rows)))


def plan(trace: Trace, *, split_bias: bool | str = False,
         fit_rows: int | None = None) -> tuple[PlanStep, ...]:
    """The film's morphs with their projections (``plan_steps`` of the trace's states), made
    once per network and points: remembered by their digest (``plan_cache``), so a change
    that keeps them (colour, theme, measures) and every view of one trace reuse the PCAs."""
    rows = None if fit_rows is None or fit_rows >= trace.n else fit_rows

    def make() -> tuple[PlanStep, ...]:
        states = shown_states(trace, [s.points for s in trace.stages], split_bias)
        return tuple(plan_steps(states, linear_weights(trace), rows))

    return PLANS.get("plan", stages_key(trace.stages, rows, split_bias), make)


def stage_projections(trace: Trace, fit_rows: int | None = None) -> tuple[Projection, ...]:
    """Each stage's own display projection (its PCA beyond 3-D) fitted on its first
    ``fit_rows`` rows, remembered like ``plan``."""
    rows = None if fit_rows is None or fit_rows >= trace.n else fit_rows
    return PLANS.get("stages", stages_key(trace.stages, rows),
                     lambda: tuple(projection(s.points if rows is None else s.points[:rows])
                                   for s in trace.stages))


# --- basis arrows -----------------------------------------------------------------------------

def basis_arrows(trace: Trace, *, split_bias: bool | str = False, fit_rows: int | None = None,
                 steps: tuple[PlanStep, ...] | None = None) -> tuple[Morph | None, ...]:
    """The input basis arrows carried through the network, one entry per morph.

    Each entry is a Morph of the arrow ends: row 0 the tail (the image of the origin),
    rows 1.. the tips (images of e1 and, for input of 2-D or more, e2), on the same path
    as the points and in the same display coordinates. Through linear stages the ends
    move exactly as points do (the tips minus the tail are the columns of the accumulated
    matrix while no activation has intervened). Through an activation both ends are
    passed through f, so the arrow joins the images of its ends. Where f cannot be
    reproduced in NumPy (an unknown module, or one whose parameters differ from the
    defaults, checked against the trace) the entry is None from there on: no arrows.
    ``steps``: the trace's ``plan`` (the points' projections), as for ``morphs``.
    """
    d0 = trace.stages[0].dim
    ends = np.zeros((1 + min(d0, 2), d0))  # (1 + m, d0): origin, e1, e2
    ends[1:, :] = np.eye(d0)[: min(d0, 2)]
    carried: list[np.ndarray | None] = [ends]
    for k in range(1, len(trace.stages)):
        stage = trace.stages[k]
        source = main_input(trace, k)
        carried.append(None if carried[source] is None or len(stage.inputs) > 1 else _carry(
            trace.stages[source], stage, carried[source]))  # type: ignore[arg-type]
    # stages whose arrows are lost (a convolution, a flatten: from there on) hold zeros
    # only to keep the states in step with the points'; their morphs become None. NaN
    # placeholders once did the same, and reached chain_morphs' comparisons as atol=nan
    lost = {k for k, a in enumerate(carried) if a is None}
    arrays = [a if a is not None else np.zeros((len(ends), s.dim))
              for a, s in zip(carried, trace.stages, strict=True)]
    states = shown_states(trace, arrays, split_bias)
    steps = steps or plan(trace, split_bias=split_bias, fit_rows=fit_rows)
    chained = chain_morphs(states, list(steps))
    return tuple(None if m.from_stage in lost or m.to_stage in lost
                 or not (np.isfinite(m.start).all() and np.isfinite(m.end).all()) else m
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
