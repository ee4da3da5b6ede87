"""The ``view`` step: display coordinates per stage, morph paths and films. Arrays only.

Computing, never drawing: no plotting library is imported here. Renderers (matplotlib
frames, the browser film spec) sample what this step returns.

- ``film(trace, FilmOptions())``: the browser film (keys, segments, boxes, cameras, clock).

- ``display_coords``, ``pad``, ``projection``: a stage's points as drawn (PCA beyond 3-D).
- ``morphs(trace, split_bias=False)``: one ``Morph`` per transition; ``Morph.at(t)``.
- ``basis_arrows(trace)``: the input basis arrows carried along the same paths.
- ``lattice_lines(points, grid_shape, every=1)``: NaN-separated lattice polylines.
- ``motion(trace, ...)``: a ``Motion`` (morphs, arrows, limits, camera, ``Timeline``).
"""

from .coords import MAX_DISPLAY_DIM, Projection, display_coords, pad, projection
from .film import Film, FilmOptions, film
from .morph import Morph
from .motion import (
    OBLIQUE,
    TOP_DOWN,
    Frame,
    Motion,
    Timeline,
    boxes,
    camera,
    ease,
    film_dim,
    motion,
    timeline,
)
from .paths import basis_arrows, lattice_every, lattice_indices, lattice_lines, morphs

__all__ = [
    "MAX_DISPLAY_DIM",
    "OBLIQUE",
    "TOP_DOWN",
    "Film",
    "FilmOptions",
    "Frame",
    "Morph",
    "Motion",
    "Projection",
    "Timeline",
    "basis_arrows",
    "boxes",
    "camera",
    "display_coords",
    "ease",
    "film",
    "film_dim",
    "lattice_every",
    "lattice_indices",
    "lattice_lines",
    "morphs",
    "motion",
    "pad",
    "projection",
    "timeline",
]
