"""Which control shows a message: from the error's config ``field``, never from its text.

Library and app errors carry ``field``, the dotted config path they concern
(``"input.points"``, ``"network.weights.0.weight"``, ``"input.params.step"``). Each
sidebar control edits one such path; a message goes beside the control whose path is the
longest prefix of the error's field, or to ``default`` when none is.
"""

from __future__ import annotations

from ..errors import SpacewarpError

# config path -> the control that edits it (param:KEY for a generator's parameter)
FIELD_CONTROLS = {
    "input.name": "input", "input.points": "points", "input.path": "upload",
    "input.color_by": "color_by", "input.params": "input", "input.slice": "slice",
    "input.bounds": "bounds", "input.slice_points": "slice", "input.show_data": "show_data",
    "network.layers": "widths",
    "network.activation": "activation", "network.bias": "bias", "network.init": "init",
    "network.scale": "scale", "network.weights": "weights", "style": "theme",
    "style.regions": "regions", "style.svd_steps": "svd_steps", "style.measures": "measures",
    "seed": "seed", "input": "input", "network": "widths",
}
CONTROL_FIELDS = {control: field for field, control in reversed(FIELD_CONTROLS.items())}


def control_for_field(field: str | None, default: str = "views") -> str:
    """The control for a config path: ``"input.params.step"`` -> ``"param:step"``."""
    if not field:
        return default
    parts = field.split(".")
    if parts[:2] == ["input", "params"] and len(parts) > 2:
        return f"param:{parts[2]}"
    if parts[0] == "train":  # a training setting: its own control, else the Train button
        return f"train:{parts[1]}" if len(parts) > 1 else "train"
    for k in range(len(parts), 0, -1):
        control = FIELD_CONTROLS.get(".".join(parts[:k]))
        if control is not None:
            return control
    return default


def field_for_control(control: str) -> str | None:
    """The config path a control edits (``"param:step"`` -> ``"input.params.step"``)."""
    if control.startswith("param:"):
        return f"input.params.{control.removeprefix('param:')}"
    if control.startswith("train:"):
        return f"train.{control.removeprefix('train:')}"
    return CONTROL_FIELDS.get(control)


def control_for(error: SpacewarpError, default: str = "views") -> str:
    """The control beside which ``error`` is shown."""
    return control_for_field(error.field, default)


def with_field(error: SpacewarpError, field: str | None) -> SpacewarpError:
    """``error`` with ``field`` set when the raiser did not know it (the app does)."""
    if error.field is None and field is not None:
        error.field = field
    return error
