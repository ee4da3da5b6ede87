"""spacewarp: see what a neural network does to space, stage by stage.

    import spacewarp as sw
    trace = sw.run()            # the seed's defaults: Gaussian cloud, 2-3-3-2, tanh, manual W1
    sw.stages(trace)            # a panel per stage
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
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
        widget,
        write_html,
    )
    from .config.experiment import Experiment
    from .errors import SpacewarpError
    from .inputs.points import Points, make_points
    from .model.build import build_model
    from .tracing.trace import Stage, Trace, trace
    from .training.train import Training

_HOMES = {"Experiment": "config.experiment", "SpacewarpError": "errors",
          "build_model": "model.build", "Points": "inputs.points", "make_points": "inputs.points",
          "Stage": "tracing.trace", "Trace": "tracing.trace", "trace": "tracing.trace",
          "Training": "training.train"}

# Modules moved into step packages (issue 16): the old import paths still load the new module.
MOVED = {"settings": "config.settings", "numbers": "config.numbers", "names": "config.names",
         "registry": "config.registry", "style": "config.style",
         "points": "inputs.points", "datafile": "inputs.datafile", "network": "model.build",
         "model_files": "model.files", "resolve": "model.resolve",
         "capture": "tracing.capture", "trace": "tracing.trace",
         "training_setup": "training.setup", "training_file": "training.file"}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import spacewarp.trace`` (an old path) gives the module ``spacewarp.tracing.trace``."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        package, _, leaf = fullname.rpartition(".")
        if package != __name__ or leaf not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: Any) -> types.ModuleType:
        return importlib.import_module(f"{__name__}.{MOVED[spec.name.rpartition('.')[2]]}")

    def exec_module(self, module: types.ModuleType) -> None:
        """The module ran when it was imported under its own name."""


sys.meta_path.append(_MovedModules())


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'spacewarp' has no attribute {name!r}")
    module = importlib.import_module(f".{_HOMES.get(name, 'api')}", __name__)
    value = getattr(module, name)
    globals()[name] = value  # found once
    return value


class _Package(types.ModuleType):
    """``sw.trace`` stays the function when the old ``spacewarp.trace`` module path is imported.

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
    "widget",
    "write_html",
]
