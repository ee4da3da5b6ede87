"""Pictures of a training run (matplotlib): the decision over the input plane, the
watched stage with the warped probe grid, and the loss and accuracy curves.

``training_figure`` is ``training.png``; ``TrainingFrames`` makes the film's frames from
one figure whose artists are updated per snapshot. Everything drawn comes from a
``TrainingView`` (one box and one projection for the whole run); nothing runs the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import QuadMesh
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure

from ..view.colors import class_rgb, decision_rgb, decision_strength
from ..view.training import TrainingView
from .theme import Theme, themed

if TYPE_CHECKING:
    from ..training.train import Curves, Training

LATTICE_LINES = 11  # warped probe-grid lines drawn per direction


def region_colors(predicted: np.ndarray, confidence: np.ndarray, classes: int,
                  background: str) -> np.ndarray:
    """(P,) class and confidence -> (P, 3) RGB: the class colour, faded to the
    background as confidence falls to chance (1 / classes)."""
    return decision_rgb(predicted, decision_strength(confidence, classes), classes,
                        to_hex(background))


class TrainingPanels:
    """The artists of the input-plane and watched-stage panels, updated per snapshot."""

    def __init__(self, view: TrainingView, training: Training, ax_in: Axes, ax_w: Axes,
                 theme: Theme, marker: float) -> None:
        self.view, self.theme = view, theme
        self.regression = view.classes == 0
        self.ax_in, self.ax_w = ax_in, ax_w
        data_rgb = self._data_colors(training)
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
        self.contours: list[object] = []
        if self.regression:
            self.curve = ax_in.plot([], [], color=theme.foreground, lw=2, zorder=3)[0]
            self.probe_line = ax_w.plot([], [], color=theme.muted, lw=1.2, zorder=1)[0]
        else:
            x0, x1, y0, y1 = view.input_box
            blank = np.zeros((*view.probe_shape, 3))
            self.image = ax_in.imshow(blank, origin="lower", extent=(x0, x1, y0, y1),
                                      interpolation="bilinear", zorder=0, aspect="auto")
            self.mesh: QuadMesh | None = None  # the probe's heat map in the watched stage
            self.lattice = [ax_w.plot([], [], color=theme.muted, lw=0.6, alpha=0.8,
                                      zorder=2)[0] for _ in range(2 * LATTICE_LINES)]
        edge = theme.foreground
        ax_in.scatter(view.data_in[:, 0], view.data_in[:, 1], c=data_rgb, s=marker,
                      edgecolors=edge, linewidths=0.25, zorder=4)
        self.data_w = ax_w.scatter(view.data_watch[0, :, 0], view.data_watch[0, :, 1],
                                   c=data_rgb, s=marker, edgecolors=edge, linewidths=0.25,
                                   zorder=4)

    def _data_colors(self, training: Training) -> np.ndarray:
        if self.regression:
            x = training.points.x[:, 0]
            u = (x - x.min()) / max(float(np.ptp(x)), 1e-12)
            return colormaps[training.experiment.style.cmap](u)[:, :3]
        return class_rgb(self.view.classes)[np.asarray(training.data.target)]

    def show(self, s: int) -> None:
        """Move every artist to snapshot ``s``."""
        v = self.view
        self.data_w.set_offsets(v.data_watch[s])
        if self.regression:
            order = np.argsort(v.probe_watch[s, :, 1])  # the probe line, by input x
            xs = np.linspace(v.input_box[0], v.input_box[1], v.predicted.shape[1])
            self.curve.set_data(xs, v.predicted[s])
            self.probe_line.set_data(v.probe_watch[s, order, 0], v.probe_watch[s, order, 1])
            return
        rgb = region_colors(v.predicted[s], v.confidence[s], v.classes, self.theme.background)
        assert self.image is not None
        self.image.set_data(rgb.reshape(*v.probe_shape, 3))
        if self.mesh is not None:
            self.mesh.remove()
        self.mesh = probe_mesh(self.ax_w, v.probe_watch[s], rgb, v.probe_shape)
        self._lattice(v.probe_watch[s])
        self._boundary(v.margin[s])

    def _lattice(self, warped: np.ndarray) -> None:
        rows, cols = self.view.probe_shape
        grid = warped.reshape(rows, cols, 2)
        pick_r = np.linspace(0, rows - 1, LATTICE_LINES).round().astype(int)
        pick_c = np.linspace(0, cols - 1, LATTICE_LINES).round().astype(int)
        lines = [grid[r] for r in pick_r] + [grid[:, c] for c in pick_c]
        for artist, line in zip(self.lattice, lines, strict=True):
            artist.set_data(line[:, 0], line[:, 1])

    def _boundary(self, margin: np.ndarray) -> None:
        """The decision boundary: where a class's margin over the best other class is 0."""
        for c in self.contours:
            c.remove()  # type: ignore[attr-defined]
        v = self.view
        rows, cols = v.probe_shape
        xs = np.linspace(v.input_box[0], v.input_box[1], cols)
        ys = np.linspace(v.input_box[2], v.input_box[3], rows)
        self.contours = []
        for k in range(margin.shape[1]):
            grid = margin[:, k].reshape(rows, cols)
            if grid.min() < 0 < grid.max():
                self.contours.append(self.ax_in.contour(
                    xs, ys, grid, levels=[0.0], colors=[self.theme.foreground],
                    linewidths=1.0, zorder=2))


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


