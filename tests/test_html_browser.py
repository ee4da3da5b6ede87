"""The exported page in headless Chromium: the shared renderer draws the film spec, offline.

Drawn coordinates are read back through the renderer's test hook
(``window.spacewarp.drawn()``: the morph view's points as last drawn) and compared with
the trace's own stages (display coordinates, float64) and their straight-line midpoints.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pages import open_page

import spacewarp as sw
from spacewarp.export.html import HtmlOptions, write_html
from spacewarp.render.blobs import LEVELS
from spacewarp.render.browser import BrowserOptions
from spacewarp.view import FilmOptions, display_coords, morphs, pad

F32 = {"rtol": 1e-6, "atol": 1e-6}  # float32 in the page against the float64 trace

# the morph view's canvases composed; the share of pixels that changed since the last call
PIXELS = """() => {
  const c = document.querySelectorAll('.sw-stack canvas'), out = document.createElement('canvas')
  out.width = c[0].width; out.height = c[0].height
  const g = out.getContext('2d')
  for (const x of c) if (x.style.display !== 'none') g.drawImage(x, 0, 0)
  const now = g.getImageData(0, 0, out.width, out.height).data, before = window.swShot
  window.swShot = now
  if (!before) return null
  let differ = 0  // pixels where a channel differs by more than 40
  for (let i = 0; i < now.length; i += 4) {
    let m = 0
    for (let j = 0; j < 3; j++) m = Math.max(m, Math.abs(now[i + j] - before[i + j]))
    if (m > 40) differ++
  }
  return differ / (now.length / 4)
}"""
SHOW = "(p) => { window.spacewarp.show(p); return Array.from(window.spacewarp.drawn().points) }"
STAGE = "(k) => Array.from(window.spacewarp.stage(k))"


def _run(**kw: object) -> sw.Trace:
    return sw.run(sw.Experiment.model_validate(kw))



def _shown(trace: sw.Trace) -> list[np.ndarray]:
    """Per stage, the points as shown, padded to 3-D: (n, 3) float64. With every stage at
    most 3-D that is the stage itself (the trace); a film with a wider stage shows each
    stage as the view step's morph into it ends (in that morph's projection)."""
    if all(s.dim <= 3 for s in trace.stages):
        return [pad(s.points, 3) for s in trace.stages]
    path = morphs(trace)
    ends = {m.to_stage: m.end for m in path if m.kind != "projection"}
    return [pad(path[0].start, 3)] + [pad(ends[k], 3) for k in range(1, len(trace.stages))]


def _drawn(page: Any, position: float) -> np.ndarray:
    return np.array(page.evaluate(SHOW, position), dtype=np.float64).reshape(-1, 3)


def _decode_i2(desc: dict[str, Any], text: str) -> np.ndarray:
    """An int16 key from its base64 text block (the standard library's decoder)."""
    n, d = desc["shape"]
    q = np.frombuffer(base64.b64decode(text, validate=True), "<i2").reshape(n, d)
    return np.asarray(desc["lo"]) + (q.astype(np.float64) + 32767) * np.asarray(desc["step"])


def _blob_texts(path: Path) -> list[str]:
    """The page file's base64 text blocks, in order."""
    return re.findall(r'<script type="text/plain" class="spacewarp-blob">([^<]*)</script>',
                      path.read_text(encoding="utf-8"))


def test_page_draws_once_and_keeps_no_data_text(browser: Any, tmp_path: Path) -> None:
    """On load each view is drawn once (the ResizeObserver's first call, at the size drawn
    already, draws nothing), and the data's text blocks are gone from the page once
    decoded; what the renderer decoded is the file's data."""
    trace = _run(input={"name": "gaussian", "points": 500})
    path = write_html(trace, tmp_path / "once.html", HtmlOptions(BrowserOptions(quantise_from=100)))
    page, errors, _ = open_page(browser, path)
    try:
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                      "requestAnimationFrame(r)))")  # the ResizeObserver has been called
        assert page.evaluate("() => window.spacewarp.root.dataset.swVersion") == "1"
        assert page.evaluate("() => document.querySelectorAll('script.spacewarp-blob').length") == 0
        spec = json.loads(page.locator("#spacewarp-spec").text_content())
        desc = spec["keys"][spec["stages"][2]["key"]]
        mine = _decode_i2(desc, _blob_texts(path)[desc["blob"]])
        theirs = np.array(page.evaluate(STAGE, 2)).reshape(-1, 3)[:, : mine.shape[1]]
        np.testing.assert_allclose(theirs, mine.astype(np.float32), rtol=1e-7, atol=0)
    finally:
        page.close()
    assert errors == []


