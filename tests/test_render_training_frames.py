"""The training film's frames drawn without matplotlib per frame: the data's dots
(``dot_stamps``) against Agg's own scatter, the dots of a frame where the data project
(by hand, from the axes' limits and box), the decision image between two snapshots
against a NumPy bilinear resampling, and the boundary against the margin's sign
changes."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import spacewarp as sw
from spacewarp.render.dot_stamps import DotStamps
from spacewarp.render.training_frames import TrainingFrames
from spacewarp.training.snapshots import trace_snapshots
from spacewarp.view.colors import class_rgb
from spacewarp.view.training import TrainingView, moment, training_view

EDGE = "#e8e8e8"


def agg_scatter(xy: np.ndarray, rgb: np.ndarray, size: float, width: float,
                background: np.ndarray) -> tuple[np.ndarray, np.ndarray, Figure]:
    """matplotlib's own scatter of ``xy`` (data in [0, 1]^2) over an RGB ``background``
    image filling a 400 x 300 figure; the canvas before and after, and the axes' figure."""
    fig = Figure(figsize=(4, 3), dpi=100)
    canvas = FigureCanvasAgg(fig)
    fig.figimage(background, 0, 0, zorder=-1)  # (figure images draw over axes by default)
    ax = fig.add_axes((0.1, 0.12, 0.8, 0.75))
    ax.set_axis_off()
    ax.patch.set_visible(False)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    canvas.draw()
    before = np.array(canvas.buffer_rgba())
    ax.scatter(xy[:, 0], xy[:, 1], c=rgb, s=size, edgecolors=EDGE, linewidths=width)
    canvas.draw()
    return before, np.array(canvas.buffer_rgba()), fig


@pytest.mark.parametrize(("size", "width", "n"),
                         [(2.8, 0.25, 2000), (2.8, 0.25, 20000), (21.0, 1.2, 60)])
