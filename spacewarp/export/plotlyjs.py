"""Which plotly.js a page inlines: the 3-D partial bundle when it can draw the figure.

plotly.js's ``gl3d`` bundle (1.75 MB, MIT, vendored from the npm package
``plotly.js-gl3d-dist-min``) parses in well under half the time of the full 4.8 MB
bundle, which is most of a page's time to first plot in a software-rendered browser.
It is used only when it has every trace type of the figure and is the same plotly.js
version as the installed plotly package; otherwise the full bundle is inlined.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs, get_plotlyjs_version

GL3D_FILE = Path(__file__).parent / "vendor" / "plotly-gl3d.min.js"
GL3D_VERSION = "4.1.1"
GL3D_TYPES = frozenset({"scatter", "scatter3d", "surface", "mesh3d", "isosurface", "volume",
                        "cone", "streamtube"})


def plotlyjs_for(fig: go.Figure) -> str:
    """The plotly.js source to inline for ``fig``: the gl3d bundle when it suffices."""
    types = {t.type or "scatter" for t in fig.data}
    for frame in fig.frames or ():
        types |= {t.type or "scatter" for t in frame.data}
    if types <= GL3D_TYPES and get_plotlyjs_version() == GL3D_VERSION and GL3D_FILE.is_file():
        return _gl3d()
    return get_plotlyjs()


@cache
def _gl3d() -> str:
    return GL3D_FILE.read_text(encoding="utf-8")
