"""Live views of a changing network (the explorer while it trains): the film's keys again
for new stage coordinates, through the projections FIXED when the film was planned.

A full film (``view.film``) fits its projections (PCA beyond 3-D, Procrustes-aligned view
turns) and boxes to the points it is given; planning one takes about a second for a wide
network. While a network trains, ``LivePlan`` keeps the plan's projections (every morph's
and every stage's own) and ``live_keys`` recomputes only the coordinates, so the same
boxes and cameras apply, and motion on screen means the points changed, never that the
view was refit. Arrays only; nothing drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..tracing.trace import Stage, Trace
from .colors import decision_row, decision_strength, decision_table
from .coords import Projection
from .film import Film
from .paths import PlanStep, plan, shown_states, stage_projections

FADE_LEVELS = 5  # confidence levels of a probe point's colour


@dataclass(frozen=True)
class LivePlan:
    """The fixed projections of a planned film and where each of its keys comes from."""

    structure: _Structure  # the traced stages (kinds, inputs), without their points
    steps: tuple[PlanStep, ...]  # the film's morphs, each with its projections
    stage_views: tuple[Projection, ...]  # each stage's own view (its PCA beyond 3-D)
    sources: tuple[tuple[str, int, int], ...]  # per key: ("morph", i, 0 or 1) | ("stage", k, 0)
    dims: tuple[int, ...]  # per key: its columns (<= 3)
    boxes: tuple[tuple[int, np.ndarray], ...]  # per stage: its key, its (dim, 2) box


def live_plan(trace: Trace, film: Film) -> LivePlan:
    """The plan of ``film``, which was made from ``trace`` (without split parts)."""
    structure = _structure(trace)
    steps = plan(trace)  # the film's own plan (remembered when it was made): no new PCA
    sources: list[tuple[str, int, int] | None] = [None] * len(film.keys)
    for i, seg in enumerate(film.segments):
        for end, key in ((0, seg.start), (1, seg.end)):
            sources[key] = sources[key] or ("morph", i, end)
    for k, view in enumerate(film.stages):
        sources[view.key] = sources[view.key] or ("stage", k, 0)
    if any(s is None for s in sources) or len(steps) != len(film.segments):
        raise ValueError("the film was not made from these stages")
    return LivePlan(structure, steps, stage_projections(trace),
                    tuple(s for s in sources if s is not None),
                    tuple(int(k.shape[1]) for k in film.keys),
                    tuple((view.key, view.box) for view in film.stages))


def outside_note(plan: LivePlan, keys: Sequence[np.ndarray], names: Sequence[str]) -> str:
    """"" while every stage's points are inside the box planned for it, else what share
    has left the box of the stage that lost most (boxes stay fixed while training runs,
    so that motion means change; the view does not follow them out)."""
    worst, share = -1, 0.0
    for k, (key, box) in enumerate(plan.boxes):
        x = keys[key]  # (n, d): the stage's own display coordinates
        d = min(x.shape[1], box.shape[0])
        out = float(((x[:, :d] < box[:d, 0]) | (x[:, :d] > box[:d, 1])).any(axis=1).mean())
        if out > share:
            worst, share = k, out
    if worst < 0:
        return ""
    return (f"{100 * share:.0f}% of the points have left the box of stage {worst} "
            f"({names[worst]}): boxes stay fixed while training runs; Pause refits them")


def live_keys(plan: LivePlan, stages: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The film's keys (n, d_i) for new stage coordinates (n, d_k), through the plan's
    projections (what ``view.film`` gives for them under those projections, to rounding)."""
    states = shown_states(plan.structure, list(stages), False)  # type: ignore[arg-type]
    wanted: list[tuple[Projection, np.ndarray]] = []
    for what, i, end in plan.sources:
        if what == "stage":
            wanted.append((plan.stage_views[i], stages[i]))
        else:
            step = plan.steps[i]
            wanted.append((step.start, states[step.src].points) if end == 0 else
                          (step.end, states[step.dst].points))
    return [np.ascontiguousarray(k[:, :d]) for k, d in
            zip(_projected(wanted), plan.dims, strict=True)]


def _projected(wanted: list[tuple[Projection, np.ndarray]]) -> list[np.ndarray]:
    """``proj(x)`` for each pair, without the centred copy of ``x``: one matrix product per
    distinct ``x`` with every projection's axes side by side, (m, d) -> (m, 3) each."""
    out: list[np.ndarray | None] = [None] * len(wanted)
    groups: dict[int, list[int]] = {}
    for j, (proj, x) in enumerate(wanted):
        if proj.axes is None or proj.mean is None:
            out[j] = x  # the identity (spaces of at most 3-D)
        else:
            groups.setdefault(id(x), []).append(j)
    for members in groups.values():
        x = wanted[members[0]][1]
        projs = [wanted[j][0] for j in members]
        axes = np.concatenate([_axes_for(p, x.shape[1]) for p in projs
                               ]).T.copy()  # (d, 3 g)
        # torch's matmul: its thread count is the caller's (numpy's BLAS may spread a small
        # product over every core of a busy machine, 10x slower)
        shown = (torch.from_numpy(np.require(x, requirements=["C", "W"]))
                 @ torch.from_numpy(axes)).numpy()  # (m, 3 g)
        for g, (j, p) in enumerate(zip(members, projs, strict=True)):
            out[j] = shown[:, 3 * g: 3 * g + 3] + _shift(p)
    return [o for o in out if o is not None]


def _axes(p: Projection) -> np.ndarray:
    assert p.axes is not None
    return p.axes  # (3, D)


def _axes_for(p: Projection, d: int) -> np.ndarray:
    """(3, d): ``p``'s axes as they act on points of width d: through ``p.embed`` (D, d)
    when it lifts that width (``coords.lifted``), else on the first d coordinates (zero
    padding adds nothing)."""
    axes = _axes(p)
    if p.embed is not None and d == p.embed.shape[1] < axes.shape[1] == p.embed.shape[0]:
        return axes @ p.embed
    return axes[:, :d]


def _shift(p: Projection) -> np.ndarray:
    """(3,): what ``p`` adds after the axes: minus the projected mean, plus its offset."""
    assert p.mean is not None and p.axes is not None
    return -(p.mean @ p.axes.T) + (0.0 if p.offset is None else p.offset)


def probe_table(classes: int, background: str) -> list[list[int]]:
    """RGB rows (0-255) after the class colours: class c at confidence level l is row
    ``classes + c * FADE_LEVELS + l`` (the decision colours of every training view)."""
    rgb = decision_table(classes, FADE_LEVELS, background)  # (classes * FADE_LEVELS, 3)
    return np.rint(255 * rgb).astype(int).tolist()


def probe_index(predicted: np.ndarray, confidence: np.ndarray, classes: int) -> np.ndarray:
    """(P,) class and confidence -> (P,) row of ``probe_table`` (after ``classes`` rows)."""
    strength = decision_strength(confidence, classes)
    return classes + decision_row(predicted, strength, FADE_LEVELS)


@dataclass(frozen=True)
class _Structure:
    """What ``paths.shown_states`` reads of a trace: its stages (their points left out)."""

    stages: tuple[Stage, ...]


def _structure(trace: Trace) -> _Structure:
    return _Structure(tuple(replace(s, points=s.points[:0]) for s in trace.stages))
