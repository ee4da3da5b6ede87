"""The notebook widget: the browser renderer as an anywidget whose state Python reads and sets.

``Widget`` carries the film spec of a trace (``render.browser``) or of a training
(``render.training_browser``) with its arrays as binary buffers (the ``raw`` encoding of
``render.blobs``), and the renderer as its ES module (``renderer_js`` plus
``js/notebook/widget.js``): everything travels over the widget's own channel, nothing from
a CDN. Synced traits: ``position`` (float, stage units), ``playing``, ``selected`` (trace
indices picked with Shift + drag, a lasso, or Ctrl + drag, a box), ``hovered``, ``color``
(a per-point array, turned into RGBA here), ``regions`` and ``snapshot`` (a training's).
Bad values raise ``SpacewarpError`` naming the trait, and the view keeps what it shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anywidget
import numpy as np
import traitlets

from ..errors import SpacewarpError
from ..tracing.selection import Selection, picked_rows
from ..tracing.trace import Trace
from .blobs import Blobs
from .browser import JS_DIR, BrowserOptions, film_spec, planned_film, renderer_js

if TYPE_CHECKING:
    from ..training.train import Training


def widget_esm() -> str:
    """The widget's ES module: the inlined renderer and its notebook front."""
    front = (JS_DIR / "notebook" / "widget.js").read_text(encoding="utf-8")
    return renderer_js() + "\n" + front


class Widget(anywidget.AnyWidget):
    """A trace's or training's film in a notebook, two-way (see the module docstring)."""

    _esm = traitlets.Unicode(widget_esm()).tag(sync=True)
    spec = traitlets.Dict().tag(sync=True)  # the film spec; its arrays' descriptors name blobs
    blobs = traitlets.List(traitlets.Bytes()).tag(sync=True)  # binary buffers
    ids = traitlets.Bytes().tag(sync=True)  # (n_drawn,) int32: trace index, -1 for a probe
    position = traitlets.Float(0.0).tag(sync=True)  # 0: input, k: stage k
    playing = traitlets.Bool(False).tag(sync=True)
    selected = traitlets.List(traitlets.Int()).tag(sync=True)  # ascending trace indices
    hovered = traitlets.Int(-1).tag(sync=True)  # trace index under the pointer, -1: none
    color = traitlets.Any(None).tag(sync=True, to_json=lambda v, w: w.color_bytes(v))
    color_key = traitlets.Dict().tag(sync=True)  # color's bar or legend, as spec["color"]'s
    regions = traitlets.Bool(False).tag(sync=True)
    snapshot = traitlets.Int(-1).tag(sync=True)  # a training's snapshot; -1 for a trace
    error = traitlets.Unicode("").tag(sync=True)  # a line the view shows over the film

    def __init__(self, trace: Trace, spec: dict[str, Any], blobs: Blobs, ids: np.ndarray,
                 offset: int = 0, labels: np.ndarray | None = None, **kwargs: Any) -> None:
        self.labels = labels  # (n,) a training's data labels (its joint trace has none)
        self.trace = trace  # whose points ``selection`` returns (a training: its last snapshot)
        self.offset = offset  # a training's probe points before its data in ``trace``
        self.drawn = ids  # (n_drawn,) int64: each drawn point's index, -1 for a probe
        self.n = trace.n - offset
        super().__init__(spec=spec, blobs=blobs.buffers, ids=ids.astype("<i4").tobytes(),
                         regions=bool(spec.get("regions")),
                         **kwargs)

    @property
    def stages(self) -> int:
        return len(self.spec["stages"])

    def selection(self) -> Selection:
        """The picked points (``selected``) with their stages and labels (``Trace.select``)."""
        picked = self.trace.select(np.asarray(self.selected, np.int64) + self.offset)
        rows = picked.indices - self.offset
        return Selection(indices=rows, points=picked.points, stages=picked.stages,
                         labels=picked.labels if self.labels is None else self.labels[rows])

    @traitlets.validate("position")
    def _check_position(self, proposal: Any) -> float:
        p = proposal["value"]
        if p is None or not np.isfinite(p):
            raise SpacewarpError(f"position must be a number from 0 to {self.stages - 1} "
                                 f"(stage units); got {p!r}", field="position")
        return float(min(max(p, 0.0), self.stages - 1))

    @traitlets.validate("selected")
    def _check_selected(self, proposal: Any) -> list[int]:
        return sorted(set(picked_rows(proposal["value"], self.n).tolist()))

    @traitlets.validate("snapshot")
    def _check_snapshot(self, proposal: Any) -> int:
        s, count = proposal["value"], self.spec.get("training", {}).get("count", 0)
        if not count:
            if s != -1:
                raise SpacewarpError("snapshot is for a training's widget; this one shows a "
                                     "trace", field="snapshot")
            return -1
        if not -count <= s < count:
            raise SpacewarpError(f"snapshot {s} is out of range; this training has {count} "
                                 f"snapshots (0 to {count - 1})", field="snapshot")
        return int(s % count)

    @traitlets.validate("regions")
    def _check_regions(self, proposal: Any) -> bool:
        if proposal["value"] and not self.spec.get("regions"):
            raise SpacewarpError("this widget was made without regions; make it with "
                                 "sw.widget(trace, regions='region')", field="regions")
        return bool(proposal["value"])

    @traitlets.validate("color")
    def _check_color(self, proposal: Any) -> np.ndarray | None:
        if proposal["value"] is None:
            return None
        rgba = point_rgba(proposal["value"], self.n, self.trace.style.cmap)
        self._values = np.asarray(proposal["value"])  # for the colour bar's range
        return rgba

    @traitlets.observe("color")
    def _color_key(self, change: Any) -> None:
        self.color_key = {} if change["new"] is None else color_key(
            self.color, self._values, self.trace.style.cmap)

    def color_bytes(self, rgba: np.ndarray | None) -> bytes | None:
        """(n, 4) uint8 per trace point -> (n_drawn, 4) per drawn point, as bytes."""
        if rgba is None:
            return None
        out = np.zeros((len(self.drawn), 4), np.uint8)  # alpha 0: the film's own colour
        ours = self.drawn >= 0
        out[ours] = rgba[self.drawn[ours]]
        return out.tobytes()


