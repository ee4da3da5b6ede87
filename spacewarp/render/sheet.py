"""``stages.png`` laid out from pictures already drawn: every stage's own picture side by
side, in rows, and the shared colour key under them. Pixels only (NumPy): each picture
is drawn once, by matplotlib, for its own file (``static.stage_figure``), and the sheet
reuses it as it is, so the sheet and the stage files cannot disagree. The sheet is made
a row at a time, so that each row can be encoded while the next is drawn.
"""

from __future__ import annotations

import numpy as np

from .rgb import colour_bytes, opaque, pixel_words


def sheet_row(tiles: list[np.ndarray], cols: int, background: np.ndarray,
              rows: slice | None = None) -> np.ndarray:
    """Up to ``cols`` tiles (h_k, w, 4) uint8 of one width, side by side from the left,
    -> one row of the sheet (max h_k, cols * w, 3) uint8, opaque; with ``rows``, only
    those rows of it (a strip, to be encoded beside the others).

    The tiles sit on the row's bottom edge: every stage figure has its panel at the same
    height above its bottom (``stage_figure``), so the panels of a row line up even
    where one title has more lines of weights. ``background`` (3,) uint8 fills what no
    tile covers and shows through translucent pixels.
    """
    widths = {tile.shape[1] for tile in tiles}
    if len(widths) != 1 or not 0 < len(tiles) <= cols:
        raise ValueError(f"{len(tiles)} tiles of widths {sorted(widths)} are no row of {cols}")
    w = tiles[0].shape[1]
    height = max(tile.shape[0] for tile in tiles)
    first, stop, _ = (rows or slice(None)).indices(height)
    stop = max(first, stop)
    out = np.empty((stop - first, cols * w, 3), np.uint8)  # sheet rows first .. stop - 1
    for c, tile in enumerate(tiles):
        top = height - tile.shape[0]  # the sheet row of the tile's first row
        above = min(max(top - first, 0), stop - first)  # rows of out above the tile
        out[:above, c * w:(c + 1) * w] = background
        out[above:, c * w:(c + 1) * w] = flattened(tile[first + above - top:stop - top],
                                                   background)
    out[:, len(tiles) * w:] = background
    return out


def strips(height: int, count: int) -> list[slice]:
    """``range(height)`` cut into ``count`` slices of (nearly) equal length, top to
    bottom, none empty (fewer when ``height < count``)."""
    ends = np.linspace(0, height, min(count, height) + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:], strict=True)]


def flattened(rgba: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(h, w, 4) uint8, straight alpha -> (h, w, 3) uint8: laid over ``background``
    (3,) uint8 (Agg's figures on an opaque background are opaque already)."""
    if opaque(rgba):
        return colour_bytes(rgba)
    a = rgba[..., 3:] / 255.0
    return np.rint(rgba[..., :3] * a + background * (1.0 - a)).astype(np.uint8)


def below_blank(rgba: np.ndarray, background: np.ndarray, margin: int) -> np.ndarray:
    """(h, w, 4) -> its rows from ``margin`` rows above the first that is not all
    ``background`` (4,) uint8 (all of it when that is nearer the top than ``margin``);
    a blank picture keeps ``margin`` rows. Pixels compared as words (``pixel_words``):
    0.1 ms for a 200 x 2640 key, against 3.8 ms for its bytes."""
    blank = pixel_words(np.asarray(background, np.uint8).reshape(1, 4))[0]  # () word
    drawn = np.flatnonzero((pixel_words(rgba) != blank).any(axis=1))  # rows with a mark
    first = int(drawn[0]) if drawn.size else rgba.shape[0]
    return rgba[max(0, first - margin):]
