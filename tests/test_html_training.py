"""The training page: ``spacewarp train --html`` and ``spacewarp html --training``.

The spec's coordinates of every snapshot and stage are checked against a forward pass
written out here with that snapshot's parameters read from training.npz; wide stages
against one affine map for the whole run (the projection is fixed over training). The
page in headless Chromium: moving the training slider shows that snapshot's coordinates
and epoch.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pages import open_page

import spacewarp as sw
from spacewarp.cli import main
from spacewarp.errors import LimitError
from spacewarp.render.browser import Blobs
from spacewarp.render.training_browser import snapshot_entry, training_spec
from spacewarp.training.file import load_training
from spacewarp.training.snapshots import trace_snapshots
from spacewarp.view.training_film import TrainingFilmOptions, add_snapshot, training_film

SMALL = ["--input", "moons", "--points", "150", "--layers", "2,3,2", "--activation", "tanh",
         "--epochs", "40", "--snapshots", "6", "--probe", "12", "--lr", "0.1"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("train") / "run"
    assert main(["train", *SMALL, "--device", "cpu", "--no-film", "--html", "--probe-stages",
                 "--float64", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def npz(run_dir: Path) -> dict[str, np.ndarray]:
    with np.load(run_dir / "training.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def spec(run_dir: Path) -> dict[str, Any]:
    return training_spec(training_film(trace_snapshots(load_training(
        run_dir / "training.npz"))), None, Blobs("b64"))


def forward(z: dict[str, np.ndarray], s: int, x: np.ndarray) -> list[np.ndarray]:
    """Linear, tanh, linear, written out with snapshot s's arrays from the file."""
    h = x @ z["0.weight"][s].T + z["0.bias"][s]
    return [x, h, np.tanh(h), np.tanh(h) @ z["2.weight"][s].T + z["2.bias"][s]]


def joint(z: dict[str, np.ndarray]) -> np.ndarray:
    """The page's points: the probe grid (all of it: 144 points) then the data."""
    return np.concatenate([z["probe_stage_00"][0], z["stage_00"][0]])


def decode(desc: dict[str, Any]) -> np.ndarray:
    """A key descriptor: int16 codes q per axis -> lo + (q + 32767) step (the spec's format)."""
    q = np.frombuffer(base64.b64decode(desc["b64"]), dtype="<i2").reshape(desc["shape"])
    return np.asarray(desc["lo"]) + (q.astype(np.float64) + 32767) * np.asarray(desc["step"])


def tolerance(desc: dict[str, Any]) -> float:
    return float(max(desc["step"])) * 0.5 + 1e-12


def test_every_snapshot_and_stage_is_the_forward_of_that_snapshot(
        spec: dict[str, Any], npz: dict[str, np.ndarray]) -> None:
    t = spec["training"]
    assert t["count"] == 6 and t["epoch"] == npz["epoch"].tolist()
    assert t["probe"] == {"count": 144, "shape": [12, 12]}
    x = joint(npz)
    for s in range(6):
        want = forward(npz, s, x)
        keys = t["snapshots"][s]["keys"]
        for k, stage in enumerate(spec["stages"]):
            desc = keys[stage["key"]]
            np.testing.assert_allclose(decode(desc), want[k], rtol=0, atol=tolerance(desc))
        # every morph ends exactly on its stage: segment keys are the stages' keys
        for seg in spec["segments"]:
            np.testing.assert_allclose(decode(keys[seg["end"]]), want[seg["to"]], rtol=0,
                                       atol=tolerance(keys[seg["end"]]))


