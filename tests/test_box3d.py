"""The films' 3-D box drawn without mplot3d: its geometry read against the artists of a
real mplot3d draw of the same axes, its pixels against that draw's pixels."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mpl_toolkits.mplot3d import Axes3D

import spacewarp as sw
from spacewarp.config.experiment import Experiment
from spacewarp.render.animation_options import AnimationOptions
from spacewarp.render.box3d import Box3D
from spacewarp.render.frames import FrameRenderer
from spacewarp.render.theme import themed

CAMERAS = [(90.0, -90.0),  # top-down: the x and y panes seen edge-on
           (24.0, -60.0),  # the films' oblique view
           (57.0, -75.0),  # half-way through a turn
           (10.0, 30.0), (-20.0, 120.0),  # from other sides, and from below
           (0.0, -90.0)]  # level: the x and z panes edge-on
BOXES = [np.array([[-4.0, 4.0], [-3.0, 3.0], [-1.0, 1.0]]),
         np.array([[-31.5, 28.0], [-0.9, 0.85], [2.0, 40.0]])]


def _axes(box: np.ndarray, camera: tuple[float, float], zoom: float = 1.2
          ) -> tuple[Figure, FigureCanvasAgg, Axes3D]:
    """A film's 3-D axes (as FrameRenderer makes them), limits and camera set, drawn."""
    fig = Figure(figsize=(4.8, 3.6), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.9), projection="3d", proj_type="ortho")
    assert isinstance(ax, Axes3D)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_locator(MaxNLocator(3))
        axis.set_pane_color((0.0, 0.0, 0.0, 0.0))
    ax.tick_params(labelsize=6.4)
    ax.set_xlim(*box[0])
    ax.set_ylim(*box[1])
    ax.set_zlim(*box[2])
    ax.view_init(elev=camera[0], azim=camera[1])
    ax.set_box_aspect((1, 1, 1), zoom=zoom)
    canvas.draw()
    return fig, canvas, ax


def _display(ax: Axes3D, xy: np.ndarray) -> np.ndarray:
    return np.asarray(ax.transData.transform(np.asarray(xy, dtype=float).reshape(-1, 2)))


@pytest.mark.parametrize("camera", CAMERAS)
@pytest.mark.parametrize("box", BOXES, ids=["small", "uneven"])
def test_the_box_is_where_mplot3d_draws_it(camera: tuple[float, float],
                                           box: np.ndarray) -> None:
    """Axis lines, grid lines, tick marks, tick label anchors and texts equal those of
    mplot3d's own artists after a real draw of the same axes (display pixels)."""
    with themed("dark"):
        _, _, ax = _axes(box, camera)
        chrome = Box3D(ax, 100)
    ticks = chrome.ticks()
    g = chrome.geometry(box, ticks)
    start = 0
    for i, axis in enumerate((ax.xaxis, ax.yaxis, ax.zaxis)):
        np.testing.assert_allclose(g.lines[i], _display(ax, axis.line.get_xydata()),
                                   atol=1e-6)
        k = len(ticks[i].locs)
        assert k >= 2
        want_grid = np.stack([_display(ax, s) for s in axis.gridlines.get_segments()])
        np.testing.assert_allclose(g.grid[start:start + k], want_grid, atol=1e-6)
        drawn = {round(t.get_loc(), 9): t for t in axis.get_major_ticks()}
        for j in range(start, start + k):
            tick = drawn[round(float(ticks[i].locs[j - start]), 9)]  # mplot3d's tick there
            np.testing.assert_allclose(g.ticks[j], _display(ax, tick.tick1line.get_xydata()),
                                       atol=1e-6)
            np.testing.assert_allclose(g.labels[j], _display(ax, tick.label1.get_position())[0],
                                       atol=1e-6)
            assert g.texts[j] == tick.label1.get_text()
            assert g.tick_axis[j] == i
        start += k
    assert start == len(g.ticks) == len(g.texts)