# the morph canvas's colour at the device pixel of each point i in `rows` (CSS positions
# from the screenOf hook, which projects without drawing)
PIXELS_AT = """(rows) => {
  const api = window.spacewarp, c = document.querySelector('canvas.sw-morph-canvas')
  const r = c.getBoundingClientRect()
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
  return rows.map(i => {
    const [x, y] = api.screenOf(i)
    const o = 4 * (Math.round(y - r.top) * c.width + Math.round(x - r.left))
    return [d[o], d[o + 1], d[o + 2]]
  })
}"""


def test_canvas_draws_one_pixel_points_where_they_project(browser: Any, tmp_path: Path) -> None:
    """From 200,000 points a point is one device pixel, drawn by its own loop: every point
    lands on a lit pixel where the projection puts it (hidden ones under another point)."""
    trace = _run(input={"name": "gaussian", "points": 200_001})
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "px.html"))
    try:
        page.evaluate("() => { window.spacewarp.useWebGL(false); window.spacewarp.show(1.5) }")
        rows = np.random.default_rng(0).choice(trace.n, 300, replace=False).tolist()
        got = np.array(page.evaluate(PIXELS_AT, rows))
        background = np.array(page.evaluate("() => window.spacewarp.root.style.background"
                                            ".match(/\\d+/g).map(Number)"))
        assert (np.abs(got - background).max(axis=1) > 40).all(), got[:5]
    finally:
        page.close()
    assert errors == []


def _offline(errors: list[str], requests: list[str]) -> None:
    assert errors == []
    assert requests and all(u.split(":")[0] in ("file", "data", "blob") for u in requests), \
        requests


@pytest.mark.parametrize("experiment", [
    {"input": {"name": "gaussian", "points": 400}},  # 2 -> 3 -> 3 -> 2: a 3-D film
    {"input": {"name": "grid", "points": 400},  # 2-D all through, with lattice lines
     "network": {"layers": [2, 2, 2], "activation": "relu", "init": "random"}},
    {"input": {"name": "line"}},  # 1-D, drawn on a line
    {"input": {"name": "spiral", "points": 300, "color_by": "label"}, "style": {"theme": "light"}},
    {"input": {"name": "gaussian", "points": 300},  # a 5-D stage, shown through PCA
     "network": {"layers": [2, 5, 2], "init": "random"}},
])
def test_show_draws_each_stage_and_the_midpoints(browser: Any, tmp_path: Path,
                                                 experiment: dict[str, Any]) -> None:
    trace = _run(**experiment)
    want = _shown(trace)
    page, errors, requests = open_page(browser, write_html(trace, tmp_path / "page.html"))
    try:
        assert page.evaluate("() => window.spacewarp.stages") == len(trace.stages)
        for k in range(len(trace.stages)):
            np.testing.assert_allclose(_drawn(page, k), want[k], **F32)
        for k in range(len(trace.stages) - 1):
            if max(trace.stages[k].dim, trace.stages[k + 1].dim) > 3:
                continue  # the view may turn between projections there (a second morph)
            np.testing.assert_allclose(_drawn(page, k + 0.5), (want[k] + want[k + 1]) / 2,
                                       rtol=1e-5, atol=1e-5)
        assert page.locator(".sw-panel").count() == len(trace.stages)
        if any(s.dim > 3 for s in trace.stages):
            assert "PCA of 5-D" in page.locator(".sw-panel").nth(1).inner_text()
        title = page.locator(".sw-morph-title").inner_text()
        assert trace.stages[-1].title in title
        if trace.labels is not None:
            assert page.evaluate("() => JSON.parse(document.getElementById("
                                 "'spacewarp-spec').textContent).color.legend.length") == 3
    finally:
        page.close()
    _offline(errors, requests)


def test_webgl_and_canvas_draw_the_same_points_and_pixels(browser: Any,
                                                           tmp_path: Path) -> None:
    """The WebGL morph view draws where the canvas path does: same coordinates handed to
    each, and the points land on the same pixels (their colours read back from both)."""
    trace = _run(input={"name": "grid", "points": 400},
                 network={"layers": [2, 2, 2], "activation": "relu", "init": "random"})
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "gl.html"))

    try:
        for on in (False, True):
            page.evaluate("(on) => window.spacewarp.useWebGL(on)", on)
            mid = (_shown(trace)[1] + _shown(trace)[2]) / 2
            np.testing.assert_allclose(_drawn(page, 1.5), mid, rtol=1e-5, atol=1e-5)
            differ = page.evaluate(PIXELS)
        assert page.evaluate("() => window.spacewarp.renderer") == "webgl"
        assert differ < 0.01, differ  # edges of points may move by a pixel
    finally:
        page.close()
    assert errors == []


