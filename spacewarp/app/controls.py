"""The sidebar: one widget per experiment setting, each with its own message line.

Menus come from the registries (generators, activations, recipes, colourings), so a new
entry appears here without touching the app. Widgets hold raw text; parsing and
validation happen in ``edits`` (nothing typed is ever evaluated).
"""

from __future__ import annotations

import html
import math
import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import panel as pn

from ..config.experiment import Experiment, StyleSpec, TrainSpec
from ..config.numbers import number_text as short_number
from ..config.settings import TRAIN_SETTINGS, Setting
from ..inputs.points import COLORINGS, GENERATORS, generator_params
from ..model.build import ACTIVATIONS, RECIPES
from .limits import LIMITS_TEXT

Handler = Callable[[str, Any], None]  # (control, raw value) -> None

# an absolute path of two or more parts (never shown: messages name the user's things)
SERVER_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.@+-]+/)+[\w.@+-]*")
THEMES = list(typing.get_args(StyleSpec.model_fields["theme"].annotation))
SIDEBAR_WIDTH = 300


def number_text(value: float | int | None) -> str:
    """A number as the controls show it: the shortest text that reads back as the same
    value (``3``, ``0.1``, ``2/3``); ``""`` for None."""
    return "" if value is None else short_number(value)


def bounds_text(bounds: list[float] | None) -> str:
    """A slice's box as the Bounds box shows it: each end to 4 significant digits
    (``-12.14,60.7,-9.251,46.26``), and to 4 of its side's length where that is finer (a
    side 100.01 to 100.02 keeps its ends apart); the experiment keeps the exact box, this
    is only its text."""
    if not bounds:
        return ""
    ends = []
    for lo, hi in zip(bounds[0::2], bounds[1::2], strict=True):  # one side: (lo, hi)
        side = _decimals(abs(hi - lo))
        ends += [round(v, max(_decimals(abs(v)), side)) for v in (lo, hi)]
    return ",".join(number_text(e) for e in ends)


def _decimals(size: float) -> int:
    """The decimals that keep 4 significant digits of ``size`` (> 0); 0 for 0."""
    return 3 - math.floor(math.log10(size)) if size > 0 else 0


NO_SLICE_DATA = ("the data rows are drawn on a slice through them: give a slice (rows "
                 "I,J,K, or pca) first")


def at_once(widget: pn.widgets.Widget) -> pn.widgets.Widget:
    """``widget`` with its value handed to Python as soon as the page sends it. Panel
    holds every change from the page 50 ms (its ``_debounce``), to gather a slider's
    drag into one; a menu, a box or a typed value (sent on Enter) changes once, and those
    50 ms were a third of a change from the control to the views drawn (issue 20)."""
    setattr(widget, "_debounce", 0)  # noqa: B010 (a class variable, shadowed per widget)
    return widget


def error_line(control: str) -> pn.pane.HTML:
    """The (hidden) message line shown under a control when its value is refused."""
    return pn.pane.HTML("", visible=False, margin=(0, 10, 6, 10),
                        css_classes=["sw-error"], sizing_mode="stretch_width",
                        styles={"color": "#ff6b6b", "font-size": "12.5px"},
                        name=f"error-{control}")


