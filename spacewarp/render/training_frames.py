"""The training film's frames (``training.mp4``): one figure made once, updated per frame.

The axes, ticks, loss curve and every other still part are drawn once into a background;
per frame the panels' artists (``training.TrainingPanels``) move to the frame's moment
and only what moves is drawn over a copy of it. The costliest parts are not asked of
matplotlib per frame: the data's dots are composited in NumPy (``dot_stamps``: Agg's own
dot, drawn once per sub-pixel place), and the input plane's decision image, which Agg
resamples to its pixels, is resampled once per snapshot and blended between the two
snapshots a frame stands between (resampling is linear: the blend of the resampled
images is the resampled blend, to a level of rounding).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.transforms import IdentityTransform

from ..view.training import (
    INTERPOLATED,
    Moment,
    TrainingView,
    caption,
    film_times,
    moment,
    snapshot_curves,
)
from .dot_stamps import DotLayer, DotStamps
from .film_marks import panel_insets
from .rgb import colour_bytes
from .running_title import RunningTitle
from .theme import themed
from .training import TrainingPanels, data_colors, marker_area, ring_width, shown_loss

DPI = 100


class TrainingFrames:
    """Frame i of the training film (``view.training.film_times``: positions, colours and
    boundaries interpolated between snapshots): both panels, the loss curve with the
    epoch marked, the epoch counter and the last snapshot's loss in words: (H, W, 3)
    uint8 RGB (``render``), or a view of the canvas's RGBA (``render_rgba``)."""

    def __init__(self, view: TrainingView, size: tuple[int, int], theme: str | None = None
                 ) -> None:
        self.view, self.times = view, film_times(len(view.epochs))
        self.held: tuple[float, np.ndarray] | None = None  # the last frame drawn, and when
        self.background: object = None  # the still parts, drawn once (``_draw``)
        w, h = size
        with themed(theme or view.theme) as th:
            self.fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI)
            self.canvas = FigureCanvasAgg(self.fig)
            ax_in = self.fig.add_axes((0.05, 0.27, 0.42, 0.6))
            ax_w = self.fig.add_axes((0.55, 0.27, 0.42, 0.6))
            ax_c = self.fig.add_axes((0.08, 0.06, 0.84, 0.14))
            marker = marker_area(len(view.data_in)) * 0.7
            self.panels = TrainingPanels(view, ax_in, ax_w, th, marker, mesh_artist=False)
            self.stamps = DotStamps(marker, ring_width(view.anchor_names), th.foreground, DPI)
            self.data_rgb = data_colors(view)  # (N, 3) the dots' fill
            self.data_in: DotLayer | None = None  # the input plane's dots (they never move)
            self.decision = None if self.panels.image is None else DecisionImages(self.panels)
            c = view.curves
            ax_c.plot(c.epoch, shown_loss(c.train_loss), color="#4c9be8", lw=1.2)
            ax_c.set_yscale("log")
            ax_c.set_xscale("symlog", linthresh=1)
            ax_c.set_xlim(0, max(int(c.epoch[-1]), 1))
            ax_c.tick_params(labelsize="x-small")
            ax_c.set_ylabel("loss", fontsize="small")
            self.mark = ax_c.axvline(0, color=th.foreground, lw=1.2)
            self.dot = ax_c.plot([], [], "o", color=th.foreground, ms=4)[0]
            self.title = self.fig.text(0.5, 0.955, "", ha="center", va="center",
                                       fontsize="large", color=th.foreground)
            self.running = RunningTitle(self.fig, self.title)
            self.fig.text(0.5, 0.915, f"{len(view.epochs)} snapshots; {INTERPOLATED}",
                          ha="center", va="center", fontsize="small", color=th.muted)
            # a slice whose rows are images: each anchor's image beside it on the input
            # plane, stamped per frame (the slice is fixed: always there), as the films do
            x0, y0, x1, y1 = ax_in.bbox.extents
            self.insets = panel_insets(view.slice_frame, min(x1 - x0, y1 - y0), th.foreground)

    def __len__(self) -> int:
        return len(self.times)

    def render(self, i: int) -> np.ndarray:
        """Frame i as a fresh (H, W, 3) uint8 RGB array."""
        return colour_bytes(self.render_rgba(i))

    def render_rgba(self, i: int) -> np.ndarray:
        """Frame i as (H, W, 4) uint8 RGBA (opaque): a view of the canvas, valid until the
        next frame is drawn (no copy: the encoder reads it from here). A frame of the
        held last snapshot returns the frame before it (nothing drawn)."""
        if self.held is not None and self.held[0] == self.times[i]:
            return self.held[1]  # the last snapshot held: drawn once
        self.held = None  # drawing starts: the canvas no longer shows the last frame
        m = moment(self.view, float(self.times[i]))
        self.panels.show_moment(m)
        c = self.view.curves
        loss = shown_loss(c.train_loss)
        # the marker runs with the epoch counter: the loss between snapshots on a log scale
        at = float(np.exp((1 - m.u) * np.log(loss[m.lo]) + m.u * np.log(loss[m.hi])))
        self.mark.set_xdata([m.epoch, m.epoch])
        self.dot.set_data([m.epoch], [at])
        words = caption(int(c.epoch[m.lo]), snapshot_curves(c, m.lo))  # the last reached
        # between snapshots, a running counter and the last snapshot's words
        head, tail = ("", words) if m.u == 0.0 else (f"epoch {m.epoch}",
                                                     f"   (last snapshot: {words})")
        self.title.set_text(head + tail)
        self._draw(m, head, tail)
        frame = np.asarray(self.canvas.buffer_rgba())  # (H, W, 4) a view of Agg's buffer
        self._stamp_insets(frame)
        self.held = (float(self.times[i]), frame)
        return frame

    def _stamp_insets(self, frame: np.ndarray) -> None:
        """The anchors' images into ``frame`` (H, W, 4), beside the anchors in the input
        panel's box as drawn (its equal aspect fixed by the draw)."""
        if self.insets is None:
            return
        ax = self.panels.ax_in
        anchors = self.view.data_in[:len(self.insets.sprites)]  # (m, 2) slice coordinates
        x0, y0, x1, y1 = (float(v) for v in ax.bbox.extents)
        self.insets.stamp(frame, ax.transData.transform(anchors), (x0, y0, x1, y1))

    def _draw(self, m: Moment, head: str, tail: str) -> None:
        """Blit: the axes, ticks and curve drawn once into a background, then per frame
        only what moves (and the data drawn over it) on a copy of it, in the panels'
        drawing order: the decision image and the dots by NumPy, the title's running
        ``head`` by Agg beside its kept ``tail`` (``RunningTitle``), the rest by Agg."""
        p = self.panels
        moving = [*p.moving(), self.mark, self.dot, self.title]
        if self.background is None:
            for artist in moving:
                artist.set_visible(False)
            self.canvas.draw()  # (the input plane's equal aspect settles its box here)
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            for artist in moving:
                artist.set_visible(True)
            self.data_in = self._dots(p.ax_in, self.view.data_in)
        self.canvas.restore_region(self.background)
        if head:  # (the title's band is clear of every other moving artist)
            self.running.draw(self.canvas, head, tail, self.background)
            moving.remove(self.title)
        buf = np.asarray(self.canvas.buffer_rgba())  # (H, W, 4) a view of Agg's buffer
        for artist in [*moving, *p.ax_in.spines.values(), *p.ax_w.spines.values()]:
            if artist is p.image and self.decision is not None:
                self.decision.draw(m, self.canvas.get_renderer())
            elif artist is p.data_in and self.data_in is not None:
                self.data_in.draw(buf)
            elif artist is p.data_w:
                self._dots(p.ax_w, m.data_watch).draw(buf)
            elif p.lattice and artist is p.lattice[0] and p.warped is not None:
                draw_warped(self.canvas.get_renderer(), p.ax_w, *p.warped)  # under the grid
                self.fig.draw_artist(artist)
            else:
                self.fig.draw_artist(artist)

    def _dots(self, ax: Axes, xy: np.ndarray) -> DotLayer:
        """The data's dots at ``xy`` (N, 2) in ``ax``'s data coordinates, clipped to its
        box as Agg clips (to whole pixels, halves up)."""
        shape = np.asarray(self.canvas.buffer_rgba()).shape[:2]  # (H, W)
        x0, y0, x1, y1 = (float(v) for v in ax.bbox.extents)  # display, y up
        height = shape[0]
        clip = (int(np.floor(x0 + 0.5)), int(np.floor(height - y1 + 0.5)),
                int(np.floor(x1 + 0.5)), int(np.floor(height - y0 + 0.5)))
        return self.stamps.layer(ax.transData.transform(xy), self.data_rgb, shape, clip)


