"""A film's 3-D axes box (grid, axis lines, ticks, tick labels) drawn without mplot3d.

A full mplot3d draw (panes, grids, axes, ticks and their text laid out anew) costs tens of
milliseconds, and a film redraws its axes on every frame where the camera turns or the
box eases (about half of them). Here the same picture is made from the axes' projection
matrix: the geometry in NumPy, by the rules of matplotlib's ``axis3d`` for the default
vertical z axis and tick positions (which pane is behind, which edge carries the ticks,
how far out the labels sit); the lines drawn by Agg from three collections in display
pixels, styled as mplot3d's own artists are after one real draw; the tick labels stamped
from sprites drawn once per text. A tick formatter with an offset text ("1e4") is not
drawn here: ``drawable`` says so and the caller draws those axes in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.axis import Axis
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.transforms import IdentityTransform
from mpl_toolkits.mplot3d import Axes3D

from .text_sprites import TextSprite

# the unit cube's corners (matplotlib's order: Axes3D._transformed_cube) and its faces
PLANES = ((0, 3, 7, 4), (1, 2, 6, 5),  # yz planes
          (0, 1, 5, 4), (3, 2, 6, 7),  # xz planes
          (0, 1, 2, 3), (4, 5, 6, 7))  # xy planes
JUGGLED = ((1, 0, 2), (0, 1, 2), (0, 2, 1))  # per axis: mplot3d's "juggled" indices
TICK_DIR = (1, 0, 0)  # per axis: the coordinate its ticks point along (vertical axis z)
TICK_OUT, TICK_IN = 0.1, 0.2  # tick length out of and into the box, in deltas
DELTA = 0.08  # a delta: this fraction of the box side (mplot3d >= 3.9)
LABEL_OFFSET = 8.0  # points beyond the tick pad to a tick label's anchor (mplot3d's)
TICK_MARGIN = 0.019965277777777776  # axes3d.automargin: ticks this far inside are dropped


@dataclass(frozen=True)
class Ticks:
    """One axis's ticks in view: locations (k,) and their label texts."""

    locs: np.ndarray
    labels: tuple[str, ...]


@dataclass(frozen=True)
class BoxGeometry:
    """The box's drawing in display pixels (x right, y up)."""

    grid: np.ndarray  # (g, 3, 2) per tick a line across the two panes behind it
    lines: np.ndarray  # (3, 2, 2) the x, y, z axis lines
    ticks: np.ndarray  # (k, 2, 2) tick marks, axis by axis
    tick_axis: np.ndarray  # (k,) the axis (0, 1, 2) of each tick mark and label
    labels: np.ndarray  # (k, 2) each tick label's anchor
    texts: tuple[str, ...]  # (k,) each tick label's text


def corners(box: np.ndarray) -> np.ndarray:
    """(3, 2) limits -> (8, 3) the box's corners in matplotlib's cube order."""
    (x0, x1), (y0, y1), (z0, z1) = box
    return np.array([(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0),
                     (x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)], dtype=float)


def project(xyz: np.ndarray, m: np.ndarray) -> np.ndarray:
    """(k, 3) data points through a (4, 4) mplot3d projection -> (3, k) projected x', y'
    and depth z' (the same products as ``proj3d.proj_transform``: the same rounding)."""
    vec = np.array([xyz[:, 0], xyz[:, 1], xyz[:, 2], np.ones(len(xyz))])  # (4, k)
    vecw = np.dot(m, vec)
    return vecw[0:3] / vecw[3]


def highs(box: np.ndarray, m: np.ndarray) -> np.ndarray:
    """(3,) bool: for each axis, whether its upper face is the one nearer the back
    (mplot3d's ``_get_coord_info``, edge-on views included)."""
    depth = project(corners(box), m)[2]  # (8,)
    near = np.array([np.mean(depth[list(PLANES[2 * i])]) for i in range(3)])
    far = np.array([np.mean(depth[list(PLANES[2 * i + 1])]) for i in range(3)])
    up = near < far
    equal = np.abs(near - far) <= np.finfo(float).eps
    if np.sum(equal) == 2:  # looking straight at one plane: mplot3d's fixed choices
        vertical = int(np.where(~equal)[0][0])
        up = {2: np.array([True, True, up[2]]), 1: np.array([True, up[1], False]),
              0: np.array([up[0], False, False])}[vertical]
    return up


