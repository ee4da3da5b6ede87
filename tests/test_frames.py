"""The frame renderer: drawn data read back from its artists, frames as RGB arrays."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.animation import FuncAnimation

import spacewarp as sw
from spacewarp.config.experiment import Experiment
from spacewarp.errors import SpacewarpError
from spacewarp.render.animation_options import AnimationOptions, parse_size
from spacewarp.render.frames import FrameRenderer, animation, iter_frames
from spacewarp.view import lattice_every, lattice_lines

SMALL = AnimationOptions(frames_per_stage=3, hold=0.0, size=(160, 120), fps=10)


def _trace(**kw: object) -> sw.Trace:
    return sw.run(Experiment.model_validate(kw))


def test_iter_frames_yields_every_frame_as_rgb() -> None:
    tr = _trace(input={"points": 200})
    frames = list(iter_frames(tr, SMALL))
    assert len(frames) == 5 * 3
    assert all(f.shape == (120, 160, 3) and f.dtype == np.uint8 for f in frames)
    assert not np.array_equal(frames[0], frames[-1])


def test_points_lines_and_arrows_stay_inside_the_frame() -> None:
    tr = _trace(input={"name": "grid", "params": {"step": 0.5}})
    r = FrameRenderer(tr, AnimationOptions(frames_per_stage=4, hold=0.2, size=(200, 150)))
    rows, cols = tr.grid_shape or (0, 0)
    gaps = None
    for i in range(len(r)):
        frame = r.motion.timeline[i]
        r.render(i)
        pixels = r._to_pixels(r.motion.points(frame))
        assert (pixels >= 0).all() and (pixels[:, 0] <= 200).all() and (pixels[:, 1] <= 150).all()
        ends = r.motion.arrow_ends(frame)
        assert ends is not None
        tips = r._to_pixels(ends)
        assert (tips >= 0).all() and (tips[:, 0] <= 200).all() and (tips[:, 1] <= 150).all()
        drawn = r.lines.get_xydata()  # the lattice line artist's data, read back
        want = lattice_lines(pixels, (rows, cols), lattice_every((rows, cols)))
        np.testing.assert_allclose(drawn, want, atol=1e-3)  # the frame's pixels: float32
        mask = np.isnan(drawn).all(axis=1)
        gaps = mask if gaps is None else gaps
        np.testing.assert_array_equal(mask, gaps)  # the same polylines in every frame
        assert r.title.get_text() == frame.title


def test_titles_are_held_with_their_stage() -> None:
    tr = _trace(input={"points": 100})
    r = FrameRenderer(tr, AnimationOptions(frames_per_stage=2, hold=0.2, fps=10,
                                           size=(120, 90)))
    titles = []
    for i in range(len(r)):
        r.render(i)
        titles.append(r.title.get_text())
    names = [s.title for s in tr.stages]
    assert titles[:2] == ["Input", "Input"]
    assert titles[2:6] == [names[1]] * 4  # the morph, then its hold
    assert titles[-1] == names[-1]


def test_function_view_graphs_the_network() -> None:
    tr = _trace(input={"name": "line", "points": 30})
    r = FrameRenderer(tr, SMALL)
    assert len(r.fig.axes) == 2  # the points, and the graph of f beside them
    graph = r.fig.axes[1].lines[0].get_xydata()
    x = np.sort(tr.stages[0].points[:, 0])
    with torch.no_grad():  # f(x) computed here from the trace's parameters, not the trace
        p = {k: torch.from_numpy(v.copy()) for k, v in tr.params.items()}
        h = torch.tanh(torch.from_numpy(x)[:, None] @ p["0.weight"].T)
        fx = (h @ p["2.weight"].T)[:, 0].numpy()
    np.testing.assert_allclose(graph, np.stack([x, fx], axis=1), rtol=1e-9, atol=1e-12)
    assert next(iter_frames(tr, SMALL)).shape == (120, 160, 3)


def test_animation_for_notebooks() -> None:
    tr = _trace(input={"points": 50})
    anim = animation(tr, SMALL)
    assert isinstance(anim, FuncAnimation)
    assert len(list(anim.new_frame_seq())) == 15
    html = anim.to_jshtml()  # renders every frame (also tells matplotlib it was used)
    assert html.count("data:image/png;base64") == 15


@pytest.mark.parametrize("bad", [
    {"fps": 0}, {"fps": -5}, {"fps": 2.5}, {"frames_per_stage": 0}, {"size": (0, 100)},
    {"size": (100, -1)}, {"seconds": 0.0}, {"seconds": -1.0}, {"hold": -1.0},
    {"seconds": 2.0, "frames_per_stage": 3}, {"theme": "neon"}, {"limits": "frame"},
])
def test_bad_options_are_one_line_errors(bad: dict) -> None:
    with pytest.raises(SpacewarpError) as err:
        AnimationOptions(**bad)
    assert "\n" not in str(err.value)


def test_parse_size() -> None:
    assert parse_size("640x480") == (640, 480)
    for bad in ("640", "0x480", "ax3", "640x480x2", "-4x9"):
        with pytest.raises(SpacewarpError):
            parse_size(bad)


@pytest.mark.parametrize("radius", [0.9, 2.6])
@pytest.mark.parametrize("how", ["splat", "Splatter"])
def test_splat_blends_covered_pixels_and_leaves_the_rest(radius: float, how: str,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Points composited into a noisy frame: every pixel a point covers is the background
    moved towards the coverage-weighted mean colour by the summed coverage (computed here
    point by point, pixel by pixel); every other pixel keeps its bytes exactly. The same
    for ``splat`` and for a film's ``Splatter`` (work arrays reused, slab by slab)."""
    import math

    import spacewarp.render.splat as splat_module
    from spacewarp.render.splat import Splatter, color_table, splat

    rng = np.random.default_rng(3)
    h, w = 40, 50
    buf = rng.integers(0, 256, size=(h, w, 4), dtype=np.uint8)
    before = buf.copy()
    pixels = rng.uniform([5, 5], [w - 5, h - 5], size=(30, 2))  # display x right, y up
    values = rng.uniform(0, 1, size=30).astype(np.float32)
    table = color_table("viridis")
    if how == "splat":
        splat(buf, pixels, values, table, radius, alpha=0.8)
    else:
        monkeypatch.setattr(splat_module, "CHUNK", 64)  # several slabs in a ~40 x 40 box
        cols = (pixels[:, 0] - 0.5).astype(np.float32)  # continuous columns and rows
        rows = (h - pixels[:, 1] - 0.5).astype(np.float32)
        splatter = Splatter(values, table, radius)
        for _ in range(2):  # the second frame over the first's work arrays
            buf[...] = before
            splatter(buf, cols, rows, alpha=0.8)

    cover: dict[tuple[int, int], float] = {}
    ink: dict[tuple[int, int], float] = {}
    for (px, py), v in zip(pixels, values, strict=True):
        x, y = px - 0.5, (h - py) - 0.5  # continuous column and row (row 0 at the top)
        for r in range(int(y) - 4, int(y) + 6):
            for c in range(int(x) - 4, int(x) + 6):
                if radius <= 1.0:  # bilinear: the point's ink shared by its 4 pixels
                    ink_share = min(1.0, 1.6 * radius)
                    wt = max(0.0, 1 - abs(c - x)) * max(0.0, 1 - abs(r - y)) * ink_share
                    wt = wt if (c in (math.floor(x), math.floor(x) + 1)
                                and r in (math.floor(y), math.floor(y) + 1)) else 0.0
                else:  # a disc: coverage from the pixel centre's distance
                    near = (c - round(x)) ** 2 + (r - round(y)) ** 2 <= (radius + 1) ** 2
                    wt = min(max(radius + 0.5 - math.hypot(c - x, r - y), 0.0), 1.0) \
                        if near else 0.0
                if wt > 0:
                    cover[(r, c)] = cover.get((r, c), 0.0) + wt
                    ink[(r, c)] = ink.get((r, c), 0.0) + wt * float(v)
    expected = before.astype(np.float64)
    for (r, c), cv in cover.items():
        rgb = table[min(max(int(ink[(r, c)] / cv * 255 + 0.5), 0), 255)]
        a = 0.8 * min(cv, 1.0)
        expected[r, c, :3] += a * (rgb - expected[r, c, :3])
    untouched = np.ones((h, w), dtype=bool)
    for r, c in cover:
        untouched[r, c] = False
    np.testing.assert_array_equal(buf[untouched], before[untouched])
    assert np.abs(buf[..., :3].astype(np.float64) - expected[..., :3]).max() <= 1.0
    np.testing.assert_array_equal(buf[..., 3], before[..., 3])


