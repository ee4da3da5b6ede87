"""A slice's marked rows in matplotlib films: the anchors ringed and titled, the data rows
(--show-data) as faded dots, carried with the points.

The rows ride along as extra rows of the film (``view.marks.with_marks``), after the
points and any region vertices, so they move exactly as the points do; per frame they are
drawn above the points in display pixels, like the lattice lines. Where rows are images
(``SliceFrame.image_shape``), each anchor's image is stamped beside its ring while the film
rests on the input stage (``AnchorInsets``), as the stills draw it (``still_marks``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke
from matplotlib.transforms import IdentityTransform

from ..inputs.slice import SliceFrame
from ..view.colors import hex_rgb
from ..view.marks import Marks, data_rgba
from .still_marks import anchor_image
from .theme import Theme

RING = 110.0  # points^2
DOT = 16.0
INSET_SHARE = 0.09  # an anchor's image, across: this share of the frame's shorter side
# (the stills' 30 pt inset is about that share of their panel); whole pixels per value
GAP = 10.0  # pixels from the anchor to its image's nearest corner (clear of the ring)
TITLE_RISE = 26.0  # pixels: an image above and right of its anchor clears the title


class FilmMarks:
    """The marks of a film: colours and the artists that draw them from pixel positions."""

    def __init__(self, marks: Marks, theme: Theme, font: float,
                 frame: SliceFrame | None = None, side: float = 0.0) -> None:
        """``frame``: the slice, whose anchors' images are drawn where rows are images;
        ``side``: the frame's shorter side in pixels (the images' size)."""
        self.marks = marks
        self.insets = panel_insets(frame, side, theme.foreground) if marks.anchors else None
        fg = hex_rgb(theme.foreground)
        n_data = marks.rows - marks.anchors
        rgba = data_rgba(marks)
        if rgba is None:
            rgba = np.column_stack([np.tile(fg, (n_data, 1)), marks.alpha])
        edge = np.column_stack([np.tile(fg, (n_data, 1)), marks.alpha])
        self.data = _scatter(DOT, rgba, edge, 0.5)
        self.rings = _scatter(RING, np.zeros((1, 4)), np.array([(*fg, 1.0)]), 1.6)
        outline = withStroke(linewidth=2.5, foreground=theme.background)
        self.labels: list = []  # the anchors' titles, made in add_to
        self._font, self._outline, self._fg = font, outline, theme.foreground

    def add_to(self, fig: Figure) -> None:
        for artist in (self.data, self.rings):
            fig.add_artist(artist)
        self.labels = [fig.text(0, 0, name, color=self._fg, fontsize=self._font * 0.9,
                                fontweight="bold", transform=IdentityTransform(),
                                animated=True, path_effects=[self._outline])
                       for name in self.marks.names]

    def draw(self, fig: Figure, pixels: np.ndarray, images: tuple[np.ndarray, tuple[
            float, float, float, float]] | None = None) -> None:
        """(m, 2) the marked rows' display pixels: the anchors, then the data rows.
        ``images``: the frame's (H, W, 4) buffer and the axes' (x0, y0, x1, y1) display
        box, to stamp the anchors' images in (the input stage at rest); None: none."""
        a = self.marks.anchors
        if self.marks.rows > a:
            self.data.set_offsets(pixels[a:])
            fig.draw_artist(self.data)
        if a:
            self.rings.set_offsets(pixels[:a])
            fig.draw_artist(self.rings)
        for label, xy in zip(self.labels, pixels[:a], strict=True):
            label.set_position((float(xy[0]) + 7.0, float(xy[1]) + 7.0))
            fig.draw_artist(label)
        if self.insets is not None:
            self.insets.drawn = []
            if images is not None:
                self.insets.stamp(images[0], pixels[:a], images[1])


