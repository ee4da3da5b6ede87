"""A captured graph as exact piecewise-linear steps: affine maps of feeding stages, ReLUs,
and maxima of affine pieces. Each step is read off its stage and checked on the trace's
own points (every row), so a step is never guessed; anything else is refused by name.

- ``Affine(inputs, mats, offset)``: ``y = sum_i x_i @ mats[i].T + offset`` (linear layers,
  residual adds and differences, concatenation, column selection, reshapes, negation,
  scaling by constants);
- ``Relu(input, slope)``: ``max(z, slope z)`` per coordinate;
- ``Max(inputs, groups)``: output j is the largest of the concatenated inputs' columns
  ``groups[j]`` (``torch.maximum(a, b)``, a maxout ``x.view(n, k, p).amax(-1)``, a
  max-pooling: its windows read off the operation itself);
- ``AffineOp(input, run)``: an affine operation too wide for a matrix (a convolution,
  average pooling, an eval-mode BatchNorm2d), run on each polygon's map directly. One
  whose matrix has at most ``DENSE_VALUES`` numbers (a convolution of a small image, any
  operation right after a slice's 2-D input) becomes an ``Affine``, its matrix read off
  the operation (``as_matrix``): one product per map row, not a run of the operation on
  3 rows, and a ReLU's stage before it gets ``then_linear``'s sparse corrections.

On a slice (``trace.frame``) stage 0 holds slice coordinates u and the network takes
``origin + u @ axes``: the first operation is composed with that map, so the regions of
the slice are the regions of a 2-D input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import NetworkError
from ..inputs.slice import SliceFrame
from ..tracing.trace import Stage, Trace
from .steps import (
    AFFINE_IN_EVAL,
    LEAKY,
    PIECEWISE,
    SMOOTH,
    activation_field,
    has_running_stats,
    leak_of,
    per_coordinate_fit,
    refuse_smooth,
)

RTOL, ATOL = 1e-9, 1e-12
DENSE_VALUES = 1 << 22  # an affine operation's matrix kept dense up to this (32 MB)


@dataclass(frozen=True)
class Affine:
    inputs: tuple[int, ...]
    mats: tuple[np.ndarray, ...]  # per input (d_k, d_i)
    offset: np.ndarray  # (d_k,)


@dataclass(frozen=True)
class Relu:
    input: int
    slope: float


@dataclass(frozen=True)
class Max:
    inputs: tuple[int, ...]
    groups: np.ndarray  # (d_k, p) column indices into the concatenated inputs


@dataclass(frozen=True)
class AffineOp:
    input: int
    run: Callable[[np.ndarray], np.ndarray]  # (n, d_i) -> (n, d_k), affine


GraphStep = Affine | Relu | Max | AffineOp

# operations that are affine maps of their one input (in eval mode), run by AffineOp
AFFINE_OPS = frozenset({"conv1d", "conv2d", "avgpool1d", "avgpool2d", "adaptiveavgpool1d",
                        "adaptiveavgpool2d", "batchnorm1d", "batchnorm2d", "dropout",
                        "flatten", "reshape", "unflatten", "identity", "linear"})
MAX_POOLS = frozenset({"maxpool1d", "maxpool2d", "adaptivemaxpool1d", "adaptivemaxpool2d"})


def graph_steps(trace: Trace) -> list[GraphStep]:
    """One checked step per stage after the input, or a one-line refusal naming the stage."""
    out: list[GraphStep] = []
    for k, stage in enumerate(trace.stages[1:], start=1):
        inputs = stage.inputs or (k - 1,)
        ins = [trace.stages[i].points for i in inputs]
        if trace.frame is not None and 0 in inputs:
            step: GraphStep | None = _on_slice(stage, trace.frame)
        else:
            step = _step(stage, inputs, ins)
        if stage.kind in AFFINE_IN_EVAL and not has_running_stats(trace, stage.module):
            step = None  # normalised by the batch's own statistics: not one affine map
        if step is None or not _reproduces(step, ins, stage.points):
            _refuse(stage, activation_field(trace))
        if isinstance(step, AffineOp):
            step = as_matrix(step, ins, stage.points)
        out.append(step)  # type: ignore[arg-type]
    return out


def _reproduces(step: GraphStep, ins: list[np.ndarray], points: np.ndarray) -> bool:
    return bool(np.allclose(apply(step, ins), points, rtol=RTOL, atol=ATOL * _scale(points)))


def as_matrix(step: AffineOp, ins: list[np.ndarray], points: np.ndarray
              ) -> AffineOp | Affine:
    """The operation as ``x @ M.T + f(0)`` with ``M``'s columns ``f(e_i) - f(0)``, where
    M and the unit rows it is read from have at most ``DENSE_VALUES`` numbers each, and it
    reproduces the stage as closely as the operation does (a float32 model's rounding may
    not: then it stays an ``AffineOp``)."""
    d_in, d_out = ins[0].shape[1], points.shape[1]
    if d_in * max(d_in, d_out) > DENSE_VALUES:  # a global pooling of a wide input too
        return step
    out = step.run(np.concatenate([np.zeros((1, d_in)), np.eye(d_in)]))  # (1 + d_in, d_out)
    dense = Affine((step.input,), (np.ascontiguousarray((out[1:] - out[0]).T),), out[0])
    return dense if _reproduces(dense, ins, points) else step


def apply(step: GraphStep, ins: list[np.ndarray]) -> np.ndarray:
    """The step on points: inputs (n, d_i) each -> (n, d_k)."""
    if isinstance(step, AffineOp):
        return step.run(ins[0])
    if isinstance(step, Affine):
        return sum((x @ m.T for x, m in zip(ins, step.mats, strict=True)),
                   np.broadcast_to(step.offset, (len(ins[0]), len(step.offset))).copy())
    if isinstance(step, Relu):
        z = ins[0]
        return np.where(z > 0, z, step.slope * z)
    both = np.concatenate(ins, axis=1)
    return both[:, step.groups].max(axis=2)


def _scale(a: np.ndarray) -> float:
    return max(float(np.abs(a).max(initial=0.0)), 1.0)


def _step(stage: Stage, inputs: tuple[int, ...], ins: list[np.ndarray]) -> GraphStep | None:
    kind, d = stage.kind, stage.dim
    if kind == "linear" and stage.weight is not None and len(ins) == 1:
        w = np.asarray(stage.weight, dtype=np.float64)
        b = np.zeros(len(w)) if stage.bias is None else np.asarray(stage.bias, np.float64)
        return Affine(inputs, (w,), b)
    if stage.on_rows is not None and len(ins) == 1 and kind in AFFINE_OPS | MAX_POOLS:
        return AffineOp(inputs[0], stage.on_rows) if kind in AFFINE_OPS else \
            pool_windows(stage, inputs[0], ins[0].shape[1])
    if kind in PIECEWISE and len(ins) == 1:
        return Relu(inputs[0], PIECEWISE[kind])
    if kind == LEAKY and len(ins) == 1:
        return Relu(inputs[0], leak_of(ins[0], stage.points))
    if kind in ("maximum", "max", "amax"):
        return _max(stage, inputs, ins)
    if kind in AFFINE_IN_EVAL and len(ins) == 1:
        return _diagonal(inputs, ins[0], stage.points)
    return _affine(kind, stage.points, inputs, ins, d)


# stages that pass each row unchanged (in eval mode): the identity on row vectors
IDENTITIES = ("reshape", "flatten", "unflatten", "dropout", "identity")


def _affine(kind: str, out: np.ndarray, inputs: tuple[int, ...], ins: list[np.ndarray],
            d: int) -> Affine | AffineOp | None:
    widths = [x.shape[1] for x in ins]
    eye = np.eye(d)
    if kind in ("add", "sub") and len(ins) == 2 and widths == [d, d]:
        return Affine(inputs, (eye, eye if kind == "add" else -eye), np.zeros(d))
    if kind == "cat":
        starts = np.cumsum([0, *widths])
        mats = tuple(np.eye(d)[:, a:b] for a, b in zip(starts[:-1], starts[1:], strict=True))
        return Affine(inputs, mats, np.zeros(d))
    if len(ins) != 1:
        return None
    x = ins[0]
    if kind in IDENTITIES and widths == [d]:
        return AffineOp(inputs[0], _same_rows)
    if kind == "neg" and widths == [d]:
        return Affine(inputs, (-eye,), np.zeros(d))
    if kind == "getitem":
        return _selection(inputs, x, out)
    if kind in ("add", "sub", "mul", "div") and widths == [d]:
        return _diagonal(inputs, x, out)
    return None


def _same_rows(x: np.ndarray) -> np.ndarray:
    return x


def _selection(inputs: tuple[int, ...], x: np.ndarray, out: np.ndarray) -> Affine | None:
    """Columns of ``x`` picked by an index: each output column equal to one input column."""
    mat = np.zeros((out.shape[1], x.shape[1]))
    for j in range(out.shape[1]):
        same = np.flatnonzero(np.all(x == out[:, j:j + 1], axis=0))
        if len(same) == 0:
            return None
        mat[j, same[0]] = 1.0
    return Affine(inputs, (mat,), np.zeros(out.shape[1]))


def _diagonal(inputs: tuple[int, ...], x: np.ndarray, out: np.ndarray) -> Affine | None:
    """``out = x * s + t`` per column (a constant added, subtracted, multiplied, divided;
    an eval-mode BatchNorm1d)."""
    fit = per_coordinate_fit(x, out)
    return None if fit is None else Affine(inputs, (np.diag(fit[0]),), fit[1])


def _max(stage: Stage, inputs: tuple[int, ...], ins: list[np.ndarray]) -> Max | None:
    d, total = stage.dim, sum(x.shape[1] for x in ins)
    if len(ins) == 2 and total == 2 * d:  # torch.maximum(a, b)
        return Max(inputs, np.stack([np.arange(d), d + np.arange(d)], axis=1))
    if len(ins) == 1 and total % d == 0:  # x.view(n, d, p).amax(-1): contiguous groups
        return Max(inputs, np.arange(total).reshape(d, total // d))
    return None


def _on_slice(stage: Stage, frame: SliceFrame) -> GraphStep | None:
    """The first operation, composed with the slice's map u -> origin + u @ axes."""
    if stage.kind == "linear" and stage.weight is not None:  # already from u (trace._on_frame)
        b = np.zeros(len(stage.weight)) if stage.bias is None else stage.bias
        return Affine(stage.inputs or (0,), (np.asarray(stage.weight, np.float64),),
                      np.asarray(b, np.float64))
    run = stage.on_rows
    if stage.kind not in AFFINE_OPS or run is None or len(stage.inputs or (0,)) != 1:
        raise NetworkError(f"exact regions of a slice need an affine first operation (a "
                           f"linear layer, a convolution, a pooling average), and stage "
                           f"{stage.title!r} ({stage.kind}) takes the input directly",
                           field="network")
    return AffineOp(0, lambda u: run(frame.inputs(u)))


