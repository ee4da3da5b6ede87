"""The explorer's views as one Panel component drawing on 2-D canvases (``canvas.js``).

Python sends one ``data`` update per change: every stage's display coordinates (float32,
padded to 3-D, base64), its title and weights, per-point RGB colours (looked up here
from the experiment's colour map), lattice index pairs and the colour range. The browser
draws the stages side by side and the morph view, whose slider and play button run
there: the morph is ``a + t (b - a)`` between consecutive stages, as ``view.Morph``.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import panel as pn
import param
from panel.viewable import Child

from ..errors import SpacewarpError
from ..render.plotly_parts import matrix_lines
from ..render.splat import color_table, color_values
from ..render.theme import THEMES
from ..trace import Trace
from ..view import display_coords, lattice_every, lattice_indices, pad


class StageCanvas(pn.custom.JSComponent):
    """Every stage side by side and the morph view; ``weights`` sits beside the morph."""

    data = param.Dict(default={}, doc="what to draw: see ``payload``")
    weights = Child(doc="a Panel object shown beside the morph view")

    _esm = "canvas.js"


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def _colors(trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) uint8 RGB per point and the (256, 3) uint8 table, from the experiment's cmap."""
    name = trace.style.cmap
    try:
        table = color_table(name)  # (256, 3) float32 in [0, 255]
    except KeyError:
        raise SpacewarpError(f"unknown colour map {name!r}; try viridis, plasma or "
                             "coolwarm") from None
    index = np.clip((color_values(trace.color) * 255.0 + 0.5).astype(np.intp), 0, 255)
    return table[index].astype(np.uint8), table.astype(np.uint8)  # (n, 3), (256, 3)


def lattice_pairs(grid_shape: tuple[int, int], every: int) -> np.ndarray:
    """(m, 2) int32 point-index pairs joining lattice neighbours along the kept lines."""
    rows, cols = grid_shape
    ids = np.arange(rows * cols, dtype=np.int32).reshape(rows, cols)
    along_rows = ids[lattice_indices(rows, every)]  # (r, cols)
    along_cols = ids[:, lattice_indices(cols, every)].T  # (c, rows)
    pairs = [np.stack([line[:-1], line[1:]], axis=-1).reshape(-1, 2)
             for line in (along_rows, along_cols)]
    return np.concatenate(pairs).astype(np.int32)


def _stage(trace: Trace, k: int) -> dict[str, Any]:
    s = trace.stages[k]
    shown = display_coords(s.points)  # (n, d) -> (n, <= 3)
    weights = matrix_lines("W", s.weight) if s.weight is not None else []
    weights += matrix_lines("b", s.bias[None, :]) if s.bias is not None else []
    return {"xyz": _b64(pad(shown, 3).astype(np.float32)),  # (n, 3) float32
            "dim": int(shown.shape[1]), "title": f"{k} \u00b7 {s.title}",
            "module": s.module, "weights": weights,
            "note": f"PCA of {s.dim}-D" if s.dim > 3 else ""}


def payload(trace: Trace, serial: int) -> dict[str, Any]:
    """Everything the component draws for one trace (``serial`` tells changes apart)."""
    theme = THEMES[trace.style.theme]
    rgb, table = _colors(trace)
    lattice = (_b64(lattice_pairs(trace.grid_shape, lattice_every(trace.grid_shape)))
               if trace.grid_shape is not None else "")
    lo, hi = float(trace.color.min()), float(trace.color.max())
    return {
        "serial": serial, "n": trace.n,
        "stages": [_stage(trace, k) for k in range(len(trace.stages))],
        "rgb": _b64(rgb), "lattice": lattice,
        "colorbar": {"label": f"colour: {trace.style.color_by or 'value'}",
                     "lo": lo, "hi": hi, "table": _b64(table)},
        "theme": {"background": theme.background, "foreground": theme.foreground,
                  "muted": theme.muted},
    }
