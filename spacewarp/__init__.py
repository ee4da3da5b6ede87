"""spacewarp: see what a neural network does to space, stage by stage.

    import spacewarp as sw
    trace = sw.run()            # the seed's defaults: Gaussian cloud, 2-3-3-2, tanh, manual W1
    sw.stages(trace)            # a panel per stage
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on first use, so `spacewarp --help` never loads torch
    from .api import (
        animate,
        animate_training,
        animation,
        experiment,
        explorer,
        frames,
        interactive,
        load_training,
        measures,
        regions,
        run,
        save,
        save_training,
        stages,
        stages_grid,
        train,
        training_figure,
        training_page,
        training_stages,
        write_html,
    )
    from .config import Experiment
    from .errors import SpacewarpError
    from .network import build_model
    from .points import Points, make_points
    from .trace import Stage, Trace, trace
    from .training import Training

_HOMES = {"Experiment": "config", "SpacewarpError": "errors", "build_model": "network",
          "Points": "points", "make_points": "points", "Stage": "trace", "Trace": "trace",
          "trace": "trace", "Training": "training"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'spacewarp' has no attribute {name!r}")
    module = importlib.import_module(f".{_HOMES.get(name, 'api')}", __name__)
    value = getattr(module, name)
    globals()[name] = value  # found once
    return value


class _Package(types.ModuleType):
    """``sw.trace`` stays the function when the ``spacewarp.trace`` module is imported.

    Importing a submodule sets it as an attribute of its package; with lazy names that
    would replace the function ``trace`` by the module of the same name (the module is
    still ``sys.modules["spacewarp.trace"]``, so ``from spacewarp.trace import X`` works).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "trace" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
    "load_training",
    "make_points",
    "measures",
    "regions",
    "run",
    "save",
    "save_training",
    "stages",
    "stages_grid",
    "trace",
    "train",
    "training_figure",
    "training_page",
    "training_stages",
    "write_html",
]
