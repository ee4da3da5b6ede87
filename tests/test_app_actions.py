"""The explorer's actions in-process (no browser): exports, uploads, randomise, sessions.

Each test builds an ``Explorer`` directly and drives it through the same callbacks its
widgets call (the download buttons' callbacks, the upload handler, the randomise
button); results are checked against files read back and ``pipeline.run`` recomputed.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import imageio.v2 as imageio
import numpy as np
import panel as pn
import pytest
from PIL import Image

from spacewarp.app.limits import MAX_POINTS, MAX_UPLOAD_BYTES
from spacewarp.app.session import Explorer
from spacewarp.app.work import Worker
from spacewarp.config.experiment import Experiment, load_experiment, validated
from spacewarp.pipeline import run
from spacewarp.tracing.trace import Trace

SMALL = {"input": {"points": 150}, "network": {"layers": [2, 3, 3, 2]}}


def small() -> Experiment:
    return validated(SMALL)


def assert_same_trace(got: Trace, want: Trace) -> None:
    assert len(got.stages) == len(want.stages)
    for a, b in zip(got.stages, want.stages, strict=True):
        assert a.kind == b.kind and np.array_equal(a.points, b.points)
    assert np.array_equal(got.color, want.color)


def assert_matches_its_experiment(session: Explorer) -> None:
    """The session's trace is what the library computes for its experiment, independently."""
    assert session.trace.experiment == session.experiment
    assert_same_trace(session.trace, run(session.experiment))


# --- exports -------------------------------------------------------------------------------
def download(button: pn.widgets.FileDownload) -> io.BytesIO | None:
    """What a click does: the button's (async) callback, run to its end."""
    return asyncio.run(button.callback())


@pytest.fixture(scope="module")
def exported() -> tuple[Explorer, dict[str, bytes]]:
    session = Explorer(small())
    buttons = list(session.sidebar().select(pn.widgets.FileDownload))
    out = {}
    for button in buttons:
        data = download(button)
        assert isinstance(data, io.BytesIO), f"{button.label} gave {data!r}"
        out[button.filename] = data.getvalue()
    assert session.controls.error_text("export") == ""
    return session, out


def test_every_export_button_is_there(exported: tuple[Explorer, dict[str, bytes]]) -> None:
    assert set(exported[1]) == {"stages.png", "spacewarp.mp4", "spacewarp.gif",
                                "spacewarp.html", "experiment.toml"}


def test_png_export_decodes_to_a_drawn_image(exported: tuple[Explorer, dict[str, bytes]]
                                             ) -> None:
    image = Image.open(io.BytesIO(exported[1]["stages.png"]))
    assert image.format == "PNG"
    width, height = image.size
    assert 400 <= width <= 10_000 and 150 <= height <= 5_000
    pixels = np.asarray(image.convert("RGB"), dtype=np.float64)
    assert pixels.std() > 5  # not a blank canvas


