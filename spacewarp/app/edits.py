"""What each control does to the experiment: ``(experiment, raw value) -> new experiment``.

Every edit parses the raw text the browser sent (never evaluates it), validates the
whole new experiment, checks the app's limits, and raises ``SpacewarpError`` whose
``field`` is the config path it concerns on any mistake, so the app can show the message
beside that field's control and keep the last good experiment.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..config import numbers
from ..config.experiment import Experiment, validated
from ..config.numbers import parse_fraction
from ..errors import SpacewarpError
from ..inputs.points import generator_params, make_points, recolor
from ..model.build import parse_widths
from ..model.files import load_checkpoint
from ..model.resolve import model_for, resolve
from .fields import field_for_control, with_field
from .limits import MAX_POINTS, MAX_SEED, MAX_WEIGHT, check_limits

ADD_WIDTH = 3  # width of a hidden layer added by "add layer"


def refused(control: str, message: str) -> SpacewarpError:
    """A mistake typed into ``control``, carrying the config field that control edits."""
    return SpacewarpError(message, field=field_for_control(control))


def parse_number(control: str, text: str, what: str) -> float:
    """A finite float from typed text (``"0.5"``, ``"1e-3"``, ``"2/3"``), or
    ``SpacewarpError`` with the control's config field: ``numbers.parse_float``, the parser
    of every front (plain ASCII decimals: not ``3_0``, ``0x10``, ``inf`` or other scripts'
    digits), plus the simple fractions the boxes show some defaults as."""
    fraction = parse_fraction(str(text).strip())  # as the boxes show some defaults: "2/3"
    if fraction is not None:
        return fraction
    return numbers.parse_float(str(text), field=_field(control), what=what)


def parse_count(control: str, text: str, what: str, low: int, high: int) -> int:
    """A whole number in [low, high] from typed text; ``"1e4"`` is accepted
    (``numbers.parse_int``)."""
    return numbers.parse_int(str(text), field=_field(control), what=what, low=low, high=high)


def _field(control: str) -> str:
    return field_for_control(control) or control


def changed(experiment: Experiment, control: str, update: dict[str, Any]) -> Experiment:
    """``experiment`` with ``update``'s keys replaced, validated and within limits.

    ``update`` is ``{section: {key: value}}`` (or ``{"seed": n}``); each given key is
    replaced whole (a new ``params`` or ``weights`` dict replaces the old one).
    """
    data = experiment.model_dump(exclude_none=True)
    for section, values in update.items():
        if isinstance(values, dict):
            data[section] = {**data.get(section, {}), **values}
        else:
            data[section] = values
    try:
        new = validated(data)
        check_limits(new)
    except SpacewarpError as err:  # the library did not say which field: this edit's
        raise with_field(err, field_for_control(control)) from None
    return new


def set_input(experiment: Experiment, name: str) -> Experiment:
    """A new input set: its own parameters; the network reset when its dimension differs."""
    try:
        probe = make_points(name, 16, seed=0)
    except SpacewarpError as err:
        raise with_field(err, "input.name") from None
    update: dict[str, Any] = {"input": {"name": name, "params": {}}}
    return _fit_to_input(experiment, "input", update, probe.dim, probe)


def set_upload(experiment: Experiment, path: str, dim: int, has_labels: bool) -> Experiment:
    """Points from an uploaded file already saved at ``path`` (every row)."""
    input_update: dict[str, Any] = {"name": "file", "path": path, "params": {}, "points": None}
    update: dict[str, Any] = {"input": input_update}
    exp = _fit_to_input(experiment, "upload", update, dim, None)
    if has_labels and exp.input.color_by != "label":
        return changed(exp, "upload", {"input": {"color_by": "label"}})
    return exp


def _fit_to_input(experiment: Experiment, control: str, update: dict[str, Any], dim: int,
                  probe: Any) -> Experiment:
    layers = experiment.network.layers
    if layers is not None and layers[0] != dim:  # back to the default network for this dim
        update["network"] = {"layers": None, "init": None, "weights": {}}
    color = experiment.input.color_by
    if probe is not None:
        try:
            recolor(probe, color or "x")
        except SpacewarpError:
            update["input"]["color_by"] = "x"
    elif color in ("y", "angle") and dim < 2:
        update["input"]["color_by"] = "x"
    if update["input"]["name"] != "file":
        update["input"]["path"] = None
    return changed(experiment, control, update)


def set_points(experiment: Experiment, text: str) -> Experiment:
    n = parse_count("points", text, "points", 1, MAX_POINTS)
    return changed(experiment, "points", {"input": {"points": n}})


def set_slice(experiment: Experiment, text: str) -> Experiment:
    """Points on a slice through the data (``"0,6,8"``, ``"pca"``, ``"3"``, ``"3,7"``), or
    none (``""``): the CLI's ``--slice``, parsed by the same function. A new slice takes
    its own box (the anchors' or the principal spread) until bounds are typed again; rows
    out of range or spanning no plane are refused when the slice is made, in the CLI's
    words, beside this control. Onto a slice or off it, the count is the new points' own
    default, as the CLI's without ``--points`` (a 100 x 100 grid, 200 on a line; every
    data row), not the other's count (the data's 1,797 rows made a 42 x 42 grid)."""
    value, spec = str(text).strip(), experiment.input
    color = spec.color_by
    if not value:  # the data's own colouring again where the slice's was kept
        return changed(experiment, "slice", {"input": {
            "slice": None, "bounds": None, "slice_points": None, "points": None,
            "show_data": False,  # (the rows are drawn on a slice only)
            "color_by": None if color == "predicted" else color}})
    rows = numbers.parse_slice(value, field="input.slice")
    # the slice's points have no labels: coloured by the class predicted there instead
    count = {} if spec.slice is not None else {"points": None}  # a new slice: its default
    return changed(experiment, "slice", {"input": {
        "slice": rows, "bounds": None, "color_by": None if color == "label" else color,
        **count}})


def set_bounds(experiment: Experiment, text: str) -> Experiment:
    """The slice's box in slice coordinates (``"-10,60,-10,45"``), or its own (``""``)."""
    value = str(text).strip()
    if value and experiment.input.slice is None:
        raise refused("bounds", "bounds place points on a slice; give the slice first "
                                "(rows I,J,K, or pca)")
    box = numbers.parse_bounds(value, field="input.bounds") if value else None
    return changed(experiment, "bounds", {"input": {"bounds": box}})


