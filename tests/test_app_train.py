"""Training in the explorer, without a browser: Step, Pause, Reset, closing, bad values.

A session runs with a real thread pool; its event loop is played by ``Loop.pump``, which
runs what the worker hands back (as the server's loop would). References are computed
here by hand: the seeded split, one Adam step of full-batch cross entropy in torch, the
forward pass of a small ReLU network.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from spacewarp.app import state
from spacewarp.app.session import Explorer
from spacewarp.app.work import Worker
from spacewarp.config.experiment import Experiment, validated
from spacewarp.inputs.points import make_points
from spacewarp.view.film import film
from spacewarp.view.live import live_keys, live_plan, outside_note

SMALL = {"input": {"name": "spiral", "points": 200},
         "network": {"layers": [2, 8, 3], "activation": "relu", "bias": True,
                     "init": "random"},
         "train": {"lr": 0.01, "test_split": 0.25, "epochs": 400}}
LONG = {**SMALL, "train": {**SMALL["train"], "epochs": 100_000}}  # runs until paused


class Loop:
    """The session's event loop, played by the test: callbacks run in ``pump``."""

    def __init__(self) -> None:
        self.calls: queue.Queue[Callable[[], None]] = queue.Queue()
        self.pool = ThreadPoolExecutor(2)

    def worker(self) -> Worker:
        return Worker(self.pool, self.calls.put)

    def pump(self, until: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            assert time.monotonic() < deadline, "the session never got there"
            try:
                call = self.calls.get(timeout=0.05)
            except queue.Empty:
                continue
            call()


@pytest.fixture
def loop() -> Iterator[Loop]:
    lp = Loop()
    yield lp
    lp.pool.shutdown(wait=True, cancel_futures=True)


def opened(loop: Loop, config: dict = SMALL) -> Explorer:
    ex = Explorer(validated(config), worker=loop.worker())
    loop.pump(lambda: ex.trace is not None and ex.worker.idle)
    return ex


def settled(loop: Loop, ex: Explorer) -> None:
    loop.pump(lambda: ex.worker.idle and not ex.trainer.running)


def weights(ex: Explorer) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=np.float64) for k, v in ex.experiment.network.weights.items()}


def one_adam_epoch(experiment: Experiment, params: dict[str, np.ndarray]
                   ) -> dict[str, np.ndarray]:
    """One full-batch Adam step of cross entropy on the training rows, by hand."""
    pts = make_points("spiral", 200, seed=experiment.seed)
    n, split = pts.n, 0.25
    held = np.random.default_rng([experiment.seed, 1]).permutation(n)[:round(split * n)]
    train = np.setdiff1d(np.arange(n), held)
    x = torch.from_numpy(pts.x[train].copy())
    y = torch.from_numpy(np.unique(pts.labels, return_inverse=True)[1][train].astype(np.int64))
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    opt = torch.optim.Adam(list(p.values()), lr=0.01)
    h = torch.relu(x @ p["0.weight"].T + p["0.bias"])
    F.cross_entropy(h @ p["2.weight"].T + p["2.bias"], y).backward()
    opt.step()
    return {k: v.detach().numpy() for k, v in p.items()}


def test_step_advances_exactly_one_epoch(loop: Loop) -> None:
    ex = opened(loop)
    before = {k: np.array(v) for k, v in ex.trace.params.items()}  # type: ignore[union-attr]
    ex.trainer.press("step")
    settled(loop, ex)
    expected = one_adam_epoch(ex.experiment, before)
    got = weights(ex)
    assert set(got) == set(expected)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-12, atol=1e-14)
    assert [row[0] for row in ex.trainer.run.curves] == [0, 1]  # type: ignore[union-attr]
    ex.trainer.press("step")
    settled(loop, ex)
    assert ex.trainer.run.fit.epoch == 2  # type: ignore[union-attr]
    assert ex.link.object and "sw-state-link" in ex.link.object
    ex.close()


def test_the_loss_curve_plots_accuracy_for_classes_only(loop: Loop) -> None:
    """A regression has no accuracy: its lines, legend entries and axis are hidden."""
    for config, labelled in ((SMALL, True), ({"input": {"name": "sin", "points": 100},
                                              "network": {"layers": [1, 4, 1]}}, False)):
        ex = opened(loop, config)
        ex.trainer.press("step")
        settled(loop, ex)
        fig = ex.trainer.curve.object
        shown = {item.label.value: item.visible and all(r.visible for r in item.renderers)
                 for item in fig.legend[0].items}
        assert shown == {"train loss": True, "test loss": True,
                         "train accuracy": labelled, "test accuracy": labelled}
        assert [axis.visible for axis in fig.right] == [labelled]
        ex.close()


