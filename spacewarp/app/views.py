"""The explorer's views: the stages side by side and the morph view, updated in place.

The figures come from ``render.interactive`` (the same builders as ``spacewarp html``);
this module only puts them into two long-lived plotly panes, whose data is replaced
on every change (one WebGL context per pane, never recreated by the app).
"""

from __future__ import annotations

from typing import Any

import panel as pn
import plotly.graph_objects as go

from ..render.interactive import InteractiveOptions, interactive_figure, stages_grid_figure
from ..trace import Trace

MORPH_STEPS = 4  # frames between two stages in the app's morph view (the page: 6)
MORPH_HEIGHT = 570
GRID_ROW_HEIGHT = 330  # per row of stage panels, titles included
MAX_COLS = 6  # stage panels side by side before a second row
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False}


class FramesPlotly(pn.pane.Plotly):
    """Panel's plotly pane, also sending the figure's animation frames to the browser.

    Panel 1.9 reads only ``data`` and ``layout`` from a figure; the morph view's slider
    and play button need its frames, which then play in the browser.
    """

    @classmethod
    def _plotly_json_wrapper(cls, fig: Any) -> dict[str, Any]:
        out: dict[str, Any] = super()._plotly_json_wrapper(fig)
        # always a list: None would differ from the model's [] and force a full newPlot
        out["frames"] = [f.to_plotly_json() for f in getattr(fig, "frames", ())]
        return out


def grid_shape(n_stages: int) -> tuple[int, int]:
    """(rows, cols): every stage in one row up to ``MAX_COLS``, then rows of equal length."""
    rows = -(-n_stages // MAX_COLS)
    return rows, -(-n_stages // rows)


def grid_figure(trace: Trace) -> go.Figure:
    """Every stage side by side, sized for the app (drawing errors surface here first)."""
    rows, cols = grid_shape(len(trace.stages))
    fig = stages_grid_figure(trace, InteractiveOptions(), cols=cols)
    fig.update_layout(height=rows * GRID_ROW_HEIGHT, autosize=True, width=None)
    return fig


def morph_figure(trace: Trace) -> go.Figure:
    """The morph view: one scene, a stage slider and play, frames for the browser."""
    fig = interactive_figure(trace, InteractiveOptions(steps=MORPH_STEPS, height=MORPH_HEIGHT))
    fig.update_layout(autosize=True, width=None)
    return fig


class Views:
    """Two plotly panes that stay on the page; ``show`` swaps in new figures."""

    def __init__(self) -> None:
        self.grid = FramesPlotly(None, config=PLOTLY_CONFIG, sizing_mode="stretch_width",
                                 css_classes=["sw-stages"], margin=(0, 5))
        self.morph = FramesPlotly(None, config=PLOTLY_CONFIG, sizing_mode="stretch_width",
                                  css_classes=["sw-morph"], margin=(0, 5),
                                  height=MORPH_HEIGHT)

    grid_figure = staticmethod(grid_figure)
    morph_figure = staticmethod(morph_figure)

    def show_grid(self, fig: go.Figure) -> None:
        self.grid.height = int(fig.layout.height or 400)
        self.grid.object = fig

    def show_morph(self, fig: go.Figure) -> None:
        self.morph.object = fig
