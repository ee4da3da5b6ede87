"""The experiment's config: one typed config and the settings table behind every front.

Torch-free, so ``--help`` and the app's menus are instant. Owns: ``experiment`` (the
pydantic ``Experiment`` and its parts), ``settings`` (one table: CLI flags, the app's
controls and caps, the URL state), ``numbers`` (parsing and caps), ``names`` (menus),
``registry``, ``style``. Imports: ``spacewarp.errors`` only.

``from spacewarp.config import Experiment`` (the module's path before issue 16) still works.
"""

from __future__ import annotations

import importlib
from typing import Any

SUBMODULES = {"experiment", "settings", "numbers", "names", "registry", "style"}


def __getattr__(name: str) -> Any:
    if name in SUBMODULES:  # `from . import names` asks the package first
        return importlib.import_module(f".{name}", __name__)
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(importlib.import_module(".experiment", __name__), name)