def set_param(experiment: Experiment, key: str, text: str) -> Experiment:
    known = generator_params(experiment.input.name)
    if key not in known:
        raise refused(f"param:{key}", f"input {experiment.input.name!r} has no parameter "
                           f"{key!r}; its parameters: {', '.join(known) or 'none'}")
    value = parse_number(f"param:{key}", text, key)
    params = {**experiment.input.params, key: value}
    return changed(experiment, f"param:{key}", {"input": {"params": params}})


def set_seed(experiment: Experiment, text: str) -> Experiment:
    return changed(experiment, "seed", {"seed": parse_count("seed", text, "seed", 0, MAX_SEED)})


def set_widths(experiment: Experiment, text: str) -> Experiment:
    """New widths from ``"2,3,3,2"``; typed weights that no longer fit are dropped."""
    try:
        layers = parse_widths(str(text))
    except SpacewarpError as err:
        raise with_field(err, "network.layers") from None
    keep = kept_weights(experiment.network.weights, layers, experiment.network.bias)
    return changed(experiment, "widths", {"network": {"layers": layers, "weights": keep}})


def add_layer(experiment: Experiment) -> Experiment:
    """One more hidden layer of width 3 before the output (or a copy of the last hidden)."""
    layers = list(experiment.network.layers or [])
    if len(layers) < 2:
        raise refused("widths", "set the widths first (e.g. 2,3,3,2)")
    hidden = layers[-2] if len(layers) > 2 else ADD_WIDTH
    return set_widths(experiment, ",".join(map(str, [*layers[:-1], hidden, layers[-1]])))


def remove_layer(experiment: Experiment) -> Experiment:
    """The last hidden layer removed (a network keeps at least input -> output)."""
    layers = list(experiment.network.layers or [])
    if len(layers) <= 2:
        raise refused("widths", "no hidden layer left to remove")
    return set_widths(experiment, ",".join(map(str, [*layers[:-2], layers[-1]])))


def kept_weights(weights: dict[str, Any], layers: list[int], bias: bool) -> dict[str, Any]:
    """The typed weights whose shapes still fit ``layers`` (biases only with ``bias``)."""
    shapes = expected_shapes(layers, bias)
    return {k: v for k, v in weights.items()
            if k in shapes and np.shape(v) == shapes[k]}


def expected_shapes(layers: list[int], bias: bool) -> dict[str, tuple[int, ...]]:
    """``{"0.weight": (3, 2), "0.bias": (3,), "2.weight": ...}`` for the built network."""
    out: dict[str, tuple[int, ...]] = {}
    for k, (d_in, d_out) in enumerate(zip(layers[:-1], layers[1:], strict=True)):
        out[f"{2 * k}.weight"] = (d_out, d_in)
        if bias:
            out[f"{2 * k}.bias"] = (d_out,)
    return out


def set_choice(experiment: Experiment, control: str, value: Any) -> Experiment:
    """Activation, bias, recipe, colouring, theme, or the data rows on a slice shown (the
    CLI's --show-data); a new recipe clears typed weights."""
    section, key = _CHOICES[control]
    if control in ("init", "color_by") and value == "":
        value = None  # the input's own default recipe or colouring
    update: dict[str, Any] = {section: {key: value}}
    net = experiment.network
    if control == "init":
        update["network"]["weights"] = {}
    elif control == "bias":
        update["network"]["weights"] = kept_weights(net.weights, list(net.layers or []),
                                                    bool(value))
    return changed(experiment, control, update)


