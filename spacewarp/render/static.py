"""Still pictures of a trace: one panel per stage (``stages_figure``) or one stage alone
(``stage_figure``), as ``matplotlib.figure.Figure`` objects (no pyplot state).

A panel shows the stage's display coordinates (``spacewarp.view.display_coords``):
1-D on a line (the points at y = 0 exactly, as the seed's ``(x, 0)`` trick), 2-D as an
equal-aspect scatter, 3-D as a 3-D scatter with a fixed camera and an equal-aspect box,
wider stages through PCA to 3-D (said in the title). Every point keeps its colour in
every stage (one ``Normalize`` over ``trace.color``). Above each panel: what happened
(``Linear 2->3``, ``Tanh``) and the weights applied there, printed as the seed prints
them. From ``RASTER_FROM`` points on, the points are drawn as one image
(``spacewarp.render.raster``) instead of a scatter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Colormap, ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator
from mpl_toolkits.mplot3d.axes3d import Axes3D

from ..inputs.arrays import column_range, kept_range
from ..tracing.trace import Stage, Trace
from ..view import display_coords, lattice_every, lattice_lines, projection
from ..view.colors import CLASS_COLORS, class_hex, legend, repeat_note
from ..view.coords import flat_axes
from ..view.marks import marks_of
from ..view.outlines import Outlines
from ..view.weight_text import SLICE_NAMES, fitted_matrix, slice_caption
from .raster import (
    RASTER_FROM,
    Rasters,
    pixel_shape,
    point_colors,
    raster_2d,
    raster_3d,
    show_image,
    splat,
    use_raster,
)
from .still_marks import draw_marks, marks_at, marks_caption
from .still_regions import draw_regions, still_outlines
from .theme import AZIM, ELEV, MIN_SIDE, Theme, themed

DPI = 100
RASTER_SIDE = 700  # raster images are this many pixels across a panel, in every figure
PAD = 0.04  # margin around the data, as a fraction of its range
MAX_LATTICE_LINES = 21  # lattice lines drawn each way; bigger lattices are thinned
# a grid cell, in inches: room left of its panel (the y tick labels), and right of it, more
# where a panel is 3-D: its z tick labels and label stand out there, and must stay in
# their own cell, clear of the next panel ("PC3 (no spread)" read as the next one's)
GRID_LEFT, GRID_RIGHT, GRID_RIGHT_3D = 0.55, 0.35, 1.3
SINGLE_LEFT = 0.65  # inches left of a stage figure's panel: the y tick labels
SINGLE_RIGHT = 1.15  # and right of it: a 3-D panel's z tick labels and label ("PC3 (no spread)")
KEY_HEIGHT = 0.8  # inches under the panels for the colour bar or the legend, and the note
KEY_ROOM = 2.0  # inches of a key figure: room for a legend's rows (cut to what is drawn)
MONO_EM = 0.61  # advance of a DejaVu Sans Mono character, in ems (0.602), rounded up
# kinds that act on each coordinate alone: activation modules (nn.ReLU: "relu") and functions
ELEMENTWISE = frozenset({"relu", "tanh", "sigmoid", "gelu", "silu", "softplus", "elu",
                         "leakyrelu", "identity", "hardtanh", "relu6", "mish", "selu", "celu",
                         "softsign", "tanhshrink", "logsigmoid", "hardswish", "hardsigmoid",
                         "neg"})
# stages that pass every point unchanged, and what to say under their titles
UNCHANGED = {"dropout": "eval mode: every point passes unchanged",
             "flatten": "(C, H, W) read as one row of C*H*W: every point unchanged",
             "unflatten": "a row read as (C, H, W): every point unchanged"}
CLASS_WORDS = {"label": "class", "predicted": "the class the network predicts"}
NOTE_COLOR = "#f0a030"  # amber: a caveat about the whole picture
COLOR_NAMES = {"x": "first input coordinate", "y": "second input coordinate",
               "angle": "input angle", "radius": "input radius", "label": "class label",
               "predicted": "the network's output",
               "index": "point index",
               "stretch": "log10 largest stretch of the whole network (Jacobian)",
               "area": "log10 area change of the whole network (Jacobian)",
               "anisotropy": "log10 anisotropy of the whole network (Jacobian)",
               "fold": "folded (1) where the network reverses orientation",
               "region": "linear region (activation pattern)"}


@dataclass(frozen=True)
class Layout:
    """Sizes of one kind of figure, in inches and points."""

    panel: float  # side of a panel's square plot area, inches
    title_pt: float
    text_pt: float  # weights under the title, and tick labels
    colorbar: bool


GRID = Layout(panel=4.2, title_pt=12, text_pt=8, colorbar=True)
SINGLE = Layout(panel=7.0, title_pt=15, text_pt=10, colorbar=False)


@dataclass(frozen=True)
class Palette:
    """The colours shared by every panel (one norm over ``trace.color``, one colour map),
    and caches of what every figure of the same trace would compute again."""

    norm: Normalize
    cmap: Colormap
    rgba: np.ndarray | None  # (n, 4) uint8 per point, for the raster path; else None
    rasters: Rasters = field(default_factory=Rasters)  # splatted stages, shared by figures
    ranges: dict[object, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    outlines: Outlines | None = None  # the exact regions, drawn under the points (--regions)


def palette(trace: Trace, raster_from: int = RASTER_FROM, pool: Executor | None = None
            ) -> Palette:
    """The shared colours of ``trace``; compute once, pass to every figure of it.

    ``pool``: threads to make the raster images on (``Rasters``): then call
    ``pal.rasters.finish(fig)`` before drawing a figure."""
    lo, hi = float(trace.color.min()), float(trace.color.max())
    if trace.categorical:  # classes 0 .. k-1, each its own colour
        cmap: Colormap = ListedColormap(class_hex(int(hi) + 1))
        norm = Normalize(-0.5, hi + 0.5)
    else:
        cmap = colormaps[trace.style.cmap]
        norm = Normalize(lo, hi) if hi > lo else Normalize(lo - 0.5, hi + 0.5)
    rgba = point_colors(trace.color, norm, cmap) if use_raster(trace.n, raster_from) else None
    return Palette(norm, cmap, rgba, Rasters(pool), outlines=still_outlines(trace))


def theme_name(trace: Trace, theme: str | None) -> str:
    """``theme`` if given, else the experiment's, else ``dark``."""
    return theme if theme is not None else trace.style.theme