def test_mp4_export_has_frames(exported: tuple[Explorer, dict[str, bytes]],
                               tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    path.write_bytes(exported[1]["spacewarp.mp4"])
    with imageio.get_reader(path, format="ffmpeg") as reader:
        frames = [np.asarray(f) for f in reader]
    assert len(frames) > 1
    assert frames[0].ndim == 3 and frames[0].shape[0] >= 100 and frames[0].shape[1] >= 100
    assert not np.array_equal(frames[0], frames[-1])  # the film moves


def test_gif_export_is_animated(exported: tuple[Explorer, dict[str, bytes]]) -> None:
    image = Image.open(io.BytesIO(exported[1]["spacewarp.gif"]))
    assert image.format == "GIF"
    assert getattr(image, "n_frames", 1) > 1


def test_html_export_embeds_the_experiment_and_loads_nothing(
        exported: tuple[Explorer, dict[str, bytes]]) -> None:
    session, files = exported
    page = files["spacewarp.html"].decode("utf-8")
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", page, re.I)
    block = re.search(r'<script type="application/toml" id="spacewarp-experiment">'
                      r"\n(.*?)</script>", page, re.S)
    assert block is not None
    embedded = validated(tomllib.loads(block.group(1).replace("<\\/", "</")))
    assert embedded == session.experiment


def test_toml_export_loads_as_the_sessions_experiment(
        exported: tuple[Explorer, dict[str, bytes]], tmp_path: Path) -> None:
    session, files = exported
    path = tmp_path / "experiment.toml"
    path.write_bytes(files["experiment.toml"])
    assert load_experiment(path) == session.experiment
    assert_same_trace(run(load_experiment(path)), session.trace)


def test_exports_follow_the_current_state() -> None:
    session = Explorer(small())
    session.change("activation", "relu")
    toml = {b.filename: b for b in session.sidebar().select(pn.widgets.FileDownload)}
    text = download(toml["experiment.toml"]).getvalue().decode()
    assert tomllib.loads(text)["network"]["activation"] == "relu"


def test_an_export_runs_in_the_worker_with_its_button_disabled(monkeypatch: Any) -> None:
    """Served, an export is the session worker's job (off the event loop): while it runs
    its button is disabled and a line says what is written; then the file arrives."""
    from spacewarp.app import exports
    from spacewarp.app.text import Text

    gate, seen = threading.Event(), {}
    png = exports.EXPORTS["PNG"][1]

    def slow_png(trace: Trace, folder: Path) -> Path:
        seen["thread"] = threading.current_thread()
        gate.wait(30)
        return png(trace, folder)

    monkeypatch.setitem(exports.EXPORTS, "PNG", ("stages.png", slow_png))
    pool = ThreadPoolExecutor(1)

    async def click() -> None:
        loop = asyncio.get_running_loop()
        session = Explorer(small(), worker=Worker(pool, loop.call_soon_threadsafe))
        while session.trace is None:  # the first views, computed by the worker
            await asyncio.sleep(0.01)
        sidebar = session.sidebar()
        button = next(b for b in sidebar.select(pn.widgets.FileDownload)
                      if b.filename == "stages.png")
        note = next(t for t in sidebar.select(Text) if "sw-export-note" in t.css_classes)
        task = asyncio.ensure_future(button.callback())
        while "thread" not in seen:
            await asyncio.sleep(0.01)
        assert seen["thread"] is not threading.current_thread()  # not the loop's thread
        assert button.disabled and "writing stages.png" in note.object
        gate.set()
        data = await task
        assert not button.disabled and note.object == ""
        assert isinstance(data, io.BytesIO) and Image.open(data).size[0] > 100

    asyncio.run(click())
    pool.shutdown()


# --- uploads -------------------------------------------------------------------------------
def upload(session: Explorer, data: bytes, filename: str) -> None:
    """What the FileInput's watcher does: hand the widget (value, filename) to the session."""
    session._upload(SimpleNamespace(value=data, filename=filename))


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_csv_upload_becomes_the_input() -> None:
    session = Explorer(small())
    x = np.random.default_rng(3).normal(size=(40, 2)).round(4)
    text = "a,b\n" + "\n".join(f"{p:.4f},{q:.4f}" for p, q in x)
    upload(session, text.encode(), "mine.csv")
    assert session.controls.error_text("upload") == ""
    assert session.experiment.input.name == "file"
    assert np.array_equal(session.trace.stages[0].points, x)
    assert_matches_its_experiment(session)
    session.close()


def test_an_npy_upload_of_another_dimension_gets_a_fitting_network() -> None:
    session = Explorer(small())
    x = np.random.default_rng(4).normal(size=(30, 3))
    upload(session, npy_bytes(x), "cloud.NPY")
    assert np.array_equal(session.trace.stages[0].points, x)
    assert session.trace.stages[1].dim == session.experiment.network.layers[1]  # type: ignore[index]
    assert session.experiment.network.layers[0] == 3  # type: ignore[index]
    assert_matches_its_experiment(session)
    session.close()


def test_an_npz_upload_with_labels_colours_by_label() -> None:
    session = Explorer(small())
    x = np.random.default_rng(5).normal(size=(25, 2))
    labels = np.arange(25) % 3
    buffer = io.BytesIO()
    np.savez(buffer, x=x, labels=labels)
    upload(session, buffer.getvalue(), "set.npz")
    assert np.array_equal(session.trace.stages[0].points, x)
    assert session.experiment.input.color_by == "label"
    assert np.array_equal(session.trace.color, labels)
    session.close()


@pytest.mark.parametrize("data, filename, words", [
    (b"1,2\n3,oops\n", "bad.csv", "cannot read"),
    (b"not an npy file at all", "bad.npy", "cannot read"),
    (b"1,2\n3,nan\n", "nan.csv", "finite"),
    (b"1,2\n", "points.txt", "upload points (.csv"),
    (b"\0" * (MAX_UPLOAD_BYTES + 1), "huge.npy", "at most 20 MB"),
    (npy_bytes(np.zeros((MAX_POINTS + 1, 2))), "many.npy", "at most 200,000 points"),
], ids=["csv-text", "npy-garbage", "csv-nan", "wrong-suffix", "over-20MB", "over-points"])
def test_a_bad_upload_is_refused_beside_the_control_and_keeps_the_last_trace(
        data: bytes, filename: str, words: str) -> None:
    session = Explorer(small())
    good = np.random.default_rng(6).normal(size=(20, 2))
    upload(session, npy_bytes(good), "good.npy")
    before, experiment = session.trace, session.experiment
    upload(session, data, filename)
    message = session.controls.error_text("upload")
    assert words in message
    assert filename in message and "spacewarp-upload" not in message  # never a server path
    assert session.trace is before and session.experiment == experiment
    folder = Path(str(experiment.input.path)).parent
    assert sorted(folder.iterdir()) == [Path(str(experiment.input.path))]  # refused: gone
    assert np.array_equal(session.trace.stages[0].points, good)
    upload(session, npy_bytes(good[:10]), "again.npy")  # the control still works
    assert session.controls.error_text("upload") == ""
    assert np.array_equal(session.trace.stages[0].points, good[:10])
    session.close()


def test_only_the_current_upload_is_kept_and_it_goes_when_the_session_closes() -> None:
    session = Explorer(small())
    upload(session, npy_bytes(np.ones((5, 2))), "a.npy")
    upload(session, npy_bytes(np.zeros((6, 2))), "b.npy")
    current = Path(str(session.experiment.input.path))
    folder = current.parent
    assert list(folder.iterdir()) == [current]  # a.npy is no longer used: removed
    assert np.array_equal(session.trace.stages[0].points, np.zeros((6, 2)))
    session.close()
    assert not folder.exists()


# --- randomise -----------------------------------------------------------------------------
def randomise_button(session: Explorer, module: str) -> pn.widgets.Button:
    found = [b for b in session.weights.box.select(pn.widgets.Button)
             if f"sw-randomise-{module}" in b.css_classes]
    assert len(found) == 1
    return found[0]


def test_randomise_redraws_one_layer_and_keeps_the_others() -> None:
    session = Explorer(small())
    before = {k: v.copy() for k, v in session.trace.params.items()}
    randomise_button(session, "2").clicks += 1  # what a click does
    after = session.trace.params
    assert set(after) == set(before) == {"0.weight", "2.weight", "4.weight"}
    assert not np.array_equal(after["2.weight"], before["2.weight"])
    assert np.array_equal(after["0.weight"], before["0.weight"])
    assert np.array_equal(after["4.weight"], before["4.weight"])
    assert np.array_equal(np.array(session.experiment.network.weights["2.weight"]),
                          after["2.weight"])
    assert session.controls.error_text("weights") == ""
    assert_matches_its_experiment(session)
    again = after["2.weight"].copy()
    randomise_button(session, "2").clicks += 1  # the same button keeps working
    assert not np.array_equal(session.trace.params["2.weight"], again)
    assert_matches_its_experiment(session)


# --- sessions ------------------------------------------------------------------------------
def test_two_sessions_share_nothing() -> None:
    one, two = Explorer(small()), Explorer(small())
    experiment, trace = two.experiment, two.trace
    first_stage = trace.stages[1].points.copy()
    one.controls.widgets["activation"].value = "relu"
    one.controls.widgets["widths"].value = "2,5,2"
    randomise_button(one, "0").clicks += 1
    upload(one, npy_bytes(np.ones((7, 2))), "x.npy")
    assert one.experiment.input.name == "file" and one.experiment.network.activation == "relu"
    assert two.experiment == experiment and two.trace is trace
    assert np.array_equal(two.trace.stages[1].points, first_stage)
    assert two.controls.widgets["activation"].value == "tanh"
    assert two.controls.widgets["widths"].value == "2,3,3,2"
    assert one.rng is not two.rng and one.controls is not two.controls
    assert_matches_its_experiment(two)
    one.close()
