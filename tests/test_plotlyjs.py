"""The page inlines the small gl3d bundle of plotly.js only where it can draw the figure."""

from __future__ import annotations

from pathlib import Path

import spacewarp as sw
from spacewarp.export.plotlyjs import GL3D_TYPES

GL3D_BANNER = "plotly.js (gl3d - minified) v"


def test_a_3d_film_inlines_the_gl3d_bundle_and_a_2d_one_the_full(tmp_path: Path) -> None:
    film3d = sw.run(points=200)  # 2,3,3,2: 3-D stages, drawn with scatter3d
    fig = sw.interactive(film3d, steps=1)
    assert {t.type for t in fig.data} <= GL3D_TYPES
    page3d = sw.write_html(film3d, tmp_path / "a.html", steps=1).read_text()
    assert GL3D_BANNER in page3d

    film2d = sw.run(points=200, layers="2,2,2")  # every stage 2-D: WebGL scattergl
    assert any(t.type == "scattergl" for t in sw.interactive(film2d, steps=1).data)
    page2d = sw.write_html(film2d, tmp_path / "b.html", steps=1).read_text()
    assert GL3D_BANNER not in page2d and "plotly.js v" in page2d
