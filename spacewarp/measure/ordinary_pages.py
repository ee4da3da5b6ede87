"""NumPy's large arrays on ordinary pages while exact regions are enumerated.

NumPy asks Linux for transparent huge pages for every array of 4 MiB or more
(``madvise``). Where the kernel compacts memory to find one at the first touch of such an
array (``/sys/kernel/mm/transparent_hugepage/defrag`` "madvise", the default of many
distributions), the touch waits for it. The enumerator makes and drops many large
short-lived arrays (gathers of map rows, the winners' stages), so it waited often: the
trained digits CNN's slice (128,689 regions, ``bench/bench_slice_regions.py --only 3``)
took 3.2-3.6 s in a fresh process with huge pages and 2.3-2.5 s without (interleaved runs
on two quiet cores, NUMPY_MADVISE_HUGEPAGE=1 and 0). ``ordinary_pages`` turns NumPy's
request off for its block and restores it after the last of any overlapping blocks (the
explorer enumerates in threads).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

LOCK = threading.Lock()
held = {"depth": 0, "was_on": True}  # blocks open now; NumPy's setting before the first


def _numpy_switch() -> Callable[[bool], bool] | None:
    """NumPy's ``_set_madvise_hugepage(on) -> was_on`` (in ``numpy._core`` from 2.0,
    ``numpy.core`` before), or None where this NumPy has none."""
    core = getattr(np, "_core", None)
    if core is None:  # NumPy 1.x (reading np.core in 2.x warns that it is deprecated)
        core = getattr(np, "core", None)
    return getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)


SWITCH = _numpy_switch()


@contextmanager
def ordinary_pages() -> Iterator[None]:
    """Inside the block NumPy asks for no huge pages; after it, as it was."""
    if SWITCH is None:
        yield
        return
    with LOCK:
        if held["depth"] == 0:
            held["was_on"] = bool(SWITCH(False))
        held["depth"] += 1
    try:
        yield
    finally:
        with LOCK:
            held["depth"] -= 1
            if held["depth"] == 0:
                SWITCH(bool(held["was_on"]))