class Controls:
    """Every sidebar widget, keyed by control name, plus a message line per control."""

    def __init__(self, experiment: Experiment, on_change: Handler) -> None:
        self._on_change = on_change
        self._syncing = False
        self.errors: dict[str, pn.pane.HTML] = {}
        self.widgets: dict[str, pn.widgets.Widget] = {}
        self.params_box = pn.Column(sizing_mode="stretch_width", margin=0)
        net = experiment.network
        # a served model (spacewarp serve --model/--weights): its architecture is fixed
        self.served = net.model or (net.checkpoint if net.layers is None else None)
        self._build(experiment)
        self.sync(experiment)

    # --- building -------------------------------------------------------------------
    def _build(self, exp: Experiment) -> None:
        w = self.widgets
        w["input"] = pn.widgets.Select(label="Input set", options=GENERATORS.names())
        w["points"] = pn.widgets.TextInput(label="Points")
        w["seed"] = pn.widgets.TextInput(label="Seed")
        # a slice through the data (digits, an upload): the CLI's --slice and --bounds
        w["slice"] = pn.widgets.TextInput(
            label="Slice: rows I,J,K, or pca (empty: none)", placeholder="e.g. 0,6,8",
            description="points on a plane through rows I, J, K of the data (I,J: a line; "
                        "pca: the mean and 2 principal directions; I: row I along them); "
                        "training trains on every row and shows the slice")
        w["bounds"] = pn.widgets.TextInput(
            label="Slice box x0,x1,y0,y1 (empty: from the rows)",
            description="the slice's box in slice coordinates (one unit is one unit of the "
                        "input)")
        w["show_data"] = pn.widgets.Checkbox(  # the CLI's --show-data
            label="Show the data rows: on the slice and through every stage")
        # why the box is greyed out, where it is: a tooltip beside it (a Checkbox has none)
        self.show_data_reason = pn.widgets.TooltipIcon(
            value=NO_SLICE_DATA, visible=False, margin=(0, 0, 0, 4),
            css_classes=["sw-show-data-reason"])
        w["upload"] = pn.widgets.FileInput(accept=".csv,.npy,.npz", multiple=False)
        w["widths"] = pn.widgets.TextInput(label="Widths (input, hidden..., output)")
        w["activation"] = pn.widgets.Select(label="Activation", options=ACTIVATIONS.names())
        w["bias"] = pn.widgets.Checkbox(label="Bias in linear layers")
        w["init"] = pn.widgets.Select(  # "": the input's own default (a value in the menu,
            label="Weight recipe",        # so the browser never picks one of its own)
            options={"default for the input": "", **{n: n for n in RECIPES.names()}})
        w["scale"] = pn.widgets.TextInput(label="Scale S (manual recipe)")
        w["color_by"] = pn.widgets.Select(  # "": by class when labelled, else x (a value in
            label="Colour by",  # the menu, so the browser never picks one and fires a change)
            options={"default for the input": "", **{n: n for n in COLORINGS.names()}})
        w["theme"] = pn.widgets.Select(label="Theme", options=THEMES)
        w["regions"] = pn.widgets.Select(  # exact linear regions (piecewise-linear networks)
            label="Regions", options={"off": "off", "outlines, a colour per region": "region",
                                     "outlines, filled by area change": "area"})
        w["svd_steps"] = pn.widgets.Checkbox(label="Linear steps as SVD: rotate, scale, "
                                                  "rotate, shift")
        w["measures"] = pn.widgets.Checkbox(label="Measures in titles: area change, folds, "
                                                 "collapse")
        for setting in TRAIN_SETTINGS:  # one control per training setting that has one
            if setting.control is not None:
                w[f"train:{setting.key}"] = train_widget(setting)
        self.add_layer = pn.widgets.Button(label="+ layer", width=80, margin=(0, 5, 5, 10))
        self.remove_layer = pn.widgets.Button(label="- layer", width=80, margin=(0, 5, 5, 5))
        self.add_layer.on_click(lambda _e: self._fire("add_layer", None))
        self.remove_layer.on_click(lambda _e: self._fire("remove_layer", None))
        for control, widget in w.items():
            at_once(widget)
            widget.sizing_mode = "stretch_width"
            widget.css_classes = [f"sw-{control.replace(':', '-')}"]
            self.errors[control] = error_line(control)
            if control != "upload":
                widget.param.watch(lambda e, c=control: self._fire(c, e.new), "value")
        w["upload"].param.watch(lambda e: self._fire("upload", e.obj), "value")
        for extra in ("link", "views", "weights", "export", "train"):
            self.errors[extra] = error_line(extra)
        self._params_for = ""
        self._rebuild_params(exp.input.name)

    def _rebuild_params(self, input_name: str) -> None:
        """One text box per parameter of the chosen generator (from its signature)."""
        defaults = {k: v for k, v in generator_params(input_name).items()
                    if isinstance(v, int | float) and not isinstance(v, bool)}
        self._params_for = input_name
        rows = []
        for key in defaults:
            control = f"param:{key}"
            widget = pn.widgets.TextInput(label=key.replace("_", " ").capitalize(),
                                          sizing_mode="stretch_width",
                                          css_classes=[f"sw-param-{key}"])
            widget.param.watch(lambda e, c=control: self._fire(c, e.new), "value")
            self.widgets[control] = at_once(widget)
            self.errors[control] = error_line(control)
            rows += [widget, self.errors[control]]
        for stale in [c for c in self.widgets if c.startswith("param:")
                      and c.removeprefix("param:") not in defaults]:
            del self.widgets[stale]
            self.errors.pop(stale, None)
        self.params_box.objects = rows

    def _fire(self, control: str, value: Any) -> None:
        if not self._syncing:
            self._on_change(control, value)

    # --- showing values and messages ---------------------------------------------------
    def sync(self, exp: Experiment, keys: set[str] | None = None) -> None:
        """Show ``exp`` in the widgets (only ``keys``, when given) without firing handlers.

        Widgets not in ``keys`` keep what the user typed (a refused value stays visible
        beside its message).
        """
        values = displayed(exp)
        self._show_data_enabled(exp)
        if exp.input.name != self._params_for:  # (a file has no numeric parameters)
            self._rebuild_params(exp.input.name)
            keys = None if keys is None else keys | {k for k in values if k.startswith("param:")}
        self._syncing = True
        try:
            for control, value in values.items():
                widget = self.widgets.get(control)
                if widget is not None and (keys is None or control in keys) \
                        and widget.value != value:
                    widget.value = value
        finally:
            self._syncing = False

    def _show_data_enabled(self, exp: Experiment) -> None:
        """--show-data draws rows on a slice: greyed out, with its reason, without one."""
        off = exp.input.slice is None
        self.widgets["show_data"].disabled = off
        self.show_data_reason.visible = off

    def show_error(self, control: str, message: str) -> None:
        """Show ``message`` under ``control`` (or above the views when it has no line)."""
        if control not in self.errors:
            control = "views"
        pane = self.errors[control]
        message = SERVER_PATH.sub("<file>", message)
        pane.object = (f'<div class="sw-error-text" data-control="{html.escape(control)}">'
                       f"{html.escape(message)}</div>")
        pane.visible = True

    def clear_error(self, control: str) -> None:
        pane = self.errors.get(control)
        if pane is not None and pane.visible:
            pane.visible = False
            pane.object = ""

    def error_text(self, control: str) -> str:
        pane = self.errors.get(control)
        return str(pane.object) if pane is not None and pane.visible else ""

    # --- layout -------------------------------------------------------------------------
    def panel(self, share: pn.viewable.Viewable, export: pn.viewable.Viewable) -> pn.Column:
        w, e = self.widgets, self.errors

        def field(control: str) -> list[Any]:
            return [w[control], e[control]]

        upload_label = pn.pane.HTML("Or upload points (.csv, .npy, .npz)",
                                    margin=(4, 10, 0, 10), styles={"font-size": "13px"})
        sections = [
            _heading("Input"), *field("input"), *field("points"), self.params_box,
            *field("seed"), upload_label, *field("upload"), *field("slice"),
            *field("bounds"), pn.Row(w["show_data"], self.show_data_reason, margin=0),
            e["show_data"],
            _heading("Network"), *(self._served_model() if self.served else [
                *field("widths"), pn.Row(self.add_layer, self.remove_layer, margin=0),
                *field("activation"), *field("bias"), *field("init"), *field("scale")]),
            *([] if self.served else [  # the explorer trains the networks it builds
                _heading("Training"),
                *[x for c in w if c.startswith("train:") for x in field(c)]]),
            _heading("Look"), *field("color_by"), *field("theme"), *field("regions"),
            *field("svd_steps"), *field("measures"),
            _heading("Share and export"), share, export, e["export"],
            pn.pane.HTML(f'<div class="sw-limits">{html.escape(LIMITS_TEXT)}</div>',
                         margin=(10, 10), styles={"font-size": "12px", "opacity": "0.75"}),
        ]
        return pn.Column(*sections, width=SIDEBAR_WIDTH, sizing_mode="stretch_height",
                         scroll=True, css_classes=["sw-sidebar"])


    def _served_model(self) -> list[Any]:
        """The served model in place of the width, activation and recipe controls."""
        name = Path(str(self.served).split(":")[0]).name + (
            ":" + str(self.served).rsplit(":", 1)[1] if ":" in str(self.served) else "")
        text = (f"Your model: <code>{html.escape(name)}</code>. Its layers are fixed; edit "
                "its weights beside the views, or upload a checkpoint of it (.pt, "
                ".safetensors) above.")
        return [pn.pane.HTML(text, margin=(4, 10), styles={"font-size": "13px"},
                             css_classes=["sw-served-model"])]


