"""Region outlines in matplotlib films: the exact regions carried with the points.

The regions' vertex images ride along as extra rows of the film (``view.outlines``), so
they move exactly as the points do; per frame their fills are drawn beneath the points
and their outlines above, in display pixels, like the lattice lines.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.transforms import IdentityTransform

from ..tracing.trace import Trace
from ..view.outlines import Outlines, outlines_of, with_outlines
from .region_colors import area_norm, fill_colors
from .still_regions import outline_alpha
from .theme import Theme

ALPHA = 0.45  # fills beneath the points


class FilmRegions:
    """The regions of a film: the trace with vertex rows, colours, and two artists."""

    def __init__(self, trace: Trace, fill: str, theme: Theme) -> None:
        self.outlines: Outlines = outlines_of(trace)
        self.trace = with_outlines(trace, self.outlines)  # (n + V) rows per stage
        self.n = trace.n
        r = self.outlines.regions
        norm = area_norm(r)
        shown = range(len(r.stage_maps)) if fill == "area" else range(1)
        rgba = np.stack([fill_colors(r, k, "area" if fill == "area" else "region", norm)
                         for k in shown])  # (S or 1, R, 4); alpha 0 where collapsed
        rgba[..., 3] *= ALPHA
        self.colors = [[tuple(c) for c in stage] for stage in rgba.tolist()]
        self.start = self.outlines.start
        ident = IdentityTransform()
        self.fills = PolyCollection([], transform=ident, animated=True, edgecolors="none")
        self.edges = LineCollection([], transform=ident, animated=True, linewidths=0.6,
                                    colors=theme.foreground, alpha=outline_alpha(len(r)))

    def add_to(self, fig: Figure) -> None:
        fig.add_artist(self.fills)
        fig.add_artist(self.edges)

    def _polygons(self, pixels: np.ndarray) -> list[np.ndarray]:
        return [pixels[a:b] for a, b in zip(self.start[:-1], self.start[1:], strict=True)]

    def draw_fills(self, fig: Figure, pixels: np.ndarray, stage: int) -> None:
        """(V, 2) vertex pixels: every region filled with its colour at ``stage``."""
        self.fills.set_verts(self._polygons(pixels))
        self.fills.set_facecolor(self.colors[min(stage, len(self.colors) - 1)])
        fig.draw_artist(self.fills)

    def draw_edges(self, fig: Figure, pixels: np.ndarray) -> None:
        self.edges.set_segments([np.concatenate([p, p[:1]]) for p in self._polygons(pixels)])
        fig.draw_artist(self.edges)