def test_quantised_page_decodes_within_its_stated_precision(browser: Any,
                                                           tmp_path: Path) -> None:
    trace = _run(input={"name": "gaussian", "points": 500})
    opts = HtmlOptions(BrowserOptions(quantise_from=100))
    page, errors, requests = open_page(browser, write_html(trace, tmp_path / "q.html", opts))
    try:
        assert "7.6e-06" in page.locator("#sw-precision").inner_text()
        spec = json.loads(page.locator("#spacewarp-spec").text_content())
        blobs = _blob_texts(tmp_path / "q.html")  # the page drops them once decoded
        for k, stage in enumerate(trace.stages):
            # the round trip: the spec decoded here (a reference decoder) equals the
            # renderer's decoded arrays, and both are the trace within the stated precision
            desc = spec["keys"][spec["stages"][k]["key"]]
            mine = _decode_i2(desc, blobs[desc["blob"]])
            theirs = np.array(page.evaluate(STAGE, k)).reshape(-1, 3)[:, : mine.shape[1]]
            np.testing.assert_allclose(theirs, mine.astype(np.float32), rtol=1e-7, atol=0)
            x = display_coords(stage.points)
            half_step = (x.max(axis=0) - x.min(axis=0)) / LEVELS / 2
            got = np.array(page.evaluate(STAGE, k)).reshape(-1, 3)[:, : x.shape[1]]
            err = np.abs(got - x)  # float32 rounding on top of the quantisation
            assert (err <= half_step + 1e-6 * np.abs(x).max()).all(), k
            drawn = _drawn(page, k)[:, : x.shape[1]]
            np.testing.assert_array_equal(drawn, got)
    finally:
        page.close()
    _offline(errors, requests)


@pytest.mark.parametrize("webgl", [False, True])
def test_hover_names_the_point_under_the_pointer(browser: Any, tmp_path: Path,
                                                 webgl: bool) -> None:
    trace = _run(input={"name": "grid", "points": 100})  # 10 x 10: points far apart
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "h.html"))
    try:
        page.evaluate("(on) => window.spacewarp.useWebGL(on)", webgl)
        assert page.evaluate("() => window.spacewarp.renderer") == ("webgl" if webgl else "canvas")
        page.evaluate("() => window.spacewarp.show(1)")
        for i in (0, 37, 99):
            x, y = page.evaluate("(i) => window.spacewarp.screenOf(i)", i)
            page.mouse.move(x, y)
            tip = page.locator(".sw-tip")
            assert tip.get_attribute("data-index") == str(i)
            text = tip.inner_text()
            inp = trace.stages[0].points[i]
            assert f"input ({round(inp[0], 3):g}, {round(inp[1], 3):g})" in text, text
            now = np.round(trace.stages[1].points[i], 3)
            assert f"now   ({', '.join(f'{v:g}' for v in now)})" in text, text
    finally:
        page.close()
    assert errors == []


def test_play_runs_to_the_output_and_pause_stops(browser: Any, tmp_path: Path) -> None:
    trace = _run(input={"name": "line"})
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "line.html"))
    try:
        page.select_option(".sw-speed", "4")
        page.evaluate("() => window.spacewarp.play()")
        page.wait_for_function("() => !window.spacewarp.playing", timeout=30_000)
        drawn = np.array(page.evaluate("() => Array.from(window.spacewarp.drawn().points)"))
        np.testing.assert_allclose(drawn.reshape(-1, 3), _shown(trace)[-1], **F32)
        page.evaluate("() => { window.spacewarp.show(0); window.spacewarp.play() }")
        page.wait_for_timeout(300)
        page.evaluate("() => window.spacewarp.pause()")
        at = page.evaluate("() => window.spacewarp.drawn().position")
        page.wait_for_timeout(300)
        assert 0 < at < len(trace.stages) - 1
        assert page.evaluate("() => window.spacewarp.drawn().position") == at
    finally:
        page.close()
    assert errors == []


def test_sampled_page_says_so_and_shows_the_trace_note(browser: Any, tmp_path: Path) -> None:
    trace = replace(_run(input={"name": "gaussian", "points": 400}),
                    note="stages are module outputs; operations between them are not shown")
    opts = HtmlOptions(BrowserOptions(film=FilmOptions(max_points=150, sample_seed=7)))
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "s.html", opts))
    try:
        note = page.locator("#sw-sample-note").inner_text()
        assert "150 of 400" in note and "seed 7" in note
        assert page.locator("#sw-trace-note").inner_text() == trace.note
        assert len(_drawn(page, 0)) == 150
    finally:
        page.close()
    assert errors == []