def test_train_runs_in_the_background_and_pause_stops_it(loop: Loop) -> None:
    ex = opened(loop, LONG)
    ex.trainer.press("train")
    run = None

    def some_updates() -> bool:
        nonlocal run
        run = ex.trainer.run
        return run is not None and len(run.curves) >= 4

    loop.pump(some_updates)
    assert ex.trainer.running and ex.views.canvas.live_update["keys"]
    ex.trainer.press("pause")
    settled(loop, ex)
    assert run is not None
    epoch = run.fit.epoch
    assert 0 < epoch < 100_000
    time.sleep(0.5)
    loop.pump(lambda: True)
    assert run.fit.epoch == epoch  # nothing trains after Pause
    losses = [row[1] for row in run.curves]
    assert losses[-1] < losses[0]
    # the trained weights are the session's experiment; the view is every snapshot's
    params = {k: v.detach().numpy() for k, v in run.fit.model.state_dict().items()}
    for name, value in weights(ex).items():
        np.testing.assert_array_equal(value, params[name])
    assert ex.views.canvas.data["training"]["epoch"][-1] == epoch
    ex.close()


def test_reset_restores_the_experiment_before_training(loop: Loop) -> None:
    ex = opened(loop)
    start, params = ex.experiment, {k: np.array(v) for k, v in ex.trace.params.items()}  # type: ignore[union-attr]
    for _ in range(2):
        ex.trainer.press("step")
        settled(loop, ex)
    assert ex.experiment.network.weights
    ex.trainer.press("reset")
    settled(loop, ex)
    assert ex.trainer.run is None and not ex.trainer.source.data["epoch"]
    assert ex.experiment == start and not ex.experiment.network.weights
    for name, value in params.items():
        np.testing.assert_array_equal(ex.trace.params[name], value)  # type: ignore[union-attr]
    assert "training" not in ex.views.canvas.data
    ex.close()


def test_closing_the_session_stops_its_training(loop: Loop) -> None:
    ex = opened(loop, LONG)
    ex.trainer.press("train")
    loop.pump(lambda: ex.trainer.run is not None and len(ex.trainer.run.curves) >= 2)
    run = ex.trainer.run
    assert run is not None
    ex.close()
    time.sleep(0.5)  # a chunk in flight finishes; nothing follows it
    loop.pump(lambda: True)
    epoch = run.fit.epoch
    time.sleep(1.0)
    loop.pump(lambda: True)
    assert run.fit.epoch == epoch and not ex.trainer.running
    assert loop.calls.empty()


@pytest.mark.parametrize(("control", "text", "words"), [
    ("train:lr", "-1", "lr"),
    ("train:lr", "fast", "plain number"),
    ("train:test_split", "0.95", "at most 0.9"),
    ("train:batch_size", "0", "batch_size"),
    ("train:probe", "1000", "at most 150"),
    ("train:epochs", "0", "at least 1"),
])
def test_bad_training_values_get_a_message_beside_their_control(
        loop: Loop, control: str, text: str, words: str) -> None:
    ex = opened(loop)
    before = ex.experiment
    ex.change(control, text)
    loop.pump(lambda: ex.worker.idle)
    assert words in ex.controls.error_text(control)
    assert ex.experiment == before
    ex.close()


def test_training_an_unlabelled_set_says_which_have_labels(loop: Loop) -> None:
    ex = opened(loop, {"input": {"name": "gaussian", "points": 100}})
    ex.trainer.press("train")
    loop.pump(lambda: ex.worker.idle and not ex.trainer.running)
    assert "spiral" in ex.controls.error_text("input")
    ex.close()


def test_training_settings_travel_in_the_state_link(loop: Loop) -> None:
    ex = opened(loop)
    ex.change("train:lr", "0.05")
    ex.change("train:optimizer", "sgd")
    loop.pump(lambda: ex.worker.idle)
    linked = state.decode(state.query(ex.experiment).split("=", 1)[1])
    assert linked.train is not None
    assert (linked.train.lr, linked.train.optimizer) == (0.05, "sgd")
    assert ex.controls.widgets["train:lr"].value == "0.05"
    ex.close()


def test_live_keys_are_the_new_stages_through_the_fixed_projections() -> None:
    """A network of widths <= 3 is drawn as it is: the live keys are a hand forward."""
    from spacewarp.inputs.points import Points
    from spacewarp.model.build import build_model
    from spacewarp.tracing.trace import trace

    model = build_model([2, 3, 3], "relu", bias=True, init="random", seed=1)
    pts = make_points("spiral", 300)
    planned = trace(model, Points(x=pts.x, color=pts.x[:, 0].copy()), device="cpu")
    f = film(planned)
    plan = live_plan(planned, f)
    for new, key in zip(live_keys(plan, [s.points for s in planned.stages]), f.keys,
                        strict=True):
        np.testing.assert_allclose(new, key, rtol=0, atol=1e-12)
    wide = trace(build_model([2, 12, 3], "relu", bias=True, init="random", seed=1),
                 Points(x=pts.x, color=pts.x[:, 0].copy()), device="cpu")
    wide_film = film(wide)  # PCA views of the 12-D stages: the same keys again
    for new, key in zip(live_keys(live_plan(wide, wide_film), [s.points for s in wide.stages]),
                        wide_film.keys, strict=True):
        np.testing.assert_allclose(new, key, rtol=0, atol=1e-12 * (1 + np.abs(key).max()))
    w0, b0 = np.array([[1.0, -2.0], [0.5, 0.5], [0.0, 3.0]]), np.array([0.1, -0.2, 0.3])
    w2, b2 = np.eye(3)[::-1] * 2.0, np.array([1.0, 0.0, -1.0])
    h1 = pts.x @ w0.T + b0
    h2 = np.maximum(h1, 0.0)
    stages = [pts.x, h1, h2, h2 @ w2.T + b2]
    keys = live_keys(plan, stages)
    for (what, i, end), key in zip(plan.sources, keys, strict=True):
        if what == "stage":
            expected = stages[i]
        else:
            step = plan.steps[i]
            expected = stages[step.src if end == 0 else step.dst]
        np.testing.assert_allclose(key, expected[:, : key.shape[1]], rtol=0, atol=1e-12)


