"""Points composited straight into an RGBA frame buffer in NumPy: fast for 1e5 points.

Each point is an anti-aliased disc (or, for tiny points, a bilinear 2x2 footprint).
Overlapping points mix their colours by coverage and add up their opacity, so the
result does not depend on drawing order (no depth sorting needed in 3-D).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps


def color_values(values: np.ndarray) -> np.ndarray:
    """(n,) colour values -> (n,) float32 in [0, 1], scaled to the values' range."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
    u = (v - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5)
    return u.astype(np.float32)


def color_table(cmap: str = "viridis") -> np.ndarray:
    """(256, 3) float32 RGB in [0, 255]: the colour map sampled evenly."""
    return (colormaps[cmap](np.linspace(0.0, 1.0, 256))[:, :3] * 255.0).astype(np.float32)


def point_radius(n: int, height: int) -> float:
    """A point radius in pixels that reads well for n points in a frame ``height`` tall."""
    scale = height / 600.0
    if n <= 300:
        return 4.0 * scale
    if n <= 3_000:
        return 2.6 * scale
    if n <= 30_000:
        return 1.6 * scale
    return 0.9 * scale


def _footprint(x: np.ndarray, y: np.ndarray, radius: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel columns, rows and coverage weights of every point: each (n * k,)."""
    if radius <= 1.0:  # bilinear: the point's unit of ink shared by its four pixels
        c0, r0 = np.floor(x), np.floor(y)  # float32
        fx, fy = x - c0, y - r0
        cols = np.concatenate([c0, c0 + 1, c0, c0 + 1])
        rows = np.concatenate([r0, r0, r0 + 1, r0 + 1])
        w = np.concatenate([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
        return cols, rows, w * min(1.0, 1.6 * radius)
    reach = math.ceil(radius + 0.5)
    cx, cy = np.round(x), np.round(y)
    cols_l, rows_l, w_l = [], [], []
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if dx * dx + dy * dy > (radius + 1.0) ** 2:
                continue
            col, row = cx + dx, cy + dy
            # coverage of the pixel by the disc, from its centre's distance to the point
            w = np.clip(radius + 0.5 - np.hypot(col - x, row - y), 0.0, 1.0)
            cols_l.append(col)
            rows_l.append(row)
            w_l.append(w)
    return np.concatenate(cols_l), np.concatenate(rows_l), np.concatenate(w_l)


def splat(buf: np.ndarray, pixels: np.ndarray, values: np.ndarray, table: np.ndarray,
          radius: float, alpha: float = 1.0) -> None:
    """Composite points into ``buf`` in place.

    ``buf`` (H, W, 4) uint8 (an Agg canvas buffer); ``pixels`` (n, 2) display
    coordinates (x right, y up, pixel centres at +0.5); ``values`` (n,) colour values in
    [0, 1] looked up in ``table`` (256, 3). Where points overlap, their values are averaged
    by coverage. Only the bounding box of the points is touched.
    """
    height, width = buf.shape[:2]
    x = pixels[:, 0].astype(np.float32) - 0.5  # (n,) continuous column
    y = (height - pixels[:, 1]).astype(np.float32) - 0.5  # (n,) continuous row, downwards
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.all():
        x, y, values = x[ok], y[ok], values[ok]
    if x.size == 0:
        return
    reach = 1 if radius <= 1.0 else math.ceil(radius + 0.5)
    lo_c, lo_r = int(np.floor(x.min())) - reach, int(np.floor(y.min())) - reach
    hi_c, hi_r = int(np.ceil(x.max())) + reach + 1, int(np.ceil(y.max())) + reach + 1
    c0, r0, c1, r1 = max(lo_c, 0), max(lo_r, 0), min(hi_c, width), min(hi_r, height)
    if c1 <= c0 or r1 <= r0:
        return
    box_w, box_h = c1 - c0, r1 - r0
    cols, rows, w = _footprint(x - c0, y - r0, radius)
    vals = np.tile(values, len(cols) // len(x))  # the colour value behind each entry
    if (c0, r0, c1, r1) != (lo_c, lo_r, hi_c, hi_r):  # the box was cut by the frame
        inside = (cols >= 0) & (cols < box_w) & (rows >= 0) & (rows < box_h)
        cols, rows, w, vals = cols[inside], rows[inside], w[inside], vals[inside]
    idx = (rows * box_w + cols).astype(np.intp)
    size = box_h * box_w
    cover = np.bincount(idx, w, minlength=size)  # (h*w,) summed coverage
    ink = np.bincount(idx, w * vals, minlength=size)  # (h*w,) coverage-weighted values
    # only the k pixels a point covers change (opacity 0 leaves a pixel's bytes as they
    # are): blend those, not the whole box (most of it empty for 1e4 points)
    hit = np.flatnonzero(cover)  # (k,)
    cover, mean = cover[hit], ink[hit] / np.maximum(cover[hit], 1e-12)  # (k,) each
    rgb = table[np.clip((mean * 255.0 + 0.5).astype(np.intp), 0, 255)]  # (k, 3)
    a = (alpha * np.minimum(cover, 1.0)).astype(np.float32)[:, None]  # (k, 1) opacity
    at = (r0 + hit // box_w, c0 + hit % box_w)  # (k,) rows and columns in the frame
    under = buf[at][:, :3].astype(np.float32)  # (k, 3)
    buf[(*at, slice(0, 3))] = (under + a * (rgb - under)).astype(np.uint8)
