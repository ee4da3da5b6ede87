"""Build the network: an ``nn.Sequential`` from widths, an activation and a weight recipe.

``Linear(w0, w1), act, Linear(w1, w2), act, ..., Linear(w_{k-1}, w_k)``: an activation
after every linear layer but the last, as the seed's full models. Everything is float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .errors import SpacewarpError, WeightsError
from .registry import Registry

MAX_WIDTH = 4096
MAX_DEPTH = 64  # linear layers

ACTIVATIONS: Registry[Callable[[], nn.Module]] = Registry("activation")
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
RECIPES: Registry[Recipe] = Registry("weight recipe")


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


def parse_widths(text: str | Sequence[int]) -> list[int]:
    """``"2,3,3,2"`` -> [2, 3, 3, 2], with a clear error for anything else."""
    if isinstance(text, str):
        try:
            widths = [int(w) for w in text.replace(" ", "").split(",")]
        except ValueError:
            raise SpacewarpError(
                f"layers {text!r} do not parse; give comma-separated widths such as 2,3,3,2"
            ) from None
    else:
        widths = [int(w) for w in text]
    check_widths(widths)
    return widths


def check_widths(widths: Sequence[int]) -> None:
    if len(widths) < 2:
        raise SpacewarpError(f"layers need at least an input and an output width, got {widths}")
    if len(widths) - 1 > MAX_DEPTH:
        raise SpacewarpError(f"at most {MAX_DEPTH} linear layers, got {len(widths) - 1}")
    bad = [w for w in widths if not 1 <= w <= MAX_WIDTH]
    if bad:
        raise SpacewarpError(f"every width must be between 1 and {MAX_WIDTH}, got {bad[0]}")


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
                field="network.weights")
        if not np.isfinite(array).all():
            raise WeightsError(f"weights {name!r} contain NaN or inf; give finite numbers",
                               field="network.weights")
        with torch.no_grad():
            own[name].copy_(torch.from_numpy(array))
