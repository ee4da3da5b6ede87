"""Outlined text drawn once and stamped into a frame buffer per frame.

Text with an outline (a path effect) is the slowest thing matplotlib draws per frame: the
glyphs become paths and are stroked, then filled. A film's basis-arrow labels never change,
only move, and its titles come back frame after frame, so each is drawn once here, on a
transparent canvas, and composited into the RGBA buffer at its place (rounded to whole
pixels: at most half a pixel from where matplotlib would put it).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patheffects import AbstractPathEffect


class TextSprite:
    """One piece of text, aligned (``ha``, ``va``) on a point, as straight-alpha RGBA."""

    def __init__(self, text: str, *, color: str, fontsize: float, dpi: float,
                 path_effects: list[AbstractPathEffect] | None = None, ha: str = "center",
                 va: str = "center", **font: object) -> None:
        lines = text.split("\n")
        em = fontsize * dpi / 72.0  # pixels
        # room for the text on either side of the anchor, whatever its alignment
        width = int(2 * em * max(len(line) for line in lines)) + 32
        height = int(3 * em * len(lines)) + 32
        # even sides: the anchor falls on a pixel corner, as a whole-pixel stamp's does
        width, height = width + width % 2, height + height % 2
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        fig.patch.set_alpha(0.0)
        canvas = FigureCanvasAgg(fig)
        fig.text(0.5, 0.5, text, color=color, fontsize=fontsize, ha=ha, va=va,
                 path_effects=path_effects or [], **font)  # type: ignore[arg-type]
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())  # (height, width, 4), straight alpha
        rows, cols = np.nonzero(rgba[..., 3])
        top, left = (rows.min(), cols.min()) if len(rows) else (0, 0)
        bottom, right = (rows.max() + 1, cols.max() + 1) if len(rows) else (0, 0)
        self.rgb = rgba[top:bottom, left:right, :3].astype(np.float32)  # (h, w, 3)
        self.alpha = rgba[top:bottom, left:right, 3:].astype(np.float32) / 255.0  # (h, w, 1)
        # the anchor (the canvas centre) relative to the crop's top-left corner, in pixels
        self.anchor = (width / 2.0 - left, height / 2.0 - top)  # (x right, y down)

    def stamp(self, buf: np.ndarray, x: float, y: float, opacity: float = 1.0) -> None:
        """Composite over ``buf`` ((H, W, 4) uint8) anchored on display pixel (x, y) (y up),
        clipped to the buffer; ``opacity`` scales the text's alpha (a fading label)."""
        h, w = self.alpha.shape[:2]
        left = math.floor(x - self.anchor[0] + 0.5)  # to the nearest pixel, halves up
        top = math.floor(buf.shape[0] - y - self.anchor[1] + 0.5)
        r0, c0 = max(top, 0), max(left, 0)
        r1, c1 = min(top + h, buf.shape[0]), min(left + w, buf.shape[1])
        if r0 >= r1 or c0 >= c1:
            return
        src = (slice(r0 - top, r1 - top), slice(c0 - left, c1 - left))
        a = self.alpha[src] if opacity == 1.0 else self.alpha[src] * np.float32(opacity)
        under = buf[r0:r1, c0:c1, :3]
        mixed = self.rgb[src] * a + under * (1.0 - a)
        under[...] = np.rint(mixed).astype(np.uint8)