def test_stamped_dots_are_aggs_scatter(size: float, width: float, n: int) -> None:
    """Overlapping dots (in drawing order; 20000: dozens deep), some past the axes
    (clipped), over a varied background: every pixel within a few levels of Agg's scatter
    of the same dots."""
    rng = np.random.default_rng(3)
    xy = np.concatenate([rng.normal(0.5, 0.08, (n // 2, 2)),  # a dense cluster
                         rng.uniform(-0.05, 1.05, (n - n // 2, 2))])
    rgb = rng.uniform(0, 1, (n, 3))
    background = rng.integers(0, 256, (300, 400, 3)).astype(np.uint8)
    before, want, fig = agg_scatter(xy, rgb, size, width, background)
    ax = fig.axes[0]
    x0, y0, x1, y1 = ax.bbox.extents
    clip = (round(x0), round(300 - y1), round(x1), round(300 - y0))  # whole pixels here
    got = before.copy()
    DotStamps(size, width, EDGE, 100).layer(ax.transData.transform(xy), rgb, (300, 400),
                                            clip).draw(got)
    diff = np.abs(got[..., :3].astype(int) - want[..., :3])
    touched = np.abs(want[..., :3].astype(int) - before[..., :3]).max(axis=2) > 0
    assert touched.sum() > 2000
    # (Agg rounds each blend to whole levels, these blend in float: a level on average)
    assert diff.max() <= 10 and diff[touched].mean() < 1.5


def test_a_dot_centred_on_a_pixel_fills_it() -> None:
    """A dot 2 pixels across centred on a pixel's centre covers it wholly: its fill,
    exactly; the pixels three away are untouched."""
    buf = np.zeros((20, 20, 4), np.uint8)
    stamps = DotStamps((2.0 * 72 / 100) ** 2 * 4, 0.0, EDGE, 100)  # 4 pixels across
    stamps.layer(np.array([[10.5, 9.5]]), np.array([[0.2, 0.6, 1.0]]), (20, 20),
                 (0, 0, 20, 20)).draw(buf)
    row = 20 - 1 - 9  # display y 9.5: the pixel row 9 from the bottom
    np.testing.assert_array_equal(buf[row, 10, :3], [51, 153, 255])
    assert not buf[row, 13, :3].any() and not buf[row + 3, 10, :3].any()


@pytest.fixture(scope="module")
def view() -> TrainingView:
    training = sw.train(input="spiral", points=240, layers="2,24,3", epochs=30,
                        snapshots=4, probe=40, lr=0.02, device="cpu", progress=False,
                        live=False)
    return training_view(trace_snapshots(training))


def display_of(ax: object, xy: np.ndarray) -> np.ndarray:
    """(n, 2) display pixels of data ``xy`` from the axes' limits and box, by hand."""
    x0, y0, x1, y1 = ax.bbox.extents  # type: ignore[attr-defined]
    (a, b), (c, d) = ax.get_xlim(), ax.get_ylim()  # type: ignore[attr-defined]
    return np.column_stack([x0 + (xy[:, 0] - a) / (b - a) * (x1 - x0),
                            y0 + (xy[:, 1] - c) / (d - c) * (y1 - y0)])


def test_a_frames_dots_lie_where_the_data_project(view: TrainingView) -> None:
    """Between two snapshots, each dot far from the others shows its class colour at the
    pixel its point projects to, in both panels (the data in the input plane, and in
    the watched stage interpolated between the snapshots)."""
    frames = TrainingFrames(view, (1280, 720))
    i = len(frames) // 3
    frame = frames.render(i)
    m = moment(view, float(frames.times[i]))
    assert 0.0 < m.u < 1.0
    colors = class_rgb(view.classes)[view.labels] * 255  # (N, 3)
    for ax, xy in ((frames.panels.ax_in, view.data_in), (frames.panels.ax_w, m.data_watch)):
        at = display_of(ax, xy)  # (N, 2) y up
        gap = np.hypot(*(at[:, None] - at[None]).transpose(2, 0, 1))
        np.fill_diagonal(gap, np.inf)
        alone = np.flatnonzero(gap.min(axis=1) > 8)  # (dots ~6 pixels across)
        assert len(alone) > 20
        pixel = frame[720 - 1 - np.floor(at[alone, 1]).astype(int),
                      np.floor(at[alone, 0]).astype(int)].astype(float)  # (k, 3)
        assert np.abs(pixel - colors[alone]).max() <= 2  # the fill, wholly covering it


def test_the_decision_between_snapshots_is_the_blend_resampled(view: TrainingView) -> None:
    """The input plane's decision image alone, between two snapshots: at each pixel
    centre, the bilinear interpolation (NumPy) of the probe grid's colours blended
    between the two snapshots (each probe value at its cell's centre)."""
    frames = TrainingFrames(view, (640, 360))
    i = len(frames) // 2
    frames.render(i)
    m = moment(view, float(frames.times[i]))
    assert 0.0 < m.u < 1.0 and frames.decision is not None
    frames.canvas.restore_region(frames.background)
    frames.decision.draw(m, frames.canvas.get_renderer())
    got = np.asarray(frames.canvas.buffer_rgba())[..., :3].astype(float)
    p = frames.panels
    rgb = (1 - m.u) * p.snapshot_colors(m.lo) + m.u * p.snapshot_colors(m.hi)  # (P, 3)
    rows, cols = view.probe_shape
    grid = rgb.reshape(rows, cols, 3) * 255
    ax = p.ax_in
    x0, y0, x1, y1 = ax.bbox.extents
    px, py = np.meshgrid(np.arange(int(x0) + 2, int(x1) - 2, 7) + 0.5,
                         np.arange(int(y0) + 2, int(y1) - 2, 7) + 0.5)
    u = (px - x0) / (x1 - x0) * cols - 0.5  # in probe cells, centres at whole numbers
    v = (py - y0) / (y1 - y0) * rows - 0.5
    u, v = np.clip(u, 0, cols - 1), np.clip(v, 0, rows - 1)
    c0, r0 = np.minimum(u.astype(int), cols - 2), np.minimum(v.astype(int), rows - 2)
    fu, fv = (u - c0)[..., None], (v - r0)[..., None]
    want = ((1 - fv) * ((1 - fu) * grid[r0, c0] + fu * grid[r0, c0 + 1])
            + fv * ((1 - fu) * grid[r0 + 1, c0] + fu * grid[r0 + 1, c0 + 1]))
    drawn = got[360 - 1 - py.astype(int), px.astype(int)]
    assert np.abs(drawn - want).max() < 4


def test_the_boundary_crosses_every_sign_change_of_the_margin(view: TrainingView) -> None:
    """Each class's boundary path: every vertex on a probe-grid edge where the margin,
    linear along the edge, is 0; and a vertex on every edge whose ends differ in sign."""
    frames = TrainingFrames(view, (640, 360))
    s = len(view.epochs) - 1
    frames.panels.show(s)
    rows, cols = view.probe_shape
    x0, x1, y0, y1 = view.input_box
    xs, ys = np.linspace(x0, x1, cols), np.linspace(y0, y1, rows)
    drawn = 0
    for k, patch in enumerate(frames.panels.boundaries):
        g = view.margin[s][:, k].reshape(rows, cols)
        verts = patch.get_path().vertices  # (V, 2)
        if not (g.min() < 0 < g.max()):
            assert len(verts) == 0
            continue
        drawn += 1
        on_x = np.isclose(verts[:, 0][:, None], xs[None], rtol=0, atol=1e-9).any(axis=1)
        on_y = np.isclose(verts[:, 1][:, None], ys[None], rtol=0, atol=1e-9).any(axis=1)
        assert (on_x | on_y).all()
        flips = (np.sign(g[:, 1:]) * np.sign(g[:, :-1]) < 0).sum() + \
            (np.sign(g[1:]) * np.sign(g[:-1]) < 0).sum()
        # a vertex where linear interpolation along its edge gives 0, and one per crossing
        ci = np.clip(np.searchsorted(xs, verts[:, 0]) - 1, 0, cols - 2)
        ri = np.clip(np.searchsorted(ys, verts[:, 1]) - 1, 0, rows - 2)
        row = np.abs(ys[None] - verts[:, 1:2]).argmin(axis=1)
        col = np.abs(xs[None] - verts[:, :1]).argmin(axis=1)
        along_x = on_y  # on a grid row: the edge runs along x
        t = np.where(along_x, (verts[:, 0] - xs[ci]) / (xs[1] - xs[0]),
                     (verts[:, 1] - ys[ri]) / (ys[1] - ys[0]))
        a = np.where(along_x, g[row, ci], g[ri, col])
        b = np.where(along_x, g[row, ci + 1], g[ri + 1, col])
        assert np.abs((1 - t) * a + t * b).max() < 1e-9 * np.abs(g).max()
        assert len(np.unique(np.round(verts, 12), axis=0)) >= flips
    assert drawn >= 2


def test_the_running_title_is_matplotlibs_title(view: TrainingView) -> None:
    """Frames between snapshots draw the title's running epoch afresh and keep the rest
    (made once per snapshot and counter width): the title's band is the whole title
    drawn by matplotlib over the background, pixel for pixel, in frames drawn from what
    was kept, with one and two digits in the counter."""
    frames = TrainingFrames(view, (1280, 720))
    digits = set()
    for i in range(len(frames)):
        frame = frames.render(i)
        m = moment(view, float(frames.times[i]))
        if m.u == 0.0 or i % 4:
            continue
        digits.add(len(str(m.epoch)))
        assert frames.title.get_text().startswith(
            f"epoch {m.epoch}   (last snapshot: epoch {view.epochs[m.lo]}   train loss")
        frames.canvas.restore_region(frames.background)
        frames.fig.draw_artist(frames.title)  # matplotlib's own title, whole
        want = np.asarray(frames.canvas.buffer_rgba())[:60, :, :3]
        np.testing.assert_array_equal(frame[:60], want)
    assert digits == {1, 2}  # epochs 0 .. 30


def test_the_watched_heat_map_is_pcolormeshs(view: TrainingView) -> None:
    """Between snapshots, the watched stage's warped heat map drawn without an artist is
    pixel for pixel the ``pcolormesh`` of the same cells (the stills' ``probe_mesh``)."""
    from spacewarp.render.training import probe_mesh
    from spacewarp.render.training_frames import draw_warped

    frames = TrainingFrames(view, (640, 360))
    i = len(frames) // 2
    frames.render(i)
    p = frames.panels
    assert p.mesh is None and p.warped is not None
    xy, rgb, shape = p.warped
    np.testing.assert_array_equal(xy, moment(view, float(frames.times[i])).probe_watch)
    frames.canvas.restore_region(frames.background)
    bare = np.array(frames.canvas.buffer_rgba())
    draw_warped(frames.canvas.get_renderer(), p.ax_w, xy, rgb, shape)
    got = np.array(frames.canvas.buffer_rgba())
    frames.canvas.restore_region(frames.background)
    frames.fig.draw_artist(probe_mesh(p.ax_w, xy, rgb, shape))
    np.testing.assert_array_equal(got, np.asarray(frames.canvas.buffer_rgba()))
    assert (got != bare).any(axis=2).sum() > 1000