_CHOICES = {
    "activation": ("network", "activation"), "bias": ("network", "bias"),
    "init": ("network", "init"), "color_by": ("input", "color_by"),
    "show_data": ("input", "show_data"),
    "theme": ("style", "theme"), "regions": ("style", "regions"),
    "svd_steps": ("style", "svd_steps"), "measures": ("style", "measures"),
}


def set_scale(experiment: Experiment, text: str) -> Experiment:
    """The recipe's scale S; typed weights are cleared so the recipe applies again."""
    scale = parse_number("scale", text, "scale")
    return changed(experiment, "scale", {"network": {"scale": scale, "weights": {}}})


def set_weight(experiment: Experiment, params: dict[str, np.ndarray], name: str, row: int,
               col: int | None, text: str) -> Experiment:
    """One typed number in a weight matrix (``col`` None: a bias entry).

    ``params``: the current network's parameters (the trace's state_dict), of which the
    edited matrix is kept whole, so the rest of the layer stays as drawn.
    """
    value = parse_number("weights", text, "a weight")
    if abs(value) > MAX_WEIGHT:
        raise refused("weights", f"a weight must be between -{MAX_WEIGHT:g} and "
                           f"{MAX_WEIGHT:g}, got {text!r}")
    if name not in params:
        raise refused("weights", f"the network has no parameter {name!r}")
    matrix = np.array(params[name], dtype=np.float64)  # a copy: (d_out, d_in) or (d_out,)
    index = (row,) if col is None else (row, col)
    if not all(0 <= i < s for i, s in zip(index, matrix.shape, strict=False)):
        raise refused("weights", f"{name} has no entry {index}")
    matrix[index] = value
    return _with_matrix(experiment, name, matrix)


def randomised(experiment: Experiment, params: dict[str, np.ndarray], name: str,
               rng: np.random.Generator) -> Experiment:
    """A layer's matrix drawn afresh: N(0, 1/fan_in), rounded to 3 decimals (exact in links)."""
    if name not in params:
        raise refused("weights", f"the network has no parameter {name!r}")
    shape = params[name].shape
    fan_in = shape[1] if len(shape) == 2 else 1
    matrix = np.round(rng.standard_normal(shape) * 2 / math.sqrt(fan_in), 3)
    return _with_matrix(experiment, name, matrix)


def checkpoint_weights(experiment: Experiment, path: Path) -> dict[str, np.ndarray]:
    """Every parameter of the experiment's network, from a state_dict checkpoint file
    (weights only: never unpickled code), checked key by key and shape by shape."""
    resolved, _ = resolve(experiment)
    model = load_checkpoint(str(path), model_for(resolved))
    return {k: v.detach().cpu().numpy() for k, v in model.named_parameters()}


def with_weights(experiment: Experiment, weights: dict[str, np.ndarray]) -> Experiment:
    """The experiment with these explicit parameters (the rest of its network kept)."""
    merged_weights = {**experiment.network.weights, **{k: v.tolist()
                                                       for k, v in weights.items()}}
    return changed(experiment, "weights", {"network": {"weights": merged_weights}})


def trained(experiment: Experiment, network: Any, weights: dict[str, np.ndarray]
            ) -> Experiment:
    """The experiment with the network as it was trained: the built settings training
    resolved (its defaults give the course's model a bias even where the experiment left
    ``bias`` unset) and exactly these parameters."""
    built = {k: getattr(network, k) for k in ("layers", "activation", "bias", "init")}
    return changed(experiment, "weights", {"network": {
        **built, "weights": {k: v.tolist() for k, v in weights.items()}}})


def _with_matrix(experiment: Experiment, name: str, matrix: np.ndarray) -> Experiment:
    weights = {**experiment.network.weights, name: matrix.tolist()}
    return changed(experiment, "weights", {"network": {"weights": weights}})


def set_train(experiment: Experiment, key: str, text: Any) -> Experiment:
    """A training setting (``lr``, ``optimizer``, ...) from its control's text, within the
    explorer's cap from the settings table."""
    from ..config.settings import TRAIN_BY_KEY

    control = f"train:{key}"
    setting = TRAIN_BY_KEY.get(key)
    if setting is None or setting.control is None:
        raise refused(control, f"{key!r} is not a training setting of the explorer")
    value: Any = str(text).strip()
    if setting.choices is None and value != "full":  # numbers: parsed here, never eval'd
        value = parse_number(control, value, key.replace("_", " "))
        if setting.cap is not None and value > setting.cap:
            raise refused(control, f"{key.replace('_', ' ')} must be at most "
                          f"{setting.cap:g} in the explorer, got {text!r}")
        value = int(value) if value.is_integer() and key in INTEGER_TRAIN_KEYS else value
    spec = (experiment.train.model_dump() if experiment.train is not None else {})
    return changed(experiment, control, {"train": {**spec, key: value}})


INTEGER_TRAIN_KEYS = ("epochs", "batch_size", "probe", "snapshots")