def stages_figure(trace: Trace, theme: str | None = None, *, cols: int | None = None,
                  raster_from: int = RASTER_FROM, pal: Palette | None = None) -> Figure:
    """Every stage of ``trace`` as a grid of panels, with a shared colour bar.

    ``theme``: ``dark`` (like the seed) or ``light``; default the experiment's.
    ``cols``: panels per row (default 3, or 4 from 9 stages on). ``raster_from``: point
    count from which panels are drawn as images. Returns a ``Figure`` (no pyplot).
    """
    count = len(trace.stages)
    cols = min(cols or grid_columns(count), count)
    rows = math.ceil(count / cols)
    pal = pal or palette(trace, raster_from)
    deep = any(s.dim >= 3 for s in trace.stages)  # a panel in 3-D
    cell_w = GRID_LEFT + GRID.panel + (GRID_RIGHT_3D if deep else GRID_RIGHT)
    # the weights stay in their cell, the narrower one of 2-D panels
    chars = _text_chars(GRID_LEFT + GRID.panel + GRID_RIGHT - 0.1, GRID.text_pt)
    header = _header_height(trace, range(count), GRID, chars)
    bar = KEY_HEIGHT if GRID.colorbar else 0.0
    cell_h = GRID.panel + header + 0.7
    with themed(theme_name(trace, theme)) as th:
        fig = Figure(figsize=(cols * cell_w, rows * cell_h + bar), dpi=DPI,
                     facecolor=th.background)
        for k in range(count):
            r, c = divmod(k, cols)
            left = c * cell_w + GRID_LEFT
            bottom = bar + (rows - 1 - r) * cell_h + 0.45
            _panel(fig, trace, k, (left, bottom), header, GRID, pal, th, raster_from, chars)
        if GRID.colorbar:
            _colorbar(fig, trace, pal, th)
        _note(fig, trace, th)
    return fig


def grid_columns(count: int) -> int:
    """Panels per row for ``count`` stages: all in one row up to 4, then 3 up to 6, then 4."""
    return count if count <= 4 else 3 if count <= 6 else 4


