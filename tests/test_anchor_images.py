"""The stills draw each anchor's image beside its ring on the input stage (issue 18): the
inset's pixels are the data row itself (NumPy, reshaped), placed at the anchor's slice
coordinates (NumPy's QR of the rows' offsets), clear of the ring and the title, inside
the panel."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.offsetbox import AnnotationBbox
from pages import open_page
from PIL import Image
from torch import nn

import spacewarp as sw
from spacewarp.inputs.points import Points, make_points
from spacewarp.inputs.sliced import on_slice
from spacewarp.render.static import stage_figure, stages_figure

DIGITS = make_points("digits")  # (1797, 64), rows are 8x8 images
ROWS = [0, 6, 8]


def qr_coordinates(x: np.ndarray, rows: list[int]) -> np.ndarray:
    """(3, 2) the rows' slice coordinates: offsets from row I on the QR basis of the
    offsets toward J and K, signed so that each axis points toward its row."""
    offsets = x[rows] - x[rows[0]]  # (3, D)
    q, r = np.linalg.qr(offsets[1:].T)  # (D, 2), (2, 2)
    return offsets @ (q * np.sign(np.diag(r)))


def insets(fig: object) -> list[AnnotationBbox]:
    ax = next(a for a in fig.axes if a.get_gid() == "stage-0")  # type: ignore[attr-defined]
    found = [c for c in ax.get_children() if isinstance(c, AnnotationBbox)]
    return sorted(found, key=lambda a: str(a.get_gid()))


@pytest.fixture(scope="module")
def digits_plane() -> sw.Trace:
    return sw.run(input="digits", slice=",".join(map(str, ROWS)), points=400,
                  layers="64,3,2", activation="relu", bias=True, device="cpu")


@pytest.mark.parametrize("figure", [stages_figure, lambda t: stage_figure(t, 0)])
def test_each_anchor_image_is_its_row_at_its_place(digits_plane: sw.Trace, figure) -> None:
    fig = figure(digits_plane)
    found = insets(fig)
    assert [a.get_gid() for a in found] == [f"anchor-image-{i}" for i in range(3)]
    at = qr_coordinates(DIGITS.x, ROWS)
    lo, hi = float(DIGITS.x.min()), float(DIGITS.x.max())
    for inset, row, xy in zip(found, ROWS, at, strict=True):
        image = inset.offsetbox.get_children()[0]  # the OffsetImage's AxesImage
        np.testing.assert_allclose(image.get_array(), DIGITS.x[row].reshape(8, 8),
                                   atol=1e-9)
        assert (image.norm.vmin, image.norm.vmax) == (lo, hi)  # grey over the data's range
        assert image.get_interpolation() == "nearest"
        np.testing.assert_allclose(inset.xy, xy, atol=1e-9)


def test_the_images_stay_inside_the_panel_off_the_rings_and_titles(
        digits_plane: sw.Trace) -> None:
    fig = stages_figure(digits_plane)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax: Axes = next(a for a in fig.axes if a.get_gid() == "stage-0")
    panel = ax.get_window_extent(renderer)
    titles = [t for t in ax.texts if t.get_text().startswith("row ")]
    rings = ax.transData.transform(qr_coordinates(DIGITS.x, ROWS))  # (3, 2) pixels
    ring_px = np.sqrt(90.0) / 2 * fig.dpi / 72  # the ring's radius, pixels
    for inset in insets(fig):
        box = inset.get_window_extent(renderer)
        assert panel.x0 <= box.x0 and box.x1 <= panel.x1, (box, panel)
        assert panel.y0 <= box.y0 and box.y1 <= panel.y1, (box, panel)
        for t in titles:
            assert not box.overlaps(t.get_window_extent(renderer)), t.get_text()
        for x, y in rings:  # the ring's square around its centre is clear of the image
            assert not (box.x0 < x + ring_px and x - ring_px < box.x1
                        and box.y0 < y + ring_px and y - ring_px < box.y1)


def test_three_channels_are_drawn_as_rgb_over_the_data_range() -> None:
    rng = np.random.default_rng(5)
    data = Points(x=rng.uniform(2, 6, (30, 48)), color=np.zeros(30), name="rgb")
    pts = on_slice(data, "0,1,2", n=25)
    shape = (3, 4, 4)
    pts = replace(pts, frame=replace(pts.frame, image_shape=shape), image_shape=shape)
    trace = sw.trace(nn.Sequential(nn.Flatten(), nn.Linear(48, 3)), pts, device="cpu")
    lo, hi = data.x.min(), data.x.max()
    for inset, row in zip(insets(stage_figure(trace, 0)), range(3), strict=True):
        expected = (data.x[row].reshape(shape).transpose(1, 2, 0) - lo) / (hi - lo)
        image = inset.offsetbox.get_children()[0]
        np.testing.assert_allclose(image.get_array(), expected, atol=1e-9)


def test_no_image_shape_no_insets() -> None:
    rng = np.random.default_rng(6)
    data = Points(x=rng.normal(size=(20, 5)), color=np.zeros(20), name="table")
    trace = sw.trace(nn.Sequential(nn.Linear(5, 2)), on_slice(data, "0,1,2", n=16),
                     device="cpu")
    assert insets(stage_figure(trace, 0)) == []


def test_the_training_stills_draw_the_anchor_images_on_the_slice() -> None:
    """training.png's input plane and training-stages.png's slice panel show each anchor's
    image (its data row) at the anchor's slice coordinates; the other panels none."""
    from spacewarp.render.training import decision_stages_figure, training_figure
    from spacewarp.training.snapshots import trace_snapshots
    from spacewarp.view.training import training_views

    training = sw.train(input="digits", slice="0,6,8", layers="64,8,10", activation="relu",
                        epochs=1, snapshots=2, probe=9, lr=0.01, device="cpu",
                        progress=False, live=False)
    views = training_views(trace_snapshots(training))
    assert views.still is not None and views.stages is not None
    at = qr_coordinates(DIGITS.x, ROWS)
    still = training_figure(views.still)
    stages = decision_stages_figure(views.stages)
    plane = next(ax for ax in still.axes if ax.get_title() == "input: decision regions")
    for fig, panel in ((still, plane), (stages, stages.axes[0])):  # (the slice: stage 0)
        found = [[c for c in ax.get_children() if isinstance(c, AnnotationBbox)]
                 for ax in fig.axes]
        assert sum(map(len, found)) == 3 and len(found[fig.axes.index(panel)]) == 3
        for inset, row, xy in zip(found[fig.axes.index(panel)], ROWS, at, strict=True):
            image = inset.offsetbox.get_children()[0]
            np.testing.assert_allclose(image.get_array(), DIGITS.x[row].reshape(8, 8),
                                       atol=1e-9)
            np.testing.assert_allclose(inset.xy, xy, atol=1e-9)


