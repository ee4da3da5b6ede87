"""Scatter dots composited into an Agg frame buffer in NumPy, as matplotlib draws them.

A film's scatter of a few thousand round dots, each with its own fill and one thin edge,
costs matplotlib ~10 ms a frame (every dot rasterised afresh). Here Agg draws the dot once
per sub-pixel position (``PHASES`` x ``PHASES`` of them): its fill's and its edge's
coverage of each pixel around it. A dot over a pixel is then an affine map of that
pixel's colour, ``under * (1 - a_fill) * (1 - a_edge) + fill * a_fill * (1 - a_edge) +
edge * a_edge`` (fill, then edge, as Agg composites them), and overlapping dots compose
those maps in drawing order: the picture matplotlib draws (to a 64th of a pixel in place,
a level or two in colour), without asking it per frame. Dots that do not move (the data in
the input plane) are composed once (``DotLayer``) and laid over each frame's pixels.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

PHASES = 32  # sub-pixel places a dot is drawn at, per axis (a 32nd of a pixel apart)
OPAQUE = 1e-6  # what a wholly covered pixel lets through (its log must be finite)


class DotStamps:
    """Round dots of one ``size`` (points^2, as ``scatter``'s ``s``) with an edge of
    ``linewidth`` points in ``edgecolor``, at ``dpi``: each dot's coverage of the pixels
    around it, at every sub-pixel phase, drawn once by Agg."""

    def __init__(self, size: float, linewidth: float, edgecolor: str, dpi: float) -> None:
        self.edge = np.array(to_rgb(edgecolor), np.float32) * 255.0  # (3,)
        outer = (math.sqrt(size) / 2.0 + linewidth / 2.0) * dpi / 72.0  # pixels
        self.reach = math.ceil(outer) + 1  # pixels either side of the dot's own pixel
        side = 2 * self.reach + 1
        cell = side + 2  # a blank pixel between neighbouring cells
        fill = _coverage(size, 0.0, "white", "none", cell, dpi)  # (P*cell, P*cell)
        edge = _coverage(size, linewidth, "none", "white", cell, dpi)
        # (P * P, k): phase (ay * P + ax) -> coverage of the k pixels of the window that
        # some phase's dot touches (the window's corners stay clear of a round dot)
        fill, edge = _cut(fill, cell, side), _cut(edge, cell, side)
        used = np.flatnonzero((fill > 0).any(axis=0) | (edge > 0).any(axis=0))  # (k,)
        through = (1.0 - fill) * (1.0 - edge)  # what a dot lets through of the colour under
        self.through = through[:, used]
        self.fill_ink = (fill * (1.0 - edge))[:, used]  # the share of the dot's own colour
        self.edge_ink = edge[:, used]  # the share of the edge's colour
        offsets = np.arange(-self.reach, self.reach + 1)
        # the window's pixels: buffer rows (downwards) and columns from the dot's pixel
        self.d_row = np.repeat(offsets, side)[used]  # (k,)
        self.d_col = np.tile(offsets, side)[used]

    def layer(self, xy: np.ndarray, rgb: np.ndarray, shape: tuple[int, int],
              clip: tuple[int, int, int, int]) -> DotLayer:
        """The dots at display ``xy`` ((n, 2), y up, as ``transData`` gives) filled with
        ``rgb`` ((n, 3) in [0, 1]), in that order, over a buffer of ``shape`` (rows,
        columns), clipped to its columns ``clip[0]:clip[2]`` and rows ``clip[1]:clip[3]``."""
        height, width = shape
        keep = np.isfinite(xy).all(axis=1)
        if not keep.all():
            xy, rgb = xy[keep], rgb[keep]
        q = np.floor(xy * PHASES + 0.5).astype(np.int64)  # (n, 2) in phase units
        pix, phase = np.divmod(q, PHASES)  # the dot's pixel (display, y up), its phase
        k = len(self.d_row)
        rows = (height - 1 - pix[:, 1])[:, None] + self.d_row  # (n, k) buffer rows
        cols = pix[:, 0][:, None] + self.d_col  # (n, k)
        # (n, k) each entry's place in the (P * P, k) tables: its phase's row, its pixel
        table = ((phase[:, 1] * PHASES + phase[:, 0]) * k)[:, None] + np.arange(k)
        through = self.through.ravel()[table]  # colour -> colour * through + ink
        c0, r0, c1, r1 = clip
        # the entries that change their pixel, inside the clip (m,), in drawing order
        kept = np.flatnonzero((through < 1.0) & (cols >= c0) & (cols < c1) & (rows >= r0)
                              & (rows < r1))
        at = table.ravel()[kept]
        flat = (rows * width + cols).ravel()[kept]  # (m,) the pixel in the buffer
        dot_rgb = (rgb * 255.0).astype(np.float32)[kept // k]  # (m, 3)
        ink = self.fill_ink.ravel()[at][:, None] * dot_rgb
        ink += self.edge_ink.ravel()[at][:, None] * self.edge  # (m, 3)
        return DotLayer(flat, through.ravel()[kept], ink)


class DotLayer:
    """Dots composed in drawing order into one map per pixel they touch:
    ``colour -> colour * through + ink``; ``draw`` applies it to a frame buffer."""

    def __init__(self, flat: np.ndarray, through: np.ndarray, ink: np.ndarray) -> None:
        """One entry per dot and pixel, in drawing order: ``flat`` (m,) the pixel (row *
        width + column), ``through`` (m,) and ``ink`` (m, 3). At a pixel, the dots k in
        order give ``colour * prod_k through_k + sum_k ink_k * prod_{j > k} through_j``:
        the products from running sums of log(through) along the pixels' runs."""
        order = np.argsort(flat, kind="stable")  # by pixel, drawing order kept within one
        by_pixel = flat[order]
        first = np.ones(len(flat), bool)
        first[1:] = by_pixel[1:] != by_pixel[:-1]  # (m,) the lowest dot at its pixel
        starts = np.flatnonzero(first)  # (u,) each pixel's run
        self.flat = by_pixel[starts]  # (u,)
        # (m,) float64 (the sums run over every entry: float32 would lose the products);
        # where a dot's fill hides what is under it wholly, a millionth gets through
        total = np.cumsum(np.log(np.maximum(through[order].astype(np.float64), OPAQUE)))
        below = np.concatenate([[0.0], total])[starts]  # (u,) the sum before each run
        end = np.concatenate([total[starts[1:] - 1], total[-1:]])  # (u,) after each run
        pixel = np.cumsum(first) - 1  # (m,) each sorted entry's pixel, in the u
        over = np.empty(len(flat))  # (m,) in drawing order: the product of the dots above
        over[order] = np.exp(end[pixel] - total)
        at = np.empty(len(flat), np.intp)  # (m,) in drawing order: the entry's pixel
        at[order] = pixel
        self.ink = np.stack([np.bincount(at, ink[:, c] * over, minlength=len(starts))
                             for c in range(3)], axis=1)  # (u, 3)
        self.through = np.exp(end - below)  # (u,)

    def draw(self, buf: np.ndarray) -> None:
        """Composite over ``buf`` ((H, W, 4) uint8, C-contiguous: an Agg buffer) in place."""
        pixels = buf.reshape(-1, 4)  # (H * W, 4) a view
        under = pixels[self.flat, :3].astype(np.float32)  # (u, 3)
        under *= self.through[:, None]
        under += self.ink
        pixels[self.flat, :3] = np.rint(under).astype(np.uint8)


def _coverage(size: float, linewidth: float, face: str, edge: str, cell: int,
              dpi: float) -> np.ndarray:
    """(PHASES * cell, PHASES * cell) float32 in [0, 1], rows upwards: Agg's coverage of
    one dot per cell, the dot of cell (ax, ay) at (ax, ay) / PHASES past the corner of
    the cell's middle pixel."""
    side = PHASES * cell
    fig = Figure(figsize=(side / dpi, side / dpi), dpi=dpi)
    fig.patch.set_alpha(0.0)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    ax.set_xlim(0, side)  # data units are display pixels
    ax.set_ylim(0, side)
    corner = np.arange(PHASES) * cell + cell // 2  # (P,) each cell's middle pixel
    steps = np.arange(PHASES) / PHASES
    x = (corner + steps)[None, :].repeat(PHASES, axis=0)  # (P, P): [ay, ax]
    y = (corner + steps)[:, None].repeat(PHASES, axis=1)
    ax.scatter(x.ravel(), y.ravel(), s=size, facecolors=face, edgecolors=edge,
               linewidths=linewidth)
    canvas.draw()
    alpha = np.asarray(canvas.buffer_rgba())[::-1, :, 3]  # (side, side) rows upwards
    return alpha.astype(np.float32) / 255.0


def _cut(coverage: np.ndarray, cell: int, side: int) -> np.ndarray:
    """(PHASES * PHASES, side * side): each cell's window around its middle pixel, rows
    downwards (buffer order), by phase ay * PHASES + ax."""
    reach = side // 2
    out = np.empty((PHASES * PHASES, side * side), np.float32)
    for ay in range(PHASES):
        for ax in range(PHASES):
            r, c = ay * cell + cell // 2, ax * cell + cell // 2  # the middle pixel, rows up
            window = coverage[r - reach:r + reach + 1, c - reach:c + reach + 1]
            out[ay * PHASES + ax] = window[::-1].ravel()  # rows downwards
    return out
