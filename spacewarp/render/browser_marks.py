"""A slice's marked rows in the film spec: the anchors and (--show-data) the data rows.

Their display coordinates per film key come from the view step (``view.marks``: the rows
carried with the points through every morph); the page (``js/marks.js``) only
interpolates them with the points' segment and draws them over the view.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..view.marks import Marks, data_rgba
from .blobs import Blobs


def marks_spec(marks: Marks | None, store: Blobs) -> dict[str, Any] | None:
    """``{"keys": (m, d_i) float32 per film key, "names": the anchors' titles (the first
    rows), "alpha": (N,) the data rows' opacity, "colors": (N, 3) uint8 or None (the
    theme's foreground), "title": what the data rows' fading shows}``; None without marks."""
    if marks is None or not marks.keys:
        return None
    rgba = data_rgba(marks)
    return {"keys": [store.put(np.ascontiguousarray(k, dtype=np.float32)) for k in marks.keys],
            "names": list(marks.names),
            "alpha": store.put(marks.alpha.astype(np.float32)),
            "colors": None if rgba is None else store.put(
                np.rint(rgba[:, :3] * 255).astype(np.uint8)),
            "title": marks.title}