def view_ticks(axis: Axis) -> Ticks:
    """The axis's major ticks inside its view (as ``Axis._update_ticks`` keeps them), with
    their formatted labels; the locator and formatter are the axis's own."""
    locs = np.asarray(axis.get_majorticklocs(), dtype=float)
    labels = axis.get_major_formatter().format_ticks(locs.tolist())
    low, high = sorted(axis.get_view_interval())
    if mpl.rcParams["axes3d.automargin"]:
        low, high = low + (high - low) * TICK_MARGIN, high - (high - low) * TICK_MARGIN
    slack = (high - low) * 1e-10
    keep = (locs >= low - slack) & (locs <= high + slack)
    return Ticks(locs[keep], tuple(t for t, k in zip(labels, keep, strict=True) if k))


def box_geometry(box: np.ndarray, m: np.ndarray, affine: np.ndarray, ticks: list[Ticks],
                 label_reach: float) -> BoxGeometry:
    """The box drawn for limits ``box`` (3, 2), projection ``m`` (4, 4) and the axes'
    2-D data -> display ``affine`` (3, 3), with ``ticks`` per axis. ``label_reach``: how
    many deltas out from the box the tick labels sit (mplot3d: the tick pad plus
    ``LABEL_OFFSET`` points, at 48 / (the axes' width + height in points) deltas a point).
    """
    up = highs(box, m)
    lo, hi = box[:, 0].astype(float), box[:, 1].astype(float)
    frame = _Placement(np.where(up, hi, lo), np.where(~up, hi, lo), 0.5 * (lo + hi),
                   (hi - lo) * DELTA, up)
    parts = [_axis_parts(i, ticks[i].locs, frame, label_reach) for i in range(3)]

    def display(xyz: np.ndarray) -> np.ndarray:  # (..., 3) data -> (..., 2) pixels
        p = project(xyz.reshape(-1, 3), m)
        return (affine[:2, :2] @ p[:2] + affine[:2, 2:3]).T.reshape(*xyz.shape[:-1], 2)

    return BoxGeometry(
        grid=display(np.concatenate([p[0] for p in parts])),
        lines=display(np.stack([p[1] for p in parts])),
        ticks=display(np.concatenate([p[2] for p in parts])),
        tick_axis=np.concatenate([np.full(len(t.locs), i) for i, t in enumerate(ticks)]),
        labels=display(np.concatenate([p[3] for p in parts])),
        texts=tuple(text for t in ticks for text in t.labels))


@dataclass(frozen=True)
class _Placement:
    """Where a box's chrome goes, in data coordinates (each (3,))."""

    back: np.ndarray  # the corner where the three panes behind the data meet
    front: np.ndarray  # the opposite corner
    centers: np.ndarray
    deltas: np.ndarray  # DELTA of each side
    up: np.ndarray  # bool: the upper face of each axis is the one behind


