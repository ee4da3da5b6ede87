"""A morph: one shown step's path from one stage to the next, in display coordinates.

``Morph`` is the straight path ``(1 - t) start + t end``; ``RotationMorph`` follows a
rotation's own arc (SVD sub-steps of kind ``ROTATE``), so a half-turn is a turn and not a
collapse through the origin. Arrays only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROTATE = "rotate"  # the kind of a rotation sub-step (the morph follows the arc)


@dataclass(frozen=True)
class Morph:
    """A straight path from one stage to the next, in a shared display dimension.

    ``at(0)`` is exactly ``start`` and ``at(1)`` exactly ``end``. For a linear stage
    this is ``(1 - t) x + t (W x + b)``, for an activation ``(1 - t) x + t f(x)``.
    """

    start: np.ndarray  # (n, D) float64
    end: np.ndarray  # (n, D) float64
    from_stage: int
    to_stage: int
    title: str
    kind: str = ""  # the stage's kind ("linear", "tanh"); "matrix" / "bias" for split parts
    start_dim: int = 0  # display dimension of the start before padding (0: D)
    end_dim: int = 0  # display dimension of the end before padding (0: D)
    rest_title: str = ""  # the title while the film rests on the end ("": ``title``)
    rests: bool = True  # the film holds on the end; False: it goes on at once into the
    # next morph (a narrow state is never held in a wide projection, see ``paths.plan_steps``)

    def at(self, t: float) -> np.ndarray:
        """(n, D) points at time t in [0, 1]; the ends are returned exactly."""
        if t <= 0.0:
            return self.start
        if t >= 1.0:
            return self.end
        return self.start + t * (self.end - self.start)

    @property
    def dim(self) -> int:
        return int(self.start.shape[1])

    @property
    def straight(self) -> bool:
        """Every point moves on a straight line at one speed: ``at(t)`` is
        ``start + t (end - start)``, so an affine camera's pixels move the same way."""
        return True

    @property
    def dims(self) -> tuple[int, int]:
        """Display dimensions of the two ends before padding: (2, 3) for a lift into 3-D."""
        return (self.start_dim or self.dim, self.end_dim or self.dim)


@dataclass(frozen=True)
class RotationMorph(Morph):
    """A morph along a rotation about the origin: ``at(t) = start @ R(t)^T``, R(1) the turn
    from ``start`` to ``end`` (in the first ``len(generator)`` display coordinates)."""

    generator: np.ndarray | None = None  # (r, r) skew-symmetric log of the rotation

    @property
    def straight(self) -> bool:
        return self.generator is None

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
