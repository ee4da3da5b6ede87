"""Resolving an experiment: every default made explicit, its points, and its network.

Below training and the trace in the data flow: both start from a resolved experiment.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from ..config.experiment import Experiment, InputSpec, NetworkSpec
from ..errors import InputError, NetworkError, WeightsError
from ..inputs.points import Points, make_points
from ..inputs.sliced import on_slice
from .build import build_model, set_parameters
from .files import load_checkpoint, load_model, sha256


def default_layers(dim: int) -> list[int]:
    """The seed's networks: 2,3,3,2 for 2-D input, 1,2,1 for 1-D; d,3,3,d otherwise."""
    return {1: [1, 2, 1], 2: [2, 3, 3, 2]}.get(dim, [dim, 3, 3, dim])


def resolve(experiment: Experiment) -> tuple[Experiment, Points]:
    """The experiment with every default made explicit, and its points."""
    spec = experiment.input
    pts = shaped(points_of(spec, experiment.seed), spec.shape)
    made: dict[str, Any] = {"points": pts.n, "color_by": pts.color_by}
    if pts.frame is not None:  # the box the points were spread over, for a bit-identical re-run
        made["bounds"] = list(pts.frame.box)
    net = experiment.network
    checked = _checkpoint_checked(net)
    if net.own_model:  # the user's own architecture
        resolved = experiment.model_copy(update={
            "input": spec.model_copy(update=made), "network": checked})
        return resolved, pts
    dim = pts.input_dim
    layers = net.layers or default_layers(dim)
    if layers[0] != dim:
        raise NetworkError(
            f"layers {','.join(map(str, layers))} start at width {layers[0]} but input "
            f"{spec.name!r} is {dim}-D; make the first width {dim}",
            field="network.layers")
    init = net.init or ("manual" if dim <= 2 else "random")
    resolved = experiment.model_copy(update={
        "input": spec.model_copy(update=made),
        "network": checked.model_copy(update={"layers": layers, "init": init}),
    })
    return resolved, pts


def shaped(pts: Points, shape: list[int] | None) -> Points:
    """The points with the image shape their rows take before the network, checked."""
    if shape is None:
        return pts
    if math.prod(shape) != pts.input_dim:
        raise InputError(f"input shape {','.join(map(str, shape))} holds "
                         f"{math.prod(shape):,} numbers but the data's rows have "
                         f"{pts.input_dim:,}; give sizes whose product is {pts.input_dim:,}",
                         field="input.shape")
    frame = None if pts.frame is None else replace(pts.frame, image_shape=tuple(shape))
    return replace(pts, image_shape=tuple(shape), frame=frame)  # the frame: hover's images


def points_of(spec: InputSpec, seed: int) -> Points:
    """The experiment's points: the input set, or points on a slice through all its rows."""
    params: dict[str, Any] = {**spec.params, **({"path": spec.path or ""}
                                                 if spec.name == "file" else {})}
    if spec.slice is None:
        return make_points(spec.name, spec.points, seed=seed, color_by=spec.color_by,
                           **params)
    data = make_points(spec.name, None, seed=seed, **params)
    return on_slice(data, spec.slice, n=spec.points, seed=seed, bounds=spec.bounds,
                    points=spec.slice_points, color_by=spec.color_by,
                    show_data=spec.show_data)


def _checkpoint_checked(net: NetworkSpec) -> NetworkSpec:
    """The network spec with its checkpoint's SHA-256 recorded; a changed file refused."""
    if net.checkpoint is None or not Path(net.checkpoint).is_file():
        return net  # a missing file is reported when it is loaded
    digest = sha256(net.checkpoint)
    if net.checkpoint_sha256 not in (None, digest):
        raise WeightsError(
            f"checkpoint {net.checkpoint!r} has changed since the experiment was recorded "
            f"(sha256 {digest[:12]}... instead of {net.checkpoint_sha256[:12]}...); remove "
            "checkpoint_sha256 from the experiment to accept the new file",
            field="network.checkpoint_sha256")
    return net.model_copy(update={"checkpoint_sha256": digest})


def model_for(experiment: Experiment) -> nn.Module:
    """The network of a resolved experiment: built from widths, or the user's own model,
    with its checkpoint and explicit weights applied."""
    net = experiment.network
    weights = {k: np.asarray(v, dtype=np.float64) for k, v in net.weights.items()}
    if not net.own_model:
        if net.layers is None or net.init is None:
            raise ValueError("model_for needs a resolved experiment (see resolve)")
        model: nn.Module = build_model(net.layers, net.activation, bias=net.bias,
                                       init=net.init, scale=net.scale, seed=experiment.seed)
    else:
        model = _seeded_model(net.model, experiment.seed) if net.model else None  # type: ignore[assignment]
    if net.checkpoint is not None:
        model = load_checkpoint(net.checkpoint, model)
    set_parameters(model, weights)
    return model


def _seeded_model(spec: str, seed: int) -> nn.Module:
    """The user's model, constructed with torch's generator seeded by the experiment's seed
    (and put back after), so a model without a checkpoint is the same on every run."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return load_model(spec)