def pool_windows(stage: Stage, input: int, width: int) -> Max:
    """A max-pooling as a maximum over windows: output j takes the largest of the input
    columns in its window. Read off the operation itself: peeled (``peeled_windows``) and
    checked on random rows, else from the unit vectors that reach each output. Windows
    of unequal size (padding, ceil mode) are refused."""
    assert stage.on_rows is not None
    members = peeled_windows(stage.on_rows, width)
    if members is None or not _pools_as(stage.on_rows, members, width):
        members = _unit_windows(stage.on_rows, width)
    sizes = {len(m) for m in members}
    if len(sizes) != 1 or 0 in sizes:
        raise NetworkError(f"exact regions cannot pass stage {stage.title!r} ({stage.kind}): "
                           "its windows differ in size (padding or ceil mode); pool "
                           "without padding", field="network")
    return Max((input,), np.array(members, dtype=np.int64))


def peeled_windows(run: Callable[[np.ndarray], np.ndarray], width: int
                   ) -> list[list[int]] | None:
    """Windows that do not overlap, one row per entry: pool x_i = i + 1, so each output
    names its largest member; set the members found to 0 and pool again, until every
    output is 0. Cost (p + 1) rows, not ``width``; ``None`` if an output names no input."""
    x = np.arange(1.0, width + 1.0)
    members: list[list[int]] = []
    for _ in range(width + 1):
        top = run(x[None])[0]  # (d_k,) each window's largest index + 1, or 0
        if not members:
            members = [[] for _ in range(len(top))]
        found = np.flatnonzero(top > 0.5)
        if len(found) == 0:
            break
        index = np.rint(top[found]).astype(np.int64) - 1
        if np.any(index < 0) or np.any(index >= width) or np.any(x[index] == 0.0):
            return None
        for j, i in zip(found, index, strict=True):
            members[j].append(int(i))
        x[index] = 0.0
    return [sorted(m) for m in members]