def stage_figure(trace: Trace, k: int, theme: str | None = None, *,
                 raster_from: int = RASTER_FROM, pal: Palette | None = None,
                 room_for: Sequence[int] | None = None) -> Figure:
    """Stage ``k`` of ``trace`` alone, larger (as the seed's one-figure-per-stage).

    ``room_for``: the stages whose titles and weights the header has room for (default
    ``k`` alone). Given every stage, every stage's figure has the same size and layout:
    flipped through, or laid side by side (``render.sheet``), their panels and titles
    line up.
    """
    if not -len(trace.stages) <= k < len(trace.stages):
        raise IndexError(f"stage {k} out of range: the trace has {len(trace.stages)} stages")
    k %= len(trace.stages)
    pal = pal or palette(trace, raster_from)
    # the weights are centred on the panel: as wide as the narrower side allows
    chars = _text_chars(2 * (SINGLE.panel / 2 + min(SINGLE_LEFT, SINGLE_RIGHT)) - 0.1,
                        SINGLE.text_pt)
    header = _header_height(trace, [k] if room_for is None else room_for, SINGLE, chars)
    with themed(theme_name(trace, theme)) as th:
        fig = Figure(figsize=(SINGLE_LEFT + SINGLE.panel + SINGLE_RIGHT,
                              SINGLE.panel + header + 0.75), dpi=DPI, facecolor=th.background)
        _panel(fig, trace, k, (SINGLE_LEFT, 0.5), header, SINGLE, pal, th, raster_from, chars)
        _note(fig, trace, th)
    return fig


def key_figure(trace: Trace, width: float, theme: str | None = None, *,
               pal: Palette | None = None) -> Figure:
    """``width`` inches of the colour key that ``stages_figure`` draws under its panels
    (the colour bar, or a legend of the classes) and the note, alone: the strip under
    the stage pictures of ``stages.png`` (``render.sheet``). ``KEY_ROOM`` inches tall,
    the key at its bottom, as under the panels: its blank top is for the caller to cut
    (``render.sheet.below_blank``)."""
    pal = pal or palette(trace)
    with themed(theme_name(trace, theme)) as th:
        fig = Figure(figsize=(width, KEY_ROOM), dpi=DPI, facecolor=th.background)
        _colorbar(fig, trace, pal, th)
        _note(fig, trace, th)
    return fig


def note_pixels(fig: Figure) -> tuple[slice, slice] | None:
    """The rows and columns of a drawn figure's buffer that its note (``_note``) covers,
    with a pixel of antialiasing around; None when it has no note."""
    height = fig.canvas.get_width_height(physical=True)[1]
    for text in fig.texts:
        if text.get_gid() == "note":
            box = text.get_window_extent()  # display pixels, y up; the buffer's rows down
            rows = slice(max(0, height - math.ceil(box.y1) - 1), height - math.floor(box.y0) + 1)
            cols = slice(max(0, math.floor(box.x0) - 1), math.ceil(box.x1) + 1)
            return rows, cols
    return None


def _note(fig: Figure, trace: Trace, th: Theme) -> None:
    """What the stages leave out (``Trace.note``), at the figure's bottom left."""
    if trace.note:
        fig.text(0.005, 0.004, f"Note: {trace.note}.", ha="left", va="bottom", fontsize=9,
                 color=NOTE_COLOR, gid="note")


# ---------------------------------------------------------------- one panel


def _panel(fig: Figure, trace: Trace, k: int, origin: tuple[float, float], header: float,
           lay: Layout, pal: Palette, th: Theme, raster_from: int, chars: int) -> Axes:
    """Draw stage ``k`` with its plot area's lower-left corner at ``origin`` (inches)."""
    stage = trace.stages[k]
    pts = display_coords(stage.points)  # (n, d) -> (n, min(d, 3))
    d = pts.shape[1]
    raster = pal.rgba is not None and use_raster(trace.n, raster_from)
    size = _point_size(trace, lay)
    fw, fh = fig.get_size_inches()
    left, bottom = origin
    rect = (left / fw, bottom / fh, lay.panel / fw, lay.panel / fh)
    top = (bottom + lay.panel + 0.12) / fh
    centre = (left + lay.panel / 2) / fw
    _reach_marks(pal, trace, k, pts)
    title = panel_title(stage)  # a long one (a conv's kernel, a PCA note) shrinks to its cell
    fig.text(centre, top + header / fh, title, ha="center", va="top",
             fontsize=min(lay.title_pt, chars * lay.text_pt / max(len(title), 1)),
             color=th.foreground, gid=f"title-{k}")
    fig.text(centre, top + header / fh - 1.5 * lay.title_pt / 72 / fh,
             weights_text(trace, k, chars),
             ha="center", va="top", ma="left", fontsize=lay.text_pt, family="monospace",
             color=th.foreground, alpha=0.85, gid=f"weights-{k}")
    if d == 1:
        ax = fig.add_axes((rect[0], rect[1] + rect[3] * 0.35, rect[2], rect[3] * 0.3),
                          gid=f"stage-{k}")
        _draw_1d(ax, pts[:, 0], trace, pal, size, raster, th, key=k)
    elif d == 2:
        ax = fig.add_axes(rect, gid=f"stage-{k}")
        _draw_2d(ax, pts, trace, pal, size, raster, th, key=k)
    else:
        ax = cast(Axes3D, fig.add_axes(rect, projection="3d", gid=f"stage-{k}"))
        _draw_3d(ax, pts, trace, pal, size, raster, th, pca=stage.dim > 3, key=k)
    if pal.outlines is not None and d > 1:
        draw_regions(ax, trace, k, pal.outlines, th)
    draw_marks(ax, trace, k, th, lay.text_pt)
    ax.tick_params(labelsize=lay.text_pt)
    return ax