# the fallback base64 decoder (browsers without Uint8Array.fromBase64), on bytes of every
# value and every tail length (0, 1 and 2 bytes after whole 3-byte groups)
FALLBACK = """(texts) => {
  const native = Uint8Array.fromBase64
  delete Uint8Array.fromBase64
  try { return texts.map(t => Array.from(spacewarpRenderer.base64Bytes(t))) }
  finally { Uint8Array.fromBase64 = native }
}"""


def test_blocks_decode_without_the_native_decoder(browser: Any, tmp_path: Path) -> None:
    """Where the browser has no ``Uint8Array.fromBase64``, the renderer's own decoder gives
    the bytes the standard library encoded; the page decodes each block as it is read,
    so none is left once it is ready."""
    trace = _run(input={"name": "gaussian", "points": 50})
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "b64.html"))
    try:
        data = [bytes(range(256)) * 2 + bytes(range(k)) for k in range(3)]
        texts = [base64.b64encode(d).decode("ascii") for d in data]
        assert [bytes(b) for b in page.evaluate(FALLBACK, texts)] == data
        assert page.evaluate("() => document.querySelectorAll('script.spacewarp-blob').length") == 0
    finally:
        page.close()
    assert errors == []


GL_SHOWN = "() => getComputedStyle(document.querySelector('canvas.sw-gl')).display !== 'none'"


def test_first_drawing_is_the_canvas_and_webgl_takes_over(browser: Any, tmp_path: Path) -> None:
    """A page is ready once its views are drawn on the 2-D canvas, without waiting for a
    WebGL context and its first frame (in software GL ~1 s for 1e6 points); from the next
    drawing the morph view is WebGL's, at the same size, and draws the film's points."""
    trace = _run(input={"name": "gaussian", "points": 300})
    page, errors, _ = open_page(browser, write_html(trace, tmp_path / "gl.html"))
    try:
        assert page.evaluate("() => window.spacewarp.root.dataset.swVersion") == "1"
        assert not page.evaluate(GL_SHOWN)  # the first drawing: canvas only
        np.testing.assert_allclose(_drawn(page, 2.0), pad(trace.stages[2].points, 3), **F32)
        assert page.evaluate("() => window.spacewarp.renderer") == "webgl"
        assert page.evaluate(GL_SHOWN)
        sizes = page.evaluate("""() => Array.from(document.querySelectorAll('.sw-stack canvas'),
            c => [c.width, c.height, c.style.width, c.style.height])""")
        assert sizes[0] == sizes[1]  # the WebGL canvas over the 2-D one, at its size
    finally:
        page.close()
    assert errors == []


def test_the_pages_box_zooms_as_the_films_holding_what_both_ends_hold(browser: Any) -> None:
    """spec.js's boxAt between a big box and a small one in its corner equals the view
    step's zoomed_box (NumPy) at every u: it holds the small box throughout (a centre
    eased linearly beside a geometric size left it, and the points in it, out of view)."""
    from spacewarp.view.motion import zoomed_box

    source = (Path(sw.__file__).parent / "render" / "js" / "spec.js").read_text()
    source = re.sub(r"^export (const|let) ", r"\1 ", source, flags=re.M)
    source = re.sub(r"^export function (\w+)", r"m.\1 = function \1", source, flags=re.M)
    big, small = {"c": [0.0, 0.0, 0.0], "h": 10.0}, {"c": [9.0, -9.0, 9.0], "h": 0.5}
    page = browser.new_page()
    try:
        got = page.evaluate(
            "([src, a, b]) => { const m = {}; new Function('m', src)(m); return [0.1, 0.3, "
            "0.5, 0.7, 0.9].map(u => m.boxAt({boxes: [[0, a], [1, b]]}, u)) }",
            [source, big, small])
    finally:
        page.close()
    a = np.array([[-10.0, 10.0]] * 3)
    b = np.array([[8.5, 9.5], [-9.5, -8.5], [8.5, 9.5]])
    for u, box in zip([0.1, 0.3, 0.5, 0.7, 0.9], got, strict=True):
        want = zoomed_box(a, b, u * u * (3 - 2 * u))  # the renderer's smoothstep
        np.testing.assert_allclose(np.array(box["c"]), want.mean(axis=1), rtol=1e-9)
        np.testing.assert_allclose(box["h"], np.ptp(want, axis=1)[0] / 2, rtol=1e-9)
