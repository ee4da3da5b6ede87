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

from typing import Any

from ..tracing.trace import Trace
from ..view.film import Film
from .blobs import Blobs, put_int16

TOUR_VALUES = 1_500_000  # numbers (points x dims) for all wide stages together: 3 MB as int16
TOUR_MAX_DIM = 256  # the browser re-orthonormalises a D x D matrix on every drag step


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
        x = stage.points if f.rows is None else stage.points[f.rows]
        out.append({"data": put_int16(x - p.mean, store), "basis": p.axes.tolist(), "off": ""})
    return out


def _off(n: int, dim: int, values: int, left: int) -> str:
    """Why this stage cannot be turned by hand, or "" when it can."""
    if dim > TOUR_MAX_DIM:
        return f"turning by hand is off above {TOUR_MAX_DIM} dims"
    if values > left:
        return (f"turning by hand is off: {n:,} points x {dim} dims exceed what is sent to "
                f"the browser ({TOUR_VALUES:,} values for all wide stages); use fewer points")
    return ""
