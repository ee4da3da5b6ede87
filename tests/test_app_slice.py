"""The explorer's slice controls (issue 18): rows I,J,K (or pca) and the slice's box, for
the views and for training. References made here: NumPy's QR for the axes, forward hooks
of the network on ``origin + u @ axes``, and the CLI's own one-line messages."""

from __future__ import annotations

import html
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from hooks import hooked_stages
from test_app_train import Loop, opened, settled
from torch import nn

import spacewarp as sw
from spacewarp.app.controls import NO_SLICE_DATA
from spacewarp.app.edits import set_weight
from spacewarp.app.session import Explorer
from spacewarp.app.training_task import LiveRun, decision_rows_for, frame, paused_frame, update
from spacewarp.cli import main
from spacewarp.inputs.points import make_points
from spacewarp.view.colors import class_rgb, decision_rgb, decision_strength
from spacewarp.view.live import FADE_LEVELS

DIGITS = make_points("digits")  # (1797, 64)
CONFIG = {"input": {"name": "digits", "points": 400},
          "network": {"layers": [64, 8, 10], "activation": "relu", "bias": True,
                      "init": "random"},
          "train": {"lr": 0.01, "epochs": 3, "probe": 12}}


@pytest.fixture
def loop() -> Iterator[Loop]:
    lp = Loop()
    yield lp
    lp.pool.shutdown(wait=True, cancel_futures=True)


def qr_axes(x: np.ndarray, rows: list[int]) -> np.ndarray:
    q, r = np.linalg.qr((x[rows[1:]] - x[rows[0]]).T)  # (D, 2), (2, 2)
    return (q * np.sign(np.diag(r))).T


def cli_message(capsys: pytest.CaptureFixture[str], tmp_path, slice_text: str) -> str:
    """What ``spacewarp render --slice`` says of ``slice_text``, without its prefix."""
    assert main(["render", "--input", "digits", "--slice", slice_text, "--layers", "64,3",
                 "--out", str(tmp_path / "out")]) == 2
    return capsys.readouterr().err.strip().removeprefix("spacewarp: error: --slice: ")


def test_the_slice_controls_put_the_points_on_the_plane(loop: Loop) -> None:
    ex = opened(loop, CONFIG)
    ex.change("slice", "0,6,8")
    loop.pump(lambda: ex.worker.idle)
    trace = ex.trace
    assert trace is not None and trace.frame is not None, ex.controls.error_text("slice")
    np.testing.assert_allclose(trace.frame.axes, qr_axes(DIGITS.x, [0, 6, 8]), atol=1e-12)
    assert ex.controls.widgets["slice"].value == "0,6,8"
    ex.change("bounds", "-10,60,-10,45")
    loop.pump(lambda: ex.worker.idle)
    assert ex.trace.frame.box == (-10, 60, -10, 45)  # type: ignore[union-attr]
    u = ex.trace.stages[0].points  # type: ignore[union-attr]
    assert u[:, 0].min() == -10 and u[:, 1].max() == 45
    ex.change("slice", "")  # back to the data's own points
    loop.pump(lambda: ex.worker.idle)
    assert ex.trace.frame is None and ex.trace.stages[0].dim == 64  # type: ignore[union-attr]
    ex.close()


@pytest.mark.parametrize("text", ["0,6,5000", "0,6,0", "0,x"])
def test_bad_rows_get_the_clis_message_beside_the_slice_control(
        loop: Loop, capsys: pytest.CaptureFixture[str], tmp_path, text: str) -> None:
    want = cli_message(capsys, tmp_path, text)
    ex = opened(loop, CONFIG)
    before = ex.experiment
    ex.change("slice", text)
    loop.pump(lambda: ex.worker.idle)
    shown = html.unescape(ex.controls.error_text("slice"))
    assert want in shown, (want, shown)
    assert ex.experiment == before
    ex.change("bounds", "-1,1,-1,1")  # no slice: refused beside the box
    loop.pump(lambda: ex.worker.idle)
    assert "give the slice first" in ex.controls.error_text("bounds")
    ex.close()


def stepped_on(loop: Loop, rows: str) -> tuple[Explorer, LiveRun]:
    """An explorer on the slice through ``rows``, trained one step with its Step button."""
    ex = opened(loop, CONFIG)
    ex.change("slice", rows)
    loop.pump(lambda: ex.worker.idle)
    ex.trainer.press("step")
    settled(loop, ex)
    run = ex.trainer.run
    assert run is not None and run.fit.epoch == 1, ex.controls.error_text("train")
    return ex, run


