"""Display coordinates: the points themselves up to 3-D, else a PCA projection to 3-D.

A stage on its own (a still) is shown through its own PCA (``display_coords``). A morph is
shown through ONE projection for both of its ends (``fit``, on both ends zero-padded to the
wider space), so it never mixes two bases; where consecutive morphs need different
projections, the view turns between them while the film holds on a stage, aligned by
orthogonal Procrustes (``aligned``) so the picture does not spin. ``pad`` embeds
lower-dimensional points by zero padding, so a 2-D plane visibly lifts into 3-D.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

from .plan_cache import Remembered, points_digest

MAX_DISPLAY_DIM = 3
NO_SPREAD = 1e-9  # an axis spread less than this share of the widest's holds rounding only
FIT_ROWS = 50_000  # rows used to fit a PCA: a fixed stride through larger sets


@dataclass(frozen=True)
class Projection:
    """An affine map to display space: ``(pad(x, D) - mean) @ axes.T + offset``.

    For spaces of at most 3-D it is the identity (``axes`` is None). ``variance`` is the
    fraction of the fitted points' variance that the three axes keep.
    """

    mean: np.ndarray | None = None  # (D,)
    axes: np.ndarray | None = None  # (3, D): orthonormal rows, the top principal directions
    offset: np.ndarray | None = None  # (3,): a shift after projecting (from an alignment)
    variance: float = 1.0
    # (D, d) orthonormal columns: how points of a narrower width d enter the D-space (the
    # polar factor of the linear map between them, see ``lift``); None: zero padding
    embed: np.ndarray | None = None

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """(m, d) with d <= D -> (m, 3); the identity for small spaces. Read-only, and
        remembered up to ``REMEMBER_ROWS`` rows (``_remembered``)."""
        if self.axes is None or self.mean is None:
            return points
        if len(points) > REMEMBER_ROWS:
            return self._apply(points)
        return _remembered(self, points)

    def _apply(self, points: np.ndarray) -> np.ndarray:
        """``(lifted(points) - mean) @ axes.T + offset``, as ``points @ A.T - shift`` with
        the (3, d) map A and the (3,) shift composed first: no (n, D) temporary (the lifted
        and the centred points were most of a 100-wide film's projections)."""
        assert self.axes is not None and self.mean is not None
        d = points.shape[1]
        lifts = self.embed is not None and d == self.embed.shape[1] < self.axes.shape[1]
        composed = self.axes @ self.embed if lifts else self.axes[:, :d]  # (3, d)
        shift = self.mean @ self.axes.T  # (3,)
        if self.offset is not None:
            shift = shift - self.offset
        shown = points @ composed.T  # (n, d) -> (n, 3)
        shown -= shift
        return shown

    @property
    def is_identity(self) -> bool:
        return self.axes is None

    @property
    def note(self) -> str:
        """"PCA 3 of 100 dims, 87% of variance"; "" for the identity."""
        if self.axes is None:
            return ""
        return f"PCA 3 of {self.axes.shape[1]} dims, {100 * self.variance:.0f}% of variance"


REMEMBER_ROWS = 50_000  # projections of at most this many rows are remembered (~1 MB each)
_SHOWN: dict[tuple[int, int], tuple[weakref.ref[Projection], weakref.ref[np.ndarray],
                                    np.ndarray]] = {}
_SHOWN_LOCK = threading.Lock()


def _remembered(p: Projection, points: np.ndarray) -> np.ndarray:
    """``p(points)``, remembered while both live: a film asks for the same stage through the
    same projection many times (a state ends one morph and starts the next), and the
    explorer, whose plans and stages are kept across a colour change, on every change
    (a 100-wide network's projections were half of the Python side of one)."""
    key = (id(p), id(points))
    with _SHOWN_LOCK:
        hit = _SHOWN.get(key)
    if hit is not None and hit[0]() is p and hit[1]() is points:
        return hit[2]
    shown = p._apply(points)
    shown.flags.writeable = False

    def forget(_ref: object) -> None:
        with _SHOWN_LOCK:
            _SHOWN.pop(key, None)

    with _SHOWN_LOCK:
        _SHOWN[key] = (weakref.ref(p, forget), weakref.ref(points, forget), shown)
    return shown


def fit(*ends: np.ndarray, embed: np.ndarray | None = None) -> Projection:
    """One projection for points of every given set (m_i, d_i), brought into the widest
    space by zero padding, or by ``embed`` (D, d) for sets of width d.

    Fitted from each set's moments (``moments``: its row count, column sums and (d, d)
    Gram matrix, remembered by the digest of its points), never from the stacked points:
    the principal directions are the eigenvectors of the (D, D) scatter matrix of the
    union, which is the sum of the sets' lifted Gram matrices less the union's mean
    term. A stage that two morphs share, or that a change of activation kept, has its
    Gram matrix made once; a fit of the same sets (the digests of the points and of
    ``embed``) is remembered whole."""
    dim = max(e.shape[1] for e in ends)
    if dim <= MAX_DISPLAY_DIM:
        return Projection()
    key = b"".join(points_digest(a, None) for a in (*ends, *(() if embed is None else (embed,))))
    return MOMENTS.get("fit", key, lambda: fitted_from(ends, dim, embed))


def fitted_from(ends: tuple[np.ndarray, ...], dim: int, embed: np.ndarray | None) -> Projection:
    """``fit`` made: the top three eigenvectors of the union's (D, D) scatter matrix."""
    parts = [moments(e).lifted(dim, embed) for e in ends]
    count = sum(p.count for p in parts)
    mean: np.ndarray = np.sum([p.total for p in parts], axis=0) / count  # (D,)
    scatter = np.sum([p.gram for p in parts], axis=0) - count * np.outer(mean, mean)  # (D, D)
    # principal directions: the eigenvectors of the scatter matrix are the right singular
    # vectors of the centred points, at a fraction of an SVD's cost for m >> D
    power, vectors = np.linalg.eigh(scatter)  # ascending
    power = np.clip(power[::-1], 0.0, None)  # (D,) squared singular values, descending
    axes = vectors[:, ::-1][:, :MAX_DISPLAY_DIM].T.copy()  # (3, D)
    # deterministic signs: the largest loading of every direction is positive
    biggest = np.abs(axes).argmax(axis=1)
    axes *= np.sign(axes[np.arange(len(axes)), biggest])[:, None]
    total = float(power.sum())
    kept = float(power[:MAX_DISPLAY_DIM].sum()) / total if total > 0 else 1.0
    return Projection(mean, axes, None, kept, embed)


@dataclass(frozen=True)
class Moments:
    """What a PCA reads of a set of points (m, d): the count m, the column sums (d,) and
    the Gram matrix X^T X (d, d), in float64."""

    count: int
    total: np.ndarray  # (d,)
    gram: np.ndarray  # (d, d)

    def lifted(self, dim: int, embed: np.ndarray | None) -> Moments:
        """The moments of the points brought into ``dim`` coordinates as ``lifted`` brings
        them: through ``embed`` (dim, d) when it is for width d (E s, E G E^T), else by
        zero padding."""
        d = len(self.total)
        if embed is not None and d == embed.shape[1] < dim == embed.shape[0]:
            return Moments(self.count, embed @ self.total, embed @ self.gram @ embed.T)
        if d == dim:
            return self
        total, gram = np.zeros(dim), np.zeros((dim, dim))
        total[:d], gram[:d, :d] = self.total, self.gram
        return Moments(self.count, total, gram)


MOMENTS_KEPT = 64  # Gram matrices and fits remembered (each d x d or 3 x d: 80 kB at d = 100)
REMEMBER_WIDTH = 256  # Gram matrices of at most this width are remembered (<= 0.5 MB each)
MOMENTS = Remembered(MOMENTS_KEPT)  # the process's moments and fits: every plan, still, session


def moments(points: np.ndarray) -> Moments:
    """The moments of ``points`` (m, d), at most about FIT_ROWS rows of them by a fixed
    stride; up to ``REMEMBER_WIDTH`` columns remembered by the digest of the points
    (``plan_cache.points_digest``, itself kept while the array lives), so equal points
    from another trace (a stage an activation change kept) are not multiplied again."""
    if points.shape[1] > REMEMBER_WIDTH:  # a 4,096-wide Gram matrix is 134 MB: made, not kept
        return gram_moments(points)
    key = points_digest(points, None)
    return MOMENTS.get("moments", key, lambda: gram_moments(points))


def gram_moments(points: np.ndarray) -> Moments:
    """``moments`` made: one (d, m) @ (m, d) product, in float64."""
    x = np.asarray(_thinned(points), dtype=np.float64)
    return Moments(len(x), x.sum(axis=0), x.T @ x)


def projection(points: np.ndarray) -> Projection:
    """The display projection of a stage's points (n, d): identity up to 3-D, else PCA."""
    return fit(points)


def aligned(new: Projection, old: Projection, points: np.ndarray) -> Projection:
    """``new`` turned and shifted to show ``points`` as close as possible to ``old``.

    Orthogonal Procrustes: the rotation R (3 x 3) and shift c minimising
    ``|old(x) - (new(x) R + c)|`` over the points, so a change of basis looks like the
    smallest possible turn of the view, not a spin or a flip.
    """
    if new.axes is None or new.mean is None:
        return new
    target = pad(old(points), MAX_DISPLAY_DIM)  # (m, 3)
    source = new(points)  # (m, 3)
    t_mean, s_mean = target.mean(axis=0), source.mean(axis=0)
    u, _, vt = np.linalg.svd((source - s_mean).T @ (target - t_mean))
    rotation = u @ vt  # (3, 3) orthogonal: source @ rotation ~ target
    axes = rotation.T @ new.axes  # rows stay orthonormal
    base = 0.0 if new.offset is None else new.offset
    offset = (base - s_mean) @ rotation + t_mean
    return Projection(new.mean, axes, offset, new.variance, new.embed)


def axis_names(width: int) -> tuple[str, ...]:
    """The names of a stage's drawn axes: its own coordinates up to 3-D ("x", "y", "z",
    as the stills label them), else the principal components it is shown through."""
    if width > MAX_DISPLAY_DIM:
        return tuple(f"PC{i + 1}" for i in range(MAX_DISPLAY_DIM))
    return ("x", "y", "z")[:width]


def flat_axes(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(d,) bool: the display axes along which points whose per-axis lows and highs are
    ``lo``, ``hi`` (d,) have no spread, only rounding (under ``NO_SPREAD`` of the widest
    axis's): a rank-2 stage's third principal component spreads ~1e-16 of its first."""
    span = np.asarray(hi, dtype=np.float64) - np.asarray(lo, dtype=np.float64)
    return span <= NO_SPREAD * max(float(span.max(initial=0.0)), 1e-300)


def display_coords(points: np.ndarray) -> np.ndarray:
    """(n, d) -> (n, min(d, 3)): the points themselves up to 3-D, else their top-3 PCA scores."""
    return projection(points)(points)


def lift(weight: np.ndarray) -> np.ndarray | None:
    """How the narrower side of a linear map W = U S V^T (d_out, d_in) enters the wider
    space: through the polar factor Q = U V^T, as a (wide, narrow) matrix with orthonormal
    columns; None when both widths are equal.

    Widening, W x = (U S U^T) Q x: the morph from Q x to W x is a pure stretch along W's
    singular directions. Narrowing, Q^T W h = V S V^T h: the directions W reads stretch
    and the rest shrink to 0. Zero padding would instead mix the narrow space's axes with
    the wide space's first axes, which the map has nothing to do with.
    """
    d_out, d_in = weight.shape
    if d_out == d_in:
        return None
    u, _, vt = np.linalg.svd(weight, full_matrices=False)  # (d_out, r), (r, d_in)
    q = u @ vt  # (d_out, d_in)
    return q if d_out > d_in else q.T  # (wide, narrow)


def lifted(points: np.ndarray, dim: int, embed: np.ndarray | None) -> np.ndarray:
    """(n, d) -> (n, dim): through ``embed`` (dim, d) when it is for width d, else ``pad``."""
    if embed is not None and points.shape[1] == embed.shape[1] < dim == embed.shape[0]:
        return points @ embed.T
    return pad(points, dim)


def pad(points: np.ndarray, dim: int) -> np.ndarray:
    """(n, d) -> (n, dim) with zeros in the new coordinates (d <= dim)."""
    n, d = points.shape
    if d == dim:
        return points
    out = np.zeros((n, dim), dtype=points.dtype)
    out[:, :d] = points
    return out


def _thinned(points: np.ndarray) -> np.ndarray:
    """At most about FIT_ROWS rows, by a fixed stride (deterministic)."""
    step = max(1, len(points) // FIT_ROWS)
    return points[::step]
