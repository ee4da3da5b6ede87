"""A note before numba compiles a module's loops for the first time on this machine.

The compiled loops (``arrangement_loops``, ``tree_loops``, ``max_loops``, ``sign_loops``,
``training_regions_loops``) are compiled on their first call and cached in ``__pycache__``
(``cache=True``): tens of CPU seconds once per machine, then a fraction of a second to
load. A user whose first ``spacewarp regions`` waits that long is told why, once, instead
of seeing nothing happen.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..errors import SpacewarpNote


def note_first_compile(module_file: str) -> None:
    """Warn (``SpacewarpNote``) when ``module_file``'s loops have no numba cache yet: no
    ``<module>.*.nbi`` index in its ``__pycache__``. Where that folder cannot be written,
    numba caches elsewhere and nothing is said (the check would be wrong every time)."""
    path = Path(module_file)
    cache = path.parent / "__pycache__"
    writable = os.access(cache if cache.exists() else path.parent, os.W_OK)
    if not writable or any(cache.glob(f"{path.stem}.*.nbi")):
        return
    warnings.warn(f"compiling spacewarp's region loops ({path.stem}) for this machine, once: "
                  "up to half a minute; later runs load them from the cache",
                  SpacewarpNote, stacklevel=2)
