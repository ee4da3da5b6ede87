"""Pictures of a training run (matplotlib): the decision over the input plane, the
watched stage with the warped probe grid, and the loss and accuracy curves.

``training_figure`` is ``training.png``; ``TrainingPanels`` are the artists of its two
panels, which the film (``training_frames.TrainingFrames``) updates per frame (positions,
colours and boundaries interpolated between snapshots by ``view.training.moment``).
Everything drawn comes from
a ``TrainingView`` or ``DecisionStages`` (one box and one projection for the whole run);
nothing here reads the training or runs the model.
"""

from __future__ import annotations

from typing import cast

import contourpy
import numpy as np
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.text import Annotation

from ..inputs.slice import SliceFrame
from ..training.train import Curves
from ..view.colors import class_rgb, decision_rgb, decision_strength
from ..view.training import (
    DecisionStages,
    Moment,
    TrainingView,
    caption,
    moment,
    outline_note,
    snapshot_curves,
)
from .still_marks import RING, RING_WIDTH, anchor_images
from .still_regions import outline_alpha
from .theme import Theme, themed

LATTICE_LINES = 11  # warped probe-grid lines drawn per direction


def region_colors(predicted: np.ndarray, confidence: np.ndarray, classes: int,
                  background: str) -> np.ndarray:
    """(P,) class and confidence -> (P, 3) RGB: the class colour, faded to the
    background as confidence falls to chance (1 / classes)."""
    return decision_rgb(predicted, decision_strength(confidence, classes), classes,
                        to_hex(background))


def data_colors(view: TrainingView) -> np.ndarray:
    """(N, 3): the data by class, or (regression) by input x through the colour map."""
    if view.classes == 0:
        x = view.color_x
        u = (x - x.min()) / max(float(np.ptp(x)), 1e-12)
        return colormaps[view.cmap](u)[:, :3]
    return class_rgb(view.classes)[view.labels]


