"""Large point clouds drawn as one image: points splatted into pixels in NumPy.

A per-point scatter costs matplotlib a marker path per point; from ``RASTER_FROM``
points on, the renderers instead colour each point once (``point_colors``), find the
pixel it falls in (``pixel_index``, ``np.floor``), keep one point per pixel
(``Winners``) and show the result as an RGBA image inside the same axes, over the
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
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from functools import partial
from typing import TypeVar

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.transforms import Affine2D

from ..inputs.arrays import column_range
from .box3d import corners
from .rgb import ALPHA_ONE, WORD, pixel_words

RASTER_FROM = 100_000  # from this many points on, draw an image instead of a scatter
# Points per pass of a per-point computation (``chunks``). Its work arrays (0.5 MB each)
# are reused from the heap, warm in the cache; arrays the length of a 1e6-point cloud
# are fresh memory each time, and zeroing their pages on first touch cost this machine
# 0.24 s of CPU in the six rasters of a render, more than their arithmetic. Not fewer
# points: each pass takes the GIL, which the drawing thread wants.
CHUNK = 1 << 16
DEPTHSHADE_MIN = 0.3  # alpha of the farthest 3-D point (matplotlib's depthshade default)

T = TypeVar("T")
Extent = tuple[float, float, float, float]  # (x0, x1, y0, y1) in data coordinates


def use_raster(n: int, raster_from: int = RASTER_FROM) -> bool:
    """Whether ``n`` points are drawn through the raster path."""
    return n >= raster_from


def point_colors(values: np.ndarray, norm: Normalize, cmap: Colormap) -> np.ndarray:
    """(n,) colour values -> (n, 4) uint8 RGBA, through the shared norm and colour map.

    In ``chunks``: the norm's masked arrays and the map's indices stay small."""
    rgba = np.empty((len(values), 4), dtype=np.uint8)
    for part in chunks(len(values)):
        rgba[part] = cmap(norm(values[part]), bytes=True)
    return rgba


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


class Winners:
    """The point each pixel shows, found a chunk of points at a time (``add``), in the
    points' order: without depth the last point wins a pixel (scatter draw order); with
    depth the nearest one (smallest depth), ties to the later point. Each chunk is
    settled against the pixels' nearest depth so far, so the result is the whole
    cloud's, whatever the chunks."""

    def __init__(self, n_pixels: int, by_depth: bool = False) -> None:
        self.win = np.full(n_pixels, -1, dtype=np.int64)  # (n_pixels,) point shown, -1: none
        # (n_pixels,) the depth of the point shown
        self.nearest = np.full(n_pixels, np.inf) if by_depth else None
        self.depth_range = (math.inf, -math.inf)  # of every point added, inside or not

    def add(self, start: int, flat: np.ndarray, inside: np.ndarray | None,
            depth: np.ndarray | None = None) -> None:
        """Points ``start``, ``start + 1``, ... (``pixel_index``'s ``flat`` and ``inside``
        for them), with their ``depth`` (all of them, inside or not) when by depth."""
        order = np.arange(start, start + flat.size) if inside is None else inside + start
        if self.nearest is None or depth is None:
            self.win[flat] = order  # repeated pixels: numpy assigns in order, the last stays
            return
        if depth.size:  # depth_alpha's ends
            self.depth_range = (min(self.depth_range[0], float(depth.min())),
                                max(self.depth_range[1], float(depth.max())))
        d = depth if inside is None else depth[inside]
        np.minimum.at(self.nearest, flat, d)
        front = d == self.nearest[flat]  # (m,) points at the front of their pixel so far
        self.win[flat[front]] = order[front]

    def image(self, rgba: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """(h, w, 4) uint8, origin lower: each pixel the colour (``rgba`` (n, 4) uint8) of
        its point, faded with depth (``depth_alpha``) when by depth; empty ones clear.

        A pixel is handled as one 32-bit word (``pixel_words``): half the time of
        gathering rows of four bytes."""
        h, w = shape
        hit = np.flatnonzero(self.win >= 0)  # (k,) pixels that show a point
        shown = pixel_words(rgba)[self.win[hit]]  # (k,) their points' colours
        if self.nearest is not None and hit.size:  # a pixel's nearest depth: its point's
            alpha = depth_alpha(self.nearest[hit], *self.depth_range)
            faded = ((shown >> 24) * alpha).astype(WORD)  # the alpha byte, as uint8 had it
            shown = (shown & 0xFFFFFF) | (faded << 24)
        image = np.zeros(h * w, dtype=WORD)
        image[hit] = shown
        return image.view(np.uint8).reshape(h, w, 4)


def chunks(n: int) -> Iterator[slice]:
    """Slices of ``CHUNK`` over ``range(n)``: the passes of a per-point computation."""
    return (slice(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK))


def splat(x: np.ndarray, y: np.ndarray, rgba: np.ndarray, extent: Extent,
          shape: tuple[int, int], depth: np.ndarray | None = None) -> np.ndarray:
    """Points x, y (n,) with colours (n, 4) uint8 -> image (h, w, 4) uint8, origin lower.

    Empty pixels are transparent. With ``depth`` (n,), the nearest point wins each pixel
    and its alpha fades with depth (``depth_alpha``). In chunks of ``CHUNK`` points.
    """
    shown = Winners(shape[0] * shape[1], by_depth=depth is not None)
    for part in chunks(len(x)):
        shown.add(part.start, *pixel_index(x[part], y[part], extent, shape),
                  None if depth is None else depth[part])
    return shown.image(rgba, shape)


def depth_alpha(depth: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """(k,) depth -> (k,) alpha: 1 at depth ``lo`` (the nearest of all points), fading
    linearly to ``hi`` and clipped at ``DEPTHSHADE_MIN`` (matplotlib's depthshade rule)."""
    if hi <= lo:
        return np.ones_like(depth)
    return np.clip(1.0 - (depth - lo) / (hi - lo), DEPTHSHADE_MIN, 1.0)


def grow(image: np.ndarray) -> np.ndarray:
    """(h, w, 4) -> (h, w, 4): each shown pixel also paints its right, upper and upper-right
    neighbours where those are empty, so a lone point is a 2 x 2 dot (a small marker);
    pixels that show a point keep their colour. Pixels as 32-bit words (``pixel_words``):
    a third of the time of masks over rows of four bytes."""
    h, w = image.shape[:2]
    out = image.copy()
    words, source = pixel_words(out), pixel_words(image)  # (h, w) each; words: out's own
    for dr, dc in ((0, 1), (1, 0), (1, 1)):
        src = source[:h - dr, :w - dc]  # the image moved up by dr, right by dc, onto dst
        dst = words[dr:, dc:]  # (a view of out: painted in place)
        np.copyto(dst, src, where=(dst < ALPHA_ONE) & (src >= ALPHA_ONE))
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
    im = PixelImage(ax, interpolation="antialiased" if smaller else "nearest",
                    origin="lower", extent=extent)
    im.set_data(image)
    im.set_zorder(zorder)
    ax.add_image(im)
    return im


class PixelImage(AxesImage):
    """An RGBA image, origin lower, that Agg draws as it is where its extent covers
    exactly its own pixels at whole display pixels (a still's raster on its own
    figure); anywhere else, as any ``AxesImage``. matplotlib would resample it all the
    same (10 ms for 700 x 700: premultiplied, in floats), to the same pixels but for the
    rounding of translucent ones, by one level."""

    @staticmethod
    def _normalize_image_array(A: object) -> np.ndarray:  # noqa: N803 (matplotlib's name)
        """``set_data``'s check of an image: ours, (h, w, 4) uint8, taken as it is.

        matplotlib's copies every image into a masked array (2 MB, 2-4 ms of the drawing
        thread for a 700 x 700 raster) to mask values that a uint8 image cannot hold."""
        if isinstance(A, np.ndarray) and A.dtype == np.uint8 and A.ndim == 3 \
                and A.shape[2] == 4:
            return A
        return AxesImage._normalize_image_array(A)  # type: ignore[attr-defined]

    def make_image(self, renderer: RendererBase, magnification: float = 1.0,
                   unsampled: bool = False) -> tuple[np.ndarray, float, float, Affine2D]:
        corner = None if unsampled or magnification != 1.0 else self.pixel_corner()
        if corner is None:
            return super().make_image(renderer, magnification, unsampled)
        # Agg's draw_image puts row 0 at the bottom, as origin lower has it; the
        # transform is unused where the image is drawn as it is
        return np.asarray(self.get_array()), corner[0], corner[1], Affine2D()

    def pixel_corner(self) -> tuple[int, int] | None:
        """The display pixel of the image's lower-left corner where it lies on whole
        display pixels one to one; else None."""
        image = np.asarray(self.get_array())
        if image.ndim != 3 or image.dtype != np.uint8:
            return None
        x0, x1, y0, y1 = self.get_extent()
        (left, bottom), (right, top) = self.get_transform().transform([[x0, y0], [x1, y1]])
        whole = (round(left), round(bottom))
        if np.allclose([left, bottom, right - left, top - bottom],
                       [*whole, image.shape[1], image.shape[0]], rtol=0, atol=1e-6):
            return whole
        return None


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


Made = tuple[np.ndarray, Extent]  # an image (h, w, 4) uint8 and the data extent it fills


class Rasters:
    """The raster images of one trace's figures, each made once and shared by every
    figure that shows the same stage in the same view.

    With a ``pool``, an image is made on the pool's threads while the caller goes on
    making figures (NumPy lets go of the GIL in its loops, so matplotlib and the splats
    share the two cores); ``finish(fig)`` then adds ``fig``'s images, waiting for those
    not yet made. Without one, each is made and added at once.
    """

    def __init__(self, pool: Executor | None = None) -> None:
        self.pool = pool
        self.made: dict[tuple[object, ...], Future[Made]] = {}  # by stage, view and shape
        self.waiting: list[tuple[Axes, Future[Made]]] = []  # images not yet added

    def show(self, ax: Axes, key: tuple[object, ...], make: Callable[[], Made]) -> None:
        """Show the image that ``make()`` returns in ``ax``; ``key`` names it."""
        if key not in self.made:
            self.made[key] = started(self.pool, make)
        future = self.made[key]
        if future.done():
            show_image(ax, *future.result())
        else:
            self.waiting.append((ax, future))

    def finish(self, fig: Figure) -> None:
        """Add the images still being made for ``fig``'s axes, once they are made.

        An image has the z-order of the points, which no other artist of a panel has,
        so adding it last draws it where adding it first would have."""
        later = []
        for ax, future in self.waiting:
            if ax.figure is fig:
                show_image(ax, *future.result())
            else:
                later.append((ax, future))
        self.waiting = later


def started(pool: Executor | None, work: Callable[..., T], *args: object) -> Future[T]:
    """``work(*args)`` running on ``pool``, or done here when there is none."""
    if pool is not None:
        return pool.submit(work, *args)
    done: Future[T] = Future()
    done.set_result(work(*args))
    return done


def raster_2d(ax: Axes, xy: np.ndarray, rgba: np.ndarray, extent: Extent, *,
              side: int | None = None, rasters: Rasters | None = None,
              key: object = None) -> None:
    """Draw (n, 2) points as an image filling ``extent`` (the axes' data limits).

    ``side``: image pixels across the axes' width (default: as shown). ``rasters``/``key``:
    make the image there (reused for the same key, extent and shape).
    """
    shape = pixel_shape(ax, extent, side)
    make = partial(image_2d, xy, rgba, extent, shape)
    if rasters is None:
        show_image(ax, *make())
    else:
        rasters.show(ax, (key, extent, shape), make)


def image_2d(xy: np.ndarray, rgba: np.ndarray, extent: Extent, shape: tuple[int, int]
             ) -> Made:
    """(n, 2) points -> their (h, w, 4) image over ``extent``, and ``extent``."""
    return grow(splat(xy[:, 0], xy[:, 1], rgba, extent, shape)), extent


def project_with(m: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """(n, 3) -> (3, n) through a (4, 4) projection matrix (a 3-D axes' ``get_proj()``,
    taken after its limits, box aspect and camera are set), with the perspective divide:
    projected x, y and depth, larger depth farther from the camera, as matplotlib sorts
    a 3-D scatter.

    Multiply-adds over chunks of ``CHUNK`` points, not one BLAS product: OpenBLAS
    runs a product this long on every core, and its threads then spin for about 70 ms
    each, taking the second core from the drawing (0.31 s of CPU for four 1e6-point
    projections, against 0.05 s here; the chunks' work arrays stay in the cache).
    """
    n = len(xyz)
    out = np.empty((3, n))
    homo = np.empty((4, min(n, CHUNK)))  # (4, c): a chunk's homogeneous rows
    term = np.empty_like(homo)
    for rows in chunks(n):
        part = xyz[rows]  # (c, 3)
        h, t = homo[:, :len(part)], term[:, :len(part)]
        np.multiply(m[:, 0:1], part[:, 0], out=h)
        for j in (1, 2):
            h += np.multiply(m[:, j:j + 1], part[:, j], out=t)
        h += m[:, 3:4]
        np.divide(h[:3], h[3], out=out[:, rows])
    return out


def raster_3d(ax: Axes, xyz: np.ndarray, rgba: np.ndarray, *, side: int | None = None,
              rasters: Rasters | None = None, key: object = None,
              box: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Draw (n, 3) points in 3-D axes as one image over their projected bounding box.

    The nearest point wins each pixel, faded with depth. ``side``, ``rasters`` and
    ``key`` as for ``raster_2d``; the image is also keyed on the projection matrix and
    the pixel grid. ``box``: (3,) least and (3,) greatest coordinates that hold every
    point (default: the points' own).
    """
    m = ax.get_proj()  # type: ignore[attr-defined]  # (4, 4)
    grid = pixel_grid(ax, side)
    lo, hi = box if box is not None else column_range(xyz)
    extent, shape = box_pixels(m, grid, lo, hi)
    make = partial(image_3d, xyz, rgba, m, extent, shape)
    if rasters is None:
        show_image(ax, *make())
    else:
        rasters.show(ax, (key, m.tobytes(), grid, extent), make)


def box_pixels(m: np.ndarray, grid: tuple[float, float, float, float], lo: np.ndarray,
               hi: np.ndarray) -> tuple[Extent, tuple[int, int]]:
    """The extent and (h, w) of the whole pixels of ``grid`` (``pixel_grid``) that the
    box ``lo``..``hi`` (3,) covers, seen through projection ``m`` (4, 4).

    Seen in perspective, a box is the hull of its 8 corners' images, which holds every
    point in it: their extent is found from 8 points, not the whole cloud's projection.
    """
    px, py, _ = project_with(m, corners(np.column_stack([lo, hi])))  # (8,) each
    x0, x1, w = grid_span(px, grid[0], grid[1])
    y0, y1, h = grid_span(py, grid[2], grid[3])
    return (x0, x1, y0, y1), (h, w)


def pixel_grid(ax: Axes, side: int | None = None) -> tuple[float, float, float, float]:
    """``(sx, ox, sy, oy)``: ``ax``'s 2-D data coordinates to pixels, ``x * sx + ox`` across
    and ``y * sy + oy`` up. Display pixels at the figure's dpi; with ``side``, pixels of
    a grid ``side`` across the axes from its lower-left corner (``pixel_shape``), which
    are display pixels where the axes is ``side`` pixels wide at a whole-pixel corner."""
    ax.apply_aspect()
    (ox, oy), (x1, y1) = ax.transData.transform([[0.0, 0.0], [1.0, 1.0]])
    if side is None:
        return x1 - ox, ox, y1 - oy, oy
    scale = side / max(ax.bbox.width, 1e-9)
    return ((x1 - ox) * scale, (ox - ax.bbox.x0) * scale,
            (y1 - oy) * scale, (oy - ax.bbox.y0) * scale)


def grid_span(values: np.ndarray, scale: float, offset: float) -> tuple[float, float, int]:
    """The whole pixels of the grid ``v * scale + offset`` that cover ``values`` (n,):
    their outer ends in data units, and how many they are."""
    ends = np.array([values.min(), values.max()]) * scale + offset
    # a margin of 1e-9 pixel: the extreme point, mapped again by splat, stays inside
    first, last = math.floor(ends.min()), math.floor(ends.max() + 1e-9) + 1
    return (first - offset) / scale, (last - offset) / scale, last - first


def image_3d(xyz: np.ndarray, rgba: np.ndarray, m: np.ndarray, extent: Extent,
             shape: tuple[int, int]) -> Made:
    """(n, 3) points through projection ``m`` (4, 4) -> their (h, w, 4) image over
    ``extent``, and ``extent``: on a figure's own pixels (``box_pixels``), each point in
    the pixel it falls in. Projected a chunk at a time: never (3, n) whole."""
    shown = Winners(shape[0] * shape[1], by_depth=True)
    for part in chunks(len(xyz)):
        px, py, depth = project_with(m, xyz[part])  # (c,) each
        shown.add(part.start, *pixel_index(px, py, extent, shape), depth)
    return grow(shown.image(rgba, shape)), extent