def draw_warped(renderer: RendererAgg, ax: Axes, xy: np.ndarray, rgb: np.ndarray,
                shape: tuple[int, ...]) -> None:
    """The probe grid of ``shape`` (rows, cols) carried to ``xy`` (rows * cols, 2) as a
    warped heat map in ``ax``, each cell coloured (``rgb`` (rows * cols, 3)) by its
    lower-left corner: what ``training.probe_mesh``'s ``QuadMesh`` draws, drawn as it
    draws it (one Agg quad mesh), without an artist made per frame."""
    rows, cols = shape
    cells = rgb.reshape(rows, cols, 3)[:-1, :-1].reshape(-1, 3)  # ((rows-1)(cols-1), 3)
    colors = np.concatenate([cells, np.ones((len(cells), 1))], axis=1)  # opaque RGBA
    gc = renderer.new_gc()
    gc.set_clip_rectangle(ax.bbox)
    gc.set_snap(mpl.rcParams["pcolormesh.snap"])  # (as pcolormesh sets its mesh's snap)
    gc.set_linewidth(1.0)
    # (arguments as QuadMesh.draw passes them: arrays, where the stubs say sequences)
    renderer.draw_quad_mesh(gc, ax.transData.frozen(), cols - 1, rows - 1,  # type: ignore[arg-type]
                            xy.reshape(rows, cols, 2), np.zeros((1, 2)), IdentityTransform(),
                            colors, False, np.zeros((0, 4)))  # type: ignore[arg-type]
    gc.restore()


