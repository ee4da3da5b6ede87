"""Points composited straight into an RGBA frame buffer in NumPy: fast for 1e5 points.

Each point is an anti-aliased disc (or, for tiny points, a bilinear 2x2 footprint).
Overlapping points mix their colours by coverage and add up their opacity, so the
result does not depend on drawing order (no depth sorting needed in 3-D).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps

CHUNK = 1 << 15  # box pixels blended at a time by ``Splatter`` (temporaries of ~0.5 MB)


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
    _composite(buf, cover, ink, (r0, c0, box_w), table, alpha)


def _composite(buf: np.ndarray, cover: np.ndarray, ink: np.ndarray,
               box: tuple[int, int, int], table: np.ndarray, alpha: float,
               first: int = 0) -> None:
    """Blend a box's summed coverage and coverage-weighted colour values (each (m,): the
    box's flat pixels ``first`` to ``first + m``; the box at row, column ``box[:2]`` of
    ``buf``, ``box[2]`` wide) into ``buf``."""
    r0, c0, box_w = box
    # only the k pixels a point covers change (opacity 0 leaves a pixel's bytes as they
    # are): blend those, not the whole box (most of it empty for 1e4 points)
    hit = np.flatnonzero(cover)  # (k,)
    cover, mean = cover[hit], ink[hit]  # (k,) each (copies)
    hit += first
    mean /= np.maximum(cover, 1e-12)  # (k,) the coverage-weighted colour value
    level = np.clip((mean * 255.0 + 0.5).astype(np.intp), 0, 255)  # (k,) rows of table
    a = (alpha * np.minimum(cover, 1.0)).astype(np.float32)[:, None]  # (k, 1) opacity
    rows, cols = np.divmod(hit, box_w)  # (k,) each, in the box
    rows += r0
    cols += c0
    if buf.flags.c_contiguous:  # (an Agg buffer)
        _blend_pixels(buf, rows * buf.shape[1] + cols, level, table, a)
    else:  # a strided frame: reshape would copy
        _blend(buf, rows, cols, table[level], a)


def _blend_pixels(buf: np.ndarray, at: np.ndarray, level: np.ndarray, table: np.ndarray,
                  a: np.ndarray) -> None:
    """Move the pixels at flat indices ``at`` (k,) of a contiguous ``buf`` towards
    ``table[level]`` by opacity ``a`` (k, 1), in place, their alpha bytes kept. Each RGBA
    pixel is read and written as one uint32: a ten times faster gather and scatter than
    (k, 3) rows of bytes."""
    pixels = buf.reshape(-1).view(np.uint32)  # (H * W,) a view
    under = pixels[at].view(np.uint8).reshape(-1, 4).astype(np.float32)  # (k, 4)
    rgb = np.take(np.pad(table, ((0, 0), (0, 1))), level, axis=0)  # (k, 4), a 4th column
    mixed = under + a * (rgb - under)
    mixed[:, 3] = under[:, 3]
    pixels[at] = mixed.astype(np.uint8).view(np.uint32).reshape(-1)


def _blend(buf: np.ndarray, rows: np.ndarray, cols: np.ndarray, rgb: np.ndarray,
           a: np.ndarray) -> None:
    """Move pixels (rows, cols) (k,) of ``buf`` towards ``rgb`` (k, 3) by opacity ``a``
    (k, 1), in place."""
    under = buf[rows, cols, :3].astype(np.float32)
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


class Splatter:
    """One film's points splatted frame after frame, with work arrays made once.

    The colour values, table and radius are the film's; for small points (the bilinear
    footprint) every per-point and per-entry array a frame needs is made here and reused:
    a 1e5-point splat that allocates ~15 MB afresh per frame spends more time faulting
    that memory in than computing (2-3x on a busy machine). Frames whose points leave the
    canvas, or are not finite, and large points go through ``splat``.
    """

    def __init__(self, values: np.ndarray, table: np.ndarray, radius: float) -> None:
        self.values, self.table, self.radius = values, table, radius
        n = len(values)
        self.reused = radius <= 1.0
        if self.reused:
            self._corner = np.empty((2, n), np.float32)  # upper-left pixel's column, row
            self._frac = np.empty((4, n), np.float32)  # fx, fy right and down of it; 1 - each
            self._base = np.empty(n)  # flat index of the upper-left pixel, in the box
            self._idx = np.empty(4 * n, np.intp)  # (4n,) the four pixels' flat indices
            self._w = np.empty(4 * n)  # (4n,) their weights (float64: bincount's own)
            self._ink = np.empty(4 * n)  # (4n,) weights times colour values
            self._values4 = np.tile(values.astype(np.float64), 4)  # (4n,)
            self._cover, self._ink_box = np.zeros(0), np.zeros(0)  # (h*w,) sums, grown

    def __call__(self, buf: np.ndarray, cols: np.ndarray, rows: np.ndarray,
                 alpha: float = 1.0) -> None:
        """Composite the points at ``cols``, ``rows`` ((n,) float32 continuous pixel
        positions: centres at whole numbers, row 0 at the top) into ``buf`` (H, W, 4)."""
        height, width = buf.shape[:2]
        if len(cols) == 0:
            return
        box = _inner_box(cols, rows, width, height) if self.reused else None
        if box is None:
            pixels = np.column_stack([cols + 0.5, height - 0.5 - rows])  # (n, 2) y up
            splat(buf, pixels, self.values, self.table, self.radius, alpha)
            return
        lo_c, lo_r, box_w, box_h = box
        self._entries(cols, rows, lo_c, lo_r, box_w)
        size = box_h * box_w
        if len(self._cover) < size:  # kept all zeros between frames
            self._cover, self._ink_box = np.zeros(size), np.zeros(size)
        cover, ink = self._cover[:size], self._ink_box[:size]  # (h*w,) each
        np.add.at(cover, self._idx, self._w)  # summed coverage (bincount's sums, in place)
        np.multiply(self._w, self._values4, out=self._ink)
        np.add.at(ink, self._idx, self._ink)  # coverage-weighted colour values
        for start in range(0, size, CHUNK):  # slabs: every temporary stays small
            part = slice(start, min(start + CHUNK, size))
            _composite(buf, cover[part], ink[part], (lo_r, lo_c, box_w), self.table, alpha,
                       first=start)
            cover[part] = 0.0
            ink[part] = 0.0

    def _entries(self, cols: np.ndarray, rows: np.ndarray, lo_c: int, lo_r: int,
                 box_w: int) -> None:
        """The bilinear footprint (``_bilinear_index``) into the work arrays: flat indices
        in a box ``box_w`` wide whose corner is pixel (lo_c, lo_r), and weights."""
        n = len(cols)
        c0, r0 = self._corner
        np.floor(cols, out=c0)
        np.floor(rows, out=r0)
        fx, fy, gx, gy = self._frac
        np.subtract(cols, c0, out=fx)
        np.subtract(rows, r0, out=fy)
        np.subtract(1.0, fx, out=gx)
        np.subtract(1.0, fy, out=gy)
        w = self._w
        for k, (a, b) in enumerate(((gx, gy), (fx, gy), (gx, fy), (fx, fy))):
            np.multiply(a, b, out=w[k * n:(k + 1) * n])
        w *= min(1.0, 1.6 * self.radius)  # the ink of a small point
        base = self._base  # exact in float64: a box has fewer than 2**53 pixels
        np.subtract(r0, lo_r, out=base)
        base *= box_w
        base += c0
        base -= lo_c
        idx = self._idx
        idx[:n] = base
        for k, step in enumerate((1, box_w, box_w + 1), start=1):
            np.add(idx[:n], step, out=idx[k * n:(k + 1) * n])


def _inner_box(cols: np.ndarray, rows: np.ndarray, width: int, height: int
               ) -> tuple[int, int, int, int] | None:
    """(first column, first row, width, height) of the box holding every point's bilinear
    footprint, or None when a point is not finite or its footprint leaves the frame."""
    lo_c, hi_c, lo_r, hi_r = (float(cols.min()), float(cols.max()), float(rows.min()),
                              float(rows.max()))
    if not all(math.isfinite(v) for v in (lo_c, hi_c, lo_r, hi_r)):
        return None
    c0, r0 = math.floor(lo_c), math.floor(lo_r)
    c1, r1 = math.floor(hi_c) + 2, math.floor(hi_r) + 2  # past the last footprint pixel
    if c0 < 0 or r0 < 0 or c1 > width or r1 > height:
        return None
    return c0, r0, c1 - c0, r1 - r0
