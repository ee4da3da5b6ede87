"""spacewarp: see what a neural network does to space, stage by stage.

    import spacewarp as sw
    trace = sw.run()            # the seed's defaults: Gaussian cloud, 2-3-3-2, tanh, manual W1
    sw.stages(trace)            # a panel per stage
"""

from .api import (
    animate,
    animation,
    experiment,
    explorer,
    frames,
    interactive,
    measures,
    regions,
    run,
    save,
    stages,
    stages_grid,
    write_html,
)
from .config import Experiment
from .errors import SpacewarpError
from .network import build_model
from .points import Points, make_points
from .trace import Stage, Trace, trace

__all__ = [
    "Experiment",
    "Points",
    "SpacewarpError",
    "Stage",
    "Trace",
    "animate",
    "animation",
    "build_model",
    "experiment",
    "explorer",
    "frames",
    "interactive",
    "make_points",
    "measures",
    "regions",
    "run",
    "save",
    "stages",
    "stages_grid",
    "trace",
    "write_html",
]