class DecisionImages:
    """The input plane's decision image as Agg draws it (resampled to its pixels), made
    once per snapshot; between two snapshots, the blend of theirs."""

    def __init__(self, panels: TrainingPanels) -> None:
        assert panels.image is not None
        self.panels, self.image = panels, panels.image
        self.made: dict[int, tuple[np.ndarray, float, float]] = {}  # snapshot -> RGBA, l, b
        self.pair: tuple[int, int, np.ndarray, np.ndarray] | None = None  # lo, hi, base, step
        # (h, w, 4) float32 and uint8: a blend, kept between frames (no page faults)
        self.work, self.blend = np.empty((0, 0, 4), np.float32), np.empty((0, 0, 4), np.uint8)

    def draw(self, m: Moment, renderer: RendererAgg) -> None:
        """Moment ``m``'s image into the canvas (clipped to the axes, as the image is)."""
        rgba, left, bottom = self._made(m.lo, renderer)
        if m.u > 0.0:
            base, step = self._pair(m.lo, m.hi, renderer)
            np.multiply(step, np.float32(m.u), out=self.work)
            self.work += base
            np.copyto(self.blend, self.work, casting="unsafe")  # truncated: base has + 0.5
            rgba = self.blend
        gc = renderer.new_gc()
        gc.set_clip_rectangle(self.image.get_clip_box())
        renderer.draw_image(gc, left, bottom, rgba)
        gc.restore()

    def _made(self, s: int, renderer: RendererAgg) -> tuple[np.ndarray, float, float]:
        """Snapshot ``s``'s image resampled by Agg: (h, w, 4) uint8 and its lower-left
        corner in display pixels; the two last snapshots' kept."""
        if s not in self.made:
            v = self.panels.view
            self.image.set_data(self.panels.snapshot_colors(s).reshape(*v.probe_shape, 3))
            rgba, left, bottom, _ = self.image.make_image(
                renderer, renderer.get_image_magnification())
            for old in sorted(self.made)[:-1]:
                del self.made[old]
            self.made[s] = (np.array(rgba), float(left), float(bottom))
        return self.made[s]

    def _pair(self, lo: int, hi: int, renderer: RendererAgg
              ) -> tuple[np.ndarray, np.ndarray]:
        """(h, w, 4) float32 each: snapshot ``lo``'s image (+ 0.5: truncation rounds) and
        the step to ``hi``'s."""
        if self.pair is None or self.pair[:2] != (lo, hi):
            a = self._made(lo, renderer)[0].astype(np.float32)
            b = self._made(hi, renderer)[0].astype(np.float32)
            self.pair = (lo, hi, a + np.float32(0.5), b - a)
            if self.work.shape != a.shape:  # the blend's work arrays, made once
                self.work, self.blend = np.empty_like(a), np.empty(a.shape, np.uint8)
        return self.pair[2], self.pair[3]
