"""Training: snapshots against a forward written by hand, curves, determinism, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from spacewarp.config.experiment import validated
from spacewarp.errors import SpacewarpError
from spacewarp.training.train import Training, snapshot_epochs, train


def small(**train_opts: object) -> dict:
    return {"input": {"name": "moons", "points": 200},
            "network": {"layers": [2, 6, 5, 2], "activation": "tanh"},
            "train": {"epochs": 40, "lr": 0.05, "snapshots": 8, "probe": 7, **train_opts},
            "device": "cpu"}


@pytest.fixture(scope="module")
def trained() -> Training:
    return train(validated(small()), progress=False)


def by_hand(params: dict[str, np.ndarray], s: int, x: np.ndarray) -> list[np.ndarray]:
    """Linear, tanh, Linear, tanh, Linear with snapshot s's arrays, in numpy."""
    out = [x]
    for k in (0, 2, 4):
        w, b = params[f"{k}.weight"][s], params[f"{k}.bias"][s]
        out.append(out[-1] @ w.T + b)
        if k < 4:
            out.append(np.tanh(out[-1]))
    return out


def test_every_snapshot_is_a_forward_by_hand(trained: Training) -> None:
    assert trained.snapshots.tolist() == snapshot_epochs(40, 8).tolist()
    assert trained.params["0.weight"].shape == (8, 6, 2)
    probe = trained.probe
    assert probe is not None and probe.x.shape == (49, 2)
    for s in range(len(trained.snapshots)):
        tr = trained.trace(s)
        ref = by_hand(trained.params, s, trained.points.x)
        assert len(tr.stages) == len(ref) == 6
        for stage, want in zip(tr.stages, ref, strict=True):
            np.testing.assert_allclose(stage.points, want, rtol=1e-12, atol=1e-12)
        probe_tr = trained.probe_trace(s)
        assert probe_tr is not None
        for stage, want in zip(probe_tr.stages, by_hand(trained.params, s, probe.x),
                               strict=True):
            np.testing.assert_allclose(stage.points, want, rtol=1e-12, atol=1e-12)


def test_snapshot_zero_is_the_untrained_network_and_the_last_is_trained(
        trained: Training) -> None:
    from spacewarp.pipeline import model_for

    initial = model_for(trained.experiment).state_dict()
    for name, value in initial.items():
        np.testing.assert_array_equal(trained.params[name][0], value.numpy())
    assert trained.snapshots[0] == 0 and trained.snapshots[-1] == 40
    assert trained.curves.train_loss[-1] < 0.5 * trained.curves.train_loss[0]


def test_curves_are_the_loss_and_accuracy_of_each_snapshot(trained: Training) -> None:
    data, c = trained.data, trained.curves
    for s in (0, 3, 7):
        out = by_hand(trained.params, s, data.points.x)[-1]  # (n, 2) logits
        z = out - out.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -logp[np.arange(len(out)), data.target]
        hit = out.argmax(axis=1) == data.target
        for rows, loss, acc in ((~data.test, c.train_loss, c.train_accuracy),
                                (data.test, c.test_loss, c.test_accuracy)):
            assert math.isclose(loss[s], nll[rows].mean(), rel_tol=1e-10)
            assert math.isclose(acc[s], hit[rows].mean(), rel_tol=1e-12)
    assert data.test.sum() == 40  # test split 0.2 of 200


def test_decision_is_softmax_argmax_on_the_probe(trained: Training) -> None:
    probe = trained.probe
    assert probe is not None
    out = by_hand(trained.params, 7, probe.x)[-1]
    p = np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)
    predicted, confidence = trained.decision(7)
    np.testing.assert_array_equal(predicted, p.argmax(axis=1))
    np.testing.assert_allclose(confidence, p.max(axis=1), rtol=1e-12)


def test_training_is_deterministic_and_restores_torch_settings(trained: Training) -> None:
    assert not torch.are_deterministic_algorithms_enabled()
    threads = torch.get_num_threads()
    again = train(validated(small()), progress=False)
    assert torch.get_num_threads() == threads
    for name, value in trained.params.items():
        np.testing.assert_array_equal(again.params[name], value)
    other = train(validated({**small(), "seed": 1}), progress=False)
    assert not np.array_equal(other.params["0.weight"], trained.params["0.weight"])


@pytest.mark.parametrize("options", [
    {"optimizer": "sgd", "momentum": 0.5, "batch_size": 16},
    {"optimizer": "adamw", "weight_decay": 0.1, "batch_size": 50, "noise": 0.1},
    {"loss": "mse", "test_split": 0.0},
])
def test_optimisers_batches_and_losses_learn(options: dict) -> None:
    result = train(validated(small(**options, epochs=60)), progress=False)
    assert result.curves.train_loss[-1] < result.curves.train_loss[0]
    assert np.isfinite(result.curves.train_accuracy).all()
    if options.get("test_split") == 0.0:
        assert np.isnan(result.curves.test_loss).all() and not result.data.test.any()


