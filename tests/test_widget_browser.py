"""The notebook widget's front (``js/notebook/widget.js``) in headless Chromium, on a model
that stands in for anywidget's (get, set, on, save_changes): a view drawn before its data
came, a selection made in Python before that, a restarted kernel and data that cannot be
drawn each end in a message or a working view, never a broken one. The whole widget in
a real JupyterLab: test_widget_jupyterlab.py."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest

import spacewarp as sw
from spacewarp.render.widget import widget_esm

# the widget's module loaded from a Blob URL, rendered into #w on a stand-in model whose
# state starts as `state`; window.model lets the test change traits as the kernel would
SETUP = """async ([esm, state]) => {
  const listeners = {}
  const model = window.model = {
    state, sets: [],
    get(k) { return this.state[k] }, set(k, v) { this.state[k] = v; this.sets.push(k) },
    save_changes() {}, on(ev, f) { (listeners[ev] = listeners[ev] || []).push(f) },
    emit(ev) { for (const f of listeners[ev] || []) f() },
    change(k, v) { this.state[k] = v; this.emit(`change:${k}`) },
  }
  const url = URL.createObjectURL(new Blob([esm], {type: 'text/javascript'}))
  const widget = (await import(url)).default
  widget.render({model, el: document.getElementById('w')})
}"""
# the kernel's data, as the widget manager hands it over: buffers as DataViews
DATA = """([spec, blobs, ids]) => {
  const view = t => { const b = Uint8Array.fromBase64(t); return new DataView(b.buffer) }
  model.state.blobs = blobs.map(view); model.state.ids = view(ids)
  model.change('spec', spec)
}"""
TEXT = "() => document.getElementById('w').innerText"


@pytest.fixture(scope="module")
def widget() -> Any:
    trace = sw.run(input="gaussian", points=200, layers="2,3,2", device="cpu")
    return sw.widget(trace)


def _state(w: Any, **traits: Any) -> dict[str, Any]:
    state = {"spec": {}, "blobs": [], "ids": None, "position": 0.0, "playing": False,
             "selected": [], "hovered": -1, "color": None, "color_key": {}, "regions": False,
             "snapshot": -1, "error": ""}
    return {**state, **traits}


def _data(w: Any, blobs: list[bytes] | None = None) -> list[Any]:
    return [w.spec, [base64.b64encode(b).decode() for b in (blobs or w.blobs)],
            base64.b64encode(w.ids).decode()]


def _page(browser: Any, state: dict[str, Any]) -> tuple[Any, list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content('<div id="w"></div>')
    page.evaluate(SETUP, [widget_esm(), state])
    return page, errors


def test_a_view_drawn_before_its_data_draws_when_it_comes(browser: Any, widget: Any) -> None:
    """The view waits with a note, then draws once the data has come, and holds what was
    picked in Python meanwhile (a sync from the view leaves ``selected`` as it is)."""
    page, errors = _page(browser, _state(widget, selected=[3, 5, 8]))
    try:
        assert "waiting for the data" in page.evaluate(TEXT)
        page.evaluate(DATA, _data(widget))
        assert page.evaluate("() => !!document.querySelector('#w .sw-root')")
        assert "waiting" not in page.evaluate(TEXT)
        page.evaluate("() => model.change('position', 1.5)")  # drawn: the view syncs back
        assert page.evaluate("() => model.state.position") == 1.5
        assert page.evaluate("() => model.state.selected") == [3, 5, 8]
    finally:
        page.close()
    assert errors == []


def test_a_restarted_kernel_is_said_on_the_view(browser: Any, widget: Any) -> None:
    page, errors = _page(browser, _state(widget))
    try:
        page.evaluate(DATA, _data(widget))
        page.evaluate("() => model.emit('comm_live_update')")
        assert "kernel was restarted" in page.evaluate(
            "() => document.querySelector('#w .sw-notes').innerText")
    finally:
        page.close()
    assert errors == []


def test_data_that_cannot_be_drawn_is_said(browser: Any, widget: Any) -> None:
    """Buffers cut short (a broken message): a line says so, no exception escapes."""
    page, errors = _page(browser, _state(widget))
    try:
        page.evaluate(DATA, _data(widget, [b[:5] for b in widget.blobs]))
        assert "cannot be drawn" in page.evaluate(TEXT)
    finally:
        page.close()
    assert errors == []


def test_a_training_widget_highlights_only_the_data_it_picks(browser: Any) -> None:
    """A box around the whole view of a training: Python's ``selected`` is every data
    point, and the view highlights those and fades the probe grid's points, as Python
    holds the pick (they were highlighted too, a selection Python did not have)."""
    training = sw.train(input="moons", points=150, layers="2,4,2,2", activation="tanh",
                        epochs=6, snapshots=4, probe=5, lr=0.05, device="cpu", progress=False)
    w = sw.widget(training)
    ids = np.frombuffer(w.ids, "<i4")
    page, errors = _page(browser, _state(w, snapshot=w.snapshot))
    try:
        page.evaluate(DATA, _data(w))
        hooks = "document.querySelector('#w .sw-root').__spacewarp"
        before = np.array(page.evaluate(f"() => Array.from({hooks}.colors())"), np.uint32)
        r = page.locator("#w .sw-morph-canvas").bounding_box()
        page.keyboard.down("Control")  # Ctrl + drag: a box
        page.mouse.move(r["x"] + 1, r["y"] + 1)
        page.mouse.down()
        page.mouse.move(r["x"] + r["width"] - 1, r["y"] + r["height"] - 1, steps=4)
        page.mouse.up()
        page.keyboard.up("Control")
        assert page.evaluate("() => model.state.selected") == list(range(150))
        after = np.array(page.evaluate(f"() => Array.from({hooks}.colors())"), np.uint32)
        data = ids >= 0
        assert (after[data] == before[data]).all()  # picked: their own colours
        assert (after[~data] != before[~data]).all()  # the probe grid: faded
    finally:
        page.close()
    assert errors == []
