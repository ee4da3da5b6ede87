"""Every stage side by side: one plotly subplot per stage (2-D, 3-D scenes, 1-D on a line)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..trace import Trace
from ..view import display_coords, pad
from . import plotly_parts as pp
from .notebook import NotebookFigure

ROW_PX = 430  # height of one row of panels, without its titles
TITLE_LINE_PX = 15


def stages_grid_figure(trace: Trace, options: pp.InteractiveOptions | None = None,
                       cols: int | None = None) -> go.Figure:
    """All stages side by side, each titled with its module and weights, one colour scale."""
    o = pp.checked(options)
    shown = [display_coords(s.points) for s in trace.stages]  # (n, d_k) -> (n, <= 3)
    three_d = max(x.shape[1] for x in shown) >= 3
    rows_idx = pp.sample_index(trace.n, pp.point_limit(3 if three_d else 2, o), o.sample_seed)
    ncols = cols or min(3, len(shown))
    nrows = -(-len(shown) // ncols)
    title_px = TITLE_LINE_PX * (1 + _weight_rows(trace)) + 16
    height = nrows * (ROW_PX + title_px) + 110
    fig = make_subplots(
        rows=nrows, cols=ncols, figure=NotebookFigure(),
        specs=[[_spec(shown, r * ncols + c) for c in range(ncols)] for r in range(nrows)],
        subplot_titles=[pp.stage_title(trace, k) for k in range(len(shown))],
        horizontal_spacing=0.05, vertical_spacing=min(0.3, title_px / height * 1.4))
    for k, x in enumerate(shown):
        _add_stage(fig, trace, k, x, rows_idx, o, divmod(k, ncols))
    theme = pp.theme_of(trace, o)
    fig.update_layout(pp.themed_layout(theme, height), coloraxis=pp.color_axis(trace, o),
                      showlegend=False, margin={"t": title_px + 30, "l": 10, "r": 10, "b": 40})
    fig.update_annotations(font_size=12, align="left")
    if rows_idx is not None:
        fig.add_annotation(text=pp.sample_note(trace.n, len(rows_idx), o.sample_seed),
                           xref="paper", yref="paper", x=0, y=-0.02, xanchor="left",
                           yanchor="top", showarrow=False, font={"size": 11})
    return fig


def _weight_rows(trace: Trace) -> int:
    return max(len(pp.weights_text(s).split("<br>")) if s.weight is not None else 0
               for s in trace.stages)


def _spec(shown: list[np.ndarray], k: int) -> dict[str, Any] | None:
    if k >= len(shown):
        return None
    return {"type": "scene" if shown[k].shape[1] == 3 else "xy"}


def _add_stage(fig: go.Figure, trace: Trace, k: int, x: np.ndarray, rows: np.ndarray | None,
               o: pp.InteractiveOptions, at: tuple[int, int]) -> None:
    """The stage's lattice lines and points in subplot ``at`` (0-based row, col)."""
    d = max(2, x.shape[1])
    xyz = pad(x, d)  # 1-D stages on the x-axis (y = 0)
    theme = pp.theme_of(trace, o)
    r, c = at[0] + 1, at[1] + 1
    if trace.grid_shape is not None:
        lines = pp.take_lines(xyz, pp.lattice_index(trace.grid_shape, o.lattice_lines))
        fig.add_trace(_trace(d, pp.f32(lines), name="lattice", mode="lines", hoverinfo="skip",
                             line=pp.lattice_line(theme)), row=r, col=c)
    pts = xyz if rows is None else xyz[rows]
    color = trace.color if rows is None else trace.color[rows]
    stage = trace.stages[k]
    marker = {"color": pp.f32(color), "coloraxis": "coloraxis",
              "size": pp.point_size(len(pts), o, d == 3)}
    d_in = min(trace.stages[0].dim, 6)
    fig.add_trace(_trace(d, pp.f32(pts), name=f"stage {k}", mode="markers", marker=marker,
                         customdata=pp.input_coords(trace, rows),
                         hovertemplate=pp.hover_template(stage, d_in, x.shape[1])),
                  row=r, col=c)
    _style_axes(fig, r, c, d, x.shape[1] == 1, theme)


def _trace(dim: int, xyz: np.ndarray, **kw: Any) -> Any:
    coords = {a: xyz[:, i] for i, a in enumerate("xyz"[:dim])}
    return go.Scatter3d(**coords, **kw) if dim == 3 else go.Scattergl(**coords, **kw)


def _style_axes(fig: go.Figure, r: int, c: int, d: int, one_d: bool, theme: Any) -> None:
    axis = pp.axis_style(theme)
    sub = fig.get_subplot(r, c)
    if d == 3:
        scene_axis = {**axis, "backgroundcolor": theme.background, "showbackground": True}
        sub.update(xaxis=scene_axis, yaxis=scene_axis, zaxis=scene_axis, aspectmode="data",
                   bgcolor=theme.background,
                   camera={"eye": {"x": 1.6, "y": -1.9, "z": 1.2}})
        return
    xname = sub.xaxis.plotly_name.replace("axis", "")
    sub.xaxis.update(axis)
    sub.yaxis.update(axis, scaleanchor=xname, scaleratio=1, showticklabels=not one_d)
