"""spacewarp: see what a neural network does to space, stage by stage.

    import spacewarp as sw
    trace = sw.run()            # the seed's defaults: Gaussian cloud, 2-3-3-2, tanh, manual W1
    sw.stages(trace)            # a panel per stage
"""

from .api import (
    animate,
    animate_training,
    animation,
    experiment,
    explorer,
    frames,
    interactive,
    run,
    save,
    save_training,
    stages,
    stages_grid,
    train,
    training_figure,
    training_stages,
    write_html,
)
from .config import Experiment
from .errors import SpacewarpError
from .network import build_model
from .points import Points, make_points
from .trace import Stage, Trace, trace
from .training import Training

__all__ = [
    "Experiment",
    "Points",
    "SpacewarpError",
    "Stage",
    "Trace",
    "Training",
    "animate",
    "animate_training",
    "animation",
    "build_model",
    "experiment",
    "explorer",
    "frames",
    "interactive",
    "make_points",
    "run",
    "save",
    "save_training",
    "stages",
    "stages_grid",
    "trace",
    "train",
    "training_figure",
    "training_stages",
    "write_html",
]
