"""Still figures: the drawn data read back from the artists equals the trace."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.backend_bases import RendererBase  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402
from mpl_toolkits.mplot3d import proj3d  # noqa: E402

from spacewarp.config.experiment import validated  # noqa: E402
from spacewarp.pipeline import run  # noqa: E402
from spacewarp.render import raster  # noqa: E402
from spacewarp.render.raster import DEPTHSHADE_MIN, RASTER_FROM, grow  # noqa: E402
from spacewarp.render.static import stage_figure, stages_figure  # noqa: E402
from spacewarp.tracing.trace import Trace  # noqa: E402
from spacewarp.view import display_coords  # noqa: E402


def make(**sections: dict) -> Trace:
    return run(validated({"device": "cpu", **sections}))


@pytest.fixture(scope="module")
def default() -> Trace:
    return make(input={"points": 300})


def panel(fig, k):  # the axes of stage k
    (ax,) = [a for a in fig.axes if a.get_gid() == f"stage-{k}"]
    return ax


def text(fig, gid: str) -> str:
    (t,) = [t for t in fig.texts if t.get_gid() == gid]
    return t.get_text()


def test_scatter_offsets_equal_every_stage(default: Trace) -> None:
    fig = stages_figure(default)
    assert len([a for a in fig.axes if (a.get_gid() or "").startswith("stage-")]) == 6
    for k, stage in enumerate(default.stages):
        ax = panel(fig, k)
        (coll,) = ax.collections
        if stage.dim == 2:
            np.testing.assert_array_equal(coll.get_offsets(), stage.points)
        else:
            xs, ys, zs = coll._offsets3d  # type: ignore[attr-defined]
            np.testing.assert_array_equal(np.column_stack([xs, ys, zs]), stage.points)
        np.testing.assert_array_equal(coll.get_array(), default.color)


def test_one_colour_norm_for_every_panel(default: Trace) -> None:
    fig = stages_figure(default)
    norms = [panel(fig, k).collections[0].norm for k in range(6)]
    assert len({(n.vmin, n.vmax) for n in norms}) == 1
    assert norms[0].vmin == default.color.min() and norms[0].vmax == default.color.max()
    assert all(panel(fig, k).collections[0].cmap.name == "viridis" for k in range(6))


def test_titles_and_weights_as_printed(default: Trace) -> None:
    fig = stages_figure(default)
    titles = [text(fig, f"title-{k}") for k in range(6)]
    assert titles == ["Input", "Linear 2->3", "Tanh", "Linear 3->3", "Tanh", "Linear 3->2"]
    w1 = text(fig, "weights-1")
    assert w1.splitlines() == ["W = [[3., 0.],", "     [0., 3.],", "     [6., 6.]]"]
    w3 = default.stages[3].weight
    assert w3 is not None
    for value in w3.ravel():  # every entry printed to 4 decimals, as the seed prints them
        assert f"{value:.4f}".lstrip("-") in text(fig, "weights-3")
    assert "Tanh" in text(fig, "weights-2")


def test_one_dimensional_stages_lie_on_y_zero() -> None:
    tr = make(input={"name": "line"}, network={"layers": [1, 2, 1]})
    fig = stages_figure(tr)
    for k in (0, 3):
        offsets = panel(fig, k).collections[0].get_offsets()
        np.testing.assert_array_equal(offsets[:, 0], tr.stages[k].points[:, 0])
        assert np.all(offsets[:, 1] == 0.0)


def test_wider_stages_are_shown_by_pca() -> None:
    tr = make(input={"points": 200}, network={"layers": [2, 5, 2]})
    fig = stages_figure(tr)
    assert "PCA" in text(fig, "title-1") and "Linear 2->5" in text(fig, "title-1")
    xs, ys, zs = panel(fig, 1).collections[0]._offsets3d  # type: ignore[attr-defined]
    np.testing.assert_allclose(np.column_stack([xs, ys, zs]),
                               display_coords(tr.stages[1].points))


def test_a_principal_axis_without_spread_is_named_so_and_has_no_ticks() -> None:
    """2,8,8,2 through ReLUs: the first 8-D stage is the 2-D points mapped linearly, rank 2
    (NumPy's), so its third principal component holds rounding only (it was ticked as if
    the points spread along it); the ReLU's 8-D stage after it spreads along all three."""
    tr = make(input={"points": 300}, network={"layers": [2, 8, 8, 2], "activation": "relu"})
    ranks = []
    for k in (1, 2):
        centred = tr.stages[k].points - tr.stages[k].points.mean(axis=0)
        s = np.linalg.svd(centred, compute_uv=False)
        ranks.append(int((s > 1e-9 * s[0]).sum()))
    assert ranks[0] == 2 and ranks[1] >= 3
    fig = stages_figure(tr)
    flat, spread = panel(fig, 1), panel(fig, 2)
    assert flat.get_zlabel() == "PC3\n(no spread)" and len(flat.get_zticks()) == 0
    assert (flat.get_xlabel(), flat.get_ylabel()) == ("PC1", "PC2")
    assert spread.get_zlabel() == "PC3" and len(spread.get_zticks()) > 0


