"""The explorer: a local web app (and notebook widget) where every control re-warps space.

Needs the ``app`` extra (Panel). ``serve()`` starts it; ``explorer()`` returns it for a
notebook; ``state`` puts an experiment into a link and back. Panel is imported only
when ``serve`` or ``explorer`` is used, so ``state`` and ``limits`` work without it.
"""

from __future__ import annotations

from typing import Any

from .limits import LIMITS_TEXT, MAX_DEPTH, MAX_POINTS, MAX_WIDTH

__all__ = ["LIMITS_TEXT", "MAX_DEPTH", "MAX_POINTS", "MAX_WIDTH", "explorer", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("explorer", "serve"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