class TrainingPanels:
    """The artists of the input-plane and watched-stage panels, updated per frame."""

    def __init__(self, view: TrainingView, ax_in: Axes, ax_w: Axes, theme: Theme,
                 marker: float, mesh_artist: bool = True) -> None:
        """``mesh_artist`` False: the watched stage's heat map is kept in ``warped`` only
        (a film draws it itself), not made into a new ``QuadMesh`` at every moment."""
        self.view, self.theme, self.mesh_artist = view, theme, mesh_artist
        self.regression = view.classes == 0
        self.ax_in, self.ax_w = ax_in, ax_w
        data_rgb = data_colors(view)
        for ax, box in ((ax_in, view.input_box), (ax_w, view.watch_box)):
            ax.set_xlim(box[0], box[1])
            ax.set_ylim(box[2], box[3])
            ax.grid(False)
        ax_w.set_title(view.watch_title, fontsize="medium")
        if not self.regression:
            ax_in.set_aspect("equal", adjustable="box")
        ax_in.set_title("input: decision regions" if not self.regression
                        else "input x and target y: the learned curve", fontsize="medium")
        self.image = None
        # the heat map: the probe's points there (n, 2), colours (n, 3), grid (rows, cols)
        self.warped: tuple[np.ndarray, np.ndarray, tuple[int, ...]] | None = None
        self.colors: dict[int, np.ndarray] = {}  # snapshot -> (P, 3) (``snapshot_colors``)
        self.boundaries: list[PathPatch] = []  # one per class (``_boundary``)
        if self.regression:
            self.curve = ax_in.plot([], [], color=theme.foreground, lw=2, zorder=3)[0]
            self.probe_line = ax_w.plot([], [], color=theme.muted, lw=1.2, zorder=1)[0]
        else:
            x0, x1, y0, y1 = view.input_box
            blank = np.zeros((*view.probe_shape, 3))
            self.image = ax_in.imshow(blank, origin="lower", extent=(x0, x1, y0, y1),
                                      interpolation="bilinear", zorder=0, aspect="auto")
            self.mesh: QuadMesh | None = None  # the probe's heat map in the watched stage
            # the warped probe grid's rows, then its columns: one path each (NaN breaks)
            self.lattice = [ax_w.plot([], [], color=theme.muted, lw=0.6, alpha=0.8,
                                      zorder=2)[0] for _ in range(2)]
            self.boundaries = [boundary_patch(ax_in, theme.foreground)
                               for _ in range(view.margin.shape[2])]
        edge = theme.foreground
        ring = ring_width(view.anchor_names)
        self.data_in = ax_in.scatter(view.data_in[:, 0], view.data_in[:, 1], c=data_rgb,
                                     s=marker, edgecolors=edge, linewidths=ring, zorder=4)
        self.data_w = ax_w.scatter(view.data_watch[0, :, 0], view.data_watch[0, :, 1],
                                   c=data_rgb, s=marker, edgecolors=edge, linewidths=ring,
                                   zorder=4)
        # a slice's anchors, titled by row and label where they are (moving in the stage)
        self.names_in = name_anchors(ax_in, view.data_in, view.anchor_names, theme)
        self.names_w = name_anchors(ax_w, view.data_watch[0], view.anchor_names, theme)
        self.rings_in = ring_anchors(ax_in, view.data_in, view.anchor_names, theme)
        self.rings_w = ring_anchors(ax_w, view.data_watch[0], view.anchor_names, theme)
        # train --regions: each snapshot's region outlines, over the decision, under the data
        # (one path each, with breaks: thousands of polygons drawn as one line per panel)
        self.outlines = [ax.plot([], [], color=theme.foreground, lw=0.4, zorder=3,
                                 alpha=outline_alpha(_most_regions(view)))[0]
                         for ax in (ax_in, ax_w)] if view.outlines else []

    def show(self, s: int) -> None:
        """Move every artist to snapshot ``s`` (the last one: the whole probe grid in the
        watched stage, as sharp as the input plane's decision)."""
        v = self.view
        s = s % len(v.epochs)
        self.show_moment(moment(v, s), whole=s == v.sharp and len(v.probe_watch_whole) > 0)

    def show_moment(self, m: Moment, whole: bool = False) -> None:
        """Move every artist to moment ``m`` (between two snapshots: positions, colours and
        the boundary interpolated); ``whole``: the whole probe grid, not its rows."""
        v = self.view
        self.data_w.set_offsets(m.data_watch)
        for ring in self.rings_w:
            ring.set_offsets(m.data_watch)
        for text, xy in zip(self.names_w, m.data_watch, strict=False):
            text.xy = (float(xy[0]), float(xy[1]))
        self._outlines(m.lo)
        if self.regression:
            order = np.argsort(m.probe_watch[:, 1])  # the probe line, by input x
            xs = np.linspace(v.input_box[0], v.input_box[1], v.predicted.shape[1])
            self.curve.set_data(xs, (1.0 - m.u) * v.predicted[m.lo] + m.u * v.predicted[m.hi])
            self.probe_line.set_data(m.probe_watch[order, 0], m.probe_watch[order, 1])
            return
        rgb = self.snapshot_colors(m.lo)
        if m.u > 0.0:
            rgb = (1.0 - m.u) * rgb + m.u * self.snapshot_colors(m.hi)  # (P, 3)
        assert self.image is not None
        self.image.set_data(rgb.reshape(*v.probe_shape, 3))
        xy, shape = (v.probe_watch_whole, v.probe_shape) if whole else (m.probe_watch,
                                                                        v.row_shape)
        cells = rgb if whole else rgb[v.probe_rows]  # (P or R, 3)
        self.warped = (xy, cells, shape)
        if self.mesh_artist:
            if self.mesh is not None:
                self.mesh.remove()
            self.mesh = probe_mesh(self.ax_w, xy, cells, shape)
        self._lattice(xy, shape)
        self._boundary(m.margin)

    def _outlines(self, s: int) -> None:
        """Snapshot ``s``'s regions in both panels (between snapshots, the last one
        reached, whose numbers the title gives: a partition is not interpolated); none
        where the snapshot has too many."""
        if not self.outlines:
            return
        o = self.view.outlines[s]
        for lines, panel in zip(self.outlines, ("input", "watch"), strict=True):
            xy = np.zeros((0, 2)) if o is None else o.polyline(panel)
            lines.set_data(xy[:, 0], xy[:, 1])

    def snapshot_colors(self, s: int) -> np.ndarray:
        """(P, 3): snapshot ``s``'s decision over the probe grid (``region_colors``); the
        last two snapshots' kept (a film asks for each on several frames)."""
        if s not in self.colors:
            v = self.view
            self.colors = {k: c for k, c in self.colors.items() if k == s - 1 or k == s + 1}
            self.colors[s] = region_colors(v.predicted[s], v.confidence[s], v.classes,
                                           self.theme.background)
        return self.colors[s]

    def moving(self) -> list[Artist]:
        """The artists a frame changes, and those drawn over them, in drawing order."""
        ax_in: list[Artist] = [] if self.image is None else [self.image]
        ax_in += [*self.boundaries, self.data_in, *self.rings_in, *self.names_in]
        watched = [self.data_w, *self.rings_w, *self.names_w]
        if self.regression:
            return [*ax_in, self.curve, self.probe_line, *watched]
        mesh: list[Artist] = [] if self.mesh is None else [self.mesh]
        ax_in = [] if self.image is None else [self.image]
        ax_in += [*self.boundaries, *self.outlines[:1], self.data_in, *self.rings_in,
                  *self.names_in]  # the outlines under the data
        return [*ax_in, *mesh, *self.lattice, *self.outlines[1:], *watched]

    def _lattice(self, warped: np.ndarray, shape: tuple[int, ...]) -> None:
        """``LATTICE_LINES`` rows and columns of the warped grid ``warped`` (rows * cols,
        2): the rows as one path, the columns as another (NaN rows between lines)."""
        rows, cols = shape
        grid = warped.reshape(rows, cols, 2)
        pick_r = np.linspace(0, rows - 1, LATTICE_LINES).round().astype(int)
        pick_c = np.linspace(0, cols - 1, LATTICE_LINES).round().astype(int)
        gap = np.full((LATTICE_LINES, 1, 2), np.nan)
        for artist, lines in zip(self.lattice, (grid[pick_r], grid[:, pick_c].swapaxes(0, 1)),
                                 strict=True):  # (LATTICE_LINES, length, 2) each
            path = np.concatenate([lines, gap], axis=1).reshape(-1, 2)
            artist.set_data(path[:, 0], path[:, 1])

    def _boundary(self, margin: np.ndarray) -> None:
        """The decision boundary: where a class's margin over the best other class is 0,
        traced over the probe grid as ``ax.contour`` traces it (contourpy), into one path
        per class."""
        v = self.view
        rows, cols = v.probe_shape
        xs = np.linspace(v.input_box[0], v.input_box[1], cols)
        ys = np.linspace(v.input_box[2], v.input_box[3], rows)
        for k, patch in enumerate(self.boundaries):
            grid = margin[:, k].reshape(rows, cols)
            crossed = bool(grid.min() < 0 < grid.max())  # (False where any is NaN)
            patch.set_path(zero_level(xs, ys, grid) if crossed else Path(np.zeros((0, 2))))


