"""Slices through the data's input space: a plane (or a line) whose pictures are true to it.

A slice maps slice coordinates ``u`` (n, k), k = 2 for a plane and 1 for a line, to inputs
``x = origin + u @ axes`` with ``axes`` (k, D) orthonormal rows: one unit on the slice is
one unit of the input, so distances and angles in a picture of the slice are distances
and angles between inputs.

- ``I,J,K``: origin row I; the first axis toward row J, unit length; the second toward row
  K made orthogonal to the first (Gram-Schmidt). The anchors sit at (0, 0),
  (|x_J - x_I|, 0) and (p, q) with q > 0.
- ``I,J``: the line from row I toward row J.
- ``pca``: the data's mean along its two leading principal directions.
- ``I``: row I along the data's two leading principal directions.

Torch-free: arrays in, a ``SliceFrame`` out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .nearest import NearestRows, nearest_rows

FIELD = "input.slice"
MARGIN = 0.25  # of the anchors' box, on each side
SPREAD = 3.0  # standard deviations on each side of a principal slice's origin
DEGENERATE = 1e-9  # a direction shorter than this share of its row's offset spans nothing
BLOCK_ROWS = 8192  # rows centred at a time by a principal slice: (8192, D) float64 at most


@dataclass(frozen=True)
class SliceFrame:
    """Where slice coordinates sit in the input space: ``inputs(u) = origin + u @ axes``."""

    origin: np.ndarray  # (D,) float64
    axes: np.ndarray  # (k, D) float64, orthonormal rows
    rows: tuple[int, ...]  # the anchor rows of the data; () for pca
    anchors: np.ndarray  # (m, k) the anchors' slice coordinates
    box: tuple[float, ...]  # (x0, x1, y0, y1), or (x0, x1) for a line: where points go
    text: str  # the slice as given: "3,7,9", "3,7", "pca", "3"
    anchor_labels: tuple[int, ...] = ()  # the anchor rows' labels, where the data have them
    # for hover: the data rows' feet and offsets (None beyond nearest.MAX_ROWS rows), the
    # data's value range, and the (C, H, W) or (H, W) a row is drawn as, where it is an image
    nearest: NearestRows | None = field(default=None, compare=False, repr=False)
    value_range: tuple[float, float] = (0.0, 1.0)
    image_shape: tuple[int, ...] | None = None
    # --show-data: the data's rows (N, D), drawn at their projections and true images
    data: np.ndarray | None = None
    data_labels: np.ndarray | None = None  # (N,) their labels, where the data have them

    def __post_init__(self) -> None:
        for arr in (self.origin, self.axes, self.anchors, self.data, self.data_labels):
            if arr is not None:
                arr.setflags(write=False)

    @property
    def k(self) -> int:
        """The slice's dimension: 2 for a plane, 1 for a line."""
        return int(self.axes.shape[0])

    @property
    def input_dim(self) -> int:
        """D, the width of the data (and of the network's input)."""
        return int(self.axes.shape[1])

    def inputs(self, u: np.ndarray) -> np.ndarray:
        """(n, k) slice coordinates -> (n, D) inputs."""
        return self.origin + u @ self.axes

    def linear_on_slice(self, weight: np.ndarray, bias: np.ndarray | None
                        ) -> tuple[np.ndarray, np.ndarray]:
        """A linear map ``W x + b`` (W (d_out, D)) fed by this slice's inputs
        ``x = origin + u @ axes``, as a map of u: ``(W axesᵀ (d_out, k), W origin + b)``."""
        return weight @ self.axes.T, weight @ self.origin + (0.0 if bias is None else bias)

    def project(self, x: np.ndarray) -> np.ndarray:
        """(N, D) inputs -> (N, k) the slice coordinates of their orthogonal projections."""
        return (x - self.origin) @ self.axes.T

    def distance(self, x: np.ndarray) -> np.ndarray:
        """(N, D) inputs -> (N,) each one's distance from the slice (to its projection)."""
        return np.linalg.norm(x - self.inputs(self.project(x)), axis=1)

    @property
    def anchor_names(self) -> tuple[str, ...]:
        """How each anchor is titled: "row 3 (6)", its row and, in brackets, its label."""
        labels = self.anchor_labels or (None,) * len(self.rows)
        return tuple(f"row {r}" + ("" if lab is None else f" ({lab})")
                     for r, lab in zip(self.rows, labels, strict=True))

    @property
    def title(self) -> str:
        """What the input stage shows: "plane through rows 3, 7, 9"."""
        if self.text == "pca":
            return "plane of the data's mean and 2 leading principal directions"
        if len(self.rows) == 1:
            return f"plane through row {self.rows[0]} along 2 principal directions"
        shape = "plane" if self.k == 2 else "line"
        return f"{shape} through rows {', '.join(map(str, self.rows))}"


def slice_rows(text: str) -> tuple[int, ...]:
    """The anchor rows of a slice's text; () for "pca"."""
    return () if text == "pca" else tuple(int(r) for r in text.split(","))


def slice_dim(text: str) -> int:
    """2 for a plane, 1 for a line ("I,J")."""
    return 1 if len(slice_rows(text)) == 2 else 2


