"""Every snapshot of a training as the exact regions see it: a chain of steps on a 2-D
input, or (a network that is not a chain: a CNN) a graph read off a trace per snapshot.

On a slice (``training.data.frame``) the network takes ``origin + u @ axes`` for slice
coordinates u (2,): the first linear step ``W x + b`` becomes ``(W axes^T) u + (W origin +
b)``, so each snapshot's regions are regions of a 2-D input on the slice's box. A graph
is traced on the slice itself, where ``graph_steps`` composes its first operation.

What "the run's points" are (``run_points``): the data trained on (2-D input), or on a
slice the probe grid in slice coordinates (every row of the probe's stage 0); the data
lie off the slice, and only points on it fall in the slice's regions.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from torch import nn

from ..errors import SpacewarpError
from ..inputs.points import Points
from ..model.build import set_parameters
from ..tracing.trace import Trace, trace
from ..training.train import Training, probe_points
from .graph_steps import Max, Relu, graph_steps
from .linear_regions import regions, without_final_softmax
from .snapshot_walk import SnapshotRegions, walk_batches
from .steps import Step, steps_of

PATTERN_CHUNK = 16  # snapshots whose forward pass is held at once (cache-sized)


def run_points(training: Training) -> tuple[np.ndarray, np.ndarray]:
    """The run's points (N, 2), whose patterns ``regions_with_data`` counts, and the
    centres of the local complexity's squares: the data and its training rows; on a slice
    the probe grid (slice coordinates), both."""
    if training.data.frame is None:
        x = np.asarray(training.points.x, dtype=np.float64)
        return x, x[~np.asarray(training.data.test, dtype=bool)]
    assert training.probe is not None  # a slice always has its probe grid
    x = np.asarray(training.probe.x, dtype=np.float64)
    return x, x


def snapshot_regions(training: Training, bounds: tuple[float, ...], cap: int
                     ) -> tuple[list[SnapshotRegions], np.ndarray]:
    """Every snapshot's regions on ``bounds``, in parts in snapshot order (a chain's
    batches of its batched walk, a graph's snapshots one by one), and (S,) how many
    distinct patterns the run's points fall in."""
    x = run_points(training)[0]
    steps = snapshot_steps(training)
    if steps is not None:
        return walk_batches(steps, bounds, cap), distinct_patterns(steps, x)
    return graph_snapshots(training, bounds, cap)


def snapshot_steps(training: Training, snapshots: list[int] | None = None
                   ) -> list[list[Step]] | None:
    """Every snapshot's network (or those of ``snapshots``) as steps on a 2-D input (on a
    slice, the first linear step composed with the slice's map); None when the network
    is not such a chain. The steps of snapshot 0's model, each linear one then given
    every snapshot's arrays of the parameters it reads (``step_parameters``): no model
    per snapshot (building one per snapshot cost as much as a third of the counting;
    setting one's parameters and reading its steps again, 0.05 CPU s of the course's
    100 snapshots)."""
    model = training.model(0)
    try:
        first = steps_of(model)[0]
    except SpacewarpError:  # not a Sequential of Linear layers and activations
        return None
    frame = training.data.frame
    if frame is not None and first[0].kind != "linear":
        return None
    names = step_parameters(model, first, training.params)
    out = []
    for s in range(len(training.snapshots)) if snapshots is None else snapshots:
        steps = (_steps_read_off(model, training.params, s) if names is None else
                 _steps_given(first, names, training.params, s))
        if frame is not None:
            w, b = frame.linear_on_slice(_given(steps[0].weight), steps[0].bias)  # (d1, k)
            steps[0] = replace(steps[0], weight=w, bias=b)
        out.append(steps)
    return out


def step_parameters(model: nn.Module, steps: list[Step], params: dict[str, np.ndarray]
                    ) -> list[tuple[str, str] | None] | None:
    """For each step, the names of the parameters (in ``params``) that its weight and
    bias are: a float64 model's linear steps share their memory; None for an activation.
    None in all when a linear step is made from parameters rather than being them (a
    BatchNorm's, a Linear's without bias)."""
    own = {name: p.detach().numpy() for name, p in model.named_parameters()
           if name in params}
    out: list[tuple[str, str] | None] = []
    for st in steps:
        if st.kind != "linear":
            out.append(None)
            continue
        pair = tuple(next((name for name, a in own.items() if _same_array(a, x)), None)
                     for x in (st.weight, st.bias))
        if None in pair:
            return None
        out.append((str(pair[0]), str(pair[1])))
    return out


def _same_array(a: np.ndarray, b: np.ndarray | None) -> bool:
    """``b`` is ``a`` itself: the same memory, shape and strides (not a transposed view)."""
    return b is not None and a.ctypes.data == b.ctypes.data and a.shape == b.shape \
        and a.strides == b.strides


def _steps_given(steps: list[Step], names: list[tuple[str, str] | None],
                 params: dict[str, np.ndarray], s: int) -> list[Step]:
    """``steps`` with each linear one's weight and bias snapshot ``s``'s rows of the
    parameters ``names`` says they are (views where ``params`` are float64)."""
    return [st if pair is None else
            replace(st, weight=np.asarray(params[pair[0]][s], dtype=np.float64),
                    bias=np.asarray(params[pair[1]][s], dtype=np.float64))
            for st, pair in zip(steps, names, strict=True)]


