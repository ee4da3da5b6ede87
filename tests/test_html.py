"""The exported page: self-contained, small, carries its config, says when it samples."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import spacewarp as sw
from spacewarp.cli import main as cli_main
from spacewarp.config import validated
from spacewarp.errors import SpacewarpError
from spacewarp.export.html import HtmlOptions, write_html
from spacewarp.render.interactive import InteractiveOptions

# banners: the full bundle "plotly.js v4...", the 3-D partial one "plotly.js (gl3d ...) v4..."
LIBRARY = re.compile(r"<script>/\*\*\s*\* plotly\.js (\(gl3d - minified\) )?v.*?</script>", re.S)


def _outside_library(page: str) -> str:
    """The page without the inlined plotly.js (whose code names URLs it never fetches here)."""
    rest, n = LIBRARY.subn("", page)
    assert n == 1, "plotly.js must be inlined exactly once"
    return rest


def _run(**kw: object) -> sw.Trace:
    return sw.run(sw.Experiment.model_validate(kw))


def test_default_page_for_1e4_points_is_small_and_self_contained(tmp_path: Path) -> None:
    trace = _run(input={"name": "gaussian", "points": 10_000})
    path = write_html(trace, tmp_path / "page.html")
    assert path.stat().st_size < 10_000_000
    page = path.read_text()
    rest = _outside_library(page)
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", rest)
    assert not re.search(r"https?://", rest)
    assert '"dtype":"f4"' in rest and '"bdata"' in rest  # float32 binary arrays
    assert "spacewarp-sample-note" not in page  # 1e4 points are all drawn


def test_page_embeds_the_resolved_experiment(tmp_path: Path) -> None:
    trace = _run(input={"name": "grid", "points": 400}, network={"activation": "relu"})
    page = write_html(trace, tmp_path / "grid.html").read_text()
    block = re.search(r'<script type="application/toml" id="spacewarp-experiment">(.*?)'
                      r"</script>", page, re.S)
    assert block is not None
    assert validated(tomllib.loads(block.group(1))) == trace.experiment
    assert "<details>" in page and "activation = &quot;relu&quot;" in page


def test_above_the_point_limit_the_page_says_it_samples(tmp_path: Path) -> None:
    trace = _run(input={"name": "gaussian", "points": 400})
    opts = HtmlOptions(figure=InteractiveOptions(max_points=100, sample_seed=7))
    page = write_html(trace, tmp_path / "s.html", opts).read_text()
    note = re.search(r'<p class="note" id="spacewarp-sample-note">(.*?)</p>', page)
    assert note is not None and "100 of 400" in note.group(1) and "seed 7" in note.group(1)


def test_grid_layout_page(tmp_path: Path) -> None:
    trace = _run(input={"name": "gaussian", "points": 100})
    page = write_html(trace, tmp_path / "g.html", HtmlOptions(layout="grid")).read_text()
    assert page.count('"name":"stage ') == 6 and '"scene4":' in page and '"scene5":' not in page


def test_bad_targets_raise_and_leave_nothing(tmp_path: Path) -> None:
    trace = _run(input={"name": "gaussian", "points": 20})
    for bad in (tmp_path / "page.png", tmp_path / "missing" / "page.html", tmp_path):
        with pytest.raises(SpacewarpError):
            write_html(trace, bad)
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_the_page_and_refuses_bad_input(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.html"
    assert cli_main(["html", "--points", "200", "--activation", "relu", "--out", str(out)]) == 0
    assert "Plotly.newPlot" in out.read_text()
    before = out.read_bytes()
    for args in (["--out", str(tmp_path / "p.txt")],
                 ["--out", str(tmp_path / "nope" / "p.html")],
                 ["--points", "0", "--out", str(out)]):
        assert cli_main(["html", *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("spacewarp: error:") and "Traceback" not in err
    assert out.read_bytes() == before  # a failed run leaves the old page alone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]
