"""The registries' names, torch-free, for config validation, CLI choices and app menus.

The registries (``points.GENERATORS``, ``points.COLORINGS``, ``network.ACTIVATIONS``,
``network.RECIPES``) stay the source: a test checks these tuples equal their names, so
``spacewarp --help`` and the config can list them without importing torch or numpy.
"""

from __future__ import annotations

INPUTS = ("gaussian", "grid", "line", "gaussian1d", "circle", "disk", "spiral", "moons",
          "xor", "circles", "blobs", "sin", "abs", "step", "file", "digits")
# Each generator's point count when none is given (``n=None``): the budget reads it
# before generating anything.
DEFAULT_COUNTS = {"gaussian": 1000, "line": 50, "gaussian1d": 50, "circle": 500,
                  "disk": 1000, "spiral": 1500, "moons": 1000, "xor": 1000, "circles": 1000,
                  "blobs": 1000, "sin": 200, "abs": 200, "step": 200, "digits": 1797}
# Each generator's width where it is not 2 (the budget reads it before generating).
INPUT_DIMS = {"line": 1, "gaussian1d": 1, "sin": 1, "abs": 1, "step": 1, "digits": 64}
# The point sets that --slice-points spreads over a slice's box (2-D generators)
SLICE_POINTS = ("grid", "gaussian", "circle", "disk", "spiral", "moons", "xor", "circles",
                "blobs")
COLORINGS = ("x", "y", "angle", "radius", "label", "index", "predicted", "stretch", "area",
             "anisotropy", "fold", "region")  # the last six: filled after the trace
ACTIVATIONS = ("tanh", "relu", "leaky_relu", "sigmoid", "elu", "gelu", "silu", "softplus",
               "identity")
RECIPES = ("manual", "random", "identity", "orthogonal")
THEMES = ("dark", "light")
REGION_FILLS = ("off", "region", "area")  # --regions: off, fills by region or area change
DEVICES = ("auto", "cpu", "cuda")
