"""The SVD of a linear step, as four shown sub-steps: ``W x + b = U (S (V^T x)) + b``.

1. rotate by ``V^T`` (in the input space; a reflection only when it cannot be avoided);
2. scale by ``S``: stretch each axis by a singular value, dropping the extra input
   coordinates when W is wide and lifting into new, zero coordinates when W is tall;
3. rotate by ``U`` (in the output space);
4. shift by ``b``.

Rotations move along the rotation's own arc (``RotationMorph``), not a straight chord,
so a half-turn is a turn and not a collapse through the origin. Arrays only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tracing.trace import Stage
from .paths import Morph

ROTATE = "rotate"  # the kind of a rotation sub-step (the morph follows the arc)
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


def svd_states(before: np.ndarray, stage: Stage) -> list[Part]:
    """The sub-steps of a linear stage from the points ``before`` (p, n), each morph
    starting where the previous ended: V^T x, S V^T x, U S V^T x (= W x), then + b."""
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
    out: list[Part] = [
        (rotated, f"{t}  1/{of} rotate by V\u1d40{reflect_v}\nV\u1d40 = {_m(d.vt)}", ROTATE),
        (scaled, f"{t}  2/{of} scale by S{resize}\nS = {_m(d.sigma)}", "scale"),
        (turned, f"{t}  3/{of} rotate by U{reflect_u}\nU = {_m(d.u)}", ROTATE),
    ]
    if stage.bias is not None:
        out.append((turned + stage.bias, f"{t}  4/4 shift by b\nb = {_m(stage.bias)}", "bias"))
    return out


def _m(a: np.ndarray) -> str:
    return np.array2string(a, precision=2, separator=", ", suppress_small=True,
                           max_line_width=200).replace("\n", "")


@dataclass(frozen=True)
class RotationMorph(Morph):
    """A morph along a rotation about the origin: ``at(t) = start @ R(t)^T``, R(1) the turn
    from ``start`` to ``end`` (in the first ``len(generator)`` display coordinates)."""

    generator: np.ndarray | None = None  # (r, r) skew-symmetric log of the rotation

    def at(self, t: float) -> np.ndarray:
        if t <= 0.0 or t >= 1.0 or self.generator is None:
            return super().at(t)
        r = len(self.generator)
        out = self.start.copy()
        out[:, :r] = self.start[:, :r] @ _expm_skew(t * self.generator).T
        return out


def rotation_morph(start: np.ndarray, end: np.ndarray, *rest: object) -> Morph:
    """A ``RotationMorph`` when ``end`` is ``start`` turned about the origin in 2-D or 3-D,
    else the straight ``Morph`` (reflections, projections of wider stages)."""
    rot = proper_rotation(start, end)
    if rot is None:
        return Morph(start, end, *rest)  # type: ignore[arg-type]
    return RotationMorph(start, end, *rest, generator=_log_rotation(rot))  # type: ignore


def proper_rotation(start: np.ndarray, end: np.ndarray) -> np.ndarray | None:
    """The rotation R (det +1) with ``end = start @ R.T`` (Kabsch), or None if there is none.

    Unique when ``start`` spans at least d - 1 dimensions, as both the points and the basis
    arrows do, so points and arrows turn together."""
    dim = int(start.shape[1])
    if dim not in (2, 3):
        return None
    a, b = start[:4096], end[:4096]
    u, _, vt = np.linalg.svd(a.T @ b)
    flip = np.ones(dim)
    flip[-1] = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
    rot = vt.T @ np.diag(flip) @ u.T
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-300)
    return rot if np.allclose(a @ rot.T, b, rtol=0, atol=1e-9 * scale) else None


def _log_rotation(rot: np.ndarray) -> np.ndarray:
    """A proper rotation (2x2 or 3x3) -> the skew matrix L with expm(L) = rot, |angle| <= pi."""
    if len(rot) == 2:
        angle = np.arctan2(rot[1, 0], rot[0, 0])
        return np.array([[0.0, -angle], [angle, 0.0]])
    angle = np.arccos(np.clip((np.trace(rot) - 1) / 2, -1.0, 1.0))
    if angle < 1e-12:
        return np.zeros((3, 3))
    if np.pi - angle < 1e-6:  # a half-turn: the axis is the eigenvector of eigenvalue 1
        w, v = np.linalg.eigh((rot + rot.T) / 2)
        axis = v[:, np.argmax(w)]
    else:
        axis = np.array([rot[2, 1] - rot[1, 2], rot[0, 2] - rot[2, 0], rot[1, 0] - rot[0, 1]])
        axis /= 2 * np.sin(angle)
    x, y, z = axis * angle
    return np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])


def _expm_skew(gen: np.ndarray) -> np.ndarray:
    """exp of a 2x2 or 3x3 skew-symmetric matrix (Rodrigues)."""
    if len(gen) == 2:
        a = gen[1, 0]
        return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    angle = np.sqrt(0.5 * (gen * gen).sum())
    if angle < 1e-15:
        return np.eye(3)
    k = gen / angle
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)
