"""Region colours, shared by stills, films and the page: a colour per region, or the log10
area change of the region's map to a stage on a diverging map (white: area kept)."""

from __future__ import annotations

from typing import Literal, cast

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize

from ..measure import Regions

Fill = Literal["region", "area"]
AREA_CMAP = "coolwarm"


def region_colors(count: int) -> np.ndarray:
    """(R, 4) RGBA: a colour per region, neighbours (consecutive ids) far apart on the map."""
    hue = (np.arange(count) * 0.618033988749895) % 1.0  # golden-ratio steps around the map
    return cast(np.ndarray, colormaps["hsv"](hue))


def area_change(regions: Regions, k: int) -> np.ndarray:
    """(R,) log10 of how much each region's area is scaled at stage k (the product of its
    map's singular values; NaN where it collapsed to a line or a point). With one singular
    value (a 1-D stage, or 1-D input): the stretch, log10 |grad f| or the length change."""
    a = regions.stage_maps[k][0]  # (R, d_k, d_0)
    sv = np.linalg.svd(a, compute_uv=False)  # (R, min(d_k, d_0))
    with np.errstate(divide="ignore"):
        if sv.shape[1] == 1:
            return np.where(sv[:, 0] > 0, np.log10(np.where(sv[:, 0] > 0, sv[:, 0], 1)), np.nan)
        return np.where(sv[:, 1] > 1e-9 * sv[:, 0], np.log10(sv.prod(axis=1)), np.nan)


def area_norm(regions: Regions) -> Normalize:
    values = np.concatenate([area_change(regions, k) for k in range(len(regions.stage_maps))])
    values = values[np.isfinite(values)]
    reach = max(float(np.percentile(np.abs(values), 98)) if values.size else 0.0, 0.5)
    return Normalize(-reach, reach)  # diverging: white is "area kept"


def fill_colors(regions: Regions, k: int, fill: Fill, norm: Normalize) -> np.ndarray:
    if fill == "area":
        cmap = colormaps[AREA_CMAP].with_extremes(bad=(0.0, 0.0, 0.0, 0.0))  # collapsed
        return cast(np.ndarray, cmap(norm(np.ma.masked_invalid(area_change(regions, k)))))
    return region_colors(len(regions))
