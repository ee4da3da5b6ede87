"""One forward pass that captures the points after every module.

Stage 0 is the input; then one stage per operation the points go through (``capture``),
each a float64 (n, d_k) array. For an ``nn.Sequential`` that is one stage per module of the
flattened sequence, equal to the output of the prefix network up to it; the last stage
equals ``model(x)``.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from ..config.style import Style
from ..errors import NetworkError, SpacewarpError, SpacewarpNote
from ..inputs.arrays import frozen, kept_range
from ..inputs.points import PREDICTED, Points, row_image_shape
from ..inputs.slice import SliceFrame
from ..model.image_shape import inferred_shape
from .capture import Op, capture, modules_in_use
from .exported import declared_width
from .op_rows import OnRows
from .selection import Selection, select


@dataclass(frozen=True)
class Stage:
    """The points after one module, and what that module was."""

    kind: str  # "input", "linear", or the activation's name ("tanh")
    title: str  # "Input", "Linear 2->3", "Tanh"
    points: np.ndarray  # (n, d) float64
    module: str = ""  # the module's state_dict prefix ("0"); "" for the input
    weight: np.ndarray | None = None  # (d_out, d_in) for linear stages
    bias: np.ndarray | None = None  # (d_out,) for linear stages with bias
    inputs: tuple[int, ...] = ()  # the stages that feed this one, in argument order
    # the operation alone on rows of its one feeding stage (n, d_in) -> (n, d_k), where known
    # (tracing.op_rows): exact regions apply a convolution or pooling to each polygon's map
    on_rows: OnRows | None = field(default=None, compare=False, repr=False)

    @property
    def dim(self) -> int:
        return int(self.points.shape[1])


@dataclass(frozen=True)
class Trace:
    """Every stage of one forward pass, with what is needed to draw and redo it."""

    stages: tuple[Stage, ...]
    color: np.ndarray  # (n,) one colour value per point, shared by every stage
    labels: np.ndarray | None = None  # (n,) int64 when the input has labels
    grid_shape: tuple[int, int] | None = None  # lattice shape of the input, if any
    params: dict[str, np.ndarray] = field(default_factory=dict)  # state_dict, float64
    # the resolved config that made it, if any: opaque here (the exporters write it out)
    experiment: Any = None
    # how the stages were captured: "graph" (every operation) or "hooks" (module outputs only)
    capture: str = "graph"
    note: str = ""  # what every view must say about the stages ("" when nothing)
    # x (n, d_0) float64 -> every stage's output, stage 0 first; differentiable, for measures
    program: Callable[[torch.Tensor], tuple[torch.Tensor, ...]] | None = field(
        default=None, compare=False, repr=False)
    color_by: str = "x"  # what ``color`` means: a coordinate, or "label" / "predicted" (classes)
    style: Style = field(default_factory=Style)  # theme, colour map, ...: set by the pipeline
    stage_notes: tuple[str, ...] = ()  # per stage, one line under its title ("" for none)
    # points on a slice: stage 0 holds slice coordinates, the network's input is
    # ``frame.inputs(stage 0)``; ``anchors[k]`` (m, d_k) are the anchor rows' images in stage k
    frame: SliceFrame | None = None
    anchors: tuple[np.ndarray, ...] = ()
    # --show-data: ``data[k]`` (N, d_k) the data rows' images in stage k; ``data[0]`` their
    # projections onto the slice (N, k), ``frame.distance(frame.data)`` how far they lie
    data: tuple[np.ndarray, ...] = ()
    # (C, H, W) or (C, L): the image each row was reshaped to before the network, given or
    # inferred from the model's first operation (None: rows went in as rows)
    image_shape: tuple[int, ...] | None = None
    # off a slice, an input row as an image (hover draws it): the shape rows take before the
    # network, or a bundled image set's (inputs.points.row_image_shape); on a slice the
    # frame's ``image_shape`` says it
    row_shape: tuple[int, ...] | None = None

    @property
    def categorical(self) -> bool:
        """Colours are classes (a palette and a legend), not a quantity (a colour map)."""
        return self.classes is not None

    @property
    def classes(self) -> np.ndarray | None:
        """The classes the colours stand for, in colour order: the label values (colour by
        label), or the output's indices 0 .. C-1 (colour by the predicted class, for an
        output of C >= 2 logits); None when colours are a quantity."""
        if self.color_by == "label":
            return self.labels
        if self.color_by == "predicted" and self.stages[-1].dim >= 2:
            return np.arange(self.stages[-1].dim)
        return None

    @property
    def n(self) -> int:
        return int(self.stages[0].points.shape[0])

    @property
    def output(self) -> np.ndarray:
        return self.stages[-1].points

    def select(self, indices: Any) -> Selection:
        """The points at ``indices`` (ints or a boolean mask; the widget's ``selected``):
        their input coordinates, every stage's coordinates and their labels."""
        return select([s.points for s in self.stages], self.labels, indices)

    def slice_fed(self, k: int) -> bool:
        """Stage k is a linear map fed by the slice's coordinates: its ``weight`` and ``bias``
        are ``W·axesᵀ`` and ``W·origin + b`` (``_on_frame``), not the layer's own."""
        stage = self.stages[k]
        return self.frame is not None and stage.weight is not None and stage.inputs == (0,)

    def file_stem(self, k: int) -> str:
        """``stage-01-linear``: the per-stage file name, without suffix."""
        return f"stage-{k:02d}-{self.stages[k].kind}"


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` takes CUDA when present (as the seed does), else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SpacewarpError("--device cuda was asked for but no CUDA device is present; "
                             "use --device auto or cpu", field="device")
    if name not in ("cpu", "cuda"):
        raise SpacewarpError(f"unknown device {name!r}; choose auto, cpu or cuda",
                             field="device")
    return torch.device(name)


def trace(model: nn.Module, points: Points, *, device: str = "auto",
          experiment: Any = None) -> Trace:
    """Run ``points`` through ``model`` once, in float64, keeping every operation's output.

    The model is copied, never changed; its forward pass is captured as a graph
    (``capture``), so functional activations, residual adds and scalings are stages too.
    Raises ``SpacewarpError`` when the input width does not match the model, the model
    fails on the points, or a stage produces NaN or inf.
    """
    dev = pick_device(device)
    points = shaped_for(model, points)
    frame = points.frame
    try:
        with modules_in_use(model):  # (thread safety: see capture._ReadersWriter)
            net = private_copy(model).to(device=dev, dtype=torch.float64).eval()
            x = _network_input(points, dev)  # (n + m, D): the points, then anchors; or images
            _check_input_width(net, points.input_dim)
            captured, outputs = capture(net, x)
            state = net.state_dict()
    except SpacewarpError:
        raise
    # (AssertionError: a torch.export program's guards on its input)
    except (RuntimeError, ValueError, TypeError, IndexError, AssertionError) as err:
        raise NetworkError(
            f"the model fails on {points.n} points of width {points.input_dim}: "
            f"{str(err).splitlines()[0] if str(err) else type(err).__name__}; give points "
            "of the width its first layer takes (--data FILE with that many columns)",
            field="network.model") from None
    n = points.n
    title = "Input" if frame is None else f"Slice: {frame.title}"
    stages = [Stage("input", title, frozen(points.x, np.float64))]
    stages += [_on_frame(_stage(op, out[:n]), frame)
               for op, out in zip(captured.ops, outputs[1:], strict=True)]
    _check_finite(stages)
    params = {k: frozen(v.detach().cpu().numpy(), np.float64) for k, v in state.items()}
    anchors, data = _marked(frame, n, outputs[1:])
    return Trace(tuple(stages), _colors(points, stages[-1]), points.labels, points.grid_shape,
                 params, experiment, captured.mode, captured.note,
                 _from_rows(captured.program, points, dev), points.color_by, frame=frame,
                 anchors=anchors, data=data, image_shape=points.image_shape,
                 row_shape=None if frame is not None else row_image_shape(points))


def _marked(frame: SliceFrame | None, n: int, outputs: Any
            ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """The anchors' and the data rows' stages from the outputs' rows past the ``n`` points
    (``_network_input``'s order: points, anchors, data rows); stage 0 their slice
    coordinates (the data rows': their projections)."""
    if frame is None:
        return (), ()
    m = len(frame.anchors)
    rows = [out[n:].cpu().numpy() for out in outputs]  # (m [+ N], d_k) per stage
    anchors = (frozen(frame.anchors, np.float64),
               *(frozen(r[:m], np.float64) for r in rows))
    if frame.data is None:
        return anchors, ()
    data = (frozen(frame.project(frame.data), np.float64),
            *(frozen(r[m:], np.float64) for r in rows))
    return anchors, data


def shaped_for(model: nn.Module, points: Points) -> Points:
    """``points`` with the image shape a convolution first in the model reads
    (``model.image_shape``) when none was given; a note says which shape was inferred (of a
    model that reshapes its rows itself too, though they go in as rows)."""
    if points.image_shape is not None:
        return points
    with modules_in_use(model):  # inferring may trace it with torch.fx: alone, as capture
        found = inferred_shape(model, points.input_dim)
    if found is None:
        return points
    shape = ",".join(map(str, found.shape))
    how = ("the model reshapes each row to that image itself" if found.reshaped else
           "each row is reshaped to that image before it")
    warnings.warn(f"input shape {shape} inferred from the model's first operation, "
                  f"{found.where}: {how}; give --input-shape to choose another",
                  SpacewarpNote, stacklevel=3)
    if found.reshaped:
        return points
    frame = None if points.frame is None else replace(points.frame, image_shape=found.shape)
    return replace(points, image_shape=found.shape, frame=frame)  # as a given shape is


def recolored(previous: Trace, points: Points, experiment: Any = None) -> Trace:
    """``previous`` coloured as ``points`` are: the same points through the same network,
    coloured another way. Its stages are kept as they are (the same arrays, so what is
    remembered by them, plans and digests, is found again); nothing is traced."""
    return replace(previous, color=_colors(points, previous.stages[-1]), labels=points.labels,
                   color_by=points.color_by, experiment=experiment, stage_notes=())


def _colors(points: Points, last: Stage) -> np.ndarray:
    """(n,) the colour values: the points' own, or the prediction of the last stage."""
    color = predicted(last.points) if points.color_by == PREDICTED else points.color
    return frozen(color, np.float64)


def predicted(output: np.ndarray) -> np.ndarray:
    """(n,) the network's prediction from its output (n, C): the class index (argmax) for
    C >= 2 logits or probabilities, the value itself for one output."""
    if output.shape[1] >= 2:
        return output.argmax(axis=1).astype(np.float64)
    return output[:, 0].copy()


def _on_frame(stage: Stage, frame: SliceFrame | None) -> Stage:
    """A linear stage fed by a slice's coordinates u carries the map from u: W x + b with
    x = origin + u @ axes is (W axes^T) u + (W origin + b), so the views morph from the
    slice with the weights that act on it (the layer's own are in ``Trace.params``)."""
    if frame is None or stage.weight is None or stage.inputs != (0,):
        return stage
    weight, bias = frame.linear_on_slice(stage.weight, stage.bias)  # (d_out, k), (d_out,)
    return replace(stage, weight=frozen(weight, np.float64), bias=frozen(bias, np.float64))


def private_copy(model: nn.Module) -> nn.Module:
    """A deep copy of ``model``, without the FutureWarning that copying a torch.export
    program's module prints from inside torch (its pytree specs' ``LeafSpec``): torch's
    own deprecation, which the user can do nothing about."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*treespec, LeafSpec", FutureWarning)
        return copy.deepcopy(model)


def _network_input(points: Points, dev: torch.device) -> torch.Tensor:
    """(n, d) the points as the network takes them; on a slice (n + m, D): the points'
    inputs ``origin + u @ axes``, then the anchors', then (--show-data) the data rows
    themselves (n + m + N, D): the images past the points are kept apart."""
    x = torch.from_numpy(points.x.copy()).to(dev)  # (n, d) float64 (points.x: read-only)
    frame = points.frame
    if frame is not None:
        u = torch.cat([x, torch.from_numpy(frame.anchors.copy()).to(dev)])  # (n + m, k)
        x = _tensor(frame.origin, dev) + u @ _tensor(frame.axes, dev)  # (n + m, D)
        if frame.data is not None:
            x = torch.cat([x, _tensor(frame.data, dev)])  # (n + m + N, D)
    if points.image_shape is not None:
        x = x.reshape(len(x), *points.image_shape)  # (n, D) -> (n, C, H, W)
    return x


def _from_rows(program: Callable[[torch.Tensor], tuple[torch.Tensor, ...]],
               points: Points, dev: torch.device
               ) -> Callable[[torch.Tensor], tuple[torch.Tensor, ...]]:
    """The stages from the input stage's rows: for slice coordinates u (n, k) the network's
    of ``origin + u @ axes``, each row reshaped to the image shape where one is given; the
    rows themselves are stage 0 (so measures differentiate along the slice)."""
    frame, shape = points.frame, points.image_shape
    if frame is None and shape is None:
        return program
    origin = None if frame is None else _tensor(frame.origin, dev)  # (D,)
    axes = None if frame is None else _tensor(frame.axes, dev)  # (k, D)

    def from_rows(u: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = u if origin is None or axes is None else origin + u @ axes
        return (u, *program(x if shape is None else x.reshape(len(x), *shape))[1:])

    return from_rows


def _tensor(a: np.ndarray, dev: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.array(a, dtype=np.float64)).to(dev)


def _check_finite(stages: list[Stage]) -> None:
    """NumPy, not torch: one thread scans as fast, and torch's threads stall on a busy
    machine (10x slower here under load). By each column's least and greatest value
    (``kept_range``, which the pictures read again), NaN when any is, and infinite when
    any is: no (n, d) mask (3 MB a stage at 1e6 points)."""
    for stage in stages[1:]:
        if stage.points.size and not all(np.isfinite(end).all()
                                         for end in kept_range(stage.points)):
            raise NetworkError(f"stage {stage.title!r} produced NaN or inf; use smaller "
                               "weights or inputs", field="network.weights")


def _stage(op: Op, out: torch.Tensor) -> Stage:
    return Stage(op.kind, op.title, frozen(out.cpu().numpy(), np.float64), op.module,
                 None if op.weight is None else frozen(op.weight.cpu().numpy(), np.float64),
                 None if op.bias is None else frozen(op.bias.cpu().numpy(), np.float64), op.inputs,
                 op.on_rows)


def _check_input_width(net: nn.Module, dim: int) -> None:
    """A sequence that starts with a linear layer says its width here (an exported
    program: its declared width); other models (a convolution first, say) say so by
    failing (``trace`` turns that into the same advice)."""
    width = declared_width(net)
    if width is not None and width != dim:
        raise NetworkError(f"the model takes {width}-D input (as it was exported) but the "
                           f"points are {dim}-D; give points with {width} columns",
                           field="input")
    if not isinstance(net, nn.Sequential):
        return
    first = next((m for m in net.modules() if not list(m.children())), None)
    if isinstance(first, nn.Linear) and first.in_features != dim:
        raise SpacewarpError(
            f"the network takes {first.in_features}-D input but the points are {dim}-D; "
            f"make the first width {dim}", field="network.layers")