def caption(training: Training, s: int) -> str:
    c = training.curves
    text = f"epoch {int(c.epoch[s])}   train loss {c.train_loss[s]:.4g}"
    if np.isfinite(c.test_loss[s]):
        text += f"   test loss {c.test_loss[s]:.4g}"
    if np.isfinite(c.train_accuracy[s]):
        text += f"   accuracy {c.train_accuracy[s]:.3f}"
        if np.isfinite(c.test_accuracy[s]):
            text += f" (test {c.test_accuracy[s]:.3f})"
    return text


def training_figure(training: Training, view: TrainingView, theme: str | None = None
                    ) -> Figure:
    """``training.png``: curves, the decision over the input plane and the watched stage,
    at the last snapshot."""
    with themed(theme or training.experiment.style.theme) as th:
        fig = Figure(figsize=(16, 5.2), dpi=100, layout="constrained")
        ax_c, ax_in, ax_w = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.1, 1, 1]})
        labelled = bool(np.isfinite(training.curves.train_accuracy).any())
        draw_curves(ax_c, ax_c.twinx() if labelled else None, training.curves, th)
        ax_c.set_title("loss and accuracy" if labelled else "loss", fontsize="medium")
        panels = TrainingPanels(view, training, ax_in, ax_w, th, _marker(training.points.n))
        panels.show(len(view.epochs) - 1)
        fig.suptitle(caption(training, len(view.epochs) - 1), fontsize="large")
    return fig