def test_lattice_lines_join_grid_neighbours() -> None:
    tr = make(input={"name": "grid", "params": {"step": 1.0}})  # a 10 x 10 lattice
    fig = stages_figure(tr)
    for k in (0, 5):  # 2-D stages
        (line,) = panel(fig, k).lines
        xy = np.column_stack(line.get_data())
        drawn = xy[~np.isnan(xy[:, 0])]
        lattice = tr.stages[k].points.reshape(10, 10, 2)
        np.testing.assert_array_equal(drawn[:10], lattice[0])  # the first row, in order
        assert {tuple(p) for p in drawn} == {tuple(p) for p in tr.stages[k].points}


def test_light_theme_differs_and_no_pyplot_state(default: Trace) -> None:
    before = plt.get_fignums()
    dark, light = stages_figure(default, "dark"), stages_figure(default, "light")
    assert dark.get_facecolor() != light.get_facecolor()
    assert panel(dark, 0).get_facecolor() != panel(light, 0).get_facecolor()
    assert plt.get_fignums() == before
    assert matplotlib.rcParams["figure.facecolor"] == matplotlib.rcParamsDefault[
        "figure.facecolor"]


def test_single_stage_figure(default: Trace) -> None:
    fig = stage_figure(default, 3)
    assert text(fig, "title-3") == "Linear 3->3"
    xs, ys, zs = panel(fig, 3).collections[0]._offsets3d  # type: ignore[attr-defined]
    np.testing.assert_array_equal(np.column_stack([xs, ys, zs]), default.stages[3].points)
    with pytest.raises(IndexError):
        stage_figure(default, 6)


# ---------------------------------------------------------------- raster path


def reference_colors(tr: Trace) -> np.ndarray:
    norm = Normalize(tr.color.min(), tr.color.max())
    return colormaps["viridis"](norm(tr.color), bytes=True)  # (n, 4) uint8


@pytest.fixture(params=[None, 7], ids=["whole", "chunks-of-7"])
def chunked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """As it is, and with the points taken 7 at a time: pixels won across chunks."""
    if request.param is not None:
        monkeypatch.setattr(raster, "CHUNK", request.param)


@pytest.mark.usefixtures("chunked")
def test_raster_2d_equals_an_independent_splat() -> None:
    tr = make(input={"points": 3000})
    fig = stages_figure(tr, raster_from=1000)
    assert RASTER_FROM >= 10_000
    for k in (0, 5):
        ax = panel(fig, k)
        assert not ax.collections
        (im,) = ax.get_images()
        image = np.asarray(im.get_array())
        x0, x1, y0, y1 = im.get_extent()
        assert (x0, x1) == ax.get_xlim() and (y0, y1) == ax.get_ylim()
        h, w = image.shape[:2]
        expected = np.zeros_like(image)
        colours = reference_colors(tr)
        for i, (x, y) in enumerate(tr.stages[k].points):  # drawn in order: the last one wins
            col, row = math.floor((x - x0) / (x1 - x0) * w), math.floor((y - y0) / (y1 - y0) * h)
            expected[row, col] = colours[i]
        np.testing.assert_array_equal(image, grow(expected))


@pytest.mark.usefixtures("chunked")
def test_raster_3d_matches_the_scatter_projection() -> None:
    tr = make(input={"points": 2000})
    raster = stages_figure(tr, raster_from=1000)
    scatter = stages_figure(tr)
    scatter.draw_without_rendering()
    for k in (1, 2):
        ax, sax = panel(raster, k), panel(scatter, k)
        np.testing.assert_allclose(ax.get_proj(), sax.get_proj())  # same box and camera
        pts = tr.stages[k].points
        px, py, depth = proj3d.proj_transform(pts[:, 0], pts[:, 1], pts[:, 2], ax.get_proj())
        # the scatter, once drawn, sits at the same projected positions
        drawn = sax.collections[0].get_offsets()
        np.testing.assert_allclose(drawn, np.column_stack([px, py]))
        (im,) = ax.get_images()
        image = np.asarray(im.get_array())
        x0, x1, y0, y1 = im.get_extent()
        h, w = image.shape[:2]
        colours = reference_colors(tr)
        best: dict[tuple[int, int], int] = {}
        for i in range(len(pts)):  # nearest the camera wins, ties to the later point
            cell = (math.floor((py[i] - y0) / (y1 - y0) * h),
                    math.floor((px[i] - x0) / (x1 - x0) * w))
            if cell not in best or depth[i] <= depth[best[cell]]:
                best[cell] = i
        expected = np.zeros_like(image)
        for (row, col), i in best.items():
            fade = max(DEPTHSHADE_MIN, 1 - (depth[i] - depth.min()) / np.ptp(depth))
            expected[row, col] = colours[i]
            expected[row, col, 3] = int(colours[i, 3] * fade)
        np.testing.assert_array_equal(image, grow(expected))


