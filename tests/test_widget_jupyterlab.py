"""``sw.widget`` in a real JupyterLab, started here (loopback, a free port, no token, its
own root and JUPYTER_* dirs) and driven by headless Chromium: a cell makes the widget, the
slider is dragged and Python reads ``position``; Python sets ``position`` and the drawn
coordinates are the stage's; a lasso picks points and Python reads ``selected``; a
colour array and a bad one; a kernel restart leaves a note on the view."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import nbformat
import numpy as np
import pytest

import spacewarp as sw

RUN = dict(input="spiral", points=300, layers="2,2,2", activation="relu", seed=4, device="cpu")
CELLS = [
    f"import numpy as np, spacewarp as sw\ntrace = sw.run(**{RUN!r})\nw = sw.widget(trace)\nw",
    "print('POSITION', repr(w.position))",
    "w.position = 1.0",
    "print('SELECTED', w.selected, w.selection().points.shape)",
    "w.color = trace.stages[0].points[:, 1]",
    "w.color = np.zeros(3)",
    "print('HOVERED', w.hovered)",
    "w.position = w.stages - 1.3\nw.playing = True",
    "print('PLAYING', w.playing)",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 serving a notebook of CELLS; its address; stopped after."""
    root = tmp_path_factory.mktemp("lab")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, root / "widget.ipynb")
    env = {**os.environ, **{f"JUPYTER_{k}_DIR": str(root / f".{k.lower()}")
                            for k in ("CONFIG", "DATA", "RUNTIME")},
           "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"), "IPYTHONDIR": str(root / ".ipython"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces")}
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{address}/api/status", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        yield address
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _run_cell(page: Any, k: int) -> str:
    """Run cell k of the open notebook; the text of its output area once it finished (its
    prompt shows a new execution count)."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(k)
    before = cell.evaluate("c => c.querySelector('.jp-InputPrompt').textContent")
    page.evaluate("""k => { const app = window.jupyterapp
        app.shell.currentWidget.content.activeCellIndex = k
        return app.commands.execute('notebook:run-cell') }""", k)
    page.wait_for_function("""([c, before]) => {
        const p = c.querySelector('.jp-InputPrompt').textContent
        return p !== before && /\\[\\d+\\]/.test(p) }""", arg=[cell.element_handle(), before],
                           timeout=30_000)
    return cell.locator(".jp-OutputArea").inner_text()


def _printed(page: Any, k: int, word: str) -> str:
    text = _run_cell(page, k)
    m = re.search(rf"{word} (.*)", text)
    assert m, text
    return m.group(1)


def _printed_once_arrived(page: Any, k: int, word: str, ok: Any) -> str:
    """What cell k prints after ``word``, asked again (up to 5 times, 300 ms apart) until
    ``ok`` holds: the view's updates reach the kernel one message at a time, so a cell
    run at once can still see the value before the last one (the final value must come)."""
    said = [_printed(page, k, word)]
    while not ok(said[-1]) and len(said) < 5:
        page.wait_for_timeout(300)
        said.append(_printed(page, k, word))
    return said[-1]


def test_the_widget_talks_both_ways_in_jupyterlab(lab: str, browser: Any) -> None:
    trace = sw.run(**RUN)  # the reference: the same run in this process
    page = browser.new_page(viewport={"width": 1300, "height": 1100})
    page.goto(f"{lab}/lab/tree/widget.ipynb")
    page.wait_for_function("() => window.jupyterapp?.shell.currentWidget?.sessionContext"
                           "?.session?.kernel?.status === 'idle'", timeout=60_000)
    _run_cell(page, 0)
    page.wait_for_selector(".sw-root[data-sw-version]", timeout=30_000)
    hooks = "document.querySelector('.sw-root').__spacewarp"

    slider = page.locator(".sw-stage-slider")  # drag the thumb from 0 to 60 % of the track
    box = slider.bounding_box()
    page.mouse.move(box["x"] + 8, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.6 * box["width"], box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    shown = float(slider.input_value())
    assert 0.5 < shown < len(trace.stages) - 1
    got = _printed_once_arrived(page, 1, "POSITION",
                                lambda s: float(s) == pytest.approx(shown, abs=1e-9))
    assert float(got) == pytest.approx(shown, abs=1e-9)

    _run_cell(page, 2)  # Python moves the view to stage 1
    page.wait_for_function(f"() => {hooks}.morph.s === 1")
    drawn = np.array(page.evaluate(f"() => Array.from({hooks}.morph.points)")).reshape(-1, 3)
    np.testing.assert_allclose(drawn[:, :2], trace.stages[1].points, rtol=1e-5, atol=1e-5)
    assert float(slider.input_value()) == 1.0

    _lasso_right_half(page, trace, hooks)
    colors = _colour_cells(page, hooks)
    assert len(set(colors)) > 50  # a colour map over the values, not the classes' three
    _hover_and_play(page, hooks)
    _restart_kernel(page)
    page.close()


def _lasso_right_half(page: Any, trace: sw.Trace, hooks: str) -> None:
    """Shift + drag a lasso around the points right of a gap in x at stage 1 (a flat view:
    screen x grows with x); Python's ``selected`` is those points."""
    x = trace.stages[1].points[:, 0]
    order = np.argsort(x)
    a, b = (int(i) for i in order[len(x) // 2: len(x) // 2 + 2])
    expected = sorted(np.flatnonzero(x > (x[a] + x[b]) / 2).tolist())
    cut = (page.evaluate(f"i => {hooks}.screenOf(i)[0]", a)
           + page.evaluate(f"i => {hooks}.screenOf(i)[0]", b)) / 2
    r = page.locator(".sw-morph-canvas").bounding_box()
    page.keyboard.down("Shift")
    page.mouse.move(cut, r["y"] + 2)
    page.mouse.down()
    for px, py in [(r["x"] + r["width"] - 2, r["y"] + 2),
                   (r["x"] + r["width"] - 2, r["y"] + r["height"] - 2),
                   (cut, r["y"] + r["height"] - 2)]:
        page.mouse.move(px, py, steps=4)
    page.mouse.up()
    page.keyboard.up("Shift")
    got = _printed_once_arrived(page, 3, "SELECTED",
                                lambda s: json.loads(s.split("] ")[0] + "]") == expected)
    assert json.loads(got.split("] ")[0] + "]") == expected
    assert got.endswith(f"({len(expected)}, 2)")


def _colour_cells(page: Any, hooks: str) -> list[int]:
    """A colour per point from Python is drawn; a wrong length is refused with a message."""
    before = page.evaluate(f"() => Array.from({hooks}.colors())")
    _run_cell(page, 4)
    page.wait_for_function(f"b => Array.from({hooks}.colors()).some((c, i) => c !== b[i])",
                           arg=before)
    colors = page.evaluate(f"() => Array.from({hooks}.colors())")
    said = _run_cell(page, 5)
    assert "color needs one value (or RGB row) per point" in said
    assert page.evaluate(f"() => Array.from({hooks}.colors())") == colors  # kept
    return colors


def _hover_and_play(page: Any, hooks: str) -> None:
    """The pointer over a point: Python's ``hovered`` is it; Python presses Play near the
    end: the view plays, and when the film ends Python reads ``playing`` False."""
    n = page.evaluate(f"() => {hooks}.morph.points.length / 3")
    screen = np.array(page.evaluate(
        f"n => Array.from({{length: n}}, (_, i) => {hooks}.screenOf(i))", n))
    at = screen[17] + 0.3
    page.mouse.move(*at)
    nearest = int(np.argmin(((screen - at) ** 2).sum(axis=1)))
    got = _printed_once_arrived(page, 6, "HOVERED", lambda s: s == str(nearest))
    assert int(got) == nearest
    _run_cell(page, 7)
    page.wait_for_function("() => /Pause/.test(document.querySelector('.sw-play').textContent)")
    page.wait_for_function("() => /Play/.test(document.querySelector('.sw-play').textContent)",
                           timeout=30_000)
    # the view's last updates may wait for the kernel's reply to earlier ones (ipywidgets
    # sends one at a time while Play streams positions): ask until they have arrived
    said = [_printed(page, 8, "PLAYING")]
    while said[-1] != "False" and len(said) < 5:
        page.wait_for_timeout(300)
        said.append(_printed(page, 8, "PLAYING"))
    assert said[-1] == "False", said


def _restart_kernel(page: Any) -> None:
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                  ".restart()")
    page.wait_for_function("() => /kernel was restarted/.test("
                           "document.querySelector('.sw-notes').textContent)", timeout=20_000)