def _steps_read_off(model: nn.Module, params: dict[str, np.ndarray], s: int) -> list[Step]:
    """Snapshot ``s``'s steps read off ``model`` given its parameters."""
    set_parameters(model, {k: np.array(v[s]) for k, v in params.items()})
    # copies: a float64 model's steps share its parameters' memory, set again next
    return [replace(st, weight=None if st.weight is None else st.weight.copy(),
                    bias=None if st.bias is None else st.bias.copy())
            for st in steps_of(model)[0]]


def snapshot_trace(training: Training, s: int, x: np.ndarray) -> Trace:
    """Snapshot ``s``'s network traced on the points ``x`` (n, 2): on a slice, slice
    coordinates (the trace's first operation takes ``origin + u @ axes``)."""
    probe = training.probe
    if training.data.frame is not None and probe is not None:
        pts = probe_points(replace(probe, x=x), training.points)
    else:
        pts = Points(x=x, color=x[:, 0].copy(), name="regions")
    return trace(training.model(s), pts, device="cpu", experiment=training.experiment)


def graph_snapshots(training: Training, bounds: tuple[float, ...], cap: int
                    ) -> tuple[list[SnapshotRegions], np.ndarray]:
    """``snapshot_regions`` of a graph (a CNN): each snapshot traced on the run's points,
    its regions by ``graph_walk`` (``measure.regions`` of the trace) and its points'
    patterns read off the same trace's stages."""
    x = run_points(training)[0]
    parts, with_data = [], []
    for s in range(len(training.snapshots)):
        tr = without_final_softmax(snapshot_trace(training, s, x))
        found = regions(tr, bounds, max_regions=cap)
        a, c = found.affine  # (R, d_out, 2), (R, d_out)
        parts.append(SnapshotRegions(found.verts, found.count,
                                     np.full(len(found), s, dtype=np.int64),
                                     a.transpose(0, 2, 1), c))
        with_data.append(len(np.unique(trace_patterns(tr), axis=0)))
    return parts, np.array(with_data, dtype=np.int64)


def trace_patterns(tr: Trace) -> np.ndarray:
    """(N, bytes) each point's activation pattern, from its trace's stages: every ReLU's
    input > 0, and every maximum's winning entry per output (as ``graph_walk`` splits)."""
    parts = [np.zeros((len(tr.stages[0].points), 0), dtype=np.uint8)]
    for step in graph_steps(tr):
        if isinstance(step, Relu) and step.slope != 1.0:
            parts.append(np.packbits(np.asarray(tr.stages[step.input].points) > 0, axis=1))
        elif isinstance(step, Max):
            x = np.concatenate([np.asarray(tr.stages[i].points) for i in step.inputs], axis=1)
            won = x[:, step.groups].argmax(axis=2).astype(np.int32)  # (N, d_k)
            parts.append(won.view(np.uint8))
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def distinct_patterns(steps: list[list[Step]], x: np.ndarray) -> np.ndarray:
    """(S,) how many distinct activation patterns (negative side or not, every activation
    in order) the points ``x`` (N, d0) fall in, for each network's ``steps`` (one shape)."""
    packed = np.concatenate([_patterns(steps[lo:lo + PATTERN_CHUNK], x)  # (S, N, bytes)
                             for lo in range(0, len(steps), PATTERN_CHUNK)])
    if not packed.shape[2]:
        return np.ones(len(steps), dtype=np.int64)
    packed = np.pad(packed, ((0, 0), (0, 0), (0, -packed.shape[2] % 8)))
    words = packed.view(np.uint64).reshape(len(steps) * len(x), -1)  # (S N, W) a row each
    snap = np.repeat(np.arange(len(steps)), len(x))
    order = np.lexsort((*words.T, snap))  # by snapshot, then pattern
    words, snap = words[order], snap[order]
    new = np.r_[True, (words[1:] != words[:-1]).any(1) | (snap[1:] != snap[:-1])]
    return np.bincount(snap[new], minlength=len(steps)).astype(np.int64)


def _patterns(steps: list[list[Step]], x: np.ndarray) -> np.ndarray:
    """(s, N, bytes): each network's activation bits at the points, packed."""
    h = np.broadcast_to(x, (len(steps), *x.shape))  # (s, N, d0)
    bits = []
    last = max((k for k, st in enumerate(steps[0]) if st.kind != "linear"), default=-1)
    for k, step in enumerate(steps[0][:last + 1]):  # the steps after it set no bit
        if step.kind == "linear":
            w = np.stack([_given(s[k].weight) for s in steps])  # (s, d_out, d_in)
            b = np.stack([_given(s[k].bias) for s in steps])  # (s, d_out)
            h = np.matmul(h, w.transpose(0, 2, 1)) + b[:, None, :]  # (s, N, d_out)
        else:
            bits.append(np.packbits(h > 0, axis=2))
            if k < last:
                h = np.where(h > 0, h, step.slope * h)
    if not bits:
        return np.zeros((len(steps), len(x), 0), dtype=np.uint8)
    return np.concatenate(bits, axis=2)


def _given(a: np.ndarray | None) -> np.ndarray:
    assert a is not None
    return a