def test_raster_1d_strip_on_y_zero() -> None:
    tr = make(input={"name": "line", "points": 500}, network={"layers": [1, 2, 1]})
    fig = stages_figure(tr, raster_from=100)
    (im,) = panel(fig, 0).get_images()
    x0, x1, y0, y1 = im.get_extent()
    assert y0 == -y1  # centred on y = 0
    image = np.asarray(im.get_array())
    assert image.shape[0] == 1
    shown = np.flatnonzero(image[0, :, 3])
    cols = np.floor((tr.stages[0].points[:, 0] - x0) / (x1 - x0) * image.shape[1])
    np.testing.assert_array_equal(shown, np.unique(cols))


def test_grow_makes_lone_points_two_by_two_and_keeps_hits() -> None:
    image = np.zeros((4, 5, 4), dtype=np.uint8)
    image[0, 0] = [1, 1, 1, 255]  # lone point, bottom-left
    image[2, 2] = [2, 2, 2, 255]
    image[2, 3] = [3, 3, 3, 255]  # a neighbour that must keep its own colour
    grown = grow(image)
    assert (grown[[0, 0, 1, 1], [0, 1, 0, 1], 0] == 1).all()
    assert grown[2, 2, 0] == 2 and grown[2, 3, 0] == 3 and grown[2, 4, 0] == 3
    assert grown[3, 2, 0] == 2 and grown[3, 3, 0] == 3  # straight up wins over diagonal
    assert grown[3, 4, 0] == 3
    assert grown[..., 3].astype(bool).sum() == 4 + 6


def recorded_texts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Bbox]]:
    """A list that gets each visible, non-blank text artist drawn from now on, with its
    window extent as drawn (tick labels outside the view are never drawn, so not in it)."""
    from matplotlib.text import Text

    drawn: list[tuple[str, Bbox]] = []
    draw = Text.draw

    def recording(self: Text, renderer: RendererBase) -> None:
        draw(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), self.get_window_extent(renderer)))

    monkeypatch.setattr(Text, "draw", recording)
    return drawn


# 3 and 4 columns, rows of 8 and 16 weights, 1-D and 3-D panels at the right edge
@pytest.mark.parametrize("layers", [[2, 3, 3, 3, 2], [2, 8, 8, 2], [2, 16, 16, 2],
                                    [2, 5, 5, 5, 2], [1, 8, 1]], ids=str)
