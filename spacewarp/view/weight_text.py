"""Weight matrices as text, the one home of every way they are written: a still's panel
header, ``weights.txt``, an SVD sub-step's title and the page's stage headings.

A linear layer fed by a slice's coordinates u shows the map it applies to them, not its
own W: ``W x + b`` with ``x = origin + u @ axes`` is ``(W·axesᵀ) u + (W·origin + b)``
(``Trace.slice_fed``). Its matrices are named so (``SLICE_NAMES``), under a line that
gives both shapes (``slice_caption``: the layer's own W is too wide to print).

The first three are numpy's ``array2string`` with ``", "`` between numbers and rows aligned
under their ``W = `` prefix; the page's are ``matrix_lines``: one line per row, cut with an
ellipsis beyond a few rows and columns.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

FloatMode = Literal["fixed", "unique", "maxprec", "maxprec_equal"]  # numpy's

SLICE_NAMES = ("W\u00b7axes\u1d40", "W\u00b7origin + b")  # the matrices of a slice-fed layer
PANEL_ITEMS = 36  # a still's header summarises (``...``) matrices of more numbers
TALL_ROWS = 8  # a still's header shows the first and last 3 rows of taller matrices
FILE_ITEMS = 10**6  # weights.txt writes every number of anything smaller


def matrix_text(a: np.ndarray, prefix: str = "", *, precision: int = 4,
                items: int = PANEL_ITEMS, width: int = 120, suppress_small: bool = True,
                floatmode: FloatMode = "maxprec_equal") -> str:
    """``a`` as numpy prints it, continuation rows indented by ``len(prefix)``; summarised
    with ``...`` beyond ``items`` numbers (3 at each edge). The defaults: a still's header."""
    return np.array2string(a, precision=precision, separator=", ", floatmode=floatmode,
                           suppress_small=suppress_small, threshold=items, edgeitems=3,
                           max_line_width=width, prefix=prefix)


def fitted_matrix(a: np.ndarray, prefix: str, chars: int) -> str:
    """A still's header (``matrix_text``) in lines of at most ``chars`` characters with
    the prefix: rows too wide show 3 numbers at each end (``...``), wrapped if still wider;
    more than ``TALL_ROWS`` rows (or numbers of a bias) show the first and last 3."""
    items = 0 if a.shape[0] > TALL_ROWS else PANEL_ITEMS  # a tall header covers neighbours
    full = matrix_text(a, prefix, items=items, width=10_000)
    if max(len(line) for line in full.splitlines()) + len(prefix) <= chars:
        return full
    return matrix_text(a, prefix, items=0, width=chars - len(prefix))


def file_matrix(a: np.ndarray, prefix: str = "", suppress_small: bool = True) -> str:
    """``a`` in full for ``weights.txt`` (4 significant decimals, 200 columns a line)."""
    return matrix_text(a, prefix, items=FILE_ITEMS, width=200, suppress_small=suppress_small)


def title_matrix(a: np.ndarray) -> str:
    """``a`` on one line, 2 decimals: an SVD sub-step's title (``V^T = [[...], [...]]``)."""
    return matrix_text(a, precision=2, items=1000, width=200,
                       floatmode="maxprec").replace("\n", "")


def entry_text(v: float) -> str:
    """A matrix entry on the page: 2 decimals, or 2 significant digits beyond 1e4."""
    return f"{v:.2f}" if abs(v) < 1e4 else f"{v:.1e}"


def matrix_lines(name: str, a: np.ndarray, max_rows: int = 5, max_cols: int = 6) -> list[str]:
    """``W = [ 3.00  0.00 ]`` ... one line per row, cut with an ellipsis beyond the caps."""
    a = np.atleast_2d(a)
    cells = [[entry_text(v).rjust(6) for v in row[:max_cols]] for row in a[:max_rows]]
    more_cols = " \u2026" if a.shape[1] > max_cols else ""
    lead = f"{name} ="
    pad = " " * len(lead)
    out = [f"{lead if i == 0 else pad} [{''.join(r)}{more_cols} ]" for i, r in enumerate(cells)]
    if a.shape[0] > max_rows:
        out.append(f"{pad}  \u2026 {a.shape[0] - max_rows} more rows")
    return out


def slice_caption(weight: np.ndarray, width: int) -> list[str]:
    """The lines over a slice-fed layer's map, from the composed (d_out, k) map and the
    input's width D: ``W·axesᵀ: its map on the slice, 16x2`` and ``(the layer's own W is
    16x64)``, short enough for the page's stage panels."""
    rows, cols = weight.shape
    return [f"{SLICE_NAMES[0]}: its map on the slice, {rows}x{cols}",
            f"(the layer's own W is {rows}x{width})"]


def heading_lines(weight: np.ndarray | None, bias: np.ndarray | None,
                  slice_width: int | None = None) -> list[str]:
    """A stage's heading lines on the page: ``W = [...]`` rows, then ``b = [...]``; for a
    layer fed by a slice of ``slice_width``-D inputs its map from the slice, named and
    captioned as such (``slice_caption``)."""
    if weight is None:
        return matrix_lines("b", bias[None, :]) if bias is not None else []
    w, b = SLICE_NAMES if slice_width is not None else ("W", "b")
    lines = slice_caption(weight, slice_width) if slice_width is not None else []
    lines += matrix_lines(w, weight)
    # W·origin + b's longer name: 4 numbers a line keep it as wide as W's 6
    cols = 6 if slice_width is None else 4
    return lines + (matrix_lines(b, bias[None, :], max_cols=cols) if bias is not None else [])
