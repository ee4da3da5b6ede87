"""A slice's marked rows in still panels: the anchors ringed and titled, the data rows
(--show-data) as faded dots, each at its true image in the stage (``view.marks``), shown
in the panel's display coordinates (the stage's own PCA, fitted on the points, beyond 3-D).
Where a row is an image (``SliceFrame.image_shape``), the input stage shows each anchor's
image beside its ring (``anchor_images``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import Normalize
from matplotlib.markers import MarkerStyle
from matplotlib.offsetbox import AnnotationBbox, OffsetImage
from matplotlib.patheffects import withStroke
from matplotlib.text import Annotation
from matplotlib.transforms import IdentityTransform

from ..inputs.slice import SliceFrame
from ..tracing.trace import Trace
from ..view import projection
from ..view.colors import hex_rgb
from ..view.marks import Marks, data_rgba, marks_of
from .raster import project_with
from .theme import Theme

RING = 90.0  # the anchors' ring, points^2
RING_WIDTH = 1.6  # its line, points
DOT = 14.0  # a data row's dot, points^2
INSET = 30.0  # an anchor's image, points across (an 8x8 digit: blocks of 3.75 pt)
GAP = 7.0  # points between the anchor and its image's nearest corner (clear of the ring)
TITLE_RISE = 22.0  # points: an image above and right of its anchor clears the title
_CIRCLE = MarkerStyle("o").get_path().transformed(MarkerStyle("o").get_transform())


def draw_marks(ax: Axes, trace: Trace, k: int, th: Theme, text_pt: float,
               marks: Marks | None = None) -> None:
    """The marked rows of stage ``k``: data rows beneath, anchors ringed on top."""
    marks = marks or marks_of(trace)
    at = marks_at(trace, k, marks)
    if marks is None or at is None:
        return
    if at.shape[1] == 1:
        at = np.column_stack([at[:, 0], np.zeros(len(at))])  # a line: on y = 0
    if marks.rows > marks.anchors:
        _data(ax, at[marks.anchors:], marks, th, k)
    if marks.anchors:
        _anchors(ax, at[:marks.anchors], marks.names, th, text_pt, k)
        if k == 0 and trace.frame is not None and trace.frame.image_shape is not None:
            anchor_images(ax, trace.frame, at[:marks.anchors], th)


def marks_at(trace: Trace, k: int, marks: Marks | None) -> np.ndarray | None:
    """(m, min(d_k, 3)) the marked rows in stage ``k``'s display coordinates (its own
    projection, fitted on the points); None without marks."""
    if marks is None or k >= len(marks.stages):
        return None
    return projection(trace.stages[k].points)(marks.stages[k])


def marks_caption(trace: Trace) -> str:
    """The line under the colour key that says what the marks are ("" without marks):
    "rings: the anchor rows; dots: 1,797 data rows (... 0 to 42.1)"."""
    marks = marks_of(trace)
    if marks is None:
        return ""
    parts = (["rings: the anchor rows"] if marks.anchors else []) + (
        [f"dots: {marks.title}"] if marks.title else [])
    return "\n" + "; ".join(parts)


def _data(ax: Axes, at: np.ndarray, marks: Marks, th: Theme, k: int) -> None:
    """(N, 2 or 3) the data rows: class colour (or foreground) at their faded opacity, with a
    thin edge in the theme's foreground so they stand out from the points of the slice.
    In 3-D they are drawn over the panel at their projected places, as the page and the
    film draw them: the points' raster image (``raster_3d``) would hide them by pixel,
    whether they lie in front of the surface or behind it."""
    rgba = data_rgba(marks)
    fg = np.tile(hex_rgb(th.foreground), (len(at), 1))  # (N, 3)
    face = np.column_stack([fg, marks.alpha]) if rgba is None else rgba
    edge = np.column_stack([fg, marks.alpha])
    if at.shape[1] == 3:
        shown = project_with(ax.get_proj(), at)[:2].T  # type: ignore[attr-defined]
        # (a figure's artist: 3-D axes take only 3-D collections; the axes' 2-D data
        # coordinates are the projected ones, as for the raster image)
        ax.figure.add_artist(PathCollection(
            [_CIRCLE], sizes=[DOT], offsets=shown, facecolors=face, edgecolors=edge,
            linewidths=0.5, zorder=5, gid=f"data-{k}", offset_transform=ax.transData,
            transform=IdentityTransform()))
        return
    ax.scatter(*at.T, s=DOT, c=face, edgecolors=edge, linewidths=0.5,  # type: ignore[misc,arg-type]
               zorder=5, gid=f"data-{k}")


def _anchors(ax: Axes, at: np.ndarray, names: tuple[str, ...], th: Theme, text_pt: float,
             k: int) -> None:
    """The anchors ringed (one collection, ``anchors-k``) and titled. In 3-D the rings
    and titles are drawn again over the panel at their projected places, above the data
    rows' dots there (``_data``), so that no dot hides an anchor."""
    ax.scatter(*at.T, s=RING, facecolors="none", edgecolors=th.foreground,  # type: ignore[misc]
               linewidths=RING_WIDTH, zorder=6, gid=f"anchors-{k}")  # one collection: the anchors
    halo = [withStroke(linewidth=2.5, foreground=th.background)]  # titles legible over dots
    if at.shape[1] == 3:
        at = project_with(ax.get_proj(), at)[:2].T  # type: ignore[attr-defined]
        ax.figure.add_artist(PathCollection(
            [_CIRCLE], sizes=[RING], offsets=at, facecolors="none",
            edgecolors=th.foreground, linewidths=RING_WIDTH, zorder=6,
            offset_transform=ax.transData, transform=IdentityTransform()))
        for xy, name in zip(at, names, strict=True):  # titles over the panel too
            ax.figure.add_artist(Annotation(
                name, (float(xy[0]), float(xy[1])), xycoords=ax.transData, xytext=(6, 6),
                textcoords="offset points", color=th.foreground, fontsize=text_pt,
                zorder=7, fontweight="bold", path_effects=halo))
        return
    for xy, name in zip(at, names, strict=True):
        ax.annotate(name, (float(xy[0]), float(xy[1])), xytext=(6, 6),
                    textcoords="offset points", color=th.foreground, fontsize=text_pt,
                    zorder=7, fontweight="bold", path_effects=halo)