def test_points_that_leave_their_fixed_box_are_said_to_have_left_it() -> None:
    """Boxes stay fixed while training runs; the share outside is said, per the stage
    that lost most, counted here from the points and the planned boxes directly."""
    from spacewarp.inputs.points import Points
    from spacewarp.model.build import build_model
    from spacewarp.tracing.trace import trace

    pts = make_points("spiral", 300)
    planned = trace(build_model([2, 3, 2], "relu", bias=True, init="random", seed=1),
                    Points(x=pts.x, color=pts.x[:, 0].copy()), device="cpu")
    f = film(planned)
    plan = live_plan(planned, f)
    names = [s.title for s in planned.stages]
    stages = [s.points for s in planned.stages]
    assert outside_note(plan, live_keys(plan, stages), names) == ""
    grown = stages[:-1] + [stages[-1] * 3.0]  # the output, three times as far out
    box = f.stages[3].box  # (dim, 2): the output's planned box
    far = ((grown[3] < box[:2, 0]) | (grown[3] > box[:2, 1])).any(axis=1).mean()
    assert far > 0.2
    note = outside_note(plan, live_keys(plan, grown), names)
    assert note.startswith(f"{100 * far:.0f}% of the points have left the box of stage 3 "
                           f"({names[3]})")


def test_a_loss_that_becomes_nan_stops_training_with_a_message(loop: Loop) -> None:
    ex = opened(loop, {**SMALL, "train": {**SMALL["train"], "lr": 10.0, "optimizer": "sgd",
                                          "loss": "mse", "epochs": 2000}})
    ex.trainer.press("train")
    settled(loop, ex)
    run = ex.trainer.run
    assert run is not None and run.fit.epoch < 2000
    message = ex.controls.error_text("train")
    assert f"NaN at epoch {run.fit.epoch + 1}" in message and "smaller lr than 10" in message
    ex.close()


def test_a_network_with_bias_unset_commits_the_bias_training_gave_it(loop: Loop) -> None:
    """Training's defaults give the course's model a bias where the experiment left it
    unset: the committed experiment says so, and holds exactly the trained parameters."""
    unset = {**SMALL, "network": {k: v for k, v in SMALL["network"].items() if k != "bias"}}
    ex = opened(loop, unset)
    assert not ex.experiment.network.bias
    ex.trainer.press("step")
    settled(loop, ex)
    assert ex.controls.error_text("weights") == "" and ex.controls.error_text("train") == ""
    assert ex.experiment.network.bias
    params = ex.trainer.run.fit.model.state_dict()  # type: ignore[union-attr]
    got = weights(ex)
    assert set(got) == set(params) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    for name, value in params.items():
        np.testing.assert_array_equal(got[name], value.detach().double().numpy())
    ex.close()


def test_the_paused_view_traces_a_thinned_run_within_its_bytes() -> None:
    """Pausing traces the snapshots so far (probe rows and data through every stage, in
    float64): beyond the explorer's budget they are thinned evenly, first and last kept."""
    from spacewarp.app import training_task

    exp = validated({"input": {"name": "xor", "points": 80}, "network": {"layers": [2, 5, 2]},
                     "train": {"epochs": 30, "probe": 10}, "device": "cpu"})
    run = training_task.start(exp)
    training_task.frame(run, 0)  # the live plan the updates go through
    for _ in range(29):
        training_task.advance(run, epochs=1)
    assert len(run.snapshots) == 30
    widths = 2 + 5 + 5 + 2  # the sum of the stage widths: input, linear, relu, linear
    one = run.joint.n * widths * 8  # one snapshot's traced bytes
    thin = training_task.training_of(run, 10 * one)
    epochs = [e for e, _, _ in run.snapshots]
    assert len(thin.snapshots) == 10 and thin.snapshots[0] == 0 and thin.snapshots[-1] == 29
    assert set(thin.snapshots.tolist()) <= set(epochs)
    np.testing.assert_array_equal(thin.params["0.weight"][-1], run.snapshots[-1][1]["0.weight"])
    assert len(training_task.training_of(run).snapshots) == 30