def _reach_marks(pal: Palette, trace: Trace, k: int, pts: np.ndarray) -> None:
    """Stage ``k``'s limits reach its marked rows too (a slice's anchors and data rows),
    as the film's boxes do, so that no data row is cut off the panel."""
    at = marks_at(trace, k, marks_of(trace))
    if at is None or k in pal.ranges:
        return
    (lo, hi), (mlo, mhi) = kept_range(pts), column_range(at)  # (pts: found by the trace)
    pal.ranges[k] = (np.minimum(lo, mlo), np.maximum(hi, mhi))


def panel_title(stage: Stage) -> str:
    """``Linear 2->3``; stages wider than 3-D say they are shown through PCA, and how much
    of the points' variance the three axes keep."""
    if stage.dim <= 3:
        return stage.title
    kept = projection(stage.points).variance
    return f"{stage.title} (PCA {stage.dim}-D to 3-D, {100 * kept:.0f}% of variance)"


def weights_text(trace: Trace, k: int, chars: int = 120) -> str:
    """What was applied at stage ``k``, as the seed prints it: the matrix, compact, in
    lines of at most ``chars`` characters (wider rows are cut to their ends, ``...``)."""
    stage = trace.stages[k]
    note = trace.stage_notes[k] if k < len(trace.stage_notes) else ""
    if stage.kind == "input":
        source = f" from {trace.style.source}" if trace.style.source else ""
        return f"{trace.n:,} points{source}" + (f"\n{note}" if note else "")
    if stage.kind in UNCHANGED:
        return UNCHANGED[stage.kind] + (f"\n{note}" if note else "")
    if stage.weight is None and stage.kind in ELEMENTWISE:
        return f"{stage.title.split(': ')[-1]}() on each coordinate" + (
            f"\n{note}" if note else "")
    if stage.weight is None:
        feeds = ", ".join(trace.stages[i].title for i in stage.inputs)
        return (f"of: {feeds}" if feeds else "") + (f"\n{note}" if note else "")
    on_slice = trace.slice_fed(k) and trace.frame is not None  # W·axesᵀ, W·origin + b
    w, b = (f"{name} = " for name in (SLICE_NAMES if on_slice else ("W", "b")))
    caption = " ".join(slice_caption(stage.weight, trace.frame.input_dim)) + "\n" \
        if on_slice and trace.frame is not None else ""
    text = (f"{note}\n" if note else "") + caption + w + fitted_matrix(stage.weight, w, chars)
    if stage.bias is not None:
        text += f"\n{b}" + fitted_matrix(stage.bias, b, chars)
    return text


def _text_chars(width: float, pt: float) -> int:
    """How many monospace characters of ``pt`` points fit in ``width`` inches."""
    return int(width * 72 / (MONO_EM * pt))


def _header_height(trace: Trace, ks: Sequence[int], lay: Layout, chars: int) -> float:
    """Inches above the plot areas: the title and the most lines of weights among ``ks``."""
    lines = max(weights_text(trace, k, chars).count("\n") + 1 for k in ks)
    return 1.6 * lay.title_pt / 72 + lines * 1.25 * lay.text_pt / 72 + 0.05


def _point_size(trace: Trace, lay: Layout) -> float:
    """Marker area in pt^2: the seed's s=30 for 1000 points on a 12-inch figure, scaled
    down with the panel's area and with more points; the experiment's size if set."""
    if trace.style.point_size is not None:
        return float(trace.style.point_size)
    per_count = min(30.0, 30.0 * math.sqrt(1000 / max(trace.n, 1)))
    return max(0.3, per_count * (lay.panel / 12) ** 2 * 2.5)


# ---------------------------------------------------------------- per dimension