def test_probe_colours_are_the_predicted_class(spec: dict[str, Any],
                                              npz: dict[str, np.ndarray]) -> None:
    x, t = joint(npz), spec["training"]
    classes, levels = 2, (len(spec["color"]["table"]) - 2) // 2
    for s in range(6):
        out = forward(npz, s, x)[-1][:144]  # (P, 2)
        index = np.frombuffer(base64.b64decode(t["snapshots"][s]["color"]["b64"]), np.uint8)
        probe, data = index[:144].astype(int), index[144:]
        assert ((probe - classes) // levels).tolist() == out.argmax(axis=1).tolist()
        assert data.tolist() == npz["labels"].tolist()  # moons' labels are 0 and 1
        p = np.exp(out - out.max(axis=1, keepdims=True))
        sure = (p.max(axis=1) / p.sum(axis=1) - 0.5) / 0.5  # confidence above chance
        np.testing.assert_allclose((probe - classes) % levels, sure * (levels - 1), atol=0.5)


def test_boxes_hold_every_snapshot(spec: dict[str, Any], npz: dict[str, np.ndarray]) -> None:
    """One box per stage for the whole run: every snapshot's data lie inside it."""
    for s in range(6):
        keys = spec["training"]["snapshots"][s]["keys"]
        for stage in spec["stages"]:
            data = decode(keys[stage["key"]])[144:]
            box = np.asarray(stage["box"])[: data.shape[1]]
            assert (data >= box[:, 0] - 1e-9).all() and (data <= box[:, 1] + 1e-9).all()
    assert spec["training"]["snapshots"][-1]["caption"].startswith("epoch 40 \u00b7 train loss")


def test_a_wide_stage_has_one_projection_for_the_whole_run() -> None:
    """Stages wider than 3-D: each snapshot's key is the SAME affine map of that snapshot's
    forward (one least-squares fit over every snapshot leaves only quantisation error)."""
    training = sw.train(input="xor", points=100, layers="2,6,2", activation="relu",
                        epochs=20, snapshots=5, probe=8, lr=0.1, progress=False)
    tf = training_film(trace_snapshots(training))
    spec = training_spec(tf, None, Blobs("b64"))
    x = np.concatenate([training.probe.x, training.points.x])  # type: ignore[union-attr]
    p = training.params

    def hidden(s: int) -> np.ndarray:  # (n, 6): stage 2, relu of the first linear layer
        return np.maximum(x @ p["0.weight"][s].T + p["0.bias"][s], 0.0)  # not affine in x

    k = spec["stages"][2]["key"]
    keys = [decode(spec["training"]["snapshots"][s]["keys"][k]) for s in range(5)]
    # one map for every snapshot at once (a unit dead in one snapshot is alive in another)
    design = np.concatenate([np.concatenate([hidden(s), np.ones((len(x), 1))], axis=1)
                             for s in range(5)])
    affine, *_ = np.linalg.lstsq(design, np.concatenate(keys), rcond=None)
    for s in range(5):
        got = np.concatenate([hidden(s), np.ones((len(x), 1))], axis=1) @ affine
        scale = np.abs(keys[s]).max() + 1
        np.testing.assert_allclose(got, keys[s], atol=2e-4 * scale)


def test_add_snapshot_uses_the_films_projections(run_dir: Path,
                                                 npz: dict[str, np.ndarray]) -> None:
    """For live training: snapshot 2 appended again is snapshot 2, key for key."""
    training = load_training(run_dir / "training.npz")
    traced = trace_snapshots(training)
    tf = training_film(traced)
    more = add_snapshot(tf, traced, 2)
    assert len(more.keys) == 7 and more.times.epoch[-1] == npz["epoch"][2]
    for a, b in zip(more.keys[-1], tf.keys[2], strict=True):
        np.testing.assert_array_equal(a, b)
    entry = snapshot_entry(more, 6, Blobs("b64"))
    assert entry["epoch"] == int(npz["epoch"][2]) and len(entry["curve"]["x"]) == 7
    want = forward(npz, 2, joint(npz))[3]
    desc = entry["keys"][training_spec(tf, None, Blobs("b64"))["stages"][3]["key"]]
    np.testing.assert_allclose(decode(desc), want, rtol=0, atol=tolerance(desc))


def test_over_the_budget_snapshots_are_thinned_or_refused() -> None:
    training = sw.train(input="moons", points=100, layers="2,3,2", epochs=30, snapshots=20,
                        probe=10, progress=False)
    one = (100 + 100) * (2 + 3 + 3 + 2) * 2  # int16 bytes of one snapshot's keys
    traced = trace_snapshots(training)
    tf = training_film(traced, TrainingFilmOptions(max_bytes=one * 10))
    assert len(tf.keys) == 10 and tf.times.snapshots[0] == 0 and tf.times.snapshots[-1] == 19
    assert "showing 10 of the 20 snapshots" in tf.note
    with pytest.raises(LimitError) as err:
        training_film(traced, TrainingFilmOptions(max_bytes=one * 3))
    assert err.value.field == "train.snapshots"


# --- the CLI ---------------------------------------------------------------------------------

def test_train_html_writes_the_page(run_dir: Path) -> None:
    page = (run_dir / "training.html").read_text(encoding="utf-8")
    assert '"training":{' in page and "spacewarp training: moons, 150 points" in page


def test_html_training_writes_the_same_page(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    assert main(["html", "--training", str(run_dir / "training.npz"), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (run_dir / "training.html").read_text(
        encoding="utf-8")


def _bad(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_bad_training_files(run_dir: Path, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "page.html"
    base = ["html", "--out", str(out), "--training"]
    err = _bad([*base, str(tmp_path / "nothing.npz")], capsys)
    assert "--training: " in err and "does not exist" in err
    text = tmp_path / "text" / "training.npz"
    text.parent.mkdir()
    text.write_text("not a zip")
    assert "not an npz archive" in _bad([*base, str(text)], capsys)
    alone = tmp_path / "alone" / "training.npz"
    alone.parent.mkdir()
    shutil.copy(run_dir / "training.npz", alone)
    assert "no experiment.toml beside training.npz" in _bad([*base, str(alone)], capsys)
    partial = tmp_path / "partial" / "training.npz"
    partial.parent.mkdir()
    shutil.copy(run_dir / "experiment.toml", partial.parent)
    np.savez(partial, epoch=np.arange(3), train_loss=np.ones(3))
    err = _bad([*base, str(partial)], capsys)
    assert "lacks test_loss, train_accuracy, test_accuracy, 0.weight ..." in err
    assert "not a training.npz" in err
    short = tmp_path / "short" / "training.npz"
    short.parent.mkdir()
    shutil.copy(run_dir / "experiment.toml", short.parent)
    with np.load(run_dir / "training.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if not k.startswith(("stage_", "probe_stage_"))}
    np.savez(short, **{**arrays, "train_loss": arrays["train_loss"][:2]})
    assert "train_loss do not hold one value per snapshot" in _bad([*base, str(short)], capsys)
    assert "give a name ending in .html" in _bad(
        ["html", "--out", str(tmp_path / "page.txt"), "--training",
         str(run_dir / "training.npz")], capsys)
    assert not out.exists()


# --- the page in the browser ---------------------------------------------------------------

def test_the_time_slider_shows_each_snapshot(browser: Any, run_dir: Path,
                                             spec: dict[str, Any],
                                             npz: dict[str, np.ndarray]) -> None:
    page, errors, _ = open_page(browser, run_dir / "training.html")
    assert page.evaluate("window.spacewarp.snapshots") == 6
    assert page.evaluate("window.spacewarp.snapshot()") == 5  # opens on the last snapshot
    x = joint(npz)
    for s in (0, 3, 1):
        page.locator("input.sw-time-slider-input").fill(str(s))
        assert page.evaluate("window.spacewarp.snapshot()") == s
        caption = page.locator(".sw-caption")
        assert caption.get_attribute("data-epoch") == str(int(npz["epoch"][s]))
        assert f"epoch {int(npz['epoch'][s])} \u00b7" in caption.inner_text()
        assert caption.get_attribute("title") == caption.text_content()  # whole, on hover
        want = forward(npz, s, x)
        for k in range(4):
            desc = spec["training"]["snapshots"][s]["keys"][spec["stages"][k]["key"]]
            got = np.array(page.evaluate("(k) => Array.from(window.spacewarp.stage(k))", k))
            got = got.reshape(-1, 3)[:, : want[k].shape[1]]
            np.testing.assert_allclose(got, want[k], rtol=1e-6, atol=tolerance(desc) + 1e-6)
            drawn = np.array(page.evaluate(
                "(k) => { window.spacewarp.show(k); "
                "return Array.from(window.spacewarp.drawn().points) }", k)).reshape(-1, 3)
            np.testing.assert_allclose(drawn[:, : want[k].shape[1]], want[k], rtol=1e-6,
                                       atol=tolerance(desc) + 1e-6)
    page.evaluate("window.spacewarp.setSnapshot(4)")
    assert page.locator("input.sw-time-slider-input").input_value() == "4"
    # another snapshot's data put in place of snapshot 2 (base64 descriptors), then appended
    entry = spec["training"]["snapshots"][0]
    stage1 = ("(e) => { const api = window.spacewarp; api.setSnapshotData(%s, e); "
              "api.setSnapshot(%s); return Array.from(api.stage(1)) }")
    want = forward(npz, 0, x)[1]
    for at in (2, 6):
        got = np.array(page.evaluate(stage1 % (at, at), entry)).reshape(-1, 3)[:, :3]
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=tolerance(
            entry["keys"][spec["stages"][1]["key"]]) + 1e-6)
        assert page.evaluate("window.spacewarp.snapshot()") == at
        assert page.locator(".sw-caption").get_attribute("data-epoch") == "0"
    assert page.evaluate("window.spacewarp.snapshots") == 7
    # the Snapshots button plays the snapshots from the first (at the last one) and pauses
    page.evaluate("window.spacewarp.setSnapshot(6)")
    page.click("button.sw-time-play")
    page.wait_for_function("window.spacewarp.snapshot() >= 2", timeout=30_000)
    page.click("button.sw-time-play")
    assert page.inner_text("button.sw-time-play") == "\u25b6 Snapshots"
    assert errors == []
    page.close()


def test_play_moves_the_points_continuously(browser: Any, run_dir: Path,
                                            spec: dict[str, Any]) -> None:
    """Snapshots (Play) runs from the first snapshot to the last in the film's time: every
    frame's points lie between two consecutive snapshots' (decoded from the spec), each
    frame moves them less than half the largest snapshot-to-snapshot jump, and the
    caption counts the epochs between snapshots and says the positions are interpolated."""
    page, errors, _ = open_page(browser, run_dir / "training.html")
    k = spec["stages"][1]["key"]
    snaps = np.stack([decode(e["keys"][k]) for e in spec["training"]["snapshots"]])  # (6, n, 3)
    seen = page.evaluate("""() => new Promise(done => {
      const api = window.spacewarp, button = document.querySelector('button.sw-time-play')
      api.setSnapshot(0); button.click()
      const frames = []
      const tick = () => {
        const caption = document.querySelector('.sw-caption')
        frames.push([Array.from(api.stage(1)), caption.textContent, +caption.dataset.epoch])
        if (button.textContent.includes('Pause')) requestAnimationFrame(tick); else done(frames)
      }
      requestAnimationFrame(tick) })""")
    where = []
    for flat, _, _ in seen:
        got = np.array(flat).reshape(-1, 3)[:, : snaps.shape[2]]
        where.append(on_path(got, snaps, tolerance(spec["training"]["snapshots"][0]["keys"][k])))
    jump = max(np.abs(b - a).max() for a, b in zip(snaps, snaps[1:], strict=False))
    steps = [np.abs(np.array(b[0]) - np.array(a[0])).max() for a, b in zip(seen, seen[1:],
                                                                           strict=False)]
    assert len(seen) > 12 and abs(where[-1] - 5) < 1e-6 and np.all(np.diff(where) >= -1e-6)
    assert max(steps) < 0.5 * jump
    between = [(c, e) for (_, c, e), t in zip(seen, where, strict=True)
               if 1e-3 < t % 1 < 1 - 1e-3]
    assert between and all("interpolated" in c for c, _ in between)
    epochs = [e for _, _, e in seen]
    assert np.all(np.diff(epochs) >= 0) and len(set(epochs)) > 6  # more than the snapshots
    assert errors == []
    page.close()


def on_path(points: np.ndarray, snaps: np.ndarray, atol: float) -> float:
    """t = s + u where ``points`` = (1 - u) snaps[s] + u snaps[s + 1]; else fail."""
    for s in range(len(snaps) - 1):
        step = snaps[s + 1] - snaps[s]
        u = float(((points - snaps[s]) * step).sum() / (step * step).sum())
        if -1e-6 <= u <= 1 + 1e-6 and np.allclose(points, snaps[s] + u * step, atol=atol):
            return float(np.clip(s + u, 0, len(snaps) - 1))
    raise AssertionError("the points are not between two snapshots")


def test_the_probe_grid_tiles_the_input_as_a_heat_map(browser: Any, run_dir: Path,
                                                      spec: dict[str, Any],
                                                      npz: dict[str, np.ndarray]) -> None:
    """In the input panel each probe point's square reaches a quarter of the grid's
    spacing out (no dotted mesh): the pixel there, away from data points, is that probe
    point's decision colour (its table row, checked against the network above)."""
    from io import BytesIO

    from PIL import Image

    page, errors, _ = open_page(browser, run_dir / "training.html")
    x = joint(npz)  # (144 + N, 2): the 12 x 12 probe grid, then the data
    at = np.array(page.evaluate(
        "(xs) => xs.map(p => window.spacewarp.panelOf(0, [p[0], p[1], 0]))", x.tolist()))
    probe, data = at[:144], at[144:]
    step = np.median(np.abs(np.diff(probe.reshape(12, 12, 2)[:, :, 0], axis=1)))
    assert step > 8  # CSS px between neighbours: squares of the data's size left gaps
    shot = np.asarray(Image.open(BytesIO(page.screenshot(full_page=True))).convert("RGB"))
    index = np.frombuffer(base64.b64decode(spec["training"]["snapshots"][5]["color"]["b64"]),
                          np.uint8)
    table = np.array(spec["color"]["table"])
    checked = 0
    for i, (px, py) in enumerate(probe + step / 4):
        if np.hypot(*(data - (px, py)).T).min() < 8 or (i % 12) in (0, 11) or i // 12 in (0, 11):
            continue  # a data point drawn over it, or an edge row (the axes' lines)
        np.testing.assert_allclose(shot[round(py), round(px)], table[index[i]], atol=2)
        checked += 1
    assert checked > 30 and errors == []
    page.close()


def test_a_regression_page_shows_the_curve_being_learned(browser: Any, tmp_path: Path
                                                         ) -> None:
    """1-D regression: beside the loss, the targets and the network's output along the
    probe line at the selected snapshot, placed on axes fixed for the whole run; checked
    against a tanh network written out here with each snapshot's parameters."""
    out = tmp_path / "sin"
    assert main(["train", "--input", "sin", "--points", "60", "--layers", "1,4,1",
                 "--epochs", "30", "--snapshots", "5", "--probe", "25", "--lr", "0.05",
                 "--device", "cpu", "--no-film", "--html", "--probe-stages", "--float64",
                 "--out", str(out)]) == 0
    with np.load(out / "training.npz", allow_pickle=False) as z:
        npz = {k: z[k] for k in z.files}
    fit = training_spec(training_film(trace_snapshots(load_training(out / "training.npz"))),
                        None, Blobs("b64"))["training"]["fit"]
    x = npz["probe_stage_00"][0][:, 0]  # (25,) the probe line
    outs = np.stack([forward(npz, s, x[:, None])[-1][:, 0] for s in range(5)])  # (5, 25)
    target = npz["targets"][:, 0]
    lo, hi = min(outs.min(), target.min()), max(outs.max(), target.max())
    np.testing.assert_allclose(fit["x"], (x - x.min()) / np.ptp(x), atol=1e-12)
    np.testing.assert_allclose(np.array(fit["pred"]), (outs - lo) / (hi - lo), atol=1e-4)
    np.testing.assert_allclose(fit["target"], (target - lo) / (hi - lo), atol=1e-4)
    page, errors, _ = open_page(browser, out / "training.html")
    canvas = page.locator("canvas.sw-fit")
    assert canvas.is_visible()
    drawn = page.evaluate("""() => { const c = document.querySelector('canvas.sw-fit')
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      let orange = 0; for (let i = 0; i < d.length; i += 4)
        if (d[i] > 200 && d[i + 1] > 130 && d[i + 1] < 190 && d[i + 2] < 90) orange++
      return orange }""")
    assert drawn > 100 and errors == []  # the output's line (#e0a030) is drawn
    page.close()


def test_a_diverged_run_shows_the_snapshots_before_it() -> None:
    with pytest.warns(RuntimeWarning, match="became NaN"):
        training = sw.train(input="moons", points=100, layers="2,8,2", epochs=100,
                            optimizer="sgd", lr=1e6, snapshots=20, probe=10, progress=False)
    tf = training_film(trace_snapshots(training))
    values = [np.abs(k).max() for snap in tf.keys for k in snap]
    assert np.isfinite(values).all() and max(values) <= 1e12
    assert 1 <= len(tf.keys) < len(training.snapshots)
    assert f"after epoch {int(tf.times.epoch[-1])} are left out" in tf.note


def test_train_html_after_a_diverged_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    """Every file written (training.png draws a loss of 1e285), the NaN said in one line."""
    out = tmp_path / "run"
    err = _bad(["train", "--input", "moons", "--points", "100", "--layers", "2,8,2",
                "--epochs", "100", "--optimizer", "sgd", "--lr", "1e6", "--snapshots", "20",
                "--probe", "10", "--no-film", "--html", "--device", "cpu", "--out", str(out)],
               capsys)
    assert "the loss became NaN" in err
    assert {"training.png", "training.html", "training.npz"} <= {p.name for p in out.iterdir()}
