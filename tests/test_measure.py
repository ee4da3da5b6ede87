"""Stretch of a linear stage against an independent computation."""

from __future__ import annotations

import numpy as np

from spacewarp.measure import singular_values


def test_singular_values_are_the_stretch_along_principal_directions() -> None:
    # the seed's first layer: [[3, 0], [0, 3], [6, 6]] stretches (1, 1)/sqrt2 by 9, (1, -1) by 3
    w = np.array([[3.0, 0.0], [0.0, 3.0], [6.0, 6.0]])
    assert np.allclose(singular_values(w), [9.0, 3.0])
    for direction, stretch in (((1, 1), 9.0), ((1, -1), 3.0)):
        u = np.array(direction) / np.sqrt(2)
        assert np.isclose(np.linalg.norm(w @ u), stretch)
