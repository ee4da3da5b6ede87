"""The regions part of the film spec: outlines per key and fill colours per stage.

``keys[i]`` holds every region's vertices (V, d_i) in film key i's display coordinates,
region r owning rows ``start[r]:start[r + 1]``; the renderer (``js/regions.js``)
interpolates them with the same segments and easing as the points. Fills: one colour per
region (the same in every stage, as in regions.png) or, by area change, one per region
and stage (``colors`` (S, R, 3)), transparent where the region collapsed to a line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..view.outlines import Outlines
from .blobs import Blobs
from .region_colors import area_norm, fill_colors

FILL_ALPHA = 0.5  # fills beneath the points, see-through: folded images show as overlaps


def region_spec(o: Outlines, fill: str, store: Blobs) -> dict[str, Any]:
    """JSON-ready regions of a film (arrays through ``store``)."""
    r = o.regions
    norm = area_norm(r)
    shown = range(len(r.stage_maps)) if fill == "area" else range(1)  # region: one for all
    rgba = np.stack([fill_colors(r, k, "area" if fill == "area" else "region", norm)
                     for k in shown])  # (S or 1, R, 4) in [0, 1]
    colors = np.round(rgba * 255).astype(np.uint8)
    colors[..., 3] = np.where(rgba[..., 3] > 0, 255, 0)  # alpha 0: collapsed, not filled
    out: dict[str, Any] = {
        "count": store.put(o.count.astype(np.int32)),
        "keys": [store.put(k.astype(np.float32)) for k in o.keys],
        "colors": store.put(colors), "fill": fill, "alpha": FILL_ALPHA,
        "title": (f"{len(r):,} linear regions; after each layer: "
                  f"{', '.join(map(str, r.per_layer))}"),
        "bar": None,
    }
    if fill == "area":
        out["bar"] = {"label": "log10 area change", "lo": float(norm.vmin or 0.0),
                      "hi": float(norm.vmax or 0.0)}
    return out