def boundary_patch(ax: Axes, color: str) -> PathPatch:
    """An empty path drawn as ``ax.contour`` draws its lines (1 pt, butt caps, round
    joins, under the data), for ``TrainingPanels._boundary`` to fill in."""
    patch = PathPatch(Path(np.zeros((0, 2))), fill=False, edgecolor=color, linewidth=1.0,
                      capstyle="butt", joinstyle="round", zorder=2)
    ax.add_artist(patch)
    return patch


def zero_level(xs: np.ndarray, ys: np.ndarray, grid: np.ndarray) -> Path:
    """The 0 level of ``grid`` (rows along ``ys``, columns along ``xs``) as one path of
    lines, closed where they close: what ``ax.contour(xs, ys, grid, levels=[0])`` draws
    (its default algorithm, mpl2014 with corner masking)."""
    gen = contourpy.contour_generator(xs, ys, grid, name="mpl2014", corner_mask=True,
                                      line_type=contourpy.LineType.SeparateCode)
    # LineType.SeparateCode: a list of (n, 2) points and a list of (n,) codes, a pair a line
    points, codes = cast(tuple[list[np.ndarray], list[np.ndarray]], gen.create_contour(0.0))
    if not points:
        return Path(np.zeros((0, 2)))
    return Path(np.concatenate(points), np.concatenate(codes))


