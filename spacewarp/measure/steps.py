"""A piecewise-linear network as a list of steps, from a trace's stages or a model's modules.

Each step makes one stage: ``Step("linear", weight=W, bias=b)`` or ``Step("relu", slope=a)``
(the activation ``max(z, a z)``: 0 for ReLU, the leak for leaky ReLU, 1 for identity).
Anything else (tanh, a model that is not a plain ``nn.Sequential``) is refused in one line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from ..errors import NetworkError
from ..tracing.trace import Trace

PIECEWISE = {"relu": 0.0, "identity": 1.0}  # kind -> slope of the negative side
LEAKY = "leakyrelu"
DEFAULT_LEAK = 0.1  # spacewarp's leaky_relu


@dataclass(frozen=True)
class Step:
    kind: str  # "linear" or "relu" (every piecewise-linear activation)
    weight: np.ndarray | None = None  # (d_out, d_in) float64, linear steps
    bias: np.ndarray | None = None  # (d_out,) float64, linear steps
    slope: float = 0.0  # negative-side slope of an activation step
    title: str = ""


def steps_of(model_or_trace: nn.Module | Trace) -> tuple[list[Step], int]:
    """The steps and the input width, from a ``Trace`` or an ``nn.Module``."""
    if isinstance(model_or_trace, Trace):
        return _from_trace(model_or_trace), model_or_trace.stages[0].dim
    if isinstance(model_or_trace, nn.Module):
        return _from_model(model_or_trace)
    raise NetworkError(f"regions need a model or a trace, not {type(model_or_trace).__name__}",
                       field="network")


def is_chain(trace: Trace) -> bool:
    """Every stage fed by the one before it (else ``measure.graph_steps`` reads the graph)."""
    return all(s.inputs in ((), (k - 1,)) for k, s in enumerate(trace.stages[1:], start=1))


def _from_trace(trace: Trace) -> list[Step]:
    steps = []
    for k, stage in enumerate(trace.stages[1:], start=1):
        if stage.inputs not in ((), (k - 1,)):
            _refuse_graph(stage.title)
        if stage.kind == "linear" and stage.weight is not None:
            w = np.asarray(stage.weight, dtype=np.float64)
            b = np.zeros(len(w)) if stage.bias is None else np.asarray(stage.bias, np.float64)
            steps.append(Step("linear", w, b, title=stage.title))
        elif stage.kind in PIECEWISE:
            steps.append(Step("relu", slope=PIECEWISE[stage.kind], title=stage.title))
        elif stage.kind == LEAKY:
            slope = _leak(trace.stages[k - 1].points, stage.points)
            steps.append(Step("relu", slope=slope, title=stage.title))
        else:
            _refuse(stage.kind)
    return steps


def _leak(before: np.ndarray, after: np.ndarray) -> float:
    """The leak of a leaky ReLU read off its stage: after / before where before < 0."""
    neg = before < 0
    return float(np.median(after[neg] / before[neg])) if neg.any() else DEFAULT_LEAK


def _from_model(model: nn.Module) -> tuple[list[Step], int]:
    if not isinstance(model, nn.Sequential):
        raise NetworkError(f"exact regions of a model need an nn.Sequential of Linear layers "
                           f"and piecewise-linear activations, not {type(model).__name__}; "
                           "for other architectures give a trace: "
                           "sw.regions(sw.trace(model, points), bounds)", field="network")
    steps: list[Step] = []
    width = 0
    for module in _leaves(model):
        if isinstance(module, nn.Linear):
            w = module.weight.detach().cpu().double().numpy()
            b = (np.zeros(len(w)) if module.bias is None
                 else module.bias.detach().cpu().double().numpy())
            width = width or module.in_features
            steps.append(Step("linear", w, b, title=f"Linear {w.shape[1]}->{w.shape[0]}"))
        elif isinstance(module, nn.ReLU | nn.Identity):
            slope = 0.0 if isinstance(module, nn.ReLU) else 1.0
            steps.append(Step("relu", slope=slope, title=type(module).__name__))
        elif isinstance(module, nn.LeakyReLU):
            steps.append(Step("relu", slope=float(module.negative_slope), title="LeakyReLU"))
        else:
            _refuse(type(module).__name__.lower())
    if not width:
        raise NetworkError("the model has no Linear layer; exact regions need one",
                           field="network.layers")
    return steps, width


def _leaves(seq: nn.Sequential) -> list[nn.Module]:
    out: list[nn.Module] = []
    for module in seq.children():
        out += _leaves(module) if isinstance(module, nn.Sequential) else [module]
    return out


SMOOTH = {"tanh", "sigmoid", "elu", "gelu", "silu", "softplus"}


def _refuse_graph(what: str) -> None:
    raise NetworkError(f"exact regions need a chain of Linear layers and piecewise-linear "
                       f"activations, and {what!r} is not one; other architectures are not "
                       "supported yet", field="network")


def _refuse(kind: str) -> None:
    if kind not in SMOOTH:
        _refuse_graph(kind)
    raise NetworkError(
        f"exact linear regions need piecewise-linear activations (relu, leaky_relu, identity), "
        f"and this network has {kind!r}; for smooth networks use --color-by stretch",
        field="network.activation")
