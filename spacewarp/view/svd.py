"""The SVD of a linear step, as four shown sub-steps: ``W x + b = U (S (V^T x)) + b``.

1. rotate by ``V^T`` (in the input space; a reflection only when it cannot be avoided);
2. scale by ``S``: stretch each axis by a singular value, dropping the extra input
   coordinates when W is wide and lifting into new, zero coordinates when W is tall;
3. rotate by ``U`` (in the output space);
4. shift by ``b``.

Rotations move along the rotation's own arc (``morph.RotationMorph``), not a straight
chord, so a half-turn is a turn and not a collapse through the origin. Arrays only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tracing.trace import Stage
from .morph import ROTATE
from .weight_text import title_matrix

Part = tuple[np.ndarray, str, str]  # (points (p, d), title, kind) of one sub-step's end


@dataclass(frozen=True)
class SVD:
    """``W = u @ diag(s) @ vt`` with ``u`` (m, m), ``s`` (r,), ``vt`` (n, n); rotations proper
    (det +1) wherever a sign can be moved to a free column."""

    u: np.ndarray
    s: np.ndarray
    vt: np.ndarray

    def scale(self, x: np.ndarray) -> np.ndarray:
        """(p, n) -> (p, m): multiply by the (m, n) diagonal ``S``."""
        r = len(self.s)
        out = np.zeros((len(x), len(self.u)))
        out[:, :r] = x[:, :r] * self.s
        return out

    @property
    def sigma(self) -> np.ndarray:
        """(m, n) the diagonal matrix S."""
        out = np.zeros((len(self.u), len(self.vt)))
        out[np.arange(len(self.s)), np.arange(len(self.s))] = self.s
        return out


def decompose(weight: np.ndarray) -> SVD:
    """``W`` (m, n) -> its SVD with the shortest rotations the signs allow: each singular
    pair (u_i, v_i) may flip sign together, and a column of U or V outside the pairs alone;
    among those, proper rotations first, then the least turning."""
    u, s, vt = np.linalg.svd(np.asarray(weight, dtype=np.float64))  # full matrices
    r = len(s)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for signs in _sign_choices(r):
        vt2, u2 = vt.copy(), u.copy()
        vt2[:r] *= signs[:, None]
        u2[:, :r] *= signs
        if len(vt2) > r and np.linalg.det(vt2) < 0:
            vt2[-1] *= -1  # a free row of V^T (W is wide)
        if len(u2) > r and np.linalg.det(u2) < 0:
            u2[:, -1] *= -1  # a free column of U (W is tall)
        score = sum(4.0 * (np.linalg.det(q) < 0) + float(np.linalg.norm(q - np.eye(len(q))))
                    for q in (vt2, u2))
        if best is None or score < best[0] - 1e-12:
            best = (score, u2, vt2)
    assert best is not None
    return SVD(best[1], s, best[2])


def _sign_choices(r: int) -> list[np.ndarray]:
    """Every sign vector for up to 4 pairs (16 choices); beyond, only all-positive."""
    if r > 4:
        return [np.ones(r)]
    return [np.array([1.0 if (i >> j) & 1 == 0 else -1.0 for j in range(r)])
            for i in range(2 ** r)]


def svd_states(before: np.ndarray, stage: Stage, names: tuple[str, str] = ("W", "b")
               ) -> list[Part]:
    """The sub-steps of a linear stage from the points ``before`` (p, n), each morph
    starting where the previous ended: V^T x, S V^T x, U S V^T x (= W x), then + b.
    ``names``: what its weight and bias are (``weight_text.SLICE_NAMES`` for a layer fed
    by a slice's coordinates, whose map is the SVD'd one)."""
    assert stage.weight is not None
    d = decompose(stage.weight)
    rotated = before @ d.vt.T  # (p, n): V^T x
    scaled = d.scale(rotated)  # (p, m): S V^T x
    turned = scaled @ d.u.T  # (p, m): U S V^T x = W x
    reflect_v = " (reflects)" if np.linalg.det(d.vt) < 0 else ""
    reflect_u = " (reflects)" if np.linalg.det(d.u) < 0 else ""
    m, n = len(d.u), len(d.vt)
    resize = f" and lift to {m}-D" if m > n else f" and drop to {m}-D" if m < n else ""
    t, of = stage.title, 3 if stage.bias is None else 4
    if names[0] != "W":
        t = f"{t} ({names[0]} on the slice, {m}x{n})"
    out: list[Part] = [
        (rotated, f"{t}  1/{of} rotate by V\u1d40{reflect_v}\nV\u1d40 = {title_matrix(d.vt)}",
         ROTATE),
        (scaled, f"{t}  2/{of} scale by S{resize}\nS = {title_matrix(d.sigma)}", "scale"),
        (turned, f"{t}  3/{of} rotate by U{reflect_u}\nU = {title_matrix(d.u)}", ROTATE),
    ]
    if stage.bias is not None:
        out.append((turned + stage.bias,
                    f"{t}  4/4 shift by {names[1]}\n{names[1]} = {title_matrix(stage.bias)}",
                    "bias"))
    return out

