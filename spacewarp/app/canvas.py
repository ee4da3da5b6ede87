"""The explorer's views: the shared browser renderer (``render/js/film.js``) as one Panel
component.

Python sends one ``data`` update per change: the film spec of the trace
(``render.browser.film_spec``, binary arrays in base64). The renderer draws every stage
side by side and the morph view, whose slider and Play run in the browser; ``canvas.js``
only hands the spec to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import panel as pn
import param
from panel.viewable import Child

from ..render.browser import Blobs, film_spec, renderer_js
from ..trace import Trace


class StageCanvas(pn.custom.JSComponent):
    """Every stage side by side and the morph view; ``weights`` sits beside the morph."""

    data = param.Dict(default={}, doc="the film spec to draw: see ``payload``")
    weights = Child(doc="a Panel object shown beside the morph view")

    _esm = renderer_js() + (Path(__file__).parent / "canvas.js").read_text(encoding="utf-8")


def payload(trace: Trace, serial: int) -> dict[str, Any]:
    """The film spec of ``trace`` for the component (``serial`` tells changes apart)."""
    return film_spec(trace, None, Blobs("b64"), serial=serial)
