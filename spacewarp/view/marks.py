"""Marked rows on a slice: the anchors and (--show-data) the data's rows, through every stage.

Their positions are one source, the trace's own stages of those rows (``Trace.anchors``,
``Trace.data``: the network run on the rows themselves). Stage 0 holds their slice
coordinates: the anchors lie on the slice; the data rows are at their orthogonal
projections onto it, faded by their distance from it (``fade``).

For a film the rows are appended to every stage's points (``with_marks``), as the region
outlines are, so they go through the same view step (sub-steps, projections fitted on
the points alone, boxes) and morph with the points; ``Marks.keys`` then holds their
display coordinates per film key. Arrays only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..tracing.trace import Trace
from .colors import class_rgb

FAINTEST = 0.15  # the opacity of the data row farthest from the slice; 1 on it


@dataclass(frozen=True)
class Marks:
    """The marked rows of a traced slice: the anchors first, then the data rows."""

    stages: tuple[np.ndarray, ...]  # per stage k: (m, d_k), m = anchors + data rows
    names: tuple[str, ...]  # the anchors' titles, "row 17 (0)": the first len(names) rows
    alpha: np.ndarray  # (N,) the data rows' opacity, 1 on the slice, fading with distance
    labels: np.ndarray | None  # (N,) the data rows' labels, where the data have them
    title: str  # "1,797 data rows (..., faded by distance to the plane: 0 to 53.1, opaque
    # at 0)": the distances shown, nearest to farthest; "" without data
    keys: tuple[np.ndarray, ...] = ()  # per film key: (m, d_i) display coordinates

    @property
    def anchors(self) -> int:
        return len(self.names)

    @property
    def rows(self) -> int:
        return int(self.stages[0].shape[0])


def fade(distance: np.ndarray) -> np.ndarray:
    """(N,) distances from the slice -> (N,) opacities: 1 at distance 0, falling linearly to
    ``FAINTEST`` at the largest distance (never increasing with distance)."""
    far = float(distance.max()) if len(distance) else 0.0
    if far <= 0:
        return np.ones(len(distance))
    return 1.0 - (1.0 - FAINTEST) * distance / far


def marks_of(trace: Trace) -> Marks | None:
    """The anchors and data rows of ``trace`` (None when it marks no row: no slice, or a
    slice through the data's mean without --show-data)."""
    frame = trace.frame
    if frame is None:
        return None
    anchors = trace.anchors if frame.rows else ()
    if not anchors and not trace.data:
        return None
    k = len(trace.stages)
    parts = [p for p in (anchors, trace.data) if p]
    stages = tuple(np.concatenate([p[j] for p in parts]) for j in range(k))
    if frame.data is None or not trace.data:
        return Marks(stages, frame.anchor_names, np.ones(0), None, "")
    distance = frame.distance(frame.data)  # (N,)
    shape = "plane" if frame.k == 2 else "line"
    coloured = "coloured by label, " if frame.data_labels is not None else ""
    title = (f"{len(distance):,} data rows ({coloured}faded by distance to the {shape}: "
             f"{float(distance.min()):.3g} to {float(distance.max()):.3g}, opaque at 0)")
    return Marks(stages, frame.anchor_names if anchors else (), fade(distance),
                 frame.data_labels, title)


def data_rgba(marks: Marks) -> np.ndarray | None:
    """(N, 4) the data rows' colours in [0, 1]: their label's class colour (the palette of
    a colouring by class), at their opacity; None without labels (drawn in the theme's
    foreground at that opacity)."""
    if marks.labels is None:
        return None
    labels = marks.labels.astype(np.int64)
    rgb = class_rgb(int(labels.max()) + 1)[labels]  # (N, 3)
    return np.column_stack([rgb, marks.alpha])


def with_marks(trace: Trace, marks: Marks) -> Trace:
    """``trace`` with every stage's points followed by the marked rows' images (n + m rows)."""
    stages = tuple(replace(s, points=np.concatenate([s.points, m.astype(s.points.dtype)]))
                   for s, m in zip(trace.stages, marks.stages, strict=True))
    return replace(trace, stages=stages)
