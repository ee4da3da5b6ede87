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
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke
from matplotlib.ticker import MaxNLocator
from mpl_toolkits.mplot3d import Axes3D
from mpl_toolkits.mplot3d.art3d import Line3DCollection, Poly3DCollection

from ..measure import Regions
from ..view.coords import projection
from .region_colors import AREA_CMAP, Fill, area_norm, fill_colors
from .theme import AZIM, ELEV, MIN_SIDE, Theme, themed

PANEL = 4.2  # inches
ALPHA = 0.55  # fills see-through, so folded images show as overlaps
DPI = 110
# Outlines are drawn while the regions average at least this many pixels of the input
# panel: below it (2,256,256,1 on +-1 has 37,357 regions in ~210,000 pixels, 6 each) the
# edges cover the fills and the boundary, so only the fills are drawn, and the title says so.
MIN_REGION_PIXELS = 100
FIT_ROWS = 50_000  # vertices a wide stage's PCA is fitted on
IMAGE_BLOCK = 4096  # regions mapped to a wide stage at a time


def regions_figure(regions: Regions, *, fill: Fill = "region", theme: str = "dark") -> Figure:
    """One panel for the input and one per stage; returns a Figure (no pyplot)."""
    stages = len(regions.maps)  # (stage_maps would expand every stage: 1 GB each at 1e5)
    cols = min(stages, 4)
    rows = math.ceil(stages / cols)
    edges = outlined(regions)
    head = 0.75 if edges else 1.0  # inches above the panels: the title, its note
    with themed(theme) as th:
        height = rows * (PANEL + 0.8) + 0.15 + head
        fig = Figure(figsize=(cols * (PANEL + 0.6), height), dpi=DPI, facecolor=th.background)
        box = ", ".join(f"{name} in [{regions.bounds[2 * i]:g}, {regions.bounds[2 * i + 1]:g}]"
                        for i, name in enumerate("xy"[: regions.verts.shape[2]]))
        fig.suptitle(f"{len(regions):,} linear regions on {box} ({regions.counted}); "
                     f"after each layer: {', '.join(map(str, regions.per_layer))}"
                     + ("" if edges else "\n" + omitted_note(regions)),
                     color=th.foreground, y=1 - 0.12 / height, va="top")
        fig.subplots_adjust(left=0.04, right=0.98, top=1 - head / height,
                            bottom=0.04 + (0.08 if fill == "area" else 0), wspace=0.22,
                            hspace=0.25)
        # area changes need every stage's maps expanded (1 GB a wide stage at 1e5 regions)
        norm = area_norm(regions) if fill == "area" else Normalize()
        for k in range(stages):
            colors = fill_colors(regions, k, fill, norm)
            if regions.verts.shape[2] == 2:
                _panel(fig, regions, k, (rows, cols, k + 1), colors, th, edges)
            else:
                _curve_panel(fig, regions, k, (rows, cols, k + 1), colors, th)
        if fill == "area":
            cax = fig.add_axes((0.3, 0.055, 0.4, 0.015))
            bar = fig.colorbar(ScalarMappable(norm, colormaps[AREA_CMAP]), cax=cax,
                               orientation="horizontal")
            bar.set_label("log10 area change of the region's map to the stage "
                          "(no fill: collapsed to a line or a point; a graph panel: "
                          "log10 |grad f|)", color=th.foreground)
    return fig


def panel_pixels() -> float:
    """The input panel's area in pixels (about, before its margins)."""
    return (PANEL * DPI) ** 2


def outlined(regions: Regions) -> bool:
    """Whether the regions are few enough for outlines: 1-D pieces always are."""
    return regions.verts.shape[2] == 1 or len(regions) * MIN_REGION_PIXELS <= panel_pixels()


def omitted_note(regions: Regions) -> str:
    return (f"outlines omitted at this density (about {panel_pixels() / len(regions):.1f} "
            f"pixels per region; drawn from {MIN_REGION_PIXELS}): regions show as fills only, "
            "and neighbours of like colour can look like one")


def shown_images(regions: Regions, k: int) -> np.ndarray:
    """(R, M, min(d_k, 3)): every region's image at stage k, a wide stage through the PCA
    of its vertices (fitted on regions at a fixed stride, about FIT_ROWS vertices),
    computed IMAGE_BLOCK regions at a time: 128,689 regions of a 512-D stage would be
    4 GB at once."""
    dim = regions.maps[k].c.shape[1]
    if dim <= 3:
        return regions.image(k)
    stride = max(1, len(regions) * regions.verts.shape[1] // FIT_ROWS)
    sample = np.arange(0, len(regions), stride)
    real = np.arange(regions.verts.shape[1])[None, :] < regions.count[sample, None]  # (s, M)
    proj = projection(_image_of(regions, k, sample)[real])  # fitted on real vertices
    return np.concatenate([proj(_image_of(regions, k, np.arange(lo, min(lo + IMAGE_BLOCK,
                                                                     len(regions))))
                                .reshape(-1, dim)).reshape(-1, regions.verts.shape[1], 3)
                           for lo in range(0, len(regions), IMAGE_BLOCK)])


def _image_of(regions: Regions, k: int, which: np.ndarray) -> np.ndarray:
    """(w, M, d_k): the vertices of regions ``which`` mapped to stage k (padding
    included: a padded vertex repeats the last one)."""
    a, c = regions.maps[k].take(regions.rows[which, k])
    return np.einsum("rkd,rmd->rmk", a, regions.verts[which]) + c[:, None, :]


def _panel(fig: Figure, regions: Regions, k: int, where: tuple[int, int, int],
           colors: np.ndarray, th: Theme, edges: bool) -> None:
    image = shown_images(regions, k)  # (R, M, d) d <= 3
    valid = [image[r, :m] for r, m in enumerate(regions.count)]
    dim = regions.maps[k].c.shape[1]
    title = regions.titles[k] if k < len(regions.titles) else f"stage {k}"
    if dim == 1:  # the graph of the function over the input
        valid = [np.concatenate([poly, v], axis=1)
                 for poly, v in zip(regions.polygons, valid, strict=True)]
        title += ": the graph f(x, y)"
    elif dim > 3:
        title += f" (PCA {dim}-D to 3-D)"
    edge = th.foreground if edges else "none"
    if valid[0].shape[1] == 2:
        ax = fig.add_subplot(*where, gid=f"regions-{k}")
        ax.add_collection(PolyCollection(valid, facecolors=_faded(colors),
                                         edgecolors=edge, linewidths=0.4 if edges else 0.0))
        _limits_2d(ax, np.concatenate(valid))
        if k == 0 and regions.boundary:  # on top, with a halo: visible over any fill
            ax.add_collection(LineCollection(
                regions.boundary, colors=th.foreground, linewidths=2.0, zorder=4,
                gid="decision-boundary",
                path_effects=[withStroke(linewidth=4.5, foreground=th.background)]))
    else:
        ax3 = cast(Axes3D, fig.add_subplot(*where, projection="3d", gid=f"regions-{k}"))
        ax3.add_collection3d(Poly3DCollection(valid, facecolors=_faded(colors),
                                              edgecolors=edge, linewidths=0.3 if edges else 0.0))
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
