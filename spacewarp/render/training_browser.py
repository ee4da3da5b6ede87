"""The training spec: a film spec (``render.browser``) with a time axis of snapshots.

``training_spec(view.training_film.TrainingFilm)`` is a valid film spec of the current
(by default the last) snapshot, plus a ``training`` block holding every snapshot: its
keys (the same key indices, boxes and projections as the film's; int16-quantised per
key and snapshot as ``render.browser`` does for large films), with ``train --regions`` its
region outlines (``regions``, as the trace page's, but each vertex once and ``index``
giving each corner's: ``view.outline_thinning``), its colour index per point
(the probe grid by predicted class, lighter where less sure; the data by class), its
weights' lines, its epoch, losses, accuracies and a caption. The browser renderer
(``js/training.js``) only selects a snapshot and interpolates stage to stage.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..training.train import CURVE_NAMES
from ..view.colors import class_rgb, decision_row, decision_table, legend_rows
from ..view.outline_thinning import index_bytes
from ..view.training import INTERPOLATED, motion_seconds
from ..view.training import caption as words
from ..view.training_film import TrainingFilm
from ..view.weight_text import matrix_lines
from .blobs import Blobs, put_coords
from .browser import BrowserOptions, axis_names, box_lists, spec_header, spec_theme, summary
from .browser_marks import anchor_marks_spec
from .theme import THEMES

MAX_LEVELS = 16  # lightness levels of the probe's colours (per class)


def training_spec(tf: TrainingFilm, options: BrowserOptions | None = None,
                  blobs: Blobs | None = None, serial: int = 0, current: int = -1
                  ) -> dict[str, Any]:
    """The film spec of snapshot ``current`` with every snapshot in ``spec["training"]``."""
    o = options or BrowserOptions()
    last = tf.last
    theme = spec_theme(o.theme or last.style.theme)
    store = blobs or Blobs()
    f = tf.film
    count = len(tf.keys)
    cur = current % count
    quantised = True  # int16 always: S snapshots of every key add up
    colors = _Colors(tf, theme.background, theme.muted, o.cmap or last.style.cmap)
    snaps = [_entry(tf, s, store, quantised, colors) for s in range(count)]
    return {
        **spec_header(f, theme, store, serial=serial, layout="morph", quantised=quantised,
                      experiment=last.experiment),
        "n_total": f.n,
        "keys": snaps[cur]["keys"],
        "stages": [_stage(last, k, f, tf.params[cur][k]) for k in range(len(last.stages))],
        "inputs": None,
        "color": {"index": snaps[cur]["color"], **colors.key()},
        "sample_note": tf.note,
        "regions": snaps[cur]["regions"],  # the outlines of the snapshot shown first
        # a slice's anchors (the points after the probe) ringed, titled and, where rows
        # are images, their images beside them on the input stage (js/marks.js)
        "marks": anchor_marks_spec(last.frame, tf.probe.count, f.n, store),
        "title": _title(tf),
        "training": _block(tf, snaps, cur),
    }


def snapshot_entry(tf: TrainingFilm, s: int, blobs: Blobs | None = None,
                   options: BrowserOptions | None = None) -> dict[str, Any]:
    """Snapshot ``s`` of ``tf`` as the renderer takes it (``spec.training.snapshots[s]``,
    ``setSnapshotData(s, entry)``): ``keys`` (one descriptor per film key, int16),
    ``color`` (uint8 index per point into the spec's colour table), ``weights`` (lines
    per stage), ``epoch``, ``caption``, the curves' values and ``curve`` (the loss curve
    over every snapshot of ``tf``)."""
    o = options or BrowserOptions()
    theme = THEMES.get(o.theme or tf.last.style.theme, THEMES["dark"])
    colors = _Colors(tf, theme.background, theme.muted, o.cmap or tf.last.style.cmap)
    return {**_entry(tf, s, blobs or Blobs(), True, colors), "curve": loss_curve(tf),
            "fit": fit_curve(tf)}


def _entry(tf: TrainingFilm, s: int, blobs: Blobs, quantised: bool, c: _Colors
           ) -> dict[str, Any]:
    return {
        "keys": [put_coords(k, quantised, blobs) for k in tf.keys[s]],
        "color": blobs.put(c.index(s)),
        "weights": [_weights(w, b) for w, b in tf.params[s]],
        "epoch": int(tf.times.epoch[s]),
        "caption": caption(tf, s),
        "regions": _outlines(tf, s, blobs),
        **{k: _num(v[s]) for k, v in tf.times.curves.items()},
    }


def _outlines(tf: TrainingFilm, s: int, blobs: Blobs) -> dict[str, Any] | None:
    """Snapshot ``s``'s region outlines as ``js/regions.js`` draws them (the trace page's
    ``regions`` block: ``count``, ``keys``, ``colors``), outlines only (no fill: the probe's
    colours are the decision); where the page's cap left ``s`` without, ``{"held": j,
    "title"}``: snapshot j's outlines stand for it (``TrainingFilm.held``), so Play does
    not blink; ``{"held": -1, "title"}`` says why none are drawn; None without
    ``train --regions``."""
    o = tf.outlines[s] if s < len(tf.outlines) else None
    if o is None:
        if s >= len(tf.held):
            return None
        held, title = tf.held[s]
        return {"held": held, "title": title}
    small = index_bytes(len(o.keys[0])) == 2  # int16 indices where they reach every vertex
    return {"count": blobs.put(o.count.astype(np.int32)),
            # each corner's vertex: the keys hold every vertex once (outline_thinning)
            "index": blobs.put(o.index.astype(np.int16 if small else np.int32)),
            "keys": [put_coords(k, True, blobs) for k in o.keys],
            "colors": blobs.put(np.zeros((1, len(o.count), 4), dtype=np.uint8)),
            "fill": "none", "alpha": 0.0, "title": o.title, "bar": None}


def _block(tf: TrainingFilm, snaps: list[dict[str, Any]], cur: int) -> dict[str, Any]:
    return {
        "count": len(snaps), "current": cur, "curve_names": list(CURVE_NAMES),
        # Play: from the first snapshot to the last in this many seconds, positions and
        # colours interpolated between snapshots (the film's timing: view.training)
        "play_seconds": motion_seconds(len(snaps)), "interpolated": INTERPOLATED,
        "epoch": [int(e) for e in tf.times.epoch],
        **{k: [_num(x) for x in v] for k, v in tf.times.curves.items()},
        "snapshots": snaps,
        "probe": {"count": tf.probe.count, "shape": list(tf.probe.shape)},
        # on a slice, what it is ("plane through rows 0, 6, 8"); the points after the probe
        # are its anchor rows, not the data
        "slice": None if tf.last.frame is None else tf.last.frame.title,
        "curve": loss_curve(tf),
        "fit": fit_curve(tf),
        "note": tf.note,
    }


def loss_curve(tf: TrainingFilm) -> dict[str, Any] | None:
    """The loss curve placed in [0, 1] x [0, 1]: x = log(1 + epoch) over the last epoch's,
    y = log(loss) between the smallest and largest loss; None without a finite loss."""
    train, test = tf.times.curves["train_loss"], tf.times.curves["test_loss"]
    both = np.concatenate([train, test])
    ok = both[np.isfinite(both) & (both > 0)]
    if not ok.size:
        return None
    lo, hi = float(np.log10(ok.min())), float(np.log10(ok.max()))
    span = hi - lo if hi > lo else 1.0
    end = np.log1p(max(float(tf.times.epoch[-1]), 1.0))

    def place(v: np.ndarray) -> list[float | None]:
        good = np.isfinite(v) & (v > 0)
        y = (np.log10(np.where(good, v, 1.0)) - lo) / span
        return [float(a) if g else None for a, g in zip(y, good, strict=True)]

    return {"x": [float(np.log1p(float(e)) / end) for e in tf.times.epoch],
            "train": place(train), "test": place(test) if np.isfinite(test).any() else None,
            "label": f"loss {10 ** lo:.3g} to {10 ** hi:.3g} (log), train / test - -"}


def fit_curve(tf: TrainingFilm) -> dict[str, Any] | None:
    """Regression of a 1-D input to a 1-D output: the curve being learned, placed in
    [0, 1] x [0, 1] (Python places, the page draws). x: the input over the probe line;
    y: the output over the range of the targets and of every snapshot's prediction (fixed
    for the whole run). ``pred[s]``: the network's output along the probe line at
    snapshot s; ``data_x``, ``target``: the data. None for anything else."""
    first, last = tf.film.stages[0], tf.film.stages[-1]
    if tf.data.target is None or first.dim != 1 or last.dim != 1 or tf.data.target.ndim != 2 \
            or tf.data.target.shape[1] != 1:
        return None
    p = tf.probe.count
    x = tf.keys[-1][first.key][:, 0]  # (P + N,) the input: the same at every snapshot
    pred = np.stack([keys[last.key][:p, 0] for keys in tf.keys])  # (S, P)
    target = tf.data.target[:, 0]
    ys = np.concatenate([pred.ravel(), target])
    ys = ys[np.isfinite(ys)]
    if not ys.size:
        return None
    xlo, xhi = float(x.min()), float(x.max())
    ylo, yhi = float(ys.min()), float(ys.max())

    def place(v: np.ndarray, lo: float, hi: float) -> list[float | None]:
        u = (v - lo) / (hi - lo if hi > lo else 1.0)
        return [float(a) if np.isfinite(a) else None for a in u]

    return {"x": place(x[:p], xlo, xhi), "data_x": place(x[p:], xlo, xhi),
            "target": place(target, ylo, yhi), "pred": [place(v, ylo, yhi) for v in pred],
            "label": f"target \u00b7\u00b7, output \u2014; y {ylo:.2g} to {yhi:.2g}"}


def caption(tf: TrainingFilm, s: int) -> str:
    """``epoch 120 · train loss 0.213 · test loss 0.25 · accuracy 0.93 (test 0.91)``."""
    return words(int(tf.times.epoch[s]), {k: float(v[s]) for k, v in tf.times.curves.items()},
                 " \u00b7 ")


def _num(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def _weights(w: np.ndarray | None, b: np.ndarray | None) -> list[str]:
    lines = matrix_lines("W", w) if w is not None else []
    return lines + (matrix_lines("b", b[None, :]) if b is not None else [])


def _stage(last: Any, k: int, f: Any, params: tuple[Any, Any]) -> dict[str, Any]:
    stage, v = last.stages[k], f.stages[k]
    return {"key": v.key, "dim": v.dim, "box": box_lists(v.box), "camera": list(v.camera),
            "axes": axis_names(last, k, v.dim),
            "title": f"{k} \u00b7 {stage.title}", "name": stage.title, "module": stage.module,
            "kind": stage.kind, "weights": _weights(*params), "note": v.note}


def _title(tf: TrainingFilm) -> str:
    n_data = tf.film.n - tf.probe.count
    base = summary(tf.last).split(" points through ", 1)[-1]
    e = tf.last.experiment
    source = f"{e.input.name}, " if e is not None else ""
    shown = f"{source}{n_data:,} points through {base}"
    if tf.last.frame is not None:  # trained on every row, shown on the slice (its anchors)
        shown = f"{source}{base}, trained on every row, shown on the {tf.last.frame.title};"
    else:
        shown += ","
    return (f"spacewarp training: {shown} {len(tf.keys)} snapshots to epoch "
            f"{int(tf.times.epoch[-1])}")


class _Colors:
    """One uint8 index per point into one RGB table: the data by class (entries
    0 .. C-1), the probe by predicted class at ``levels`` lightnesses (``render.training``'s
    region colours: the class colour faded to the background as confidence falls to
    chance). Regression: data and probe through the colour map by input x."""

    def __init__(self, tf: TrainingFilm, background: str, muted: str, cmap: str) -> None:
        self.tf, self.c = tf, tf.data.classes
        if self.c:
            self.levels = max(2, min(MAX_LEVELS, (256 - self.c) // self.c))
            probe = decision_table(self.c, self.levels, background)  # (C L, 3)
            data = class_rgb(self.c)
            self.table = np.concatenate([data, probe])
        else:
            from matplotlib import colormaps

            self.levels = 0
            self.table = colormaps[cmap](np.linspace(0.0, 1.0, 256))[:, :3]

    def index(self, s: int) -> np.ndarray:
        """(n,) uint8 for snapshot ``s``: the probe rows first, then the data."""
        tf, p = self.tf, self.tf.probe.count
        if self.c:
            probe = self.c + decision_row(tf.probe.klass[s], tf.probe.strength[s], self.levels)
            data = tf.data.labels
        else:  # probe and data by input x through the colour map, over the data's range
            x = tf.keys[s][0][:, 0]  # (n,) the input's first coordinate
            lo, hi = float(x[p:].min()), float(x[p:].max())
            u = np.clip((x - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0)
            return np.rint(u * 255).astype(np.uint8)
        return np.concatenate([probe, data]).astype(np.uint8)

    def key(self) -> dict[str, Any]:
        table = np.round(np.clip(self.table, 0, 1) * 255).astype(int).tolist()
        if self.c:
            names = self.tf.data.names
            return {"table": table, "bar": None,
                    "legend": legend_rows(names)}
        x = self.tf.keys[-1][0][self.tf.probe.count:, 0]
        return {"table": table, "legend": None,
                "bar": {"label": "colour: x", "lo": float(x.min()), "hi": float(x.max())}}