def _axis_parts(i: int, locs: np.ndarray, f: _Placement, label_reach: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Axis i's grid (k, 3, 3), line (2, 3), tick marks (k, 2, 3) and label anchors
    (k, 3), in data coordinates, for its k tick locations ``locs``."""
    k = len(locs)
    cross = np.tile(f.back, (k, 1))  # (k, 3) where each tick's two grid lines meet
    cross[:, i] = locs
    grid = np.stack([cross, cross, cross], axis=1)  # (k, 3, 3): across the two back panes
    grid[:, 0, i - 2] = f.front[i - 2]
    grid[:, 2, i - 1] = f.front[i - 1]
    j = JUGGLED[i]
    edge0 = f.back.copy()  # the axis line: on the edge mplot3d picks
    edge0[j[0]] = f.front[j[0]]
    edge1 = edge0.copy()
    edge1[j[1]] = f.front[j[1]]
    d = TICK_DIR[i]
    step = f.deltas[d] if f.up[d] else -f.deltas[d]
    at = np.tile(edge0, (k, 1))  # (k, 3) each tick where it meets the axis line
    at[:, i] = locs
    out, inward = at.copy(), at.copy()
    out[:, d] += TICK_OUT * step
    inward[:, d] -= TICK_IN * step
    away = np.ones(3)
    away[i] = 0.0  # labels move out from the centre across the axis, not along it
    anchors = at + away * np.copysign(1.0, at - f.centers) * (label_reach * f.deltas)
    return grid, np.stack([edge0, edge1]), np.stack([out, inward], axis=1), anchors


class Box3D:
    """Draws an ``Axes3D``'s box into its figure's canvas for the axes' current limits
    and camera. Made after one full draw of the axes (their artists carry the styles)
    and under the rc settings the axes were made with."""

    def __init__(self, ax: Axes3D, dpi: float) -> None:
        self.ax = ax
        axes = (ax.xaxis, ax.yaxis, ax.zaxis)
        ident = IdentityTransform()
        self.grid = LineCollection([])
        self.grid.update_from(ax.xaxis.gridlines)  # colour, width, dashes, caps
        self.grid.set(transform=ident, animated=True)
        line = ax.xaxis.line  # Line2D's caps and joins, not a collection's defaults
        self.lines = LineCollection([], colors=[a.line.get_color() for a in axes],
                                    linewidths=[a.line.get_linewidth() for a in axes],
                                    capstyle=line.get_solid_capstyle(),
                                    joinstyle=line.get_solid_joinstyle(), transform=ident,
                                    animated=True)
        first = [a.get_major_ticks()[0] for a in axes]
        # mplot3d sets its ticks' widths from these at each draw (read under the theme)
        x_width, y_width = mpl.rcParams["xtick.major.width"], mpl.rcParams["ytick.major.width"]
        self.tick_widths = np.array([x_width, y_width, x_width])  # (3,) the x, y, z ticks
        self.marks = LineCollection([], colors=first[0].tick1line.get_color(),
                                    capstyle=first[0].tick1line.get_solid_capstyle(),
                                    transform=ident, animated=True)
        label = first[0].label1
        self.pad = float(first[0].get_pad())
        self.label_color = mpl.colors.to_hex(label.get_color())
        self._label = label  # its font and alignment, for the sprites
        self.dpi = dpi
        self._sprites: dict[str, TextSprite] = {}
        for artist in (self.grid, self.lines, self.marks):
            ax.figure.add_artist(artist)

    def ticks(self) -> list[Ticks]:
        return [view_ticks(a) for a in (self.ax.xaxis, self.ax.yaxis, self.ax.zaxis)]

    def drawable(self) -> bool:
        """False when a formatter shows an offset text ("1e4"): not drawn here (read
        after ``ticks``, which sets the formatters to the current limits)."""
        return not any(a.get_major_formatter().get_offset()
                       for a in (self.ax.xaxis, self.ax.yaxis, self.ax.zaxis))

    def geometry(self, box: np.ndarray, ticks: list[Ticks]) -> BoxGeometry:
        """The box for limits ``box`` (3, 2) at the axes' current camera and zoom."""
        size = self.ax.bbox.size / self.dpi * 72.0  # (2,) the axes in points
        reach = (self.pad + LABEL_OFFSET) * 48.0 / float(np.sum(size))
        affine = self.ax.transData.get_affine().get_matrix()
        return box_geometry(box, self.ax.get_proj(), affine, ticks, reach)

    def draw(self, fig: Figure, buf: np.ndarray, g: BoxGeometry, z_alpha: float) -> None:
        """Draw ``g`` onto the canvas: lines by Agg, tick labels stamped into ``buf``
        ((H, W, 4) the canvas's buffer); the z labels at opacity ``z_alpha``."""
        self.grid.set_segments(list(g.grid))
        fig.draw_artist(self.grid)
        self.lines.set_segments(list(g.lines))
        fig.draw_artist(self.lines)
        self.marks.set_segments(list(g.ticks))
        self.marks.set_linewidth(self.tick_widths[g.tick_axis])
        fig.draw_artist(self.marks)
        for text, axis, (x, y) in zip(g.texts, g.tick_axis, g.labels, strict=True):
            self._sprite(text).stamp(buf, x, y, opacity=z_alpha if axis == 2 else 1.0)

    def _sprite(self, text: str) -> TextSprite:
        if text not in self._sprites:
            t = self._label
            self._sprites[text] = TextSprite(
                text, color=self.label_color, fontsize=float(t.get_fontsize()), dpi=self.dpi,
                ha=t.get_horizontalalignment(), va=t.get_verticalalignment(),
                fontproperties=t.get_fontproperties())
        return self._sprites[text]