def panel_insets(frame: SliceFrame | None, side: float, edge: str) -> AnchorInsets | None:
    """The anchors' images of a slice whose rows are images, for a panel whose shorter
    side is ``side`` pixels (``INSET_SHARE`` of it across); None for any other input."""
    if frame is None or frame.image_shape is None or not len(frame.anchors):
        return None
    return AnchorInsets(frame, INSET_SHARE * side, edge)


def anchor_rgb(frame: SliceFrame, i: int) -> np.ndarray:
    """(H, W, 3) uint8: anchor ``i``'s image as the stills draw it (``anchor_image``): grey
    from the data's lowest value (black) to its highest (white), 3 channels as RGB."""
    image = anchor_image(frame, i)  # (H, W) values, or (H, W, 3) in [0, 1]
    if image.ndim == 2:
        lo, hi = frame.value_range
        image = np.repeat(np.clip((image - lo) / max(hi - lo, 1e-300), 0.0, 1.0)[..., None],
                          3, axis=2)
    return np.rint(image * 255).astype(np.uint8)


class AnchorInsets:
    """The anchors' images as sprites, each value a block of whole pixels in a 1-pixel
    frame of the theme's foreground, stamped beside their rings: below and left of the
    anchor, on the other side near the axes' left or bottom edge (above and right: over
    the title), so that they stay off the ring and the title."""

    def __init__(self, frame: SliceFrame, side: float, edge: str) -> None:
        self.sprites: list[np.ndarray] = []  # (h, w, 3) uint8 each
        self.block = 1  # pixels per value
        for i in range(len(frame.anchors)):
            rgb = anchor_rgb(frame, i)  # (H, W, 3)
            self.block = max(1, round(side / max(rgb.shape[:2])))
            big = rgb.repeat(self.block, axis=0).repeat(self.block, axis=1)
            framed = np.empty((big.shape[0] + 2, big.shape[1] + 2, 3), np.uint8)
            framed[...] = np.rint(np.array(hex_rgb(edge)) * 255).astype(np.uint8)
            framed[1:-1, 1:-1] = big
            self.sprites.append(framed)
        self.drawn: list[tuple[int, int]] = []  # the (row, column) of each sprite's top-left
        # corner in the last frame they were stamped in; [] in the others

    def stamp(self, buf: np.ndarray, pixels: np.ndarray,
              area: tuple[float, float, float, float]) -> None:
        """Into ``buf`` (H, W, 3 or 4) uint8, beside the anchors at ``pixels`` (m, 2)
        (display pixels, y up), inside the axes' display box ``area`` (x0, y0, x1, y1);
        ``drawn`` says where (this frame's only)."""
        x0, y0, x1, y1 = area
        self.drawn = []
        for sprite, (x, y) in zip(self.sprites, pixels, strict=True):
            h, w = sprite.shape[:2]
            right = (x - x0) / max(x1 - x0, 1.0) < 0.3  # near the left edge: to the right
            up = (y - y0) / max(y1 - y0, 1.0) < 0.3  # near the bottom: above
            row = buf.shape[0] - y  # the anchor's row, counted down
            top = row - (TITLE_RISE if right else GAP) - h if up else row + GAP
            left = x + GAP if right else x - GAP - w
            top = int(min(max(round(top), 0), buf.shape[0] - h))
            left = int(min(max(round(left), 0), buf.shape[1] - w))
            buf[top:top + h, left:left + w, :3] = sprite
            self.drawn.append((top, left))


def _scatter(size: float, face: np.ndarray, edge: np.ndarray, width: float) -> PathCollection:
    """An empty circle collection in display pixels, drawn per frame."""
    from matplotlib.markers import MarkerStyle

    marker = MarkerStyle("o")
    path = marker.get_path().transformed(marker.get_transform())
    return PathCollection([path], sizes=[size], facecolors=face, edgecolors=edge,
                          linewidths=width, offsets=np.zeros((0, 2)),
                          transform=IdentityTransform(),  # sizes in points, as scatter's
                          offset_transform=IdentityTransform(), animated=True, zorder=6)
