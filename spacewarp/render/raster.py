"""Large point clouds drawn as one image: points splatted into pixels in NumPy.

A per-point scatter costs matplotlib a marker path per point; from ``RASTER_FROM``
points on, the renderers instead colour each point once (``point_colors``), find the
pixel it falls in (``pixel_index``, ``np.floor``), keep one point per pixel
(``winners``) and show the result as an RGBA image inside the same axes, over the
exact data extent (``raster_2d``) or, for 3-D axes, over the projected extent
(``raster_3d``), so the picture matches what the scatter would show:

- 2-D: the last point drawn wins a pixel, as in a scatter (later points on top);
- 3-D: the point nearest the camera wins, faded with depth like matplotlib's
  ``depthshade`` (``depth_alpha``).

Each point is drawn as a 2 x 2 pixel dot (``grow``), where that does not cover another.
Every function is small and independent, for reuse by the frame and video renderers.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize
from matplotlib.image import AxesImage

RASTER_FROM = 100_000  # from this many points on, draw an image instead of a scatter
DEPTHSHADE_MIN = 0.3  # alpha of the farthest 3-D point (matplotlib's depthshade default)

Extent = tuple[float, float, float, float]  # (x0, x1, y0, y1) in data coordinates


def use_raster(n: int, raster_from: int = RASTER_FROM) -> bool:
    """Whether ``n`` points are drawn through the raster path."""
    return n >= raster_from


def point_colors(values: np.ndarray, norm: Normalize, cmap: Colormap) -> np.ndarray:
    """(n,) colour values -> (n, 4) uint8 RGBA, through the shared norm and colour map."""
    return np.asarray(cmap(norm(values), bytes=True), dtype=np.uint8)


def pixel_index(x: np.ndarray, y: np.ndarray, extent: Extent, shape: tuple[int, int]
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """Flat pixel index of each point inside ``extent``, and which points those are.

    x, y (n,) -> ((m,) int64 flat index ``row * w + col``, (m,) int64 point index, or None
    when all n points are inside); row 0 is the bottom (``origin='lower'``). Pixel
    ``col = floor((x - x0) / (x1 - x0) * w)``, likewise ``row``.
    """
    x0, x1, y0, y1 = extent
    h, w = shape
    cx = x - x0  # (n,) pixel column, fractional (in place: 1e6 points are memory-bound)
    cx *= w / (x1 - x0)
    cy = y - y0
    cy *= h / (y1 - y0)
    if cx.min() >= 0 and cx.max() < w and cy.min() >= 0 and cy.max() < h:
        # every point inside: truncation is floor for non-negative values
        flat = cy.astype(np.int64)
        flat *= w
        flat += cx.astype(np.int64)
        return flat, None
    col, row = np.floor(cx), np.floor(cy)
    inside = np.flatnonzero((col >= 0) & (col < w) & (row >= 0) & (row < h))
    flat = row[inside].astype(np.int64) * w + col[inside].astype(np.int64)
    return flat, inside


def winners(flat: np.ndarray, n_pixels: int, depth: np.ndarray | None = None) -> np.ndarray:
    """(m,) flat pixel of each point -> (n_pixels,) index into ``flat`` of the point shown.

    Without ``depth`` the last point wins (scatter draw order); with ``depth`` (m,) the
    smallest depth (nearest the camera) wins, ties to the later point. -1: empty pixel.
    """
    win = np.full(n_pixels, -1, dtype=np.int64)
    order = np.arange(flat.size, dtype=np.int64)
    if depth is None:
        win[flat] = order  # repeated pixels: numpy assigns in order, the last one stays
        return win
    nearest = np.full(n_pixels, np.inf)
    np.minimum.at(nearest, flat, depth)
    front = depth == nearest[flat]  # (m,) points at the front of their pixel
    win[flat[front]] = order[front]
    return win


def splat(x: np.ndarray, y: np.ndarray, rgba: np.ndarray, extent: Extent,
          shape: tuple[int, int], depth: np.ndarray | None = None) -> np.ndarray:
    """Points x, y (n,) with colours (n, 4) uint8 -> image (h, w, 4) uint8, origin lower.

    Empty pixels are transparent. With ``depth`` (n,), the nearest point wins each pixel
    and its alpha fades with depth (``depth_alpha``).
    """
    h, w = shape
    flat, inside = pixel_index(x, y, extent, shape)
    d = depth if depth is None or inside is None else depth[inside]
    win = winners(flat, h * w, d)
    hit = np.flatnonzero(win >= 0)  # (k,) pixels that show a point
    shown = win[hit] if inside is None else inside[win[hit]]  # (k,) the point shown in each
    image = np.zeros((h * w, 4), dtype=np.uint8)
    image[hit] = rgba[shown]
    if depth is not None and hit.size:
        alpha = depth_alpha(depth[shown], float(depth.min()), float(depth.max()))
        image[hit, 3] = (image[hit, 3] * alpha).astype(np.uint8)
    return image.reshape(h, w, 4)


def depth_alpha(depth: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """(k,) depth -> (k,) alpha: 1 at depth ``lo`` (the nearest of all points), fading
    linearly to ``hi`` and clipped at ``DEPTHSHADE_MIN`` (matplotlib's depthshade rule)."""
    if hi <= lo:
        return np.ones_like(depth)
    return np.clip(1.0 - (depth - lo) / (hi - lo), DEPTHSHADE_MIN, 1.0)


def grow(image: np.ndarray) -> np.ndarray:
    """(h, w, 4) -> (h, w, 4): each shown pixel also paints its right, upper and upper-right
    neighbours where those are empty, so a lone point is a 2 x 2 dot (a small marker);
    pixels that show a point keep their colour."""
    h, w = image.shape[:2]
    out = image.copy()
    for dr, dc in ((0, 1), (1, 0), (1, 1)):
        src = np.zeros_like(image)
        src[dr:, dc:] = image[:h - dr, :w - dc]  # the image moved up by dr, right by dc
        fill = (out[..., 3] == 0) & (src[..., 3] > 0)  # (h, w)
        out[fill] = src[fill]
    return out


def show_image(ax: Axes, image: np.ndarray, extent: Extent, zorder: float = 2.0) -> AxesImage:
    """Add an RGBA image (h, w, 4) over ``extent`` of ``ax``'s 2-D data coordinates.

    The image is added as an artist, not through ``imshow``, so the axes' limits and
    aspect are left alone; this also works in 3-D axes, whose 2-D data coordinates are
    the projected ones. Shown pixel for pixel when it fits the screen, smoothed
    (``antialiased``) when it is shown smaller than it is.
    """
    shown_h, shown_w = pixel_shape(ax, extent)
    smaller = shown_w < 0.98 * image.shape[1] or shown_h < 0.98 * image.shape[0]
    im = AxesImage(ax, interpolation="antialiased" if smaller else "nearest",
                   origin="lower", extent=extent)
    im.set_data(image)
    im.set_zorder(zorder)
    ax.add_image(im)
    return im


def pixel_shape(ax: Axes, extent: Extent, side: int | None = None) -> tuple[int, int]:
    """(h, w) pixels that ``extent`` covers in ``ax`` (at least 1 x 1).

    At the figure's dpi; or, with ``side``, as if the axes were ``side`` pixels wide, so
    figures of different sizes ask for (and can share) the same image.
    """
    ax.apply_aspect()
    (x0, y0), (x1, y1) = ax.transData.transform([[extent[0], extent[2]],
                                                 [extent[1], extent[3]]])
    scale = 1.0 if side is None else side / max(ax.bbox.width, 1e-9)
    return max(1, math.ceil(abs(y1 - y0) * scale)), max(1, math.ceil(abs(x1 - x0) * scale))


# Images already splatted, by (caller's key, extent or projection, shape): pass the same
# dict to every figure of one trace and each stage is splatted once.
RasterCache = dict[tuple[object, ...], tuple[np.ndarray, Extent]]


def raster_2d(ax: Axes, xy: np.ndarray, rgba: np.ndarray, extent: Extent, *,
              side: int | None = None, cache: RasterCache | None = None,
              key: object = None) -> AxesImage:
    """Draw (n, 2) points as an image filling ``extent`` (the axes' data limits).

    ``side``: image pixels across the axes' width (default: as shown). ``cache``/``key``:
    reuse the image made for the same key, extent and shape.
    """
    shape = pixel_shape(ax, extent, side)
    ck = (key, extent, shape)
    if cache is None or ck not in cache:
        image = grow(splat(xy[:, 0], xy[:, 1], rgba, extent, shape))  # (h, w, 4)
        if cache is None:
            return show_image(ax, image, extent)
        cache[ck] = (image, extent)
    return show_image(ax, *cache[ck])


def project(ax: Axes, xyz: np.ndarray) -> np.ndarray:
    """(n, 3) data -> (3, n): ``ax``'s projected x, y and depth rows (its ``get_proj``).

    Call after the 3-D axes' limits, box aspect and camera are set. Larger depth is
    farther from the camera, as matplotlib sorts a 3-D scatter.
    """
    return project_with(ax.get_proj(), xyz)  # type: ignore[attr-defined]


def project_with(m: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """(n, 3) -> (3, n) through a (4, 4) projection matrix, with the perspective divide."""
    homo = m[:, :3] @ xyz.T  # (4, 3) @ (3, n) -> (4, n), rows contiguous
    homo += m[:, 3:4]
    homo[:3] /= homo[3]
    return homo[:3]


def raster_3d(ax: Axes, xyz: np.ndarray, rgba: np.ndarray, *, side: int | None = None,
              cache: RasterCache | None = None, key: object = None) -> AxesImage:
    """Draw (n, 3) points in 3-D axes as one image over their projected bounding box.

    The nearest point wins each pixel, faded with depth. ``side``, ``cache`` and ``key``
    as for ``raster_2d``; the cache also keys on the projection matrix.
    """
    m = ax.get_proj()  # type: ignore[attr-defined]  # (4, 4)
    ck: tuple[object, ...] = (key, m.tobytes(), side)
    if cache is not None and ck in cache:
        return show_image(ax, *cache[ck])
    px, py, depth = project_with(m, xyz)  # (n,) each
    lo = np.array([px.min(), py.min()])
    hi = np.array([px.max(), py.max()])
    pad = np.maximum(hi - lo, 1e-12) * 1e-3  # keep the extreme points inside the last pixel
    extent = (float(lo[0] - pad[0]), float(hi[0] + pad[0]),
              float(lo[1] - pad[1]), float(hi[1] + pad[1]))
    image = grow(splat(px, py, rgba, extent, pixel_shape(ax, extent, side), depth=depth))
    if cache is not None:
        cache[ck] = (image, extent)
    return show_image(ax, image, extent)
