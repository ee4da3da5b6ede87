"""Experiment -> points -> network -> trace: the steps run in order, nothing drawn."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from torch import nn

from .budget import check_experiment
from .config import Experiment, style_of
from .errors import NetworkError
from .network import build_model
from .points import Points, make_points
from .trace import Trace, trace


def default_layers(dim: int) -> list[int]:
    """The seed's networks: 2,3,3,2 for 2-D input, 1,2,1 for 1-D; d,3,3,d otherwise."""
    return {1: [1, 2, 1], 2: [2, 3, 3, 2]}.get(dim, [dim, 3, 3, dim])


def resolve(experiment: Experiment) -> tuple[Experiment, Points]:
    """The experiment with every default made explicit, and its points."""
    spec = experiment.input
    pts = make_points(spec.name, spec.points, seed=experiment.seed, color_by=spec.color_by,
                      **({"path": spec.path or ""} if spec.name == "file" else {}),
                      **spec.params)
    net = experiment.network
    layers = net.layers or default_layers(pts.dim)
    if layers[0] != pts.dim:
        raise NetworkError(
            f"layers {','.join(map(str, layers))} start at width {layers[0]} but input "
            f"{spec.name!r} is {pts.dim}-D; make the first width {pts.dim}",
            field="network.layers")
    init = net.init or ("manual" if pts.dim == 2 else "random")
    resolved = experiment.model_copy(update={
        "input": spec.model_copy(update={"points": pts.n}),
        "network": net.model_copy(update={"layers": layers, "init": init}),
    })
    return resolved, pts


def model_for(experiment: Experiment) -> nn.Sequential:
    """The network of a resolved experiment."""
    net = experiment.network
    if net.layers is None or net.init is None:
        raise ValueError("model_for needs a resolved experiment (see resolve)")
    weights = {k: np.asarray(v, dtype=np.float64) for k, v in net.weights.items()}
    return build_model(net.layers, net.activation, bias=net.bias, init=net.init,
                       scale=net.scale, seed=experiment.seed, weights=weights)


def run(experiment: Experiment) -> Trace:
    """Resolve the experiment, build its points and network, and trace them.

    The budget is checked first (``budget.check_experiment``): work over the memory or
    time cap is refused before a point is generated.
    """
    check_experiment(experiment)
    resolved, pts = resolve(experiment)
    traced = trace(model_for(resolved), pts, device=resolved.device, experiment=resolved)
    return replace(traced, style=style_of(resolved))
