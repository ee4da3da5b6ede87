"""Pieces shared by the plotly figures: options, colours, sizes, titles, hover, sampling.

Arrays in, plain values and dicts out; nothing here runs the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from ..errors import SpacewarpError
from ..trace import Stage, Trace
from ..view import Morph, lattice_every, lattice_lines
from ..view.colors import class_hex, legend
from .theme import THEMES, Theme

# Points above which the browser crawls, measured in headless Chromium with software
# WebGL (bench/bench_html.py): above these a seeded random subset is drawn, and the
# figure and page say so.
MAX_POINTS_2D = 50_000
MAX_POINTS_3D = 50_000


@dataclass(frozen=True)
class InteractiveOptions:
    """How the plotly figures look; every ``None`` falls back to the trace's experiment."""

    theme: str | None = None  # "dark" | "light"; None: the experiment's style, else dark
    cmap: str | None = None  # a plotly or matplotlib colour map; None: the experiment's
    point_size: float | None = None  # marker diameter in px; None: from the point count
    steps: int = 6  # frames along each stage transition (the last at its end), >= 1
    limits: Literal["transition", "film"] = "transition"  # axis ranges fixed per ...
    max_points: int | None = None  # None: MAX_POINTS_2D / _3D; draw a subset above it
    sample_seed: int = 0  # seed of the drawn subset
    frame_ms: int = 70  # time per morph frame when playing
    hold_ms: int = 800  # time each stage is held when playing
    lattice_lines: int = 21  # at most this many lattice lines each way
    height: int = 680  # figure height in px (the grid: per row)


def checked(options: InteractiveOptions | None) -> InteractiveOptions:
    o = options or InteractiveOptions()
    if o.theme is not None and o.theme not in THEMES:
        raise SpacewarpError(f"unknown theme {o.theme!r}; choose {' or '.join(THEMES)}",
                             field="style.theme")
    if o.steps < 1 or o.frame_ms < 0 or o.hold_ms < 0 or o.height < 100:
        raise SpacewarpError("steps must be >= 1, frame_ms and hold_ms >= 0, height >= 100",
                             field="html.steps")
    if o.max_points is not None and o.max_points < 1:
        raise SpacewarpError(f"max_points must be >= 1, got {o.max_points}",
                             field="html.max_points")
    if o.limits not in ("transition", "film"):
        raise SpacewarpError(f"limits must be 'transition' or 'film', got {o.limits!r}",
                             field="html.limits")
    if o.lattice_lines < 2:
        raise SpacewarpError(f"lattice_lines must be >= 2, got {o.lattice_lines}",
                             field="html.lattice_lines")
    return o


def theme_of(trace: Trace, o: InteractiveOptions) -> Theme:
    name = o.theme or trace.style.theme
    return THEMES[name]


def colorscale(trace: Trace, o: InteractiveOptions) -> list[list[Any]]:
    """The colour map as a plotly colour scale (plotly names first, then matplotlib's)."""
    import plotly.colors as pc

    if trace.categorical:  # a stepped scale: class j (colour value j) gets exactly its colour
        k = int(trace.color.max()) + 1
        edges = np.clip((np.arange(k + 1) - 0.5) / max(k - 1, 1), 0.0, 1.0)
        edges[-1] = 1.0  # a single class fills the whole scale
        return [[float(e), c] for j, c in enumerate(class_hex(k)) for e in edges[j:j + 2]]
    name = o.cmap or trace.style.cmap
    try:
        return [list(c) for c in pc.get_colorscale(name)]
    except Exception:  # not a plotly name: sample the matplotlib colour map
        import matplotlib

        try:
            cmap = matplotlib.colormaps[name]
        except KeyError:
            raise SpacewarpError(f"unknown colour map {name!r}; try viridis, plasma or "
                                 "coolwarm", field="style.cmap") from None
        stops = np.linspace(0.0, 1.0, 11)
        return [[float(s), matplotlib.colors.to_hex(cmap(s))] for s in stops]


def color_axis(trace: Trace, o: InteractiveOptions) -> dict[str, Any]:
    """One colour scale for every stage and frame, with its colour bar."""
    c = trace.color
    lo, hi = float(c.min()), float(c.max())
    bar: dict[str, Any] = {"title": {"text": f"colour: {trace.color_by}"}, "thickness": 14,
                           "len": 0.6}
    if trace.categorical:  # a legend of classes: one labelled block each
        names = [name for name, _ in legend(trace.color_by, trace.labels)]
        bar.update(title={"text": "class"}, tickvals=list(range(len(names))), ticktext=names)
    return {"colorscale": colorscale(trace, o), "cmin": lo, "cmax": hi if hi > lo else lo + 1,
            "colorbar": bar}


def point_size(n: int, o: InteractiveOptions, three_d: bool) -> float:
    """Marker diameter: 6 px up to 1e3 points, shrinking to 1.5 px at 1e6."""
    if o.point_size is not None:
        return o.point_size
    size = float(np.clip(6.0 - 1.5 * (np.log10(max(n, 1)) - 3.0), 1.5, 6.0))
    return size * (0.7 if three_d else 1.0)


def point_limit(film_dim: int, o: InteractiveOptions) -> int:
    if o.max_points is not None:
        return o.max_points
    return MAX_POINTS_3D if film_dim >= 3 else MAX_POINTS_2D


def sample_index(n: int, limit: int, seed: int) -> np.ndarray | None:
    """Sorted indices of a seeded random subset of ``limit`` points; None when n <= limit."""
    if n <= limit:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def sample_note(n: int, shown: int, seed: int) -> str:
    return (f"Showing {shown:,} of {n:,} points: a random subset (seed {seed}), "
            "so the browser stays responsive.")