def _pools_as(run: Callable[[np.ndarray], np.ndarray], members: list[list[int]],
              width: int, rows: int = 64) -> bool:
    """Whether the operation is the maximum over these windows on random rows (a window
    missing a member, as overlapping windows peel, differs on about 1 row in p)."""
    if len({len(m) for m in members}) != 1 or not members[0]:
        return False
    x = np.random.default_rng(0).standard_normal((rows, width))
    return bool(np.array_equal(run(x), x[:, np.array(members)].max(axis=2)))


def _unit_windows(run: Callable[[np.ndarray], np.ndarray], width: int,
                  block: int = 256) -> list[list[int]]:
    """Input i is in window j when the pooling of the unit vector e_i reaches output j
    (``block`` rows at a time: cost width^2)."""
    members: list[list[int]] = []
    for start in range(0, width, block):
        eye = np.eye(block, width, k=start)[: min(block, width - start)]  # (b, width)
        hit = run(eye) > 0.5  # (b, d_k): input start + i is in window j
        if not members:
            members = [[] for _ in range(hit.shape[1])]
        for i, j in zip(*np.nonzero(hit), strict=True):
            members[j].append(start + int(i))
    return members


def _refuse(stage: Stage, field: str) -> None:
    if stage.kind in SMOOTH:
        refuse_smooth(stage.kind, field, stage.title)
    raise NetworkError(f"exact regions cannot pass stage {stage.title!r} ({stage.kind}): "
                       "it is not an affine map, a ReLU or a maximum of affine pieces",
                       field="network")
