"""Independent references for the anchor images of a plane through three digits: NumPy's QR
axes and coordinates, each row's grey levels, and the check of a page's drawn insets
(pixels, and beside their anchor's ring but not over it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from spacewarp.inputs.points import make_points

DIGITS = make_points("digits")  # (1797, 64), rows are 8x8 images
ROWS = [0, 6, 8]  # a 0, a 6 and an 8
FRONT_PIXELS = """([x, y, w, h]) => Array.from(document.querySelector('.sw-front')
  .getContext('2d').getImageData(x, y, w, h).data)"""
HOOK = "document.querySelector('.sw-root').__spacewarp"


def qr_axes(x: np.ndarray, rows: list[int]) -> np.ndarray:
    """(2, D): NumPy's QR of the offsets from the first row, signed so R's diagonal is > 0."""
    q, r = np.linalg.qr((x[rows[1:]] - x[rows[0]]).T)
    return (q * np.sign(np.diag(r))).T


def qr_coordinates(x: np.ndarray, rows: list[int]) -> np.ndarray:
    """(3, 2) the rows' slice coordinates: offsets from row I on NumPy's QR axes."""
    return (x[rows] - x[rows[0]]) @ qr_axes(x, rows).T


def grey_levels(row: np.ndarray) -> np.ndarray:
    """(8, 8) a digit as 0..255 grey over the digits' range: lowest black, highest white."""
    lo, hi = DIGITS.x.min(), DIGITS.x.max()
    return np.rint(255 * (row.reshape(8, 8) - lo) / (hi - lo))


def check_page_insets(page: Any, u: np.ndarray, every: int, near: float) -> None:
    """The page (resting on the slice) draws one inset per anchor row: whole blocks of
    device pixels, each the grey of that pixel of the row, within ``near`` CSS px of the
    anchor's place but not over it. The place: an affine map fitted from the slice
    coordinates ``u`` (n, 2) of every ``every``-th point to where the page drew them."""
    insets = page.evaluate(f"{HOOK}.insets()")
    assert len(insets) == 3
    picks = np.arange(0, len(u), every)
    screen = np.array([page.evaluate("i => window.spacewarp.screenOf(i)", int(i))
                       for i in picks])  # (p, 2) CSS px of the page
    fit, *_ = np.linalg.lstsq(np.column_stack([u[picks], np.ones(len(picks))]), screen,
                              rcond=None)
    box = page.evaluate("(() => { const r = document.querySelector('.sw-front')"
                        ".getBoundingClientRect(); return [r.left, r.top] })()")
    anchors = np.column_stack([qr_coordinates(DIGITS.x, ROWS), np.ones(3)]) @ fit - box
    for (x, y, s), row, anchor in zip(insets, ROWS, anchors, strict=True):
        assert s >= 4
        rgba = np.array(page.evaluate(FRONT_PIXELS, [x, y, 8 * s, 8 * s]))
        rgba = rgba.reshape(8 * s, 8 * s, 4)
        expected = np.kron(grey_levels(DIGITS.x[row]), np.ones((s, s)))
        for channel in range(3):
            np.testing.assert_array_equal(rgba[..., channel], expected)
        assert (rgba[..., 3] == 255).all()
        corners = np.array([[cx, cy] for cx in (x, x + 8 * s) for cy in (y, y + 8 * s)])
        assert np.linalg.norm(corners - anchor, axis=1).min() < near  # beside its ring
        assert not (x <= anchor[0] <= x + 8 * s and y <= anchor[1] <= y + 8 * s)  # not over


def film_inset_gaps(frame: np.ndarray, drawn: list[tuple[int, int]], block: int,
                    anchors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each inset a film frame (H, W, 3) shows at ``drawn`` ((top, left) of its 1-px border,
    ``block`` px a data pixel) holds its anchor row's grey levels, checked here; returned:
    how far (px) its nearest corner lies from its anchor (``anchors`` (3, 2) x, y up), and
    whether the anchor falls inside it."""
    gaps, inside = [], []
    for (top, left), row, (x, y) in zip(drawn, ROWS, anchors, strict=True):
        side = 8 * block
        shown = frame[top + 1:top + 1 + side, left + 1:left + 1 + side]  # (side, side, 3)
        expected = np.kron(grey_levels(DIGITS.x[row]), np.ones((block, block)))
        for channel in range(3):
            np.testing.assert_array_equal(shown[..., channel], expected)
        anchor = np.array([x, frame.shape[0] - y])  # (column, row)
        corners = np.array([[c, t] for c in (left, left + side + 2) for t in (top, top + side + 2)])
        gaps.append(np.linalg.norm(corners - anchor, axis=1).min())
        inside.append(left <= anchor[0] <= left + side + 2 and top <= anchor[1] <= top + side + 2)
    return np.array(gaps), np.array(inside)
