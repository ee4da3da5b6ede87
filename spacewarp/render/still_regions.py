"""Region outlines in still panels: each region's image at the stage, under the points.

The image of a region at stage k is its polygon mapped by its own affine map
(``view.outlines``), shown in the panel's display coordinates (the stage's own PCA,
fitted on the points, beyond 3-D); fills are translucent so folded images show as overlaps.
"""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from ..tracing.trace import Trace
from ..view import projection
from ..view.outlines import Outlines, outlines_of, vertex_images
from .region_colors import Fill, area_norm, fill_colors
from .theme import Theme

ALPHA = 0.4


def outline_alpha(count: int) -> float:
    """Outlines fainter as regions multiply (as on the page), so thousands stay readable."""
    return min(0.8, max(0.12, 0.75 * (100 / max(count, 1)) ** 0.5))


def still_outlines(trace: Trace) -> Outlines | None:
    """The regions to draw in every panel of ``trace``, or None when they are off."""
    return None if trace.style.regions == "off" else outlines_of(trace)


def draw_regions(ax: Axes, trace: Trace, k: int, o: Outlines, th: Theme) -> None:
    """Stage k's region images on ``ax`` (2-D or 3-D axes), under the points."""
    fill: Fill = "area" if trace.style.regions == "area" else "region"
    colors = fill_colors(o.regions, k, fill, area_norm(o.regions)).copy()  # (R, 4)
    colors[:, 3] *= ALPHA
    image = vertex_images(o)[k]  # (V, d_k)
    shown = projection(trace.stages[k].points)(image)  # (V, <= 3) as the points are shown
    start = o.start
    polys = [shown[a:b] for a, b in zip(start[:-1], start[1:], strict=True)]
    edge = (*to_rgb(th.foreground), outline_alpha(len(o.count)))
    style: dict[str, Any] = {"facecolors": colors, "edgecolors": [edge],
                             "linewidths": 0.5, "zorder": 1.5}
    if shown.shape[1] == 2:
        ax.add_collection(PolyCollection(polys, **style))
    elif shown.shape[1] == 3:
        ax.add_collection3d(Poly3DCollection(polys, **style))  # type: ignore[attr-defined]
