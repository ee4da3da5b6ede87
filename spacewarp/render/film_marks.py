"""A slice's marked rows in matplotlib films: the anchors ringed and titled, the data rows
(--show-data) as faded dots, carried with the points.

The rows ride along as extra rows of the film (``view.marks.with_marks``), after the
points and any region vertices, so they move exactly as the points do; per frame they are
drawn above the points in display pixels, like the lattice lines.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke
from matplotlib.transforms import IdentityTransform

from ..view.colors import hex_rgb
from ..view.marks import Marks, data_rgba
from .theme import Theme

RING = 110.0  # points^2
DOT = 16.0


class FilmMarks:
    """The marks of a film: colours and the artists that draw them from pixel positions."""

    def __init__(self, marks: Marks, theme: Theme, font: float) -> None:
        self.marks = marks
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

    def draw(self, fig: Figure, pixels: np.ndarray) -> None:
        """(m, 2) the marked rows' display pixels: the data rows, then the anchors."""
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


def _scatter(size: float, face: np.ndarray, edge: np.ndarray, width: float) -> PathCollection:
    """An empty circle collection in display pixels, drawn per frame."""
    from matplotlib.markers import MarkerStyle

    marker = MarkerStyle("o")
    path = marker.get_path().transformed(marker.get_transform())
    return PathCollection([path], sizes=[size], facecolors=face, edgecolors=edge,
                          linewidths=width, offsets=np.zeros((0, 2)),
                          transform=IdentityTransform(),  # sizes in points, as scatter's
                          offset_transform=IdentityTransform(), animated=True, zorder=6)