@pytest.mark.parametrize("camera", CAMERAS[:4])
def test_the_box_looks_as_mplot3d_draws_it(camera: tuple[float, float]) -> None:
    """Pixels: the box over the background alone against a full mplot3d draw. The lines
    are the same pixels; the labels the same text within antialiasing (matplotlib places
    glyphs at sub-pixel offsets, a sprite at whole pixels)."""
    box = BOXES[1]
    with themed("dark"):
        fig, canvas, ax = _axes(box, camera)
        want = np.asarray(canvas.buffer_rgba())[..., :3].astype(int)  # (360, 480, 3)
        chrome = Box3D(ax, 100)
    ax.set_axis_off()
    canvas.draw()
    assert np.asarray(canvas.buffer_rgba())[..., :3].max() == 0  # nothing but the background
    g = chrome.geometry(box, chrome.ticks())
    buf = np.asarray(canvas.buffer_rgba())
    chrome.draw(fig, buf, g, 1.0)
    got = buf[..., :3].astype(int)
    text = np.zeros(got.shape[:2], dtype=bool)  # where the labels are: below their anchors
    for (x, y), label in zip(g.labels, g.texts, strict=True):
        row, col = int(round(360 - y)), int(round(x))
        half = 4 * len(label) + 3
        text[max(row - 3, 0):row + 14, max(col - half, 0):col + half] = True
    assert np.abs(got - want)[~text].max() <= 2  # the lines: the same pixels
    assert (want[~text] > 40).sum() > 300  # (there are lines)
    ink_want, ink_got = want[text].sum(), got[text].sum()
    assert ink_want > 0 and abs(ink_got - ink_want) / ink_want < 0.1
    lit_want, lit_got = want[text].max(-1) > 100, got[text].max(-1) > 100
    assert (lit_want & lit_got).sum() / (lit_want | lit_got).sum() > 0.6


def test_an_offset_text_is_left_to_mplot3d() -> None:
    """Limits whose ticks need an offset ("1e4" beside the axis) are not drawn by Box3D."""
    with themed("dark"):
        _, _, ax = _axes(BOXES[0], CAMERAS[1])
        chrome = Box3D(ax, 100)
    chrome.ticks()
    assert chrome.drawable()
    ax.set_xlim(10_000.0, 10_000.5)
    chrome.ticks()
    assert ax.xaxis.major.formatter.get_offset()
    assert not chrome.drawable()


def test_a_3d_film_never_draws_the_whole_figure_per_frame() -> None:
    """After the renderer is made, every frame's axes come from Box3D, none from a full
    figure draw (which would run mplot3d)."""
    tr = sw.run(Experiment.model_validate({"input": {"points": 300}}))
    r = FrameRenderer(tr, AnimationOptions(frames_per_stage=4, hold=0.2, fps=10,
                                           size=(240, 180)))
    assert r.ax3 is not None and r.box3d is not None
    draws, boxes = [], []
    full, own = r.canvas.draw, r.box3d.draw
    r.canvas.draw = lambda: (draws.append(1), full())[1]  # type: ignore[method-assign]
    r.box3d.draw = lambda *a: (boxes.append(1), own(*a))[1]  # type: ignore[method-assign]
    for i in range(len(r)):
        r.render(i)
    assert not draws
    assert boxes  # the camera turned and the box eased: drawn by Box3D


def test_a_frame_whose_ticks_need_an_offset_is_drawn_by_mplot3d() -> None:
    """Limits whose ticks need an offset text: that frame's axes are drawn in full (the
    offset shown), and the next ordinary frame is Box3D's again."""
    tr = sw.run(Experiment.model_validate({"input": {"points": 300}}))
    r = FrameRenderer(tr, AnimationOptions(frames_per_stage=2, hold=0.0, size=(240, 180)))
    assert r.ax3 is not None and r.box3d is not None
    draws: list[int] = []
    full = r.canvas.draw
    r.canvas.draw = lambda: (draws.append(1), full())[1]  # type: ignore[method-assign]
    offset = np.array([[1e4, 1e4 + 0.5], [0.0, 0.5], [0.0, 0.5]])
    r._background(offset, (24.0, -60.0))
    assert draws == [1]
    assert r.ax3.xaxis.get_major_formatter().get_offset()  # type: ignore[attr-defined]
    r._background(BOXES[0], (24.0, -60.0))
    assert draws == [1]