def point_rgba(values: Any, n: int, cmap: str) -> np.ndarray:
    """A colour per point -> (n, 4) uint8 RGBA: (n,) numbers through the colour map
    ``cmap`` over their range, (n,) booleans (a mask) as the map's two ends, False the
    bottom and True the top, or (n, 3) / (n, 4) RGB(A) in [0, 1] or 0 .. 255."""
    from matplotlib import colormaps

    a = np.asarray(values)
    if a.shape[:1] != (n,) or a.ndim not in (1, 2) or (a.ndim == 2 and a.shape[1] not in (3, 4)):
        raise SpacewarpError(f"color needs one value (or RGB row) per point: shape ({n},) or "
                             f"({n}, 3); got shape {a.shape}", field="color")
    mask = a.dtype == np.bool_  # False and True: 0 and 1, whatever values the rest hold
    if mask:
        a = a.astype(np.float64)
    if not np.issubdtype(a.dtype, np.number) or not np.isfinite(a).all():
        raise SpacewarpError("color values must be finite numbers; got "
                             f"{'NaN or infinite values' if a.dtype.kind == 'f' else a.dtype}",
                             field="color")
    if a.ndim == 1:
        lo, hi = (0.0, 1.0) if mask else (float(a.min()), float(a.max()))
        u = (a - lo) / (hi - lo) if hi > lo else np.full(n, 0.5)
        return np.round(colormaps[cmap](u) * 255).astype(np.uint8)
    rgb = a if a.dtype == np.uint8 or a.max() > 1 else np.round(a * 255)
    out = np.full((n, 4), 255, np.uint8)
    out[:, : a.shape[1]] = np.clip(rgb, 0, 255).astype(np.uint8)
    out[:, 3] = 255
    return out


def color_key(rgba: np.ndarray, values: np.ndarray, cmap: str) -> dict[str, Any]:
    """The colour bar of values through ``cmap`` (the spec's ``table`` and ``bar``); for a
    mask, a legend of its two colours; an empty legend for RGB rows."""
    from matplotlib import colormaps

    if values.ndim == 2:
        return {"bar": None, "legend": []}
    table = np.round(colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).astype(int)
    if values.dtype == np.bool_:  # not a bar from 0 to 1: the map's two ends, named
        return {"table": table[[0, -1]].tolist(), "bar": None,
                "legend": [["w.color False", 0], ["w.color True", 1]]}
    return {"table": table.tolist(), "legend": None,
            "bar": {"label": "w.color", "lo": float(values.min()),
                    "hi": float(values.max())}}


def trace_widget(trace: Trace, options: BrowserOptions) -> Widget:
    """The widget of a trace: its film spec, each drawn point's index in it."""
    blobs = Blobs("raw")
    f = planned_film(trace, options)
    spec = film_spec(trace, options, blobs, planned=f)
    ids = np.arange(trace.n) if f.rows is None else np.asarray(f.rows)
    return Widget(trace, spec, blobs, ids.astype(np.int64))


def training_widget(training: Training, options: BrowserOptions) -> Widget:
    """The widget of a training: every snapshot; the data's indices (the probe grid: -1)."""
    from ..training.snapshots import trace_snapshots
    from ..view.training_film import training_film
    from .training_browser import training_spec

    blobs = Blobs("raw")
    tf = training_film(trace_snapshots(training))  # every snapshot traced once
    spec = training_spec(tf, options, blobs)
    rows = np.arange(tf.film.n) if tf.film.rows is None else np.asarray(tf.film.rows)
    ids = np.where(rows >= tf.probe.count, rows - tf.probe.count, -1).astype(np.int64)
    return Widget(tf.last, spec, blobs, ids, offset=tf.probe.count, labels=training.points.labels,
                  snapshot=spec["training"]["current"])
