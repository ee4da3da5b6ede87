"""The exported page: self-contained, small, carries its config and its film spec."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

import spacewarp as sw
from spacewarp.cli import main as cli_main
from spacewarp.config.experiment import validated
from spacewarp.errors import SpacewarpError
from spacewarp.export.html import write_html
from spacewarp.render.browser import JS_DIR


def _run(**kw: object) -> sw.Trace:
    return sw.run(sw.Experiment.model_validate(kw))


def _spec(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="spacewarp-spec">(.*?)</script>',
                      page, re.S)
    assert block is not None
    return json.loads(block.group(1))


def test_1e4_grid_page_is_small_and_requests_nothing(tmp_path: Path) -> None:
    trace = _run(input={"name": "grid", "points": 10_000})
    path = write_html(trace, tmp_path / "page.html")
    assert path.stat().st_size <= 1_500_000
    page = path.read_text()
    regl = (JS_DIR / "vendor" / "regl.min.js").read_text()
    assert page.count(regl) == 1  # inlined once; its error text names a URL it never fetches
    rest = page.replace(regl, "")
    assert not re.search(r"(src|href)\s*=", rest)
    assert not re.search(r"https?:|//cdn|import\s*\(|fetch\(|XMLHttpRequest", rest)
    spec = _spec(page)
    assert spec["n"] == 10_000 and spec["sample_note"] == ""  # every point drawn
    assert {k["dtype"] for k in spec["keys"]} == {"f4"}  # float32 below 1e5 points
    assert len(re.findall(r'class="spacewarp-blob"', page)) == len(spec["keys"]) + 2
    assert page.count("function mount(") == 1  # the renderer, inlined once


def test_page_embeds_the_resolved_experiment(tmp_path: Path) -> None:
    trace = _run(input={"name": "grid", "points": 400}, network={"activation": "relu"})
    page = write_html(trace, tmp_path / "grid.html").read_text()
    block = re.search(r'<script type="application/toml" id="spacewarp-experiment">(.*?)'
                      r"</script>", page, re.S)
    assert block is not None
    assert validated(tomllib.loads(block.group(1))) == trace.experiment
    assert validated(tomllib.loads(_spec(page)["experiment"])) == trace.experiment


def test_grid_layout_page(tmp_path: Path) -> None:
    trace = _run(input={"name": "gaussian", "points": 100})
    page = sw.write_html(trace, tmp_path / "g.html", layout="grid").read_text()
    assert _spec(page)["layout"] == "grid"
    with pytest.raises(SpacewarpError):
        sw.write_html(trace, tmp_path / "x.html", layout="mosaic")
    with pytest.raises(SpacewarpError, match="unknown option 'steps'"):
        sw.write_html(trace, tmp_path / "x.html", steps=3)


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
    assert "window.spacewarp = spacewarpRenderer.mount(" in out.read_text()
    assert cli_main(["html", "--points", "200", "--max-points", "50", "--out", str(out)]) == 0
    assert "50 of 200" in _spec(out.read_text())["sample_note"]
    before = out.read_bytes()
    for args in (["--out", str(tmp_path / "p.txt")],
                 ["--out", str(tmp_path / "nope" / "p.html")],
                 ["--points", "0", "--out", str(out)],
                 ["--max-points", "0", "--out", str(out)]):
        assert cli_main(["html", *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("spacewarp: error:") and "Traceback" not in err
    assert out.read_bytes() == before  # a failed run leaves the old page alone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]


def test_notebook_view_is_the_page_in_an_iframe() -> None:
    trace = _run(input={"name": "gaussian", "points": 50})
    view = sw.interactive(trace, theme="light")
    out = view._repr_html_()
    assert out.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in out
    assert "window.spacewarp = spacewarpRenderer.mount(" in view.page
    assert _spec(view.page)["theme"]["name"] == "light"
    assert _spec(sw.stages_grid(trace).page)["layout"] == "grid"


def test_spec_names_each_stages_axes_and_their_true_ranges() -> None:
    """A stage up to 3-D is shown in its own coordinates: named after its module (``fc2``)
    or its place (``h3`` in a Sequential, ``x`` the input), with the ranges of its points;
    a wider stage in its principal components, the third said to have no spread where the
    stage's points span 2 dimensions (it held rounding only and was named as a direction)."""
    import torch
    from torch import nn

    from spacewarp.render.browser import film_spec

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(2, 5), nn.Linear(5, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc2(torch.tanh(self.fc1(x)))

    torch.manual_seed(0)
    named = sw.run({"input": {"name": "gaussian", "points": 200}}, model=Net())
    plain = _run(input={"name": "gaussian", "points": 200}, network={"layers": [2, 5, 3]})
    for trace, last in ((named, "fc2"), (plain, "h3")):
        stages = film_spec(trace)["stages"]
        assert stages[0]["axes"] == ["x[0]", "x[1]"]
        for k in range(1, len(stages) - 1):  # a linear map of 2-D points has rank 2 (NumPy)
            centred = trace.stages[k].points - trace.stages[k].points.mean(axis=0)
            sv = np.linalg.svd(centred, compute_uv=False)
            third = "PC3" if sv[2] > 1e-9 * sv[0] else "PC3 (no spread)"
            assert stages[k]["axes"] == ["PC1", "PC2", third], k
        assert stages[-1]["axes"] == [f"{last}[{j}]" for j in range(3)]
        for k in (0, len(stages) - 1):  # own coordinates: the trace's points' ranges
            points = trace.stages[k].points
            want = np.stack([points.min(axis=0), points.max(axis=0)], axis=1)
            np.testing.assert_allclose(stages[k]["ranges"], want, rtol=1e-12)