LOSS_CAP = 1e100  # a diverging loss is drawn up to here (log axes past ~1e300 overflow)


def shown_loss(loss: np.ndarray) -> np.ndarray:
    """The loss as drawn on a log axis: capped at ``LOSS_CAP`` (the numbers in titles are
    the real ones)."""
    return np.minimum(np.asarray(loss, dtype=np.float64), LOSS_CAP)


def draw_curves(ax_loss: Axes, ax_acc: Axes | None, curves: Curves, theme: Theme) -> None:
    """Train and test loss (log scale) and accuracy against the epoch (symlog)."""
    e = curves.epoch
    ax_loss.plot(e, shown_loss(curves.train_loss), color="#4c9be8", lw=1.6, label="train loss")
    if np.isfinite(curves.test_loss).any():
        ax_loss.plot(e, shown_loss(curves.test_loss), color="#4c9be8", lw=1.2, ls="--",
                     label="test loss")
    ax_loss.set_yscale("log")
    ax_loss.set_xscale("symlog", linthresh=1)
    ax_loss.set_xlim(0, max(int(e[-1]), 1))
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    handles, labels = ax_loss.get_legend_handles_labels()
    if ax_acc is not None and np.isfinite(curves.train_accuracy).any():
        ax_acc.plot(e, curves.train_accuracy, color="#f28e2b", lw=1.6, label="train accuracy")
        if np.isfinite(curves.test_accuracy).any():
            ax_acc.plot(e, curves.test_accuracy, color="#f28e2b", lw=1.2, ls="--",
                        label="test accuracy")
        ax_acc.set_ylim(0, 1.02)
        ax_acc.set_ylabel("accuracy")
        ax_acc.grid(False)
        more = ax_acc.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax_loss.legend(handles, labels, fontsize="small", loc="center left")


REGION_CURVES = (  # training.npz's name, the legend's words, colour
    ("regions_total", "regions in the box", "#e15759"),
    ("regions_with_data", "regions holding data", "#76b7b2"),
    ("local_complexity", "local complexity (mean regions per square)", "#edc948"),
    ("regions_near_boundary", "regions near the decision boundary", "#b07aa1"),
)
# on a slice the run's points are the probe grid on it (the data lie off the slice)
SLICE_WORDS = {"regions_with_data": "regions holding a point of the slice's grid",
               "local_complexity": "local complexity (mean regions per square, grid points)"}


def draw_region_curves(ax: Axes, epochs: np.ndarray, regions: dict[str, np.ndarray],
                       sliced: bool = False) -> None:
    """The regions through training (log scale) against the epoch (symlog, as the loss);
    ``sliced``: counted on a slice, whose points are its probe grid."""
    for name, words, color in REGION_CURVES:
        words = SLICE_WORDS.get(name, words) if sliced else words
        values = np.asarray(regions[name], dtype=np.float64)
        ax.plot(epochs, np.where(values > 0, values, np.nan), color=color, lw=1.6,
                label=words)
    ax.set_yscale("log")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(0, max(int(epochs[-1]), 1))
    ax.set_xlabel("epoch")
    r = float(regions["lc_radius"])
    ax.set_title(f"linear regions (hidden layers' patterns; squares and boundary within "
                 f"r = {r:.3g})", fontsize="medium")
    ax.legend(fontsize="small", loc="best")