def test_the_pages_rings_are_9_css_px_on_the_morph_view(browser: Any, tmp_path: Path) -> None:
    """On the page's 2-D slice view the anchors' rings are 9 CSS px in radius (the
    stills' 90 pt^2 ring at the same share of the view), in the theme's foreground on a
    halo of its background: read from the screen at the anchors' places, found by the
    affine map from slice coordinates to the screen fitted to drawn grid points."""
    trace = sw.run(input="digits", slice="0,6,8", points=400, layers="64,2,2",
                   activation="relu", bias=True, device="cpu")
    page, errors, _ = open_page(browser, sw.write_html(trace, tmp_path / "rings.html"))
    try:
        page.evaluate("() => { window.spacewarp.useWebGL(false); window.spacewarp.show(0) }")
        page.wait_for_timeout(300)
        u = trace.stages[0].points  # (400, 2) the grid's slice coordinates
        picks = [0, 19, 399, 210]
        screen = np.array([page.evaluate("(i) => window.spacewarp.screenOf(i)", i)
                           for i in picks])  # (4, 2) CSS px
        fit, *_ = np.linalg.lstsq(np.column_stack([u[picks], np.ones(4)]), screen, rcond=None)
        anchors = np.column_stack([qr_coordinates(DIGITS.x, ROWS), np.ones(3)]) @ fit
        shot = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"), float)
        fg = np.array([0xE8, 0xE8, 0xE8])  # the dark theme's foreground
        angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        for x, y in anchors:
            def lit(r: float, x: float = x, y: float = y) -> float:
                """The share of 16 pixels on the circle of radius r in the foreground."""
                px = shot[np.rint(y - r * np.sin(angles)).astype(int),
                          np.rint(x + r * np.cos(angles)).astype(int)]
                return float((np.abs(px - fg).max(axis=1) < 60).mean())
            assert lit(9.0) >= 0.6 and lit(6.0) <= 0.25, (x, y, lit(9.0), lit(6.0))
        assert errors == []
    finally:
        page.close()