def make_frame(x: np.ndarray, text: str, bounds: list[float] | None = None,
               labels: np.ndarray | None = None) -> SliceFrame:
    """The slice ``text`` through the data ``x`` (N, D), its box from ``bounds`` (in slice
    coordinates) or the anchors', ``labels`` (N,) naming the anchors. Refuses
    (``InputError``, field ``input.slice``) rows out of range, rows that span no plane (or
    line), and data of no more dimensions than the slice."""
    rows, k = slice_rows(text), slice_dim(text)
    _check_data(x, rows, k)
    if len(rows) >= 2:
        origin, axes = x[rows[0]], _gram_schmidt(x, rows)
        anchors = (x[list(rows)] - origin) @ axes.T  # (m, k)
        box = _anchor_box(anchors)
    else:
        axes, spread = _principal(x)
        origin = x.mean(axis=0) if text == "pca" else x[rows[0]]
        anchors = np.zeros((len(rows), 2))
        box = (-SPREAD * spread[0], SPREAD * spread[0], -SPREAD * spread[1],
               SPREAD * spread[1])
    if bounds is not None:
        if len(bounds) != 2 * k:
            raise InputError(f"a {'plane' if k == 2 else 'line'} needs {2 * k} bounds "
                             f"({'x0,x1,y0,y1' if k == 2 else 'x0,x1'}), got {len(bounds)}",
                             field="input.bounds")
        box = tuple(float(b) for b in bounds)
    named = () if labels is None else tuple(int(labels[r]) for r in rows)
    origin = np.array(origin, dtype=np.float64)
    return SliceFrame(origin, axes, rows, np.ascontiguousarray(anchors, dtype=np.float64), box,
                      text, named, nearest_rows(origin, axes, x, labels),
                      (float(x.min()), float(x.max())))


def _check_data(x: np.ndarray, rows: tuple[int, ...], k: int) -> None:
    n, d = x.shape
    if d <= k:
        what = "a plane through 2-D points" if k == 2 else "a line through 1-D points"
        raise InputError(f"{what} is the input itself; a slice needs data of more than {k} "
                         f"dimensions (--data FILE, --input digits), these have {d}",
                         field=FIELD)
    for r in rows:
        if r >= n:
            raise InputError(f"row {r} is out of range: the data have {n:,} rows (0 to "
                             f"{n - 1:,})", field=FIELD)


def _gram_schmidt(x: np.ndarray, rows: tuple[int, ...]) -> np.ndarray:
    """(k, D): the unit direction from row I toward J, then toward K made orthogonal to it."""
    origin = x[rows[0]]
    axes: list[np.ndarray] = []
    for r in rows[1:]:
        offset = x[r] - origin  # (D,)
        direction = offset - sum((offset @ a) * a for a in axes)
        length = float(np.linalg.norm(direction))
        if length <= DEGENERATE * max(float(np.linalg.norm(offset)), 1e-300):
            raise InputError(_degenerate(x, rows, r), field=FIELD)
        axes.append(direction / length)
    return np.stack(axes)


def _degenerate(x: np.ndarray, rows: tuple[int, ...], r: int) -> str:
    if (x[r] == x[rows[0]]).all():
        return (f"rows {rows[0]} and {r} are the same point, so they span no "
                f"{'line' if len(rows) == 2 else 'plane'}; choose rows that differ")
    return (f"rows {', '.join(map(str, rows))} lie on one line, so they span no plane; "
            "choose a third row off that line")


def _principal(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The data's two leading principal directions (2, D), each with its largest entry
    positive, and the standard deviation along each (2,).

    From the eigenvectors of the smaller of the (D, D) scatter matrix and the (N, N) Gram
    matrix of the centred data, built block by block: an SVD would make the (N, min(N, D))
    factor U and a centred copy (5 times the data's memory, 20-50 s for 1e5 rows of 784).
    The spreads are measured along the directions found, from the data themselves: a
    squared matrix's small eigenvalues are lost to rounding (1e-16 of the largest, the
    square root of which would pass for a direction), its eigenvectors not."""
    mean = x.mean(axis=0)  # (D,)
    axes = _scatter_axes(x, mean) if len(x) >= x.shape[1] else _gram_axes(x - mean)
    axes = np.linalg.qr(axes.T)[0].T  # (2, D) orthonormal rows, the leading one kept
    squares = np.zeros(2)
    for start in range(0, len(x), BLOCK_ROWS):
        squares += (((x[start:start + BLOCK_ROWS] - mean) @ axes.T) ** 2).sum(axis=0)
    spread = np.sqrt(squares / max(len(x) - 1, 1))
    if not spread[1] > DEGENERATE * max(spread[0], 1e-300):
        raise InputError("the data vary along fewer than 2 directions, so they have no "
                         "principal plane; give --slice I,J,K through rows", field=FIELD)
    signs = np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])
    return axes * signs[:, None], spread


def _scatter_axes(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """(2, D): the leading eigenvectors of the (D, D) scatter matrix of ``x`` (N, D) about
    ``mean``, N >= D, summed over blocks of rows (no centred copy of the data is held)."""
    scatter = np.zeros((x.shape[1], x.shape[1]))
    for start in range(0, len(x), BLOCK_ROWS):
        block = x[start:start + BLOCK_ROWS] - mean  # (b, D)
        scatter += block.T @ block
    vectors = np.linalg.eigh(scatter)[1]  # ascending
    return vectors[:, ::-1][:, :2].T


def _gram_axes(centred: np.ndarray) -> np.ndarray:
    """(2, D): the leading right singular directions of the centred data (N, D), N < D,
    from the eigenvectors u of the (N, N) Gram matrix: v = centred^T u, unnormalised."""
    vectors = np.linalg.eigh(centred @ centred.T)[1]  # ascending
    return (centred.T @ vectors[:, ::-1][:, :2]).T


def _anchor_box(anchors: np.ndarray) -> tuple[float, ...]:
    """The anchors' bounding box with ``MARGIN`` of its size on each side: (x0, x1[, y0, y1])."""
    lo, hi = anchors.min(axis=0), anchors.max(axis=0)  # (k,)
    pad = MARGIN * (hi - lo)
    return tuple(float(v) for pair in zip(lo - pad, hi + pad, strict=True) for v in pair)