def decision_stages_figure(training: Training, s: int = -1, theme: str | None = None
                           ) -> Figure:
    """The decision carried through every stage of snapshot ``s``: each panel shows the
    probe grid coloured by the class the network gives it (lighter where less sure) and
    the data coloured by their true class: where each class's region went."""
    from ..view.training import decision_stages

    planes, predicted, confidence = decision_stages(training, s)
    k = len(planes)
    cols = min(k, 4)
    rows = -(-k // cols)
    with themed(theme or training.experiment.style.theme) as th:
        fig = Figure(figsize=(4.2 * cols, 4.0 * rows + 0.5), dpi=100, layout="constrained")
        axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
        regression = training.data.task == "regression"
        data_rgb = (colormaps[training.experiment.style.cmap](
            np.linspace(0, 1, training.points.n))[:, :3] if regression else
            class_rgb(int(training.data.classes.size))[np.asarray(training.data.target)])
        probe_rgb = (np.tile(to_rgb(th.muted), (len(predicted), 1)) if regression else
                     region_colors(predicted, confidence, int(training.data.classes.size),
                                   th.background))
        marker = _marker(training.points.n)
        lattice = training.probe.shape if training.probe is not None else ()
        for ax, plane in zip(axes, planes, strict=False):
            _probe_layer(ax, plane.probe, probe_rgb, lattice, regression)
            ax.scatter(plane.data[:, 0], plane.data[:, 1], c=data_rgb, s=marker,
                       edgecolors=th.foreground, linewidths=0.25, zorder=2)
            ax.set_xlim(plane.box[0], plane.box[1])
            ax.set_ylim(plane.box[2], plane.box[3])
            ax.set_title(plane.title, fontsize="small")
            ax.grid(False)
        for ax in axes[k:]:
            ax.set_visible(False)
        last = s % len(training.snapshots)
        what = "every stage" if regression else "the decision in every stage"
        fig.suptitle(f"{what}: {caption(training, last)}",
                     fontsize="large")
    return fig


def _probe_layer(ax: Axes, xy: np.ndarray, rgb: np.ndarray, lattice: tuple[int, ...],
                 regression: bool) -> None:
    """The probe grid in one stage's plane, under the data: a heat map for a 2-D grid of
    decisions (``probe_mesh``), else small points. ``xy`` (P, 2), ``rgb`` (P, 3)."""
    if regression or len(lattice) != 2:
        ax.scatter(xy[:, 0], xy[:, 1], c=rgb, s=2.0, linewidths=0, zorder=1)
        return
    probe_mesh(ax, xy, rgb, (lattice[1], lattice[0]))  # "xy": rows follow the second axis


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


class TrainingFrames:
    """Frame s of the training film: both panels at snapshot s, the loss curve with the
    epoch marked, and the epoch and loss in words. (H, W, 3) uint8 RGB."""

    def __init__(self, training: Training, view: TrainingView, size: tuple[int, int],
                 theme: str | None = None) -> None:
        self.training, self.view = training, view
        w, h = size
        with themed(theme or training.experiment.style.theme) as th:
            self.fig = Figure(figsize=(w / 100, h / 100), dpi=100)
            self.canvas = FigureCanvasAgg(self.fig)
            ax_in = self.fig.add_axes((0.05, 0.27, 0.42, 0.63))
            ax_w = self.fig.add_axes((0.55, 0.27, 0.42, 0.63))
            ax_c = self.fig.add_axes((0.08, 0.06, 0.84, 0.14))
            self.panels = TrainingPanels(view, training, ax_in, ax_w, th,
                                         _marker(training.points.n) * 0.7)
            c = training.curves
            ax_c.plot(c.epoch, shown_loss(c.train_loss), color="#4c9be8", lw=1.2)
            ax_c.set_yscale("log")
            ax_c.set_xscale("symlog", linthresh=1)
            ax_c.set_xlim(0, max(int(c.epoch[-1]), 1))
            ax_c.tick_params(labelsize="x-small")
            ax_c.set_ylabel("loss", fontsize="small")
            self.mark = ax_c.axvline(0, color=th.foreground, lw=1.2)
            self.dot = ax_c.plot([], [], "o", color=th.foreground, ms=4)[0]
            self.title = self.fig.text(0.5, 0.95, "", ha="center", va="center",
                                       fontsize="large", color=th.foreground)

    def __len__(self) -> int:
        return len(self.view.epochs)

    def render(self, s: int) -> np.ndarray:
        self.panels.show(s)
        c = self.training.curves
        self.mark.set_xdata([c.epoch[s], c.epoch[s]])
        self.dot.set_data([c.epoch[s]], [shown_loss(c.train_loss[s:s + 1])[0]])
        self.title.set_text(caption(self.training, s))
        self.canvas.draw()
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()


def _marker(n: int) -> float:
    """Scatter marker area (points^2) that reads well for n points."""
    return float(np.clip(6000.0 / max(n, 1), 3.0, 30.0))
