"""A slice's marked rows in the film spec: the anchors and (--show-data) the data rows.

Their display coordinates per film key come from the view step (``view.marks``: the rows
carried with the points through every morph); the page (``js/marks.js``) only
interpolates them with the points' segment and draws them over the view. Where rows are
images, the anchors' rows travel too (``images``): the page draws each anchor's image
beside its ring while a view rests on the input stage, as the stills and films do. On a
training page the anchors are the film's last points (``anchor_marks_spec``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..inputs.slice import SliceFrame
from ..view.marks import Marks, data_rgba
from .blobs import Blobs

# the anchors' ring on the page: the stills' ring (still_marks.RING, 90 pt^2: 9.5 pt
# across, 13 px at their 100 dpi, 4% of a 3.2 in panel) at about the same share of the
# page's morph view (about 430 CSS px square): 9 CSS px in radius there, the same share
# (at least 6 px) of a smaller view (the stage panels; js/marks.js)
RING_CSS = {"radius": 9.0, "view": 430.0}
# an anchor's image: the films' share of a view (film_marks.INSET_SHARE, 9%) on the morph
# view, about 40 CSS px across, the same share of a smaller one (at least 16 px)
INSET_CSS = {"size": 40.0, "view": 430.0, "least": 16.0}


def marks_spec(marks: Marks | None, store: Blobs, frame: SliceFrame | None = None
               ) -> dict[str, Any] | None:
    """``{"keys": (m, d_i) float32 per film key, "names": the anchors' titles (the first
    rows), "ring": their rings' radius (CSS px) on a view of a given size (``RING_CSS``),
    "alpha": (N,) the data rows' opacity, "colors": (N, 3) uint8 or None (the theme's
    foreground), "title": what the data rows' fading shows, "images": where ``frame``'s
    rows are images, the anchors' rows (m, D) float32, their shape, the data's value range
    and their size on a view (``INSET_CSS``), else None}``; None without marks."""
    if marks is None or not marks.keys:
        return None
    rgba = data_rgba(marks)
    return {"keys": [store.put(np.ascontiguousarray(k, dtype=np.float32)) for k in marks.keys],
            "names": list(marks.names), "ring": RING_CSS,
            "alpha": store.put(marks.alpha.astype(np.float32)),
            "colors": None if rgba is None else store.put(
                np.rint(rgba[:, :3] * 255).astype(np.uint8)),
            "title": marks.title, "images": _images(marks.anchors, store, frame)}


def anchor_marks_spec(frame: SliceFrame | None, first: int, n: int, store: Blobs
                      ) -> dict[str, Any] | None:
    """A training page's marks: a slice's anchors are its film's points ``first`` .. n - 1
    at every snapshot, so ``keys`` is None and ``from`` says where they start (the page
    takes their places from the snapshot shown: js/marks.js ``follow``); no data rows;
    the rest as ``marks_spec``. None off a slice, or without anchors."""
    if frame is None or not len(frame.anchors) or n - first != len(frame.anchors):
        return None
    return {"keys": None, "from": first, "names": list(frame.anchor_names),
            "ring": RING_CSS, "alpha": store.put(np.zeros(0, dtype=np.float32)),
            "colors": None, "title": "", "images": _images(len(frame.anchors), store, frame)}


def _images(anchors: int, store: Blobs, frame: SliceFrame | None) -> dict[str, Any] | None:
    if frame is None or frame.image_shape is None or not anchors:
        return None
    rows = frame.inputs(frame.anchors)  # (m, D): origin + u @ axes, the anchor rows
    return {"rows": store.put(np.ascontiguousarray(rows, dtype=np.float32)),
            "shape": list(frame.image_shape), "range": list(frame.value_range), **INSET_CSS}
