"""A plotly Figure that renders inline in notebooks with nothing installed but the package.

In a Jupyter kernel plotly's default output is only its own mime type
(``application/vnd.plotly.v1+json``), drawn by the ``jupyterlab-plotly`` extension that
the plotly wheel installs into the same environment, and by VS Code's built-in renderer.
When JupyterLab or Notebook 7 runs from another environment that extension is absent,
so this figure adds a ``text/html`` fallback that works offline: plotly.js itself
(no CDN, no MathJax) travels once per kernel, in the first figure shown, and every
figure after it draws with that copy. Front ends that know the plotly mime type prefer
it and ignore the fallback.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer

PLOTLY_MIME = "application/vnd.plotly.v1+json"
CONFIG = {"displaylogo": False, "responsive": True}
_sent = {"plotlyjs": False}  # whether this process has already shown plotly.js inline


class NotebookFigure(go.Figure):
    """``go.Figure`` whose notebook output carries an offline HTML fallback."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          validate: bool = True, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(super()._repr_mimebundle_(include, exclude, validate,
                                                                **kwargs))
        if PLOTLY_MIME not in bundle:
            bundle.update(pio.renderers["plotly_mimetype"].to_mimebundle(self.to_dict()))
        bundle["text/html"] = offline_html(self)
        return bundle

    def _ipython_display_(self) -> None:
        if not _only_mimetype_renderers():  # e.g. "browser" in a terminal: plotly's way
            super()._ipython_display_()
            return
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)


def offline_html(fig: go.Figure) -> str:
    """A ``<div>`` that draws ``fig``; the first one of a process also defines plotly.js."""
    first = not _sent["plotlyjs"]
    html = pio.to_html(fig, config=CONFIG, auto_play=False, include_plotlyjs=first,
                       include_mathjax=False, full_html=False, validate=False,
                       default_width="100%", default_height=fig.layout.height or 600)
    _sent["plotlyjs"] = True
    return html


def _only_mimetype_renderers() -> bool:
    default = pio.renderers.default
    if not pio.renderers.render_on_display or not default:
        return False
    return all(isinstance(pio.renderers[name], MimetypeRenderer)
               for name in default.split("+"))
