"""A film's points to pixels frame after frame, from projections made once per view.

On a straight morph every point moves at one speed, ``x(t) = start + t (end - start)``,
and an orthographic camera is affine, so the pixels move the same way:
``p(t) = P(start) + t L(end - start)``. Both are projected once per morph and view (the
camera and limits, fixed on most of a morph's frames), and a frame is one multiply-add per
coordinate, in float32, into arrays made once. The pixels come out as ``Splatter`` reads
them: continuous columns and rows, pixel centres at whole numbers, row 0 at the top.
"""

from __future__ import annotations

import numpy as np

from ..view.morph import Morph


class FilmPixels:
    """The first ``n`` rows of a film's morphs in a frame ``height`` pixels tall."""

    def __init__(self, n: int, height: int) -> None:
        self.n, self.height = n, height
        self.out = np.empty((2, n), np.float32)  # columns, rows of the last frame
        self._start = np.empty((2, n), np.float32)  # P(start), in columns and rows
        self._step = np.empty((2, n), np.float32)  # L(end - start)
        self._key: tuple[int, bytes] | None = None  # (morph, projection) they were made for
        # (morph, its start and end - start as (d, n) float32 rows), made once per morph
        self._columns: tuple[int, np.ndarray, np.ndarray] | None = None
        self._scratch = np.empty(n, np.float32)

    def at(self, morph: Morph, index: int, t: float, project: np.ndarray
           ) -> np.ndarray | None:
        """(2, n) float32 columns and rows at time ``t`` of ``morph`` (the film's morph
        ``index``) through ``project`` ((4, 3): homogeneous (x, y, z, 1) -> display
        (px, py, w), y up); None when the morph is not straight or the camera not affine
        (the caller projects ``morph.at(t)`` itself). Valid until the next call."""
        d = min(morph.dim, 3)
        if not morph.straight or np.any(project[:d, 2]) or project[3, 2] == 0:
            return None
        key = (index, project.tobytes())
        if key != self._key:
            self._project(morph, index, project, d)
            self._key = key
        if t <= 0.0:
            self.out[...] = self._start
        else:  # at t >= 1, P(start) + L(end - start): P(end) to float32 rounding
            np.multiply(self._step, np.float32(min(t, 1.0)), out=self.out)
            self.out += self._start
        return self.out

    def _project(self, morph: Morph, index: int, project: np.ndarray, d: int) -> None:
        """P(start) and L(end - start) for this camera, row by row of contiguous float32
        (no BLAS call: see ``frames.project_columns``; no array made per view)."""
        linear = project[:d, :2] / project[3, 2]  # (d, 2): display per display unit
        offset = project[3, :2] / project[3, 2]  # (2,)
        # display (px, py) -> (column, row): px - 0.5, height - py - 0.5
        linear[:, 1] *= -1.0
        offset = np.array([offset[0] - 0.5, self.height - 0.5 - offset[1]])
        if self._columns is None or self._columns[0] != index:  # once per morph
            start = morph.start[: self.n, :d]
            self._columns = (index, np.ascontiguousarray(start.T, dtype=np.float32),
                             np.ascontiguousarray((morph.end[: self.n, :d] - start).T,
                                                  dtype=np.float32))  # (d, n) each
        _, start_t, step_t = self._columns
        for k in range(2):
            for out, x, shift in ((self._start[k], start_t, offset[k]),
                                  (self._step[k], step_t, 0.0)):
                np.multiply(x[0], np.float32(linear[0, k]), out=out)
                for j in range(1, d):
                    np.multiply(x[j], np.float32(linear[j, k]), out=self._scratch)
                    out += self._scratch
                out += np.float32(shift)
