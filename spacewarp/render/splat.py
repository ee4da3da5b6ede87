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
        cols = np.concatenate([c0, c0 + 1, c0, c0 + 1])
        rows = np.concatenate([r0, r0, r0 + 1, r0 + 1])
        return cols, rows, _bilinear_weights(x - c0, y - r0, radius)
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


def _bilinear_weights(fx: np.ndarray, fy: np.ndarray, radius: float) -> np.ndarray:
    """(n,) fractions of a pixel right and up -> (4n,) float32 shares of the point's ink
    in its pixel, the one right, the one below, the one below right."""
    gx, gy = 1 - fx, 1 - fy
    w = np.concatenate([gx * gy, fx * gy, gx * fy, fx * fy])
    w *= np.float32(min(1.0, 1.6 * radius))
    return w


def _bilinear_index(x: np.ndarray, y: np.ndarray, radius: float, box_w: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The bilinear footprint (``_footprint``) of points wholly inside a box ``box_w``
    wide, as flat pixel indices (4n,) and weights (4n,): integer index arithmetic, no
    per-entry rows and columns."""
    c0, r0 = np.floor(x), np.floor(y)  # (n,) float32
    w = _bilinear_weights(x - c0, y - r0, radius)
    base = r0.astype(np.intp)
    base *= box_w
    base += c0.astype(np.intp)  # (n,) flat index of the point's upper-left pixel
    idx = np.concatenate([base, base + 1, base + box_w, base + (box_w + 1)])
    return idx, w


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
    x -= c0  # (n,) in the box (in place: x and y are this function's own)
    y -= r0
    idx, w, vals = _entries(x, y, values, radius, (box_h, box_w),
                            cut=(c0, r0, c1, r1) != (lo_c, lo_r, hi_c, hi_r))
    size = box_h * box_w
    cover = np.bincount(idx, w, minlength=size)  # (h*w,) summed coverage
    ink = np.bincount(idx, w * vals, minlength=size)  # (h*w,) coverage-weighted values
    # only the k pixels a point covers change (opacity 0 leaves a pixel's bytes as they
    # are): blend those, not the whole box (most of it empty for 1e4 points)
    hit = np.flatnonzero(cover)  # (k,)
    cover, mean = cover[hit], ink[hit] / np.maximum(cover[hit], 1e-12)  # (k,) each
    rgb = table[np.clip((mean * 255.0 + 0.5).astype(np.intp), 0, 255)]  # (k, 3)
    a = (alpha * np.minimum(cover, 1.0)).astype(np.float32)[:, None]  # (k, 1) opacity
    rows, cols = np.divmod(hit, box_w)  # (k,) each, in the box
    _blend(buf, rows + r0, cols + c0, rgb, a)


def _blend(buf: np.ndarray, rows: np.ndarray, cols: np.ndarray, rgb: np.ndarray,
           a: np.ndarray) -> None:
    """Move pixels (rows, cols) (k,) of ``buf`` towards ``rgb`` (k, 3) by opacity ``a``
    (k, 1), in place."""
    if buf.flags.c_contiguous:  # (an Agg buffer): one flat index per pixel is faster
        flat = buf.reshape(-1, 4)  # (H * W, 4), a view
        at = rows * buf.shape[1] + cols  # (k,)
        under = flat[at, :3].astype(np.float32)  # (k, 3)
        flat[at, :3] = (under + a * (rgb - under)).astype(np.uint8)
        return
    under = buf[rows, cols, :3].astype(np.float32)  # a strided frame: reshape would copy
    buf[rows, cols, :3] = (under + a * (rgb - under)).astype(np.uint8)


def _entries(x: np.ndarray, y: np.ndarray, values: np.ndarray, radius: float,
             box: tuple[int, int], cut: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every point's footprint in a (box_h, box_w) box: flat pixel indices, coverage
    weights and the colour value behind each entry, each (m,); ``cut``: the box was cut
    by the frame, so entries outside it are dropped."""
    box_h, box_w = box
    if radius <= 1.0 and not cut:  # the common case, in integers
        idx, w = _bilinear_index(x, y, radius, box_w)
        return idx, w, np.tile(values, 4)
    cols, rows, w = _footprint(x, y, radius)
    vals = np.tile(values, len(cols) // len(x))  # the colour value behind each entry
    if cut:
        inside = (cols >= 0) & (cols < box_w) & (rows >= 0) & (rows < box_h)
        cols, rows, w, vals = cols[inside], rows[inside], w[inside], vals[inside]
    return (rows * box_w + cols).astype(np.intp), w, vals
