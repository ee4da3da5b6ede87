"""A slice's part of the film spec: what the page's hover needs to show the input a point
stands for and its nearest data row (drawn by ``js/hover.js``).

The point's input is ``origin + u @ axes`` with ``u`` its slice coordinates (stage 0's key,
as drawn); origin and axes travel as JSON numbers, exact. Where a row is an image
(``SliceFrame.image_shape``), hover draws that input as one, grey levels spanning the
data's value range. The nearest data row comes from each row's foot on the slice and its
distance from it (``inputs.nearest``): k + 1 numbers per row, one pass per hover.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..inputs.nearest import MAX_ROWS
from ..tracing.trace import Trace
from .blobs import Blobs


def slice_spec(trace: Trace, store: Blobs) -> dict[str, Any] | None:
    """The slice's origin (D,) and axes (k, D), the image shape and value range, and the
    data rows' feet (R, k), offsets (R,) and labels (R,); None off a slice."""
    frame = trace.frame
    if frame is None:
        return None
    near = frame.nearest
    rows = None if near is None else {
        "count": near.count,
        "feet": store.put(near.feet.astype(np.float32)),
        "offsets": store.put(near.offsets.astype(np.float32)),
        "labels": None if near.labels is None else store.put(near.labels.astype(np.int32)),
    }
    return {
        "origin": frame.origin.tolist(), "axes": frame.axes.tolist(),
        "image": None if frame.image_shape is None else list(frame.image_shape),
        "range": list(frame.value_range),
        "rows": rows,
        "rows_note": "" if near is not None else
        f"nearest data row: not shown for data of more than {MAX_ROWS:,} rows",
    }
