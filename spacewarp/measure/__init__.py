"""The measure step: numbers per point, stage and region. Arrays in, arrays out; nothing drawn.

- ``singular_values(W)``: the stretch of a weight matrix along its principal directions.
- ``measures(trace)``: Jacobian singular values, area change, anisotropy, rank and folds of
  every point at every stage.
- ``regions(model_or_trace, bounds)``: the exact linear regions of a piecewise-linear
  network on a 2-D box (or 1-D interval), with each region's affine map to every stage.
"""

from .jacobian import Measures, measures
from .linear_regions import Regions, regions
from .weights import singular_values

__all__ = ["Measures", "Regions", "measures", "regions", "singular_values"]
