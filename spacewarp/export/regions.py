"""``regions.png`` and ``regions.npz``: the exact linear regions of a network, written atomically.

regions.npz (``numpy.load(allow_pickle=False)``): ``verts`` (R, M, 2) padded vertices and
``count`` (R,), ``patterns`` (R, n_neurons) bool, ``areas`` (R,), ``per_layer``, ``bounds``,
``A_KK`` (R, d_k, 2) and ``c_KK`` (R, d_k) each region's map to stage KK, ``stage_names``,
and ``boundary`` (P, 2): the decision boundary's polylines separated by NaN rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..measure import Regions
from .files import atomic_dir


def regions_arrays(regions: Regions) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {
        "verts": regions.verts, "count": regions.count.astype(np.int64),
        "patterns": regions.patterns, "areas": regions.areas,
        "per_layer": np.array(regions.per_layer, dtype=np.int64),
        "bounds": np.array(regions.bounds), "stage_names": np.array(regions.titles, dtype=np.str_),
    }
    for k, (a, c) in enumerate(regions.stage_maps):
        arrays[f"A_{k:02d}"], arrays[f"c_{k:02d}"] = a, c
    gap = np.full((1, 2), np.nan)
    lines = [part for line in regions.boundary for part in (line, gap)]
    arrays["boundary"] = np.concatenate(lines) if lines else np.zeros((0, 2))
    return arrays


def write_regions(regions: Regions, out: str | Path, *, fill: str = "region",
                  theme: str = "dark") -> list[Path]:
    """Write regions.png and regions.npz into folder ``out``; nothing on error."""
    from ..render.regions import regions_figure

    target = Path(out)
    with atomic_dir(target) as tmp:
        fig = regions_figure(regions, fill=fill, theme=theme)  # type: ignore[arg-type]
        fig.savefig(tmp / "regions.png", facecolor=fig.get_facecolor())
        np.savez(tmp / "regions.npz", **regions_arrays(regions))  # type: ignore[arg-type]
    return [target / "regions.png", target / "regions.npz"]
