"""Points on a slice through the data: a grid (or any 2-D point set) over the slice's box.

The points are slice coordinates (n, k); ``Points.frame`` carries the slice, so the trace
feeds the network ``frame.inputs(x)`` and keeps the coordinates as the input stage.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .points import PREDICTED, Points, grid_side, make_points, recolor, row_image_shape
from .slice import make_frame

LINE_POINTS = 200  # points along a line slice when --points is not given
GRID_POINTS = 10_000  # a 100 x 100 grid on a plane


def on_slice(data: Points, text: str, *, n: int | None = None, seed: int = 0,
             bounds: list[float] | None = None, points: str | None = None,
             color_by: str | None = None, show_data: bool = False) -> Points:
    """Points over the box of the slice ``text`` through ``data``: evenly spaced on a line;
    on a plane a grid, or the 2-D point set ``points`` fitted into the box. ``show_data``:
    the frame carries the data's rows, so the trace follows them too."""
    frame = replace(make_frame(data.x, text, bounds, data.labels),
                    image_shape=row_image_shape(data))  # --input-shape: model.resolve
    if show_data:
        frame = replace(frame, data=np.array(data.x, dtype=np.float64),
                        data_labels=None if data.labels is None else np.array(data.labels))
    box = frame.box
    shape: tuple[int, int] | None = None
    if frame.k == 1:
        u = np.linspace(box[0], box[1], n or LINE_POINTS)[:, None]  # (n, 1)
    elif (points or "grid") == "grid":
        side = grid_side(n or GRID_POINTS)
        first, second = np.meshgrid(np.linspace(box[0], box[1], side),
                                    np.linspace(box[2], box[3], side), indexing="ij")
        u = np.stack([first.ravel(), second.ravel()], axis=1)  # (side^2, 2), first slowest
        shape = (side, side)
    else:
        u = _fitted(make_points(points or "grid", n, seed=seed).x, box)
    pts = Points(x=np.ascontiguousarray(u, dtype=np.float64), color=u[:, 0].copy(),
                 grid_shape=shape, name=f"slice of {data.name}", frame=frame)
    return recolor(pts, color_by or PREDICTED)  # a slice: what the network makes of it


def _fitted(x: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
    """(n, 2) points moved and scaled, axis by axis, so that their bounding box is ``box``."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    target_lo, target_hi = np.array(box[0::2]), np.array(box[1::2])
    scale = (target_hi - target_lo) / np.where(hi > lo, hi - lo, 1.0)
    return target_lo + (x - lo) * scale