def anchor_image(frame: SliceFrame, i: int) -> np.ndarray:
    """Anchor ``i``'s input (``origin + u @ axes``, its row) as drawn: (H, W) values for
    grey levels, (H, W, 3) in [0, 1] for 3 channels (over the data's value range), else
    the first channel's (H, W)."""
    row = frame.inputs(frame.anchors[i:i + 1])[0]  # (D,)
    shape = frame.image_shape or (len(row),)
    image = row.reshape(shape)  # (H, W) or (C, H, W)
    if image.ndim == 2:
        return image
    if image.shape[0] != 3:
        return image[0]  # (H, W): the first channel, as hover draws it
    lo, hi = frame.value_range
    return np.clip((np.moveaxis(image, 0, -1) - lo) / max(hi - lo, 1e-300), 0.0, 1.0)


def anchor_images(ax: Axes, frame: SliceFrame, at: np.ndarray, th: Theme) -> None:
    """Each anchor's image (``anchor_image``) as an inset of ``INSET`` points beside its
    ring, ``anchor-image-i``: nearest-neighbour blocks, grey from the data's lowest value
    (black) to its highest (white). It sits below and left of the anchor, on the other side
    of an anchor near the panel's left or bottom edge (above and right: over the title),
    so that it stays inside the panel and off the ring and the title. ``at`` (m, 2)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    norm = Normalize(*frame.value_range, clip=True)
    for i, xy in enumerate(at):
        image = anchor_image(frame, i)
        right = (xy[0] - x0) / (x1 - x0) < 0.3  # near the left edge: the image to the right
        up = (xy[1] - y0) / (y1 - y0) < 0.3 if y1 != y0 else False
        offset = (GAP if right else -GAP,
                  (TITLE_RISE if right else GAP) if up else -GAP)
        box = OffsetImage(image, zoom=INSET / max(image.shape[:2]), cmap="gray",
                          norm=None if image.ndim == 3 else norm, interpolation="nearest",
                          resample=False)
        ax.add_artist(AnnotationBbox(
            box, (float(xy[0]), float(xy[1])), xybox=offset, xycoords="data",
            boxcoords="offset points", box_alignment=(0.0 if right else 1.0,
                                                      0.0 if up else 1.0),
            pad=0.15, frameon=True, bboxprops={"edgecolor": th.foreground, "lw": 0.8},
            zorder=8, gid=f"anchor-image-{i}"))
