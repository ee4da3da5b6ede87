"""Build the network: an ``nn.Sequential`` from widths, an activation and a weight recipe.

``Linear(w0, w1), act, Linear(w1, w2), act, ..., Linear(w_{k-1}, w_k)``: an activation
after every linear layer but the last, as the seed's full models. Everything is float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from ..config.numbers import MAX_DEPTH, MAX_WIDTH, parse_widths
from ..config.registry import Registry
from ..errors import NetworkError, WeightsError

__all__ = ["ACTIVATIONS", "MAX_DEPTH", "MAX_WIDTH", "RECIPES", "build_model", "parse_widths"]

ACTIVATIONS: Registry[Callable[[], nn.Module]] = Registry(
    "activation", field="network.activation", error=NetworkError)
ACTIVATIONS.add("tanh", nn.Tanh)
ACTIVATIONS.add("relu", nn.ReLU)
ACTIVATIONS.add("leaky_relu", lambda: nn.LeakyReLU(0.1))  # 0.1, not 0.01: a visible slope
ACTIVATIONS.add("sigmoid", nn.Sigmoid)
ACTIVATIONS.add("elu", nn.ELU)
ACTIVATIONS.add("gelu", nn.GELU)
ACTIVATIONS.add("silu", nn.SiLU)
ACTIVATIONS.add("softplus", nn.Softplus)
ACTIVATIONS.add("identity", nn.Identity)

# A recipe sets the weights of a freshly built model in place: (model, scale) -> None.
# Every recipe starts from PyTorch's default initialisation, seeded by the caller.
Recipe = Callable[[nn.Sequential, float], None]
RECIPES: Registry[Recipe] = Registry("weight recipe", field="network.init", error=NetworkError)


def linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def manual_first_layer(d_in: int, width: int, scale: float) -> torch.Tensor:
    """The seed's first-layer matrix ``S * [I ; 2 * ones(h - d, d)]``, first ``h`` rows.

    For d = 2, h = 3 and S = 3 this is ``[[3, 0], [0, 3], [6, 6]]``. For 1-D input it is
    ``S * [1 ; -1 ; 2 ...]``: two neurons facing opposite ways, so that the 1-D story bends
    visibly (``[[3], [-3]]`` for the 1,2,1 network). Shape (width, d_in).
    """
    top = torch.tensor([[1.0], [-1.0]]) if d_in == 1 else torch.eye(d_in)
    rows = torch.cat([top, 2 * torch.ones(max(width - len(top), 0), d_in)])
    return scale * rows[:width].double()


@RECIPES.register("manual")
def _manual(model: nn.Sequential, scale: float) -> None:
    first = linears(model)[0]
    first.weight.copy_(manual_first_layer(first.in_features, first.out_features, scale))
    if first.bias is not None:
        first.bias.zero_()


@RECIPES.register("random")
def _random(model: nn.Sequential, scale: float) -> None:
    """PyTorch's default initialisation, as built (reproducible through the seed)."""


@RECIPES.register("identity")
def _identity(model: nn.Sequential, scale: float) -> None:
    for layer in linears(model):
        layer.weight.copy_(torch.eye(layer.out_features, layer.in_features))
        if layer.bias is not None:
            layer.bias.zero_()


@RECIPES.register("orthogonal")
def _orthogonal(model: nn.Sequential, scale: float) -> None:
    for layer in linears(model):
        nn.init.orthogonal_(layer.weight)
        if layer.bias is not None:
            layer.bias.zero_()


def check_widths(widths: Sequence[int]) -> None:
    """Widths as ``parse_widths`` would accept them, or ``NetworkError``."""
    parse_widths(list(widths))


def build_model(widths: Sequence[int], activation: str = "tanh", *, bias: bool = False,
                init: str = "manual", scale: float = 3.0, seed: int = 0,
                weights: dict[str, np.ndarray] | None = None) -> nn.Sequential:
    """A float64 ``nn.Sequential`` for ``widths``; ``weights`` override parameters by name."""
    check_widths(widths)
    make_activation, recipe = ACTIVATIONS[activation], RECIPES[init]
    modules: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for i, (d_in, d_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            if i:
                modules.append(make_activation())
            modules.append(nn.Linear(d_in, d_out, bias=bias))
        model = nn.Sequential(*modules).double()
        with torch.no_grad():
            recipe(model, scale)
            set_parameters(model, weights or {})
    return model


def set_parameters(model: nn.Module, params: dict[str, np.ndarray]) -> None:
    """Overwrite named parameters (``"0.weight"``) with given arrays, checking each."""
    own = dict(model.named_parameters())
    for name, value in params.items():
        if name not in own:
            raise WeightsError(
                f"the network has no parameter {name!r}; it has: {', '.join(own)}",
                field="network.weights")
        array = np.asarray(value, dtype=np.float64)
        if array.shape != tuple(own[name].shape):
            raise WeightsError(
                f"weights {name!r} must have shape {tuple(own[name].shape)}, got {array.shape}",
                field=f"network.weights.{name}")
        if not np.isfinite(array).all():
            raise WeightsError(f"weights {name!r} contain NaN or inf; give finite numbers",
                               field=f"network.weights.{name}")
        with torch.no_grad():
            own[name].copy_(torch.from_numpy(array))
