"""Training: optimise the network on labelled points, keeping snapshots.

Owns: ``setup`` (data set, probe grid, batches), ``train`` (the loop, ``Training`` and its
curves), ``snapshots`` (every snapshot traced once, the arrays the views read), ``file``
(reading ``training.npz``). Imports: ``spacewarp.budget`` and every step below it.

``from spacewarp.training import Training`` (the module's path before issue 16) still works.
"""

from __future__ import annotations

import importlib
from typing import Any

SUBMODULES = {"setup", "train", "snapshots", "file"}


def __getattr__(name: str) -> Any:
    if name in SUBMODULES:  # `from . import names` asks the package first
        return importlib.import_module(f".{name}", __name__)
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(importlib.import_module(".train", __name__), name)