def _heading(text: str) -> pn.pane.HTML:
    return pn.pane.HTML(f"<b>{html.escape(text)}</b>", margin=(12, 10, 2, 10),
                        styles={"font-size": "14px", "letter-spacing": "0.04em",
                                "text-transform": "uppercase", "opacity": "0.8"})


def train_widget(setting: Setting) -> pn.widgets.Widget:
    """A training setting's control, from its line in the settings table."""
    label = setting.key.replace("_", " ").replace("lr", "learning rate").capitalize()
    if setting.control == "select":
        return pn.widgets.Select(label=label, options=list(setting.choices or ()),
                                 description=setting.help)
    return pn.widgets.TextInput(label=label, description=setting.help)


def displayed(exp: Experiment) -> dict[str, Any]:
    """What each widget shows for an experiment (a resolved one shows every default)."""
    spec, net = exp.input, exp.network
    out: dict[str, Any] = {
        "input": spec.name, "points": number_text(spec.points), "seed": str(exp.seed),
        "slice": spec.slice or "",
        "bounds": bounds_text(spec.bounds),
        "show_data": spec.show_data,
        "widths": ",".join(map(str, net.layers or [])), "activation": net.activation,
        "bias": net.bias, "init": net.init or "", "scale": number_text(net.scale),
        "color_by": spec.color_by or "", "theme": exp.style.theme,
        "regions": exp.style.regions, "svd_steps": exp.style.svd_steps,
        "measures": exp.style.measures,
    }
    train = exp.train or TrainSpec()
    for setting in TRAIN_SETTINGS:
        if setting.control is not None:
            value = getattr(train, setting.key)
            out[f"train:{setting.key}"] = value if isinstance(value, str) else number_text(value)
    if spec.name != "file":
        defaults = generator_params(spec.name)
        for key, default in defaults.items():
            if isinstance(default, int | float) and not isinstance(default, bool):
                out[f"param:{key}"] = number_text(spec.params.get(key, default))
    return out
