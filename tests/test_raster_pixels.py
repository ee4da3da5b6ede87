"""Rasters drawn pixel for pixel: the projection against a plain homogeneous product, an
image on whole display pixels drawn as it is (against matplotlib's own resampling),
3-D rasters laid on the figure's pixels, and images made on threads the same as here."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from spacewarp.config.experiment import validated  # noqa: E402
from spacewarp.pipeline import run  # noqa: E402
from spacewarp.render import raster  # noqa: E402
from spacewarp.render.raster import (  # noqa: E402
    CHUNK,
    PixelImage,
    box_pixels,
    pixel_grid,
    pixel_index,
    project_with,
    splat,
)
from spacewarp.render.static import palette, stage_figure  # noqa: E402
from spacewarp.tracing.trace import Trace  # noqa: E402


def drawn(fig: Figure) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def test_projection_is_the_homogeneous_product() -> None:
    rng = np.random.default_rng(6)
    xyz = rng.normal(size=(2 * CHUNK + 17, 3))  # three chunks, the last short
    m = rng.normal(size=(4, 4))
    m[3] = (0.1, -0.2, 0.05, 3.0)  # a perspective row, away from zero
    homo = m @ np.vstack([xyz.T, np.ones(len(xyz))])  # (4, n)
    np.testing.assert_allclose(project_with(m, xyz), homo[:3] / homo[3], rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("chunk", [1, 5, 64, CHUNK])
@pytest.mark.parametrize("by_depth", [False, True])
def test_splat_in_chunks_is_a_plain_loops(monkeypatch: pytest.MonkeyPatch, chunk: int,
                                          by_depth: bool) -> None:
    """Crowded pixels (300 points in 4 x 5 pixels, depths with ties, some points outside):
    the shown point is the last one (2-D) or the nearest, ties to the later one (3-D),
    whichever chunks it came in; alpha fades over every point's depth."""
    monkeypatch.setattr(raster, "CHUNK", chunk)
    rng = np.random.default_rng(11)
    n, (h, w) = 300, (4, 5)
    x, y = rng.uniform(-0.2, 1.2, n), rng.uniform(-0.2, 1.2, n)
    depth = rng.integers(0, 6, n).astype(float) if by_depth else None  # many ties
    rgba = rng.integers(0, 256, (n, 4), dtype=np.uint8)
    expected = np.zeros((h, w, 4), dtype=np.uint8)
    best: dict[tuple[int, int], int] = {}
    for i in range(n):
        col, row = int(np.floor(x[i] * w)), int(np.floor(y[i] * h))
        if 0 <= row < h and 0 <= col < w and (
                depth is None or (row, col) not in best or depth[i] <= depth[best[row, col]]):
            best[row, col] = i
    for (row, col), i in best.items():
        expected[row, col] = rgba[i]
        if depth is not None:  # depths 0..5 over all n points, inside or not
            fade = max(raster.DEPTHSHADE_MIN, 1 - depth[i] / 5)
            expected[row, col, 3] = int(rgba[i, 3] * fade)
    got = splat(x, y, rgba, (0.0, 1.0, 0.0, 1.0), (h, w), depth=depth)
    np.testing.assert_array_equal(got, expected)


