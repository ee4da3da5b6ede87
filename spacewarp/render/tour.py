"""What the browser needs to turn a wide stage's view by hand (the Grand Tour's direct
manipulation, ``js/tour.js``): per stage wider than 3-D, its points in full, centred on
the mean the view step's PCA used, and that PCA's basis (3, D).

Python computes the data and the starting basis (the one ``view.film`` drew the stage
with, so before any drag the picture is the same); the browser only multiplies the points
by the basis the user drags. The points travel as int16 per column within the column's
range (``blobs.put_int16``: error at most half a step, ``0.5 / LEVELS`` of it) and within a
budget of ``TOUR_VALUES`` values for the whole film; a stage beyond it, or wider than
``TOUR_MAX_DIM``, says that turning by hand is off and why.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ..tracing.trace import Trace
from ..view.film import Film
from ..view.plan_cache import Remembered, points_digest
from .blobs import Blobs, put_int16

TOUR_VALUES = 1_500_000  # numbers (points x dims) for all wide stages together: 3 MB as int16
TOUR_MAX_DIM = 256  # the browser re-orthonormalises a D x D matrix on every drag step
# a wide stage's encoded data (base64 descriptors: up to 4 MB of text each) by what it is
# made of, so that a change that keeps the network and points (an activation after a wide
# first layer, a colour, a theme) encodes none again: ~20 ms for a 2,100,3 network at 1e4
TOURS_KEPT = 4
ENCODED_TOURS = Remembered(TOURS_KEPT)


def tours(trace: Trace, f: Film, store: Blobs) -> list[dict[str, Any] | None]:
    """Per stage: None up to 3-D; else ``{"data", "basis", "off"}`` (data None when off)."""
    left = TOUR_VALUES
    out: list[dict[str, Any] | None] = []
    for stage, view in zip(trace.stages, f.stages, strict=True):
        p = view.projection
        if stage.dim <= 3 or p.axes is None or p.mean is None:
            out.append(None)
            continue
        values = f.n * stage.dim
        off = _off(f.n, stage.dim, values, left)
        if off:
            out.append({"data": None, "basis": None, "off": off})
            continue
        left -= values
        out.append({"data": _data(stage.points, f.rows, p.mean, store),
                    "basis": p.axes.tolist(), "off": ""})
    return out


def _data(points: np.ndarray, rows: np.ndarray | None, mean: np.ndarray,
          store: Blobs) -> dict[str, Any]:
    """The drawn rows of a stage, centred on ``mean``, as int16 (n, D); remembered by the
    digest of the points (the plan's, made once per array), rows and mean when they travel
    inline as named base64 (the explorer's: the descriptor holds its bytes); else made."""
    def make() -> dict[str, Any]:
        x = points if rows is None else points[rows]
        return put_int16(x - mean, store)

    if store.encoding != "b64" or not store.named:
        return make()  # the descriptor indexes into this store: not reusable
    h = hashlib.sha1(points_digest(points, None), usedforsecurity=False)
    for a in (mean, rows):
        h.update(b"-" if a is None else np.ascontiguousarray(a).tobytes())
    return dict(ENCODED_TOURS.get("tour", h.digest(), make))  # a copy: callers may add keys


def _off(n: int, dim: int, values: int, left: int) -> str:
    """Why this stage cannot be turned by hand, or "" when it can."""
    if dim > TOUR_MAX_DIM:
        return f"turning by hand is off above {TOUR_MAX_DIM} dims"
    if values > left:
        return (f"turning by hand is off: {n:,} points x {dim} dims exceed what is sent to "
                f"the browser ({TOUR_VALUES:,} values for all wide stages); use fewer points")
    return ""
