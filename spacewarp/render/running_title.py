"""A film title whose head changes every frame and whose tail changes rarely:
``epoch 356   (last snapshot: epoch 323   train loss 0.5077 ...)``.

Matplotlib renders every glyph of a text afresh each time it is drawn (~70 us a glyph, a
hundred of them in the training film's title). Here the whole title is drawn by
matplotlib once per tail (and per number of digits in the head, which moves the centred
line), and the tail's pixels are kept; per frame only the head is drawn, by matplotlib,
where the whole line put it (left-aligned at the line's left end, on the same baseline:
the same glyphs at the same sub-pixel places), and the kept tail is copied beside it.
Heads of one width put the line in one place (the training film's are "epoch " and a
number, whose digits are all one width in its fonts). The tail must start with a space
(it is cut there), and the title's band must show only the figure's background under
the title (nothing else is drawn there per frame).
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform

PAD = 2  # pixels kept around the line's box (glyphs overhang it a little)


class RunningTitle:
    """``title`` (a centred one-line ``fig.text``) drawn as ``head + tail`` per frame."""

    def __init__(self, fig: Figure, title: Text) -> None:
        self.fig, self.title = fig, title
        # the head, drawn in display pixels where the whole line puts it
        self.head = fig.text(0.0, 0.0, "", ha="left", va=title.get_verticalalignment(),
                             color=title.get_color(), fontproperties=title.get_fontproperties(),
                             transform=IdentityTransform())
        self.head.set_visible(False)  # (drawn by ``draw`` only)
        # (tail, head's width) -> the head's left end and baseline, and the tail's
        # pixels: rows, columns and (h, w, 3) uint8
        self.kept: dict[tuple[str, float], tuple[tuple[float, float], slice, slice,
                                                np.ndarray]] = {}

    def draw(self, canvas: FigureCanvasAgg, head: str, tail: str, background: object) -> None:
        """Draw ``head + tail`` into ``canvas`` (which shows ``background`` where the title
        goes), as the title artist would draw it (its text is set to the whole line)."""
        self.title.set_text(head + tail)
        self.head.set_text(head)
        self.head.set_visible(True)  # (an invisible text measures as a unit box)
        width, _, _ = canvas.get_renderer().get_text_width_height_descent(
            head, self.head.get_fontproperties(), ismath=False)
        key = (tail, round(width, 3))
        if key not in self.kept:
            self.kept = {key: self._keep(canvas, background)}
        at, rows, cols, tail_pixels = self.kept[key]
        buf = np.asarray(canvas.buffer_rgba())  # (H, W, 4) a view of Agg's buffer
        buf[rows, cols, :3] = tail_pixels
        self.head.set_position(at)
        self.fig.draw_artist(self.head)
        self.head.set_visible(False)

    def _keep(self, canvas: FigureCanvasAgg, background: object
              ) -> tuple[tuple[float, float], slice, slice, np.ndarray]:
        """Draw the whole line once; keep its tail's pixels (right of the gap after the
        head) and where the head starts; leave the canvas at ``background`` again."""
        renderer = canvas.get_renderer()
        self.fig.draw_artist(self.title)
        line = self.title.get_window_extent(renderer)  # display, y up
        x, y = self.title.get_transform().transform(self.title.get_position())
        at = (float(line.x0), float(y))  # the head: left-aligned where the line starts
        self.head.set_position(at)
        head_box = self.head.get_window_extent(renderer)
        height = int(self.fig.bbox.height)
        rows = slice(max(int(height - line.y1) - PAD, 0), int(height - line.y0) + PAD + 1)
        cols = slice(int(np.ceil(head_box.x1)) + PAD, int(line.x1) + PAD + 1)
        buf = np.asarray(canvas.buffer_rgba())
        tail_pixels = buf[rows, cols, :3].copy()
        canvas.restore_region(background)
        return at, rows, cols, tail_pixels
