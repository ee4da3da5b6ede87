"""Live updates for a film already in the browser (``js/live.js``): the film's keys as
binary arrays, the colour indices and the weight lines, nothing else (no boxes, segments,
titles or colour table: those stay the spec's). About 1/50 of a film spec's planning time.

``probe_spec`` makes the spec a live training view starts from: data and probe grid,
the probe coloured by the predicted class, faded as confidence falls (``view.live``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..inputs.slice import SliceFrame
from ..tracing.trace import Trace
from ..view.colors import class_rgb
from ..view.film import Film
from ..view.live import probe_index, probe_table
from ..view.weight_text import heading_lines
from .blobs import Blobs, put_coords
from .browser import film_spec
from .browser_marks import anchor_marks_spec

# Live updates from this many points send int16 coordinates (error at most 7.6e-6 of each
# key's range per axis; half the bytes): they are passing frames, replaced by a full
# float32 spec when training pauses.
LIVE_QUANTISE_FROM = 5_000


def live_update(keys: list[np.ndarray | None], base: int, serial: int,
                color: np.ndarray | None = None,
                weights: list[list[str]] | None = None, note: str = "") -> dict[str, Any]:
    """One update of the film spec numbered ``base``: keys (n, d_i) in the spec's order
    (None: unchanged since the last update), colour-table rows (n,) and per-stage weight
    lines, when given; ``note``: a line shown over the views ("": none)."""
    store = Blobs("b64")
    n = max((len(k) for k in keys if k is not None), default=0)
    quantised = n >= LIVE_QUANTISE_FROM
    out: dict[str, Any] = {"base": base, "serial": serial, "note": note,
                           "keys": [None if k is None else put_coords(k, quantised, store)
                                    for k in keys]}
    if color is not None:
        out["color"] = store.put(_index(color))
    if weights is not None:
        out["weights"] = weights
    return out


def weight_lines(trace_stages: Any, frame: SliceFrame | None = None) -> list[list[str]]:
    """Per stage the ``W = [...]`` / ``b = [...]`` lines the stage headings show. On a
    slice (``frame``) the layer fed by the slice's coordinates shows its map from them,
    ``W·axesᵀ`` and ``W·origin + b``, as the page's first headings do (``Trace.slice_fed``)
    and not the layer's own (d_out, D) W."""
    lines = []
    for k, stage in enumerate(trace_stages):
        weight, bias = stage.weight, stage.bias
        if frame is not None and k == 1 and weight is not None \
                and weight.shape[-1] == frame.input_dim:  # (d_out, D) fed by x = o + u A
            lines.append(heading_lines(*frame.linear_on_slice(weight, bias), frame.input_dim))
        else:
            lines.append(heading_lines(weight, bias))
    return lines


def probe_spec(trace: Trace, n_probe: int, predicted: np.ndarray | None,
               confidence: np.ndarray | None, classes: int, serial: int,
               planned: Film | None = None) -> tuple[dict[str, Any], np.ndarray | None]:
    """The film spec of ``trace`` (probe grid first, then the data) with the probe coloured
    by its decision; and the colour rows sent (None when the spec's own are kept)."""
    spec = film_spec(trace, None, Blobs("b64"), serial=serial, planned=planned)
    if n_probe and trace.grid_shape is not None:  # the probe's lattice (rows, cols)
        spec["probe"] = {"count": n_probe, "shape": list(trace.grid_shape)}
    if trace.frame is not None and spec["n"] == trace.n:  # every point drawn: a slice's
        # anchors are the points after the probe, and their marks follow the live keys
        # (js/marks.js follow), as the paused view's do
        spec["marks"] = anchor_marks_spec(trace.frame, n_probe, trace.n, Blobs("b64"))
    if predicted is None or confidence is None or not trace.categorical:
        return spec, None
    rows = decision_rows(trace.color, n_probe, predicted, confidence, classes)
    # exactly `classes` class rows, then the probe's: the trace's own table has a row per
    # class among its points only (a slice's anchors: often one), which shifted every
    # probe row and sent the top ones past the table's end
    class_rows = np.rint(255 * class_rgb(classes)).astype(int).tolist()
    spec["color"]["table"] = class_rows + probe_table(classes, spec["theme"]["background"])
    spec["color"]["index"] = Blobs("b64").put(_index(rows))
    return spec, rows


def decision_rows(color: np.ndarray, n_probe: int, predicted: np.ndarray,
                  confidence: np.ndarray, classes: int) -> np.ndarray:
    """(n,) colour-table rows: the probe's decision, then the data's classes (``color``
    (n,): the points' colour values, classes 0 .. k-1 after the probe's)."""
    data = np.rint(color[n_probe:]).astype(np.int64)
    return np.concatenate([probe_index(predicted, confidence, classes), data])


def _index(rows: np.ndarray) -> np.ndarray:
    """Colour-table rows as uint8 when they fit, else int32."""
    return rows.astype(np.uint8 if rows.max(initial=0) < 256 else np.int32)
