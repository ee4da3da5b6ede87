"""One forward pass that captures the points after every module.

Stage 0 is the input; then one stage per module of the (flattened) ``nn.Sequential``,
each a float64 (n, d_k) array equal to the output of the prefix network up to it.
For any other ``nn.Module``, the stages are the outputs of its leaf modules in call order.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from .errors import SpacewarpError
from .points import Points

if TYPE_CHECKING:
    from .config import Experiment, StyleSpec


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
    experiment: Experiment | None = None  # the resolved config that made it, if any
    # how the stages were captured: "graph" (every operation) or "hooks" (module outputs only)
    capture: str = "graph"
    note: str = ""  # what every view must say about the stages ("" when nothing)
    # x (n, d_0) float64 -> every stage's output, stage 0 first; differentiable, for measures
    program: Callable[[torch.Tensor], tuple[torch.Tensor, ...]] | None = field(
        default=None, compare=False, repr=False)
    stage_notes: tuple[str, ...] = ()  # per stage, one line under its title ("" for none)

    @property
    def n(self) -> int:
        return int(self.stages[0].points.shape[0])

    @property
    def output(self) -> np.ndarray:
        return self.stages[-1].points

    @property
    def style(self) -> StyleSpec:
        """The experiment's style (theme, colour map), or the defaults for a bare trace."""
        from .config import StyleSpec

        return self.experiment.style if self.experiment is not None else StyleSpec()

    def file_stem(self, k: int) -> str:
        """``stage-01-linear``: the per-stage file name, without suffix."""
        return f"stage-{k:02d}-{self.stages[k].kind}"


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` takes CUDA when present (as the seed does), else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SpacewarpError("--device cuda was asked for but no CUDA device is present; "
                             "use --device auto or cpu")
    if name not in ("cpu", "cuda"):
        raise SpacewarpError(f"unknown device {name!r}; choose auto, cpu or cuda")
    return torch.device(name)


def trace(model: nn.Module, points: Points, *, device: str = "auto",
          experiment: Experiment | None = None) -> Trace:
    """Run ``points`` through ``model`` once, in float64, keeping every stage.

    The model is copied, never changed. Raises ``SpacewarpError`` when the input width
    does not match the model or a stage produces NaN or inf.
    """
    dev = pick_device(device)
    net = copy.deepcopy(model).to(device=dev, dtype=torch.float64).eval()
    x = torch.from_numpy(points.x.copy()).to(dev)  # (n, d_in) float64; copy: x is read-only
    _check_input_width(net, points.dim)
    with torch.no_grad():
        captured = _run_stages(net, x)
    stages = [Stage("input", "Input", _frozen(points.x))]
    for name, module, out in captured:
        stages.append(_stage(name, module, out))
    bad = [s.title for s in stages if not np.isfinite(s.points).all()]
    if bad:
        raise SpacewarpError(f"stage {bad[0]!r} produced NaN or inf; use smaller weights or inputs")
    params = {k: _frozen(v.detach().cpu().numpy()) for k, v in net.state_dict().items()}
    program = _sequential_program(net, dev) if isinstance(net, nn.Sequential) else None
    return Trace(tuple(stages), _frozen(points.color), points.labels, points.grid_shape,
                 params, experiment, program=program)


def _sequential_program(net: nn.Sequential, dev: torch.device
                        ) -> Callable[[torch.Tensor], tuple[torch.Tensor, ...]]:
    """x (n, d_0) -> every stage's output (stage 0 first), for torch.func (measures)."""
    modules = [module for _, module in _flatten(net, "")]

    def program(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        outs = [x.to(dev)]
        for module in modules:
            outs.append(module(outs[-1]))
        return tuple(outs)

    return program


def _run_stages(net: nn.Module, x: torch.Tensor) -> list[tuple[str, nn.Module, torch.Tensor]]:
    if isinstance(net, nn.Sequential):
        out = []
        for name, module in _flatten(net, ""):
            x = module(x)
            out.append((name, module, x))
        return out
    return _run_with_hooks(net, x)


def _flatten(seq: nn.Sequential, prefix: str) -> list[tuple[str, nn.Module]]:
    flat: list[tuple[str, nn.Module]] = []
    for name, module in seq.named_children():
        full = f"{prefix}{name}"
        flat += _flatten(module, full + ".") if isinstance(module, nn.Sequential) else [
            (full, module)]
    return flat


def _run_with_hooks(net: nn.Module, x: torch.Tensor) -> list[tuple[str, nn.Module, torch.Tensor]]:
    """Outputs of leaf modules in call order, for models that are not ``nn.Sequential``."""
    out: list[tuple[str, nn.Module, torch.Tensor]] = []
    names = {m: n for n, m in net.named_modules()}
    leaves = [m for m in net.modules() if not list(m.children())]

    def keep(module: nn.Module, _inp: object, result: object) -> None:
        if isinstance(result, torch.Tensor) and result.ndim == 2 and len(result) == len(x):
            out.append((names[module], module, result))

    handles = [m.register_forward_hook(keep) for m in leaves]
    try:
        final = net(x)
    finally:
        for h in handles:
            h.remove()
    if not out or out[-1][2] is not final:
        out.append(("", nn.Identity(), final))
    return out


def _stage(name: str, module: nn.Module, out: torch.Tensor) -> Stage:
    points = _frozen(out.detach().cpu().numpy())
    if isinstance(module, nn.Linear):
        weight = _frozen(module.weight.detach().cpu().numpy())
        bias = None if module.bias is None else _frozen(module.bias.detach().cpu().numpy())
        title = f"Linear {module.in_features}->{module.out_features}"
        return Stage("linear", title, points, name, weight, bias)
    kind = type(module).__name__.lower()
    return Stage(kind, type(module).__name__, points, name)


def _check_input_width(net: nn.Module, dim: int) -> None:
    first = next((m for m in net.modules() if isinstance(m, nn.Linear)), None)
    if first is not None and first.in_features != dim:
        raise SpacewarpError(
            f"the network takes {first.in_features}-D input but the points are {dim}-D; "
            f"make the first width {dim}"
        )


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    a.setflags(write=False)
    return a