def test_every_drawn_text_lies_inside_the_figure(layers: list[int],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Weights, titles, tick and axis labels: the window extent of every text artist drawn
    (recorded as it is drawn, so tick labels outside the view are not counted) lies
    inside the figure, for the grid and for every stage alone (a rank-2 wide stage's
    "PC3 (no spread)" is the widest z label)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    drawn = recorded_texts(monkeypatch)
    tr = make(input={"name": "line" if layers[0] == 1 else "gaussian", "points": 200},
              network={"layers": layers})
    for k, fig in enumerate([stages_figure(tr)] + [stage_figure(tr, k)
                                                   for k in range(len(tr.stages))]):
        drawn.clear()
        FigureCanvasAgg(fig).draw()
        width, height = fig.bbox.width, fig.bbox.height
        assert k > 0 or any(t.startswith("W = ") for t, _ in drawn)  # the grid's weights
        for t, box in drawn:
            assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height, (
                f"{t[:40]!r} at x {box.x0:.0f}..{box.x1:.0f}, y {box.y0:.0f}..{box.y1:.0f} "
                f"leaves the figure ({width:.0f} x {height:.0f})")


@pytest.mark.parametrize("layers", [[2, 8, 8, 2], [2, 3, 3, 2]], ids=str)
def test_a_grid_panels_labels_stay_in_its_own_cell(layers: list[int],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every tick and axis label of a grid panel is drawn inside the panel's cell (the
    figure's width over the columns): a rank-2 stage's "PC3 (no spread)" once stood
    between its panel and the next, nearer the next, and a z label on a 2-D panel's
    tick labels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    drawn: list[tuple[str, str, Bbox]] = []  # (text, its panel's gid, extent)
    draw = Text.draw

    def recording(self: Text, renderer: RendererBase) -> None:
        draw(self, renderer)
        if self.get_visible() and self.get_text().strip() and self.axes is not None:
            drawn.append((self.get_text(), self.axes.get_gid() or "",
                          self.get_window_extent(renderer)))

    monkeypatch.setattr(Text, "draw", recording)
    tr = make(input={"name": "gaussian", "points": 200}, network={"layers": layers})
    fig = stages_figure(tr)
    FigureCanvasAgg(fig).draw()
    cols = 3
    cell = fig.bbox.width / cols
    assert any(t == "PC3\n(no spread)" for t, _, _ in drawn) == (layers[1] == 8)
    for t, gid, box in drawn:
        assert gid.startswith("stage-"), gid
        c = int(gid.removeprefix("stage-")) % cols
        assert c * cell <= box.x0 and box.x1 <= (c + 1) * cell, (
            f"{gid} {t!r} at x {box.x0:.0f}..{box.x1:.0f} leaves its cell "
            f"{c * cell:.0f}..{(c + 1) * cell:.0f}")


def test_rows_too_wide_for_a_panel_show_their_ends() -> None:
    """A 2 x 16 weight matrix in a grid cell: each row's first and last three entries."""
    tr = make(input={"points": 100}, network={"layers": [2, 16, 2]})
    w = tr.stages[-1].weight
    assert w is not None
    lines = text(stages_figure(tr), f"weights-{len(tr.stages) - 1}").splitlines()
    assert len(lines) == 2 and all("..." in line for line in lines)
    for row, line in zip(w, lines, strict=True):
        for value in (*row[:3], *row[-3:]):
            assert f"{value:.4f}".lstrip("-") in line


def test_long_titles_stay_in_their_own_cells() -> None:
    """A long stage title (a conv's kernel and a PCA note, say) shrinks to its cell: in a
    4-column grid no title reaches past the figure or into its neighbour's."""
    from dataclasses import replace

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    tr = make(input={"name": "gaussian", "points": 100}, network={"layers": [2, 3, 3, 3, 2]})
    long = "Conv2d 8->16, 3x3 kernel, pad 1x1 (PCA 256-D to 3-D, 95% of variance)"
    tr = replace(tr, stages=tuple(replace(s, title=f"{long} {k}")
                                  for k, s in enumerate(tr.stages)))
    fig = stages_figure(tr, cols=4)
    renderer = FigureCanvasAgg(fig).get_renderer()
    boxes = sorted((t.get_window_extent(renderer) for t in fig.texts
                    if (t.get_gid() or "").startswith("title-")), key=lambda b: (-b.y0, b.x0))
    assert len(boxes) == len(tr.stages)
    for box in boxes:
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width, f"title at x {box.x0:.0f}..{box.x1:.0f}"
    for a, b in zip(boxes, boxes[1:], strict=False):
        if abs(a.y0 - b.y0) < 1:  # the same row: left to right, apart
            assert a.x1 <= b.x0, f"titles overlap: x {a.x1:.0f} > {b.x0:.0f}"


def test_stills_import_no_pyplot() -> None:
    """The stills draw on bare Figures: importing their modules leaves pyplot (its backend
    choice and global state, ~80 ms) unimported, in a fresh process."""
    import subprocess
    import sys

    code = ("import sys, spacewarp.render.static, spacewarp.export.stills; "
            "print('matplotlib.pyplot' in sys.modules, 'matplotlib.figure' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "True"]


@pytest.mark.parametrize(("points", "layers"), [(1000, [2, 3, 3, 2]), (200_000, [2, 3, 3, 2]),
                                                (1000, [2, 8, 8, 2])])
def test_no_two_labels_of_a_stage_run_into_each_other(points: int, layers: list[int],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Tick and axis labels of every stage figure: no two drawn texts' boxes overlap
    (the x and y ticks at the 3-D box's front corner once read "15-15", the z label
    beside the middle tick "0 z")."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    drawn = recorded_texts(monkeypatch)
    tr = make(input={"name": "gaussian", "points": points}, network={"layers": layers})
    for k in range(len(tr.stages)):
        drawn.clear()
        FigureCanvasAgg(stage_figure(tr, k)).draw()
        for i, (a, box) in enumerate(drawn):
            for b, other in drawn[i + 1:]:
                assert not box.overlaps(other), f"stage {k}: {a!r} runs into {b!r}"
