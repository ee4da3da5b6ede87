"""spacewarp: see what a neural network does to space, stage by stage."""

from .config import Experiment
from .errors import SpacewarpError
from .network import build_model
from .pipeline import run
from .points import Points, make_points
from .trace import Stage, Trace, trace

__all__ = [
    "Experiment",
    "Points",
    "SpacewarpError",
    "Stage",
    "Trace",
    "build_model",
    "make_points",
    "run",
    "trace",
]