def lattice_index(grid_shape: tuple[int, int], max_lines: int) -> np.ndarray:
    """Point indices along the drawn lattice lines, -1 between lines.

    The order of ``view.lattice_lines`` (rows, then columns), keeping about ``max_lines``
    lines each way; ``take_lines(points, index)`` equals ``lattice_lines(points, ...)``.
    """
    ids = np.arange(grid_shape[0] * grid_shape[1], dtype=np.float64)[:, None]
    lines = lattice_lines(ids, grid_shape, lattice_every(grid_shape, max_lines))[:, 0]
    return np.where(np.isnan(lines), -1, np.nan_to_num(lines, nan=-1.0)).astype(np.int64)


def take_lines(points: np.ndarray, index: np.ndarray) -> np.ndarray:
    """(n, D) points -> (len(index), D) polylines, NaN where ``index`` is -1."""
    out = points[np.maximum(index, 0)].astype(np.float64)
    out[index < 0] = np.nan
    return out


def restrict(m: Morph, rows: np.ndarray | None) -> Morph:
    """The same morph for a subset of the points (``Morph.at`` then costs only the subset)."""
    return m if rows is None else replace(m, start=m.start[rows], end=m.end[rows])


def f32(a: np.ndarray) -> np.ndarray:
    """Compact float32 copy: plotly sends it as a binary typed array."""
    return np.ascontiguousarray(a, dtype=np.float32)


def _number(v: float) -> str:
    return f"{v:.2f}".replace("-0.00", "0.00")


def matrix_lines(name: str, a: np.ndarray, max_rows: int = 5, max_cols: int = 6) -> list[str]:
    """``W = [ 3.00  0.00 ]`` ... one line per row, cut with an ellipsis beyond the caps."""
    a = np.atleast_2d(a)
    nbsp = "\u00a0"
    cells = [[_number(v).rjust(6, nbsp) for v in row[:max_cols]] for row in a[:max_rows]]
    more_cols = nbsp + "…" if a.shape[1] > max_cols else ""
    lead = f"{name} ="
    pad = nbsp * len(lead)
    out = [f"{lead if i == 0 else pad} [{''.join(r)}{more_cols} ]" for i, r in enumerate(cells)]
    if a.shape[0] > max_rows:
        out.append(f"{pad}  … {a.shape[0] - max_rows} more rows")
    return out


def weights_text(stage: Stage) -> str:
    """The weights applied at this stage, as monospace lines for a plotly title."""
    lines: list[str] = []
    if stage.weight is not None:
        lines += matrix_lines("W", stage.weight)
    if stage.bias is not None:
        lines += matrix_lines("b", stage.bias[None, :])
    if not lines:
        return ""
    body = "<br>".join(lines)
    return f"<span style='font-family:monospace;font-size:11px'>{body}</span>"


def stage_heading(trace: Trace, k: int) -> str:
    """``2 · Linear 2->3 (module 0)``: the stage's number, what it was, which module."""
    s = trace.stages[k]
    where = f" <span style='font-size:12px'>(module {s.module})</span>" if s.module else ""
    return f"<b>{k} · {s.title}</b>{where}"


def stage_title(trace: Trace, k: int, *, note: str = "") -> str:
    """Heading, then the stage's weights: the title of a stage view."""
    parts = [stage_heading(trace, k) + (f"  <span style='font-size:12px'>{note}</span>"
                                        if note else "")]
    w = weights_text(trace.stages[k])
    return "<br>".join(parts + ([w] if w else []))


def hover_template(stage: Stage, d_in: int, d_shown: int) -> str:
    """Hover text: the input coordinates (customdata) and this stage's coordinates."""
    inp = ", ".join(f"%{{customdata[{i}]:.3f}}" for i in range(d_in))
    axes = ["x", "y", "z"][:d_shown]
    here = ", ".join(f"%{{{a}:.3f}}" for a in axes)
    what = stage.title + (f" (PCA of {stage.dim}-D)" if stage.dim > 3 else "")
    return f"input ({inp})<br>{what}: ({here})<extra></extra>"


def morph_hover(title: str, t: float, d_in: int, d_shown: int) -> str:
    inp = ", ".join(f"%{{customdata[{i}]:.3f}}" for i in range(d_in))
    here = ", ".join(f"%{{{a}:.3f}}" for a in ["x", "y", "z"][:d_shown])
    return f"input ({inp})<br>towards {title}, t = {t:.2f}: ({here})<extra></extra>"


def input_coords(trace: Trace, rows: np.ndarray | None) -> np.ndarray:
    """(n, d_in) -> (n_shown, min(d_in, 6)) float32: what hovering a point tells of its origin."""
    x = trace.stages[0].points[:, :6]
    return f32(x if rows is None else x[rows])


def rgba(hex_color: str, alpha: float) -> str:
    """``#rrggbb`` with an alpha, as plotly's ``rgba(r,g,b,a)``."""
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def lattice_line(theme: Theme) -> dict[str, Any]:
    """Lattice lines: the foreground colour, half transparent, distinct from the axis grid."""
    return {"color": rgba(theme.foreground, 0.45), "width": 1.2}


def axis_style(theme: Theme) -> dict[str, Any]:
    """Axis grid lines faint, so the warped lattice lines stand out from them."""
    return {"gridcolor": rgba(theme.muted, 0.45), "zerolinecolor": theme.muted,
            "color": theme.foreground}


def themed_layout(theme: Theme, height: int) -> dict[str, Any]:
    """Template, background and fonts shared by both layouts."""
    return {
        "template": theme.plotly_template, "height": height,
        "paper_bgcolor": theme.background, "plot_bgcolor": theme.background,
        "font": {"color": theme.foreground},
        "hoverlabel": {"font": {"family": "monospace"}},
    }