def curves_figure(curves: Curves, epochs: int | None, theme: str = "dark") -> Figure:
    """A small loss and accuracy figure (live in notebooks while training runs)."""
    with themed(theme) as th:
        fig = Figure(figsize=(7, 2.6), dpi=90, layout="constrained")
        ax = fig.subplots()
        labelled = bool(np.isfinite(curves.train_accuracy).any())
        draw_curves(ax, ax.twinx() if labelled else None, curves, th)
        if epochs:
            ax.set_xlim(0, epochs)
        ax.set_title(f"epoch {int(curves.epoch[-1])}", fontsize="medium")
    return fig


def training_figure(view: TrainingView, theme: str | None = None) -> Figure:
    """``training.png``: curves, the decision over the input plane and the watched stage,
    at the last snapshot."""
    last = len(view.epochs) - 1
    with themed(theme or view.theme) as th:
        counted = "regions_total" in view.regions
        fig = Figure(figsize=(21 if counted else 16, 5.2), dpi=100, layout="constrained")
        ratios = [1.1, 1.1, 1, 1] if counted else [1.1, 1, 1]
        axes = fig.subplots(1, len(ratios), gridspec_kw={"width_ratios": ratios})
        ax_c, ax_in, ax_w = axes[0], axes[-2], axes[-1]
        if counted:
            draw_region_curves(axes[1], view.epochs, view.regions,
                               sliced=view.slice_frame is not None)
        labelled = bool(np.isfinite(view.curves.train_accuracy).any())
        draw_curves(ax_c, ax_c.twinx() if labelled else None, view.curves, th)
        ax_c.set_title("loss and accuracy" if labelled else "loss", fontsize="medium")
        panels = TrainingPanels(view, ax_in, ax_w, th, marker_area(len(view.data_in)))
        panels.show(last)
        note = outline_note(view, last)  # too many regions to outline: said, not hidden
        if note:
            note = note.replace(": ", ":\n", 1)  # two lines: the panel's width
            ax_in.set_title(f"{ax_in.get_title()}\n{note}", fontsize="medium")
        draw_anchor_images(ax_in, view.slice_frame, view.data_in, th)
        fig.suptitle(caption(int(view.epochs[last]), snapshot_curves(view.curves, last)),
                     fontsize="large")
    return fig


