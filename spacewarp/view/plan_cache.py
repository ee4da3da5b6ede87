"""Plans remembered by what they were made from, so a film is planned once per network.

Planning a film (``paths.plan``: a PCA per morph and per stage beyond 3-D) costs far more
than drawing it for a wide network. The explorer re-plans after every change, most of
which (colour, theme, measures, regions) keep the network and its points: the plan made
from the same stage coordinates is the same plan, so it is looked up here by a digest of
those coordinates, the stages' structure and their weights. Only the projections are
kept (a few (3, D) matrices per plan), never the points. Thread-safe: the served
explorer plans in a pool of threads.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from ..tracing.trace import Stage

PLANS_KEPT = 16  # plans remembered (each a few kB: projections, not points)
T = TypeVar("T")


def stages_key(stages: Sequence[Stage], rows: int | None, *extra: object) -> bytes:
    """A digest of everything a plan reads of ``stages``: each stage's first ``rows``
    points (all when None), kind, title, inputs and linear map; plus ``extra``. The rows
    enter through the points' shape: a plan fitted on n rows of n + m (region outlines
    carried after the points) is the plan of the same n points alone."""
    h = hashlib.sha1(usedforsecurity=False)
    h.update(repr(extra).encode())
    for s in stages:
        h.update(repr((s.kind, s.title, s.module, s.inputs)).encode())
        h.update(points_digest(s.points, rows))
        for a in (s.weight, s.bias):
            h.update(b"-" if a is None else _digest(a))
    return h.digest()


_SEEN: dict[tuple[int, int | None], tuple[weakref.ref[np.ndarray], bytes]] = {}
_SEEN_LOCK = threading.Lock()


def points_digest(points: np.ndarray, rows: int | None) -> bytes:
    """The digest of ``points[:rows]``, remembered while that array lives (a trace's
    stages are digested once, however many plans and views read them)."""
    key = (id(points), rows)
    with _SEEN_LOCK:
        seen = _SEEN.get(key)
    if seen is not None and seen[0]() is points:
        return seen[1]
    digest = _digest(points[:rows])

    def forget(_ref: object) -> None:
        with _SEEN_LOCK:
            _SEEN.pop(key, None)

    with _SEEN_LOCK:
        _SEEN[key] = (weakref.ref(points, forget), digest)
    return digest


def _digest(a: np.ndarray) -> bytes:
    """SHA-1 of an array's dtype, shape and bytes (the fastest digest here: 8 MB in ~4 ms
    of CPU; no copy when the array is contiguous)."""
    h = hashlib.sha1(repr((a.dtype.str, a.shape)).encode(), usedforsecurity=False)
    h.update(np.ascontiguousarray(a).reshape(-1).view(np.uint8).data)
    return h.digest()


class Remembered:
    """A small least-recently-used table from digests to plans."""

    def __init__(self, size: int = PLANS_KEPT) -> None:
        self._size = size
        self._table: OrderedDict[tuple[str, bytes], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, kind: str, key: bytes, make: Callable[[], T]) -> T:
        """The value remembered for (kind, key), made (outside the lock) when new."""
        with self._lock:
            if (kind, key) in self._table:
                self._table.move_to_end((kind, key))
                return self._table[(kind, key)]
        value = make()
        with self._lock:
            self._table[(kind, key)] = value
            while len(self._table) > self._size:
                self._table.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._table.clear()


PLANS = Remembered()  # the process's plans: shared by every film, still and session