def test_regression_learns_a_curve_with_the_121_network() -> None:
    result = train(validated({"input": {"name": "sin"},
                              "train": {"epochs": 300, "lr": 0.05}, "device": "cpu"}),
                   progress=False)
    assert result.experiment.network.layers == [1, 2, 1]
    assert result.data.task == "regression" and result.watch == 2
    assert np.isnan(result.curves.train_accuracy).all()
    assert result.curves.train_loss[-1] < 0.2 * result.curves.train_loss[0]


def test_training_defaults_are_the_courses_model() -> None:
    result = train(validated({"train": {"epochs": 2, "snapshots": 2}, "device": "cpu"}),
                   progress=False)
    exp = result.experiment
    assert exp.input.name == "spiral" and exp.input.color_by == "label"
    assert exp.network.layers == [2, 100, 3] and exp.network.activation == "relu"
    assert exp.network.bias and exp.network.init == "random"
    assert exp.train is not None and exp.train.loss == "cross_entropy" and exp.train.watch == 2


def test_snapshot_epochs_are_dense_early() -> None:
    e = snapshot_epochs(1000, 50)
    assert e[0] == 0 and e[-1] == 1000 and len(set(e.tolist())) == 50
    assert np.all(np.diff(e) > 0) and e[10] < 20 and np.diff(e)[-1] > 50
    assert snapshot_epochs(3, 50).tolist() == [0, 1, 2, 3]


def test_a_nan_loss_stops_and_keeps_the_snapshots_so_far() -> None:
    exp = validated(small(lr=1e3, optimizer="sgd", momentum=0.0, epochs=200, snapshots=200,
                          loss="mse"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train(exp, progress=False)
    assert "NaN at epoch" in result.stopped and "smaller lr" in result.stopped
    epoch = int(result.stopped.split("epoch ")[1].split(";")[0])
    assert result.snapshots.tolist() == list(range(epoch))
    assert all(np.isfinite(v).all() for v in result.params.values())
    assert any("NaN at epoch" in str(w.message) for w in caught)


@pytest.mark.parametrize(("train_opts", "field", "words"), [
    ({"epochs": 0}, "train.epochs", "at least 1"),
    ({"epochs": -3}, "train.epochs", "at least 1"),
    ({"lr": 0}, "train.lr", "more than 0"),
    ({"lr": -1e-3}, "train.lr", "more than 0"),
    ({"lr": float("nan")}, "train.lr", "finite"),
    ({"optimizer": "rmsprop"}, "train.optimizer", "'sgd', 'adam' or 'adamw'"),
    ({"test_split": 0.95}, "train.test_split", "at most 0.9"),
    ({"test_split": -0.1}, "train.test_split", "at least 0"),
])
def test_bad_training_options_are_one_line(train_opts: dict, field: str, words: str) -> None:
    with pytest.raises(SpacewarpError, match=words) as err:
        train(validated(small(**train_opts)), progress=False)
    assert err.value.field == field and "\n" not in str(err.value)


def test_cross_entropy_on_unlabelled_points_names_the_labelled_inputs() -> None:
    exp = validated({"input": {"name": "gaussian"}, "train": {"loss": "cross_entropy"}})
    with pytest.raises(SpacewarpError, match="no labels; inputs with labels: spiral") as err:
        train(exp, progress=False)
    assert err.value.field == "train.loss"
    for name in ("moons", "xor", "circles", "blobs", "file"):
        assert name in str(err.value)
    with pytest.raises(SpacewarpError, match="neither labels nor regression targets"):
        train(validated({"input": {"name": "gaussian"}}), progress=False)


def test_the_last_width_must_match_the_classes() -> None:
    exp = validated({"input": {"name": "spiral"}, "network": {"layers": [2, 5, 2]}})
    with pytest.raises(SpacewarpError, match="has 3 classes; make the last width 3") as err:
        train(exp, progress=False)
    assert err.value.field == "network.layers"


def test_watch_must_be_a_stage() -> None:
    with pytest.raises(SpacewarpError, match="train.watch 9 is not a stage") as err:
        train(validated(small(watch=9)), progress=False)
    assert err.value.field == "train.watch"
    assert train(validated(small(watch=1, epochs=2)), progress=False).watch == 1


def test_labelled_points_are_coloured_by_label_unless_asked_otherwise(
        trained: Training) -> None:
    assert trained.experiment.input.color_by == "label"
    assert trained.points.labels is not None
    np.testing.assert_array_equal(trained.points.color, trained.points.labels)
    asked = train(validated({**small(epochs=1), "input": {"name": "moons", "points": 50,
                                                          "color_by": "y"}}), progress=False)
    np.testing.assert_array_equal(asked.points.color, asked.points.x[:, 1])