@pytest.mark.parametrize("perspective", [False, True])
@pytest.mark.parametrize("dim", [2, 3])
def test_points_go_to_pixels_as_the_homogeneous_product(perspective: bool, dim: int) -> None:
    """The column-by-column projection equals (x, 1) @ P then the divide by w, computed
    here as one plain matrix product."""
    from spacewarp.render.frames import project_columns

    rng = np.random.default_rng(5)
    project = rng.normal(size=(4, 3))  # (x, y, z, 1) -> (px, py, w)
    if not perspective:
        project[:, 2] = [0.0, 0.0, 0.0, 2.5]  # one w for every point
    else:
        project[3, 2] = 40.0  # w stays away from 0
    points = rng.normal(size=(500, dim))
    rows = [0, 1, 3] if dim == 2 else [0, 1, 2, 3]
    h = np.column_stack([points, np.ones(len(points))]) @ project[rows]  # (n, 3)
    np.testing.assert_allclose(project_columns(points, project), h[:, :2] / h[:, 2:],
                               rtol=1e-12, atol=1e-12)


def test_splat_writes_into_a_strided_buffer_too() -> None:
    """A frame that is a view (every other column of a bigger array) gets the same pixels
    as a contiguous copy of it: nothing is written into a temporary."""
    from spacewarp.render.splat import color_table, splat

    rng = np.random.default_rng(4)
    big = rng.integers(0, 256, size=(40, 100, 4), dtype=np.uint8)
    view = big[:, ::2]  # (40, 50, 4), not contiguous
    before = view.copy()
    copy = view.copy()
    pixels = rng.uniform([2, 2], [48, 38], size=(200, 2))
    values = rng.uniform(0, 1, size=200).astype(np.float32)
    for buf in (view, copy):
        splat(buf, pixels, values, color_table("viridis"), 0.9)
    assert not np.array_equal(copy, before)  # the points were drawn ...
    np.testing.assert_array_equal(big[:, ::2], copy)  # ... into the view as into the copy


