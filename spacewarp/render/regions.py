"""The linear regions of a network drawn in the input and in every stage (matplotlib).

A region's image at stage k is its polygon mapped by the region's own affine map, so the
panels show exactly where each piece of the input went: outlines with fills coloured by
region (the same colour in every panel) or by area change; images laid over each other
where the network folded space; planar patches in 3-D stages; for a 1-D stage the graph
of the function over the input (patches at height f(x)). Stages wider than 3-D are shown
through PCA of their vertices (said in the title).
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mpl_toolkits.mplot3d import Axes3D
from mpl_toolkits.mplot3d.art3d import Line3DCollection, Poly3DCollection

from ..measure import Regions
from ..view.coords import projection
from .region_colors import AREA_CMAP, Fill, area_norm, fill_colors
from .theme import AZIM, ELEV, MIN_SIDE, Theme, themed

PANEL = 4.2  # inches
ALPHA = 0.55  # fills see-through, so folded images show as overlaps


def regions_figure(regions: Regions, *, fill: Fill = "region", theme: str = "dark") -> Figure:
    """One panel for the input and one per stage; returns a Figure (no pyplot)."""
    stages = len(regions.stage_maps)
    cols = min(stages, 4)
    rows = math.ceil(stages / cols)
    with themed(theme) as th:
        fig = Figure(figsize=(cols * (PANEL + 0.6), rows * (PANEL + 0.8) + 0.9), dpi=110,
                     facecolor=th.background)
        box = ", ".join(f"{name} in [{regions.bounds[2 * i]:g}, {regions.bounds[2 * i + 1]:g}]"
                        for i, name in enumerate("xy"[: regions.verts.shape[2]]))
        fig.suptitle(f"{len(regions):,} linear regions on {box}; after each layer: "
                     f"{', '.join(map(str, regions.per_layer))}", color=th.foreground)
        fig.subplots_adjust(left=0.04, right=0.98, top=1 - 0.75 / fig.get_size_inches()[1],
                            bottom=0.04 + (0.08 if fill == "area" else 0), wspace=0.22,
                            hspace=0.25)
        norm = area_norm(regions)
        for k in range(stages):
            colors = fill_colors(regions, k, fill, norm)
            draw = _panel if regions.verts.shape[2] == 2 else _curve_panel
            draw(fig, regions, k, (rows, cols, k + 1), colors, th)
        if fill == "area":
            cax = fig.add_axes((0.3, 0.055, 0.4, 0.015))
            bar = fig.colorbar(ScalarMappable(norm, colormaps[AREA_CMAP]), cax=cax,
                               orientation="horizontal")
            bar.set_label("log10 area change of the region's map to the stage "
                          "(no fill: collapsed to a line or a point; a graph panel: "
                          "log10 |grad f|)", color=th.foreground)
    return fig


def _panel(fig: Figure, regions: Regions, k: int, where: tuple[int, int, int],
           colors: np.ndarray, th: Theme) -> None:
    image = regions.image(k)  # (R, M, d_k)
    valid = [image[r, :m] for r, m in enumerate(regions.count)]
    dim = image.shape[2]
    title = regions.titles[k] if k < len(regions.titles) else f"stage {k}"
    if dim == 1:  # the graph of the function over the input
        valid = [np.concatenate([poly, v], axis=1)
                 for poly, v in zip(regions.polygons, valid, strict=True)]
        title += ": the graph f(x, y)"
    elif dim > 3:
        proj = projection(np.concatenate(valid))
        valid = [proj(v) for v in valid]
        title += f" (PCA {dim}-D to 3-D)"
    edge = th.foreground
    if valid[0].shape[1] == 2:
        ax = fig.add_subplot(*where, gid=f"regions-{k}")
        ax.add_collection(PolyCollection(valid, facecolors=_faded(colors),
                                         edgecolors=edge, linewidths=0.4))
        _limits_2d(ax, np.concatenate(valid))
        if k == 0 and regions.boundary:
            ax.add_collection(LineCollection(regions.boundary, colors=th.foreground,
                                             linewidths=2.0, gid="decision-boundary"))
    else:
        ax3 = cast(Axes3D, fig.add_subplot(*where, projection="3d", gid=f"regions-{k}"))
        ax3.add_collection3d(Poly3DCollection(valid, facecolors=_faded(colors),
                                              edgecolors=edge, linewidths=0.3))
        _style_3d(ax3, np.concatenate(valid), th)
        ax = ax3
    ax.set_title(title, color=th.foreground, fontsize=11)
    ax.tick_params(labelsize=7)


def _curve_panel(fig: Figure, regions: Regions, k: int, where: tuple[int, int, int],
                 colors: np.ndarray, th: Theme) -> None:
    """1-D input: each interval's image at stage k is a segment; a 1-D stage is drawn as
    the graph over x, with the breakpoints as dotted lines."""
    image = regions.image(k)  # (R, 2, d_k)
    dim = image.shape[2]
    title = regions.titles[k] if k < len(regions.titles) else f"stage {k}"
    solid = colors.copy()
    solid[:, 3] = 1.0
    if dim == 1:
        ax = fig.add_subplot(*where, gid=f"regions-{k}")
        segs = np.concatenate([regions.verts, image], axis=2)  # (R, 2, 2): (x, f_k(x))
        ax.add_collection(LineCollection(list(segs), colors=solid, linewidths=2.0))
        for b in regions.breakpoints:
            ax.axvline(b, color=th.muted, linestyle=":", linewidth=0.8)
        ax.autoscale()
        title += ": the graph over x"
    elif dim == 2:
        ax = fig.add_subplot(*where, gid=f"regions-{k}")
        ax.add_collection(LineCollection(list(image), colors=solid, linewidths=2.0))
        _limits_2d(ax, image.reshape(-1, 2))
    else:
        pts = image.reshape(-1, dim)
        if dim > 3:
            pts = projection(pts)(pts)
            title += f" (PCA {dim}-D to 3-D)"
        ax3 = cast(Axes3D, fig.add_subplot(*where, projection="3d", gid=f"regions-{k}"))
        ax3.add_collection3d(Line3DCollection(list(pts.reshape(-1, 2, 3)), colors=solid,
                                              linewidths=2.0))
        _style_3d(ax3, pts, th)
        ax = ax3
    ax.set_title(title, color=th.foreground, fontsize=11)
    ax.tick_params(labelsize=7)


def _faded(colors: np.ndarray) -> np.ndarray:
    """(R, 4) see-through fills (ALPHA), keeping alpha 0 where there is no fill."""
    out = colors.copy()
    out[:, 3] = np.minimum(out[:, 3], ALPHA)
    return out


def _style_3d(ax: Axes3D, pts: np.ndarray, th: Theme) -> None:
    """Equal aspect (a flat side at least MIN_SIDE of the longest), the stills' camera and panes."""
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2
    half = np.maximum((hi - lo) / 2, MIN_SIDE * float((hi - lo).max()) / 2) * 1.05
    half = np.where(half > 0, half, 0.5)
    for setter, c, h in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre, half, strict=True):
        setter(c - h, c + h)
    ax.set_box_aspect(tuple(half), zoom=0.85)
    ax.view_init(elev=ELEV, azim=AZIM)
    pane = (1.0, 1.0, 1.0, 0.06) if th.name == "dark" else (0.0, 0.0, 0.0, 0.035)
    for axis, side in zip((ax.xaxis, ax.yaxis, ax.zaxis), half / half.max(), strict=True):
        axis.set_major_locator(MaxNLocator(max(1, round(4 * side))))
        axis.set_pane_color(pane)
        axis._axinfo["grid"].update(color=th.muted, linewidth=0.5)


def _limits_2d(ax: Axes, pts: np.ndarray) -> None:
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2 * 1.05, 1e-9)
    ax.set_xlim(centre[0] - half, centre[0] + half)
    ax.set_ylim(centre[1] - half, centre[1] + half)
    ax.set_aspect("equal")