def test_training_in_the_explorer_trains_on_the_data_and_shows_the_slice(
        loop: Loop) -> None:
    ex, run = stepped_on(loop, "0,6,8")
    assert run.fit.data.points.x.shape == (1797, 64)  # trained on every row, 64-D
    frame = run.fit.data.frame
    assert frame is not None and run.probe is not None
    u = run.joint.x  # (P + 3, 2): the probe's rows, then the anchors
    assert run.n_probe == 144 and u.shape == (147, 2)
    np.testing.assert_allclose(u[run.n_probe:], frame.anchors)
    live = update(run)  # the live views' stages, checked against hooks of the network now
    model = run.fit.model
    # the first layer's heading is its map from the slice (d x 2 for Linear 64 -> d), as
    # the first frame's heading: W axes^T, from the layer's own W and NumPy's QR axes
    w = model[0].weight.detach().numpy()  # (d, 64)
    rows = run.fit.data.points.x[[0, 6, 8]]
    q = np.linalg.qr((rows[1:] - rows[0]).T)[0].T  # (2, 64): Gram-Schmidt, up to sign
    composed = w @ frame.axes.T
    np.testing.assert_allclose(np.abs(composed), np.abs(w @ q.T), atol=1e-9)
    first = live["weights"][1]
    assert first[0] == f"W\u00b7axes\u1d40: its map on the slice, {len(w)}x2", first
    shown = [float(v) for v in first[2].split("[")[1].split("]")[0].split()]
    np.testing.assert_allclose(shown, composed[0], atol=0.006)  # 2 decimals
    got = run.fit.stages(u)
    want = hooked_stages(model, frame.inputs(u))
    np.testing.assert_array_equal(got[0], u)
    for g, w in zip(got[1:], want, strict=True):
        np.testing.assert_allclose(g, w, atol=1e-9)
    spec, _ = paused_frame(run, 1)
    assert spec["training"]["slice"] == "plane through rows 0, 6, 8"
    ex.close()


def test_the_live_probe_colours_are_every_classs_decision_on_a_slice(loop: Loop) -> None:
    # the anchors (rows 0, 10, 20) are all 0s: the table still needs a row per class
    # before the probe's (it had one, so every probe row was shifted, the top ones past
    # its end: "undefined is not iterable" in the browser as training went on)
    ex, run = stepped_on(loop, "0,10,20")
    assert set(DIGITS.labels[[0, 10, 20]]) == {0}
    spec, _ = frame(run, 7)
    table = np.array(spec["color"]["table"])  # (T, 3) RGB 0-255
    classes, probe = int(run.fit.data.classes.size), run.n_probe
    predicted = np.arange(probe) % classes  # every class, from chance to certain
    confidence = np.linspace(1.0 / classes, 1.0, probe)
    rows = decision_rows_for(run, predicted, confidence)  # what a live update sends
    assert rows.max() < len(table)
    steps = FADE_LEVELS - 1  # the table's strengths: l / steps
    strength = np.rint(decision_strength(confidence, classes) * steps) / steps
    want = 255 * decision_rgb(predicted, strength, classes, spec["theme"]["background"])
    np.testing.assert_allclose(table[rows[:probe]], want, atol=1.0)
    anchors = np.rint(255 * class_rgb(classes)[DIGITS.labels[[0, 10, 20]]])
    np.testing.assert_array_equal(table[rows[probe:]], anchors)
    ex.close()


def test_the_weight_grid_of_a_slice_edits_the_layers_own_matrix(loop: Loop) -> None:
    """On a slice the first stage morphs with W axes^T, but its grid shows and edits the
    layer's own W (8 x 64) and b: a typed number lands where it is shown."""
    import panel as pn

    ex = opened(loop, CONFIG)
    ex.change("slice", "0,6,8")
    loop.pump(lambda: ex.worker.idle)
    assert ex.trace is not None and ex.trace.frame is not None
    own = ex.trace.params["0.weight"]  # (8, 64)
    grid = next(g for g in ex.weights.box.select(pn.widgets.Tabulator)
                if "sw-grid-0" in g.css_classes)
    shown = grid.value
    assert shown.shape == (8, 65)  # x1 .. x64, then b
    np.testing.assert_allclose(shown["x64"].astype(float), own[:, 63], atol=1e-3)
    params = ex.trace.params  # what a typed 0.5 in row y3, column x64 does:
    ex.apply("weights", lambda e: set_weight(e, params, "0.weight", 2, 63, "0.5"))
    loop.pump(lambda: ex.worker.idle)
    assert ex.trace.params["0.weight"][2, 63] == 0.5
    assert float(grid.value["x64"].iloc[2]) == 0.5
    ex.close()