def test_an_arrow_label_is_stamped_where_matplotlib_draws_it() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patheffects import withStroke
    from matplotlib.transforms import IdentityTransform

    from spacewarp.render.text_sprites import TextSprite

    outline = withStroke(linewidth=2.5, foreground="#101010")

    def canvas() -> tuple[Figure, FigureCanvasAgg]:
        fig = Figure(figsize=(1.2, 0.9), dpi=100, facecolor="#101010")
        return fig, FigureCanvasAgg(fig)

    fig, drawn = canvas()  # the reference: matplotlib's own outlined text, centred on (60, 40)
    fig.text(60, 40, "e1", color="#ff4b4b", fontsize=11, ha="center", va="center",
             transform=IdentityTransform(), path_effects=[outline])
    drawn.draw()
    want = np.asarray(drawn.buffer_rgba())[..., :3].astype(int)  # (90, 120, 3)
    _, plain = canvas()
    plain.draw()
    buf = np.asarray(plain.buffer_rgba())  # (90, 120, 4): the background alone
    TextSprite("e1", color="#ff4b4b", fontsize=11, dpi=100, path_effects=[outline]).stamp(
        buf, 60.0, 40.0)
    got = buf[..., :3].astype(int)
    red_want, red_got = want[..., 0] > 128, got[..., 0] > 128  # the glyphs' pixels
    assert red_want.sum() > 20
    assert (red_want & red_got).sum() / (red_want | red_got).sum() > 0.8
    for axis in (0, 1):  # centred within a pixel of matplotlib's place
        assert abs(np.nonzero(red_want)[axis].mean() - np.nonzero(red_got)[axis].mean()) < 1.0
    TextSprite("e2", color="#3ddc5a", fontsize=11, dpi=100, path_effects=[outline]).stamp(
        buf, 118.0, 1.0)  # half off the corner: clipped, not an error
    assert (buf[85:, 115:, 1] > 128).any()


def test_a_holds_still_frames_are_resent_without_drawing(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    tr = _trace(input={"points": 300})
    opts = AnimationOptions(frames_per_stage=3, hold=0.4, fps=10, size=(160, 120))
    r = FrameRenderer(tr, opts)
    m = r.motion

    def looks(i: int) -> tuple[object, ...]:  # what a frame shows, from the view step
        f = m.timeline[i]
        return (f.morph, f.t, m.box(f).tobytes(), m.camera(f), f.title, f.hold)

    still = [i for i in range(1, len(r)) if looks(i) == looks(i - 1)]
    assert still  # a hold's first half shows the stage still
    splats = []
    real = r.splatter
    monkeypatch.setattr(r, "splatter", lambda *a, **k: (splats.append(1), real(*a, **k))[1])
    i = still[0]
    r.render(i - 1)
    before = len(splats)
    again = r.render(i)
    assert len(splats) == before  # nothing drawn
    np.testing.assert_array_equal(again, FrameRenderer(tr, opts).render(i))


def test_the_gif_palettes_frames_are_not_drawn_again() -> None:
    from spacewarp.export.video import gif_palette

    tr = _trace(input={"points": 200})
    opts = AnimationOptions(frames_per_stage=6, hold=0.4, fps=10, size=(160, 120))

    def draws(with_palette: bool) -> int:
        r = FrameRenderer(tr, opts)
        count = []
        draw = r.canvas.draw
        r.canvas.draw = lambda: (count.append(1), draw())[1]  # type: ignore[method-assign]
        if r.box3d is not None:  # a 3-D film draws its axes with Box3D, not canvas.draw
            box = r.box3d.draw
            r.box3d.draw = lambda *a: (count.append(1), box(*a))[1]  # type: ignore
        if with_palette:
            gif_palette(r)
        for i in range(len(r)):
            r.render(i)
        return len(count)

    assert draws(with_palette=True) == draws(with_palette=False)