def _draw_1d(ax: Axes, x: np.ndarray, trace: Trace, pal: Palette, size: float, raster: bool,
             th: Theme, key: object) -> None:
    """(n,) values on the x-axis at y = 0 exactly."""
    lo, hi = _bounds(pal, key, x[:, None])
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(-1.0, 1.0)
    ax.set_yticks([])
    ax.grid(False, axis="y")
    ax.axhline(0.0, color=th.muted, lw=0.8, zorder=1)
    if raster and pal.rgba is not None:
        band = 0.12  # the strip's half height, in data units of the (-1, 1) y range
        extent = (float(lo[0]), float(hi[0]), -band, band)
        _, w = pixel_shape(ax, extent)
        row = splat(x, np.zeros_like(x), pal.rgba,
                    (extent[0], extent[1], -1.0, 1.0), (1, w))  # (1, w, 4)
        show_image(ax, row, extent)
    else:
        ax.scatter(x, np.zeros_like(x), c=trace.color, cmap=pal.cmap, norm=pal.norm, s=size,
                   linewidths=0, zorder=2)


def _draw_2d(ax: Axes, xy: np.ndarray, trace: Trace, pal: Palette, size: float,
             raster: bool, th: Theme, key: object) -> None:
    """(n, 2) points, equal aspect, lattice lines under them when the input is a grid."""
    lo, hi = _bounds(pal, key, xy)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="datalim")
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.yaxis.set_major_locator(MaxNLocator(6))
    _lattice(ax, xy, trace, th)
    if raster and pal.rgba is not None:
        extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
        raster_2d(ax, xy, pal.rgba, extent, side=RASTER_SIDE, rasters=pal.rasters, key=key)
    else:
        ax.scatter(xy[:, 0], xy[:, 1], c=trace.color, cmap=pal.cmap, norm=pal.norm, s=size,
                   linewidths=0, zorder=2)


def _draw_3d(ax: Axes3D, xyz: np.ndarray, trace: Trace, pal: Palette, size: float,
             raster: bool, th: Theme, pca: bool, key: object) -> None:
    """(n, 3) points in an equal-aspect box seen from the fixed camera."""
    lo, hi = _bounds(pal, key, xyz, square=False)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_zlim(lo[2], hi[2])
    span = hi - lo
    ax.set_box_aspect(tuple(span), zoom=0.88)  # equal aspect: the box is the data's shape
    ax.view_init(elev=ELEV, azim=AZIM)
    # a principal component along which the points have no spread (a stage of rank < 3)
    # is named so and has no ticks: its ~1e-16 of rounding is not a direction of the data
    flat = flat_axes(*pal.ranges[key]) if pca else np.zeros(3, dtype=bool)
    names = [f"PC{j + 1}" + (" (no spread)" if flat[j] else "") if pca else "xyz"[j]
             for j in range(3)]
    ax.set_xlabel(names[0], labelpad=18)  # clear of the middle tick ("0" met "PC1")
    ax.set_ylabel(names[1], labelpad=18)
    ax.patch.set_visible(False)  # the figure's own colour: it hid a neighbour's long label
    ax.zaxis.set_rotate_label(False)  # upright, on two lines: a turned one runs into the next
    ax.set_zlabel(names[2].replace(" (", "\n("))  # panel
    pane = (1.0, 1.0, 1.0, 0.06) if th.name == "dark" else (0.0, 0.0, 0.0, 0.035)
    ax.tick_params(axis="z", pad=9)  # keeps minus signs clear of the tick marks
    ax.zaxis.labelpad = 20  # clear of the tick labels: "0 z" read as one label
    for j, (axis, side, none) in enumerate(zip((ax.xaxis, ax.yaxis, ax.zaxis),
                                               span / span.max(), flat, strict=True)):
        axis.set_major_locator(NullLocator() if none else  # fewer on short sides
                               FixedLocator(box_ticks(lo[j], hi[j], side, j).tolist()))
        axis.set_pane_color(pane)
        axis._axinfo["grid"].update(color=th.muted, linewidth=0.5)
    _lattice(ax, xyz, trace, th)
    if raster and pal.rgba is not None:
        raster_3d(ax, xyz, pal.rgba, side=RASTER_SIDE, rasters=pal.rasters, key=key,
                  box=pal.ranges[key])
    else:
        ax.scatter(xyz[:, 0], xyz[:, 1], xyz[:, 2], c=trace.color,
                   cmap=pal.cmap, norm=pal.norm, s=size, linewidths=0)


