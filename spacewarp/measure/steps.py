"""A piecewise-linear network as a list of steps, from a trace's stages or a model's modules.

Each step makes one stage: ``Step("linear", weight=W, bias=b)`` or ``Step("relu", slope=a)``
(the activation ``max(z, a z)``: 0 for ReLU, the leak for leaky ReLU, 1 for identity).
``BatchNorm1d`` is affine in eval mode (its running statistics), as the trace runs it: a
linear step with a diagonal weight. Anything else (tanh, a model that is not a plain
``nn.Sequential``) is refused in one line, carrying the setting the user gave it by: the
activation of a network built from widths, else the model or checkpoint file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from ..config.experiment import Experiment
from ..errors import NetworkError
from ..tracing.trace import Trace

PIECEWISE = {"relu": 0.0, "identity": 1.0}  # kind -> slope of the negative side
LEAKY = "leakyrelu"
DEFAULT_LEAK = 0.1  # spacewarp's leaky_relu
# per-coordinate affine maps with running statistics
AFFINE_IN_EVAL = ("batchnorm1d", "batchnorm2d")
RTOL, ATOL = 1e-9, 1e-12  # a fitted step against its stage, relative to the stage's scale


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
            slope = leak_of(trace.stages[k - 1].points, stage.points)
            steps.append(Step("relu", slope=slope, title=stage.title))
        elif stage.kind in AFFINE_IN_EVAL and has_running_stats(trace, stage.module):
            steps.append(_per_coordinate_step(trace.stages[k - 1].points, stage.points,
                                              stage.title))
        else:
            _refuse(stage.kind, activation_field(trace))
    return steps


def has_running_stats(trace: Trace, module: str) -> bool:
    """A normalisation that uses running statistics in eval mode (not the batch's)."""
    return bool(module) and f"{module}.running_mean" in trace.params


def _per_coordinate_step(before: np.ndarray, after: np.ndarray, title: str) -> Step:
    """``after = before * s + t`` per column (n, d), fitted and checked on every point."""
    fit = per_coordinate_fit(before, after)
    if fit is None:
        _refuse_graph(title)
    s, t = fit  # type: ignore[misc]
    return Step("linear", np.diag(s), t, title=title)


def per_coordinate_fit(x: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(s, t), (d,) each, with ``out == x * s + t`` column by column on every row of the
    (n, d) arrays; None when no such map gives ``out``."""
    s, t = np.zeros(x.shape[1]), np.zeros(x.shape[1])
    for j in range(x.shape[1]):
        design = np.stack([x[:, j], np.ones(len(x))], axis=1)
        if np.linalg.matrix_rank(design) < 2:
            return None
        s[j], t[j] = np.linalg.lstsq(design, out[:, j], rcond=None)[0]
    scale = max(float(np.abs(out).max(initial=0.0)), 1.0)
    return (s, t) if np.allclose(x * s + t, out, rtol=RTOL, atol=ATOL * scale) else None


def activation_field(trace: Trace | None) -> str:
    """The setting a refused activation came from, as the user gave it: ``--activation``
    for a network built from widths, ``--model`` or ``--weights`` for their own file,
    ``network`` for a model object."""
    experiment = None if trace is None else trace.experiment
    if not isinstance(experiment, Experiment):
        return "network"
    net = experiment.network
    if not net.own_model:
        return "network.activation"
    return "network.model" if net.model else "network.checkpoint"


def leak_of(before: np.ndarray, after: np.ndarray) -> float:
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
        elif isinstance(module, nn.BatchNorm1d) and module.running_mean is not None:
            steps.append(_batchnorm_step(module))
        else:
            _refuse(type(module).__name__.lower(), activation_field(None))
    if not width:
        raise NetworkError("the model has no Linear layer; exact regions need one",
                           field="network.layers")
    return steps, width


def _batchnorm_step(bn: nn.BatchNorm1d) -> Step:
    """Eval-mode BatchNorm1d: ``(z - mean) / sqrt(var + eps) * gamma + beta`` per coordinate."""
    mean = bn.running_mean.detach().cpu().double().numpy()  # type: ignore[union-attr]
    var = bn.running_var.detach().cpu().double().numpy()  # type: ignore[union-attr]
    gamma = np.ones_like(mean) if bn.weight is None else bn.weight.detach().double().numpy()
    beta = np.zeros_like(mean) if bn.bias is None else bn.bias.detach().double().numpy()
    s = gamma / np.sqrt(var + bn.eps)
    return Step("linear", np.diag(s), beta - mean * s, title="BatchNorm1d")


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


def _refuse(kind: str, field: str) -> None:
    if kind not in SMOOTH:
        _refuse_graph(kind)
    refuse_smooth(kind, field)


def refuse_smooth(kind: str, field: str, stage: str = "") -> None:
    """A smooth activation, refused beside the setting it came from (``activation_field``),
    naming its stage where known."""
    where = f" at stage {stage!r}" if stage else ""
    raise NetworkError(
        f"exact linear regions need piecewise-linear activations (relu, leaky_relu, identity), "
        f"and this network has {kind!r}{where}; for smooth networks use --color-by stretch",
        field=field)
