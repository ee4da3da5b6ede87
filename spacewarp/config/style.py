"""How a trace is drawn, as a plain value the Trace carries (no config, no torch).

The trace step never reads the experiment: ``pipeline.run`` sets ``Trace.style`` from the
resolved experiment (``config.style_of``); a bare ``trace(model, points)`` gets the
defaults. Every drawing reads ``trace.style``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    theme: str = "dark"  # "dark" (the seed's) or "light"
    cmap: str = "viridis"  # a matplotlib colour map's name
    point_size: float | None = None  # marker size; None: chosen from the point count
    source: str | None = None  # the input's name ("gaussian"), for captions; None: unknown
    regions: str = "off"  # "region" / "area": linear regions drawn in the browser film
    svd_steps: bool = False  # linear steps shown as V^T, S, U, + b in films
    measures: bool = False  # a measure summary under every stage's title (pipeline.run)
