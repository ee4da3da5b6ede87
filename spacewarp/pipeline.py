"""Experiment -> points -> network -> trace: the steps run in order, nothing drawn."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from torch import nn

from .config import Experiment
from .errors import SpacewarpError
from .measure import Measures, measures
from .measure.colors import measure_color, stage_notes
from .network import build_model
from .points import MEASURED_COLORINGS, Points, make_points
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
        raise SpacewarpError(
            f"layers {','.join(map(str, layers))} start at width {layers[0]} but input "
            f"{spec.name!r} is {pts.dim}-D; make the first width {pts.dim}")
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
    """Resolve the experiment, build its points and network, and trace them."""
    resolved, pts = resolve(experiment)
    traced = trace(model_for(resolved), pts, device=resolved.device, experiment=resolved)
    return measured(traced)[0] if resolved.input.color_by in MEASURED_COLORINGS else traced


def measured(traced: Trace) -> tuple[Trace, Measures]:
    """The trace with a measure summary under every stage's title (and its colours from the
    measures when the experiment colours by one), and the measures."""
    m = measures(traced)
    update: dict[str, object] = {"stage_notes": stage_notes(m)}
    color_by = traced.experiment.input.color_by if traced.experiment is not None else ""
    if color_by in MEASURED_COLORINGS:
        update["color"] = measure_color(traced, color_by, m)
    return replace(traced, **update), m  # type: ignore[arg-type]
