"""``stages.png`` laid out from pictures already drawn: every stage's own picture side by
side, in rows, and the shared colour key under them. Pixels only (NumPy): each picture
is drawn once, by matplotlib, for its own file (``static.stage_figure``), and the sheet
reuses it as it is, so the sheet and the stage files cannot disagree. The sheet is made
a row at a time, so that each row can be encoded while the next is drawn.
"""

from __future__ import annotations

import numpy as np


def sheet_row(tiles: list[np.ndarray], cols: int, background: np.ndarray) -> np.ndarray:
    """Up to ``cols`` tiles (h_k, w, 4) uint8 of one width, side by side from the left,
    -> one row of the sheet (max h_k, cols * w, 3) uint8, opaque.

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
    row = np.empty((height, cols * w, 3), np.uint8)
    for c, tile in enumerate(tiles):
        top = height - tile.shape[0]
        row[:top, c * w:(c + 1) * w] = background
        row[top:, c * w:(c + 1) * w] = flattened(tile, background)
    row[:, len(tiles) * w:] = background
    return row


def flattened(rgba: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(h, w, 4) uint8, straight alpha -> (h, w, 3) uint8: laid over ``background``
    (3,) uint8 (Agg's figures on an opaque background are opaque already)."""
    rgb = rgba[..., :3]
    alpha = rgba[..., 3:]
    if bool((alpha == 255).all()):
        return rgb
    a = alpha / 255.0
    return np.rint(rgb * a + background * (1.0 - a)).astype(np.uint8)


def below_blank(rgba: np.ndarray, background: np.ndarray, margin: int) -> np.ndarray:
    """(h, w, 4) -> its rows from ``margin`` rows above the first that is not all
    ``background`` (4,) uint8 (all of it when that is nearer the top than ``margin``);
    a blank picture keeps ``margin`` rows."""
    drawn = np.flatnonzero((rgba != background).any(axis=(1, 2)))  # rows with a mark
    first = int(drawn[0]) if drawn.size else rgba.shape[0]
    return rgba[max(0, first - margin):]