def test_a_new_slice_gets_the_clis_count_and_its_bounds_show_4_digits(loop: Loop) -> None:
    """Onto a slice from the data's 1,797 rows, the count is the CLI's without --points
    (not a 42 x 42 grid from the rows' count); the Bounds box shows the box to 4
    significant digits while the experiment keeps it exact; off the slice, every row."""
    config = {"input": {"name": "digits"}, "network": CONFIG["network"]}
    ex = opened(loop, config)
    assert ex.trace is not None and ex.trace.n == len(DIGITS.x)
    ex.change("slice", "0,6,8")
    loop.pump(lambda: ex.worker.idle)
    cli = sw.run(input="digits", slice="0,6,8", layers="64,8,10", device="cpu")  # no points
    trace = ex.trace
    assert trace.frame is not None and trace.n == cli.n, ex.controls.error_text("slice")
    assert trace.grid_shape == cli.grid_shape
    box = trace.frame.box  # the exact box, from NumPy's QR of the rows
    anchors = (DIGITS.x[[0, 6, 8]] - DIGITS.x[0]) @ qr_axes(DIGITS.x, [0, 6, 8]).T  # (3, 2)
    lo, hi = anchors.min(axis=0), anchors.max(axis=0)
    pad = 0.25 * (hi - lo)
    want = [lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]]
    np.testing.assert_allclose(ex.experiment.input.bounds, want, rtol=1e-12)
    shown = ex.controls.widgets["bounds"].value
    assert shown == ",".join(f"{float(f'{b:.4g}'):g}" for b in want), shown
    ex.change("points", "900")  # another edit keeps the exact box, not the shown text
    loop.pump(lambda: ex.worker.idle)
    assert ex.experiment.input.bounds == list(box) and ex.trace.n == 900
    ex.change("slice", "")
    loop.pump(lambda: ex.worker.idle)
    assert ex.trace.frame is None and ex.trace.n == len(DIGITS.x)
    ex.close()


def test_the_show_data_box_shows_the_rows_through_every_stage(loop: Loop) -> None:
    """The CLI's --show-data as a checkbox: greyed out (its reason beside it) off a slice;
    on one, the data rows are drawn at their true images, the network's own stages of the
    rows (forward hooks on a network rebuilt from the trace's weights)."""
    ex = opened(loop, CONFIG)
    box, reason = ex.controls.widgets["show_data"], ex.controls.show_data_reason
    assert box.disabled and not box.value and reason.visible
    assert reason.value == NO_SLICE_DATA
    ex.change("slice", "0,6,8")
    loop.pump(lambda: ex.worker.idle)
    assert not box.disabled and not reason.visible and not box.value
    assert ex.trace is not None and ex.trace.data == ()
    ex.change("show_data", True)
    loop.pump(lambda: ex.worker.idle)
    trace = ex.trace
    assert ex.experiment.input.show_data, ex.controls.error_text("show_data")
    assert trace is not None and len(trace.data) == len(trace.stages)
    model = nn.Sequential(nn.Linear(64, 8), nn.ReLU(), nn.Linear(8, 10)).double()
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in trace.params.items()})
    want = hooked_stages(model, DIGITS.x)
    for got, ref in zip(trace.data[1:], want, strict=True):
        np.testing.assert_allclose(got, ref, atol=1e-9)
    axes = qr_axes(DIGITS.x, [0, 6, 8])
    np.testing.assert_allclose(trace.data[0], (DIGITS.x - DIGITS.x[0]) @ axes.T, atol=1e-9)
    ex.change("show_data", False)
    loop.pump(lambda: ex.worker.idle)
    assert ex.trace is not None and ex.trace.data == ()
    ex.change("show_data", True)
    loop.pump(lambda: ex.worker.idle)
    ex.change("slice", "")  # off the slice: the rows go, the box greys out again
    loop.pump(lambda: ex.worker.idle)
    assert not ex.experiment.input.show_data and box.disabled and not box.value
    assert ex.controls.error_text("slice") == ""
    ex.close()