def image_figure(kind: type[AxesImage], extent: tuple[float, float, float, float]
                 ) -> tuple[Figure, AxesImage]:
    """A 300 x 200 image in axes 300 x 200 pixels wide at a whole-pixel corner."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (200, 300, 4), dtype=np.uint8)
    image[..., 3] = np.where(rng.random((200, 300)) < 0.5, 0, image[..., 3])
    fig = Figure(figsize=(5, 4), dpi=100, facecolor="#102030")
    ax = fig.add_axes((0.1, 0.2, 0.6, 0.5))  # (50, 80) px, 300 x 200 px
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 2)
    im = kind(ax, interpolation="nearest", origin="lower", extent=extent)
    im.set_data(image)
    ax.add_image(im)
    return fig, im


def test_an_image_on_whole_pixels_is_drawn_as_it_is() -> None:
    """As matplotlib draws it but for the rounding of translucent pixels (it resamples
    premultiplied, in floats), and laid exactly: opaque pixels are equal."""
    fig, im = image_figure(PixelImage, (0, 3, 0, 2))
    assert isinstance(im, PixelImage) and im.pixel_corner() == (50, 80)
    ours, theirs = drawn(fig), drawn(image_figure(AxesImage, (0, 3, 0, 2))[0])
    assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1
    opaque = np.asarray(im.get_array())[..., 3] == 255  # (200, 300), row 0 at the bottom
    rows = 400 - 80 - 1 - np.arange(200)  # buffer rows top down, image rows bottom up
    np.testing.assert_array_equal(ours[rows, 50:350][opaque], theirs[rows, 50:350][opaque])


def test_an_image_off_whole_pixels_is_matplotlibs() -> None:
    fig, im = image_figure(PixelImage, (0.1, 2.95, 0.02, 1.9))
    assert isinstance(im, PixelImage) and im.pixel_corner() is None
    reference = image_figure(AxesImage, (0.1, 2.95, 0.02, 1.9))[0]
    np.testing.assert_array_equal(drawn(fig), drawn(reference))


def test_an_rgba_raster_is_shown_as_it_is_and_other_images_as_matplotlib_has_them() -> None:
    """A uint8 RGBA raster needs no mask: kept, not copied (2 MB per stage at 700 x 700);
    anything else is matplotlib's own check of an image, which masks NaN."""
    fig, im = image_figure(PixelImage, (0, 3, 0, 2))
    rgba = np.zeros((4, 5, 4), np.uint8)
    im.set_data(rgba)
    assert im.get_array() is rgba
    values = np.array([[0.0, np.nan], [1.0, 2.0]])
    im.set_data(values)
    assert np.ma.is_masked(im.get_array()) and im.get_array().mask.tolist() == [
        [False, True], [False, False]]


@pytest.fixture(scope="module")
def traced() -> Trace:
    return run(validated({"input": {"points": 3000}, "device": "cpu"}))


def test_rasters_made_on_threads_draw_the_same_pictures(traced: Trace) -> None:
    here = palette(traced, raster_from=1000)
    alone = [drawn(stage_figure(traced, k, pal=here, raster_from=1000)) for k in range(6)]
    with ThreadPoolExecutor(2) as pool:
        threaded = palette(traced, raster_from=1000, pool=pool)
        figures = [stage_figure(traced, k, pal=threaded, raster_from=1000) for k in range(6)]
        for fig, expected in zip(figures, alone, strict=True):
            threaded.rasters.finish(fig)
            np.testing.assert_array_equal(drawn(fig), expected)


def test_every_stage_raster_lies_on_its_figures_pixels(traced: Trace) -> None:
    """2-D and 3-D: each stage's raster covers whole display pixels one to one (a 3-D
    stage's projected box is widened to them), so no point is resampled."""
    pal = palette(traced, raster_from=1000)
    for k in range(6):
        fig = stage_figure(traced, k, pal=pal, raster_from=1000)
        drawn(fig)
        (image,) = [im for ax in fig.axes for im in ax.images]
        assert isinstance(image, PixelImage) and image.pixel_corner() is not None, k


def test_a_boxs_pixels_hold_every_point_in_it_on_whole_pixels() -> None:
    """A 3-D image's extent from its box's 8 projected corners: every point of the box
    (its corners too) falls inside it, and its edges are whole pixels of the grid."""
    fig = Figure(figsize=(5, 5), dpi=100)
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8), projection="3d")
    lo, hi = np.array([-1.0, 0.0, 2.0]), np.array([3.0, 0.5, 9.0])
    ax.set_xlim(-1.5, 3.5)
    ax.set_ylim(-0.2, 0.7)
    ax.set_zlim(1.0, 10.0)
    ax.view_init(elev=30, azim=-60)
    m, grid = ax.get_proj(), pixel_grid(ax)  # type: ignore[attr-defined]
    (x0, x1, y0, y1), (h, w) = box_pixels(m, grid, lo, hi)
    rng = np.random.default_rng(12)
    corners = np.array([[(lo, hi)[j >> i & 1][i] for i in range(3)] for j in range(8)])
    xyz = np.vstack([lo + rng.random((5000, 3)) * (hi - lo), corners])
    px, py, _ = project_with(m, xyz)
    _, inside = pixel_index(px, py, (x0, x1, y0, y1), (h, w))
    assert inside is None  # (None: every point is inside)
    sx, ox, sy, oy = grid
    ends = np.array([x0 * sx + ox, x1 * sx + ox, y0 * sy + oy, y1 * sy + oy])
    np.testing.assert_allclose(ends, np.round(ends), atol=1e-6)
    assert (round(ends[1] - ends[0]), round(ends[3] - ends[2])) == (w, h)