def decision_stages_figure(view: DecisionStages, theme: str | None = None) -> Figure:
    """The decision carried through every stage of one snapshot: each panel shows the
    probe grid coloured by the class the network gives it (lighter where less sure) and
    the data coloured by their true class: where each class's region went."""
    planes = view.planes
    k = len(planes)
    cols = min(k, 4)
    rows = -(-k // cols)
    n = len(view.labels)
    with themed(theme or view.theme) as th:
        fig = Figure(figsize=(4.2 * cols, 4.0 * rows + 0.5), dpi=100, layout="constrained")
        axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
        regression = view.classes == 0
        data_rgb = (colormaps[view.cmap](np.linspace(0, 1, n))[:, :3] if regression else
                    class_rgb(view.classes)[view.labels])
        probe_rgb = (np.tile(to_rgb(th.muted), (len(view.predicted), 1)) if regression else
                     region_colors(view.predicted, view.confidence, view.classes,
                                   th.background))
        marker = marker_area(n)
        for ax, plane in zip(axes, planes, strict=False):
            _probe_layer(ax, plane.probe, probe_rgb, view.row_shape, regression)
            ax.scatter(plane.data[:, 0], plane.data[:, 1], c=data_rgb, s=marker,
                       edgecolors=th.foreground, linewidths=ring_width(view.anchor_names),
                       zorder=2)
            ring_anchors(ax, plane.data, view.anchor_names, th)
            name_anchors(ax, plane.data, view.anchor_names, th)
            ax.set_xlim(plane.box[0], plane.box[1])
            ax.set_ylim(plane.box[2], plane.box[3])
            ax.set_title(plane.title, fontsize="small")
            ax.grid(False)
        draw_anchor_images(axes[0], view.slice_frame, planes[0].data, th)  # the slice
        for ax in axes[k:]:
            ax.set_visible(False)
        what = "every stage" if regression else "the decision in every stage"
        fig.suptitle(f"{what}: {view.caption}", fontsize="large")
    return fig


def draw_anchor_images(ax: Axes, frame: SliceFrame | None, at: np.ndarray, theme: Theme
                       ) -> None:
    """On a slice whose rows are images: each anchor's image beside it on the input plane
    (``at`` (m, 2), the anchors' slice coordinates), as the stills draw them."""
    if frame is not None and frame.image_shape is not None and frame.rows:
        anchor_images(ax, frame, at, theme)


def ring_width(anchor_names: tuple[str, ...]) -> float:
    """The points' edge: a thin one for the data, a ring for a slice's few anchors (in a
    region of their own class their fill alone would vanish)."""
    return 1.2 if anchor_names else 0.25


def ring_anchors(ax: Axes, xy: np.ndarray, names: tuple[str, ...], theme: Theme
                 ) -> list[PathCollection]:
    """A slice's anchors ringed at their points ``xy`` (m, 2) as the stills ring them
    (``still_marks.RING``, ``RING_WIDTH``): the dot's own edge alone was too thin to find
    them by; none where the points shown are the data (``names`` empty)."""
    if not names:
        return []
    return [ax.scatter(xy[:, 0], xy[:, 1], s=RING, facecolors="none",
                       edgecolors=theme.foreground, linewidths=RING_WIDTH, zorder=5,
                       gid="anchor-rings")]


def name_anchors(ax: Axes, xy: np.ndarray, names: tuple[str, ...], theme: Theme
                 ) -> list[Annotation]:
    """A slice's anchor rows titled beside their points ``xy`` (m, 2): "row 6 (6)"; none
    where the points shown are the data (``names`` empty)."""
    return [ax.annotate(name, (float(p[0]), float(p[1])), xytext=(5, 5),
                        textcoords="offset points", fontsize="small", zorder=5,
                        color=theme.foreground)
            for name, p in zip(names, xy, strict=False)]


def _probe_layer(ax: Axes, xy: np.ndarray, rgb: np.ndarray, shape: tuple[int, ...],
                 regression: bool) -> None:
    """The probe rows in one stage's plane, under the data: a heat map for a 2-D grid of
    decisions (``probe_mesh``), else small points. ``xy`` (R, 2), ``rgb`` (R, 3)."""
    if regression or len(shape) != 2:
        ax.scatter(xy[:, 0], xy[:, 1], c=rgb, s=2.0, linewidths=0, zorder=1)
        return
    probe_mesh(ax, xy, rgb, shape)


def probe_mesh(ax: Axes, xy: np.ndarray, rgb: np.ndarray, shape: tuple[int, ...]
               ) -> QuadMesh:
    """A probe grid of ``shape`` (rows, cols), carried to ``xy`` (rows * cols, 2), as a
    warped heat map: each lattice cell a quadrilateral between its four carried corners,
    coloured (``rgb`` (P, 3)) by its lower-left corner's decision; cells overlap where a
    stage folds space."""
    rows, cols = shape
    x, y = xy[:, 0].reshape(rows, cols), xy[:, 1].reshape(rows, cols)
    cells = rgb.reshape(rows, cols, 3)[:-1, :-1]  # (rows - 1, cols - 1, 3)
    return ax.pcolormesh(x, y, cells, shading="flat", edgecolors="none", antialiased=False,
                         rasterized=True, zorder=1)


def _most_regions(view: TrainingView) -> int:
    return max((len(o.count) for o in view.outlines if o is not None), default=1)


def marker_area(n: int) -> float:
    """Scatter marker area (points^2) that reads well for n points."""
    return float(np.clip(6000.0 / max(n, 1), 3.0, 30.0))