def box_ticks(lo: float, hi: float, side: float, axis: int) -> np.ndarray:  # (k,)
    """Ticks of a 3-D panel's axis ``axis`` (0, 1, 2) with limits ``lo``, ``hi`` and
    ``side`` (its length over the box's longest): ``MaxNLocator``'s, fewer on short
    sides. From the fixed camera the x axis's upper end and the y axis's lower end meet
    at the box's front corner, where their labels ran into each other ("15-15"): neither
    keeps a tick in the sixth of its length nearest that corner."""
    ticks = np.asarray(MaxNLocator(max(1, round(4 * side))).tick_values(lo, hi), dtype=float)
    ticks = ticks[(ticks >= lo) & (ticks <= hi)]
    corner = {0: ticks <= hi - (hi - lo) / 6, 1: ticks >= lo + (hi - lo) / 6}
    return ticks[corner[axis]] if axis in corner else ticks


def _bounds(pal: Palette, key: object, pts: np.ndarray, square: bool = True
            ) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) -> lower and upper limits (d,), padded by ``PAD``.

    2-D limits are made square (same span on both axes) for the square equal-aspect
    panels; in 3-D a side is at least ``MIN_SIDE`` of the longest, so a flat cloud sits
    in a box with readable ticks, still at equal aspect.
    """
    if key not in pal.ranges:
        pal.ranges[key] = kept_range(pts)  # (a stage's own points: found by the trace)
    lo, hi = pal.ranges[key]
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    biggest = float(half.max())
    if biggest <= 0:
        half = np.full_like(half, 0.5)  # a single point: any unit span
    elif square and pts.shape[1] == 2:
        half = np.full_like(half, biggest)
    else:
        half = np.maximum(half, MIN_SIDE * biggest)
    half = half * (1 + 2 * PAD)
    return centre - half, centre + half


def _lattice(ax: Axes, pts: np.ndarray, trace: Trace, th: Theme) -> None:
    """Faint lattice lines under the points, thinned to ``MAX_LATTICE_LINES`` each way."""
    if trace.grid_shape is None or pts.shape[1] < 2:
        return
    every = lattice_every(trace.grid_shape, MAX_LATTICE_LINES)
    lines = lattice_lines(pts, trace.grid_shape, every)  # (L, d), NaN between lines
    ax.plot(*lines.T, color=th.muted, lw=0.5, alpha=0.7, zorder=1)


def _colorbar(fig: Figure, trace: Trace, pal: Palette, th: Theme) -> None:
    """A thin shared colour bar under the panels, saying what the colour is; for classes,
    a legend."""
    fh = float(fig.get_size_inches()[1])
    if trace.categorical:
        _legend(fig, trace, th, fh)
        return
    cax = fig.add_axes((0.32, 0.45 / fh, 0.36, 0.12 / fh), gid="colorbar")
    bar = fig.colorbar(ScalarMappable(norm=pal.norm, cmap=pal.cmap), cax=cax,
                       orientation="horizontal")
    what = COLOR_NAMES.get(trace.color_by, trace.color_by)
    if trace.frame is not None:  # points on a slice: their coordinates are the slice's
        what = what.replace("input coordinate", "slice coordinate")
    bar.set_label(f"colour: {what} (the same point has the same colour in every panel)"
                  + marks_caption(trace), fontsize=9, color=th.foreground)
    cax.tick_params(labelsize=8, colors=th.foreground)
    bar.outline.set_edgecolor(th.muted)


def _legend(fig: Figure, trace: Trace, th: Theme, fh: float) -> None:
    """One marker per class under the panels: "class 0", "class 1", ..."""
    handles = [Line2D([], [], ls="", marker="o", ms=7, mec="none", color=color,
                      label=f"class {name}") for name, color in legend(trace.classes)]
    note = repeat_note(len(handles))
    handles = handles[:len(CLASS_COLORS)]  # the rest would repeat these colours
    across = max(4, int(fig.get_size_inches()[0] / 1.1))  # an entry is about an inch wide
    fig.legend(handles=handles, loc="lower center",
               bbox_to_anchor=(0.5, 0.2 / fh), ncol=min(len(handles), across), frameon=False,
               fontsize=9, labelcolor=th.foreground,
               title=f"colour: {CLASS_WORDS.get(trace.color_by, 'class')} (the same point has "
                     "the same colour in every panel)"
                     + (f"; {note}" if note else "") + marks_caption(trace),
               title_fontsize=9).get_title().set_color(th.foreground)
