"""The explorer under attack, in-process: links, uploads and values a user (or a page) might
send, and the worker that keeps one session's work off the others' way.

Each case is a real bad input (a link, a file, a typed value) given to a real ``Explorer``
through the path its widgets or its page take; the check is the message beside the right
control, no server path in it, and a page that keeps working (the next good change gives
the trace the library computes for it).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import queue
import threading
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from spacewarp.app import uploads
from spacewarp.app.session import Explorer, explorer_for
from spacewarp.app.work import Worker
from spacewarp.config.experiment import Experiment, validated
from spacewarp.pipeline import run

SMALL = {"input": {"points": 120}, "network": {"layers": [2, 3, 2]}}


def link(data: Any) -> dict[str, list[bytes]]:
    """Request arguments holding ``data`` as a state link (as a browser sends them)."""
    raw = zlib.compress(json.dumps(data).encode())
    return {"s": [base64.urlsafe_b64encode(raw).rstrip(b"=")]}


def works(session: Explorer) -> None:
    """The page keeps working: a new seed is shown, and is what the library computes."""
    session.change("seed", "11")
    assert session.experiment.seed == 11
    assert session.trace is not None
    assert np.array_equal(session.trace.output, run(session.experiment).output)


def shown(session: Explorer) -> str:
    return " ".join(session.controls.error_text(c) for c in session.controls.errors)


# --- state links ---------------------------------------------------------------------------
@pytest.mark.parametrize("data, control, words", [
    ({"seed": -1}, "seed", "between 0 and 4,294,967,295"),
    ({"seed": 2**64}, "seed", "between 0 and 4,294,967,295"),
    ({"input": {"name": "grid", "params": {"step": 1e-200}}}, "param:step", "at least"),
    ({"input": {"name": "spiral", "params": {"classes": 300000}}}, "param:classes",
     "1 to 100"),
    ({"input": {"name": "spiral", "params": {"classes": float("nan")}}}, "param:classes",
     "finite"),
    ({"input": {"points": 10**7}}, "points", "at most 200,000"),
    ({"network": {"layers": [2, 4096, 2]}}, "widths", "at most 128"),
    ({"input": {"name": "file", "path": "/etc/passwd"}}, "link", "cannot name a file"),
    ({"input": {"path": "/etc/passwd"}}, "link", "cannot name a file"),
    ([[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]], "link", "nests deeper"),
])
def test_a_bad_link_gets_a_message_beside_its_control_and_the_default_page(
        data: Any, control: str, words: str) -> None:
    session = explorer_for(link(data), None)
    if not control.startswith("param:"):  # (the default input has no such parameter box)
        assert words in session.controls.error_text(control)
    assert words in session.controls.error_text("link")  # the link's own line says it too
    assert session.experiment == run(Experiment()).experiment  # the default is shown
    assert "/etc" not in shown(session) and "Traceback" not in shown(session)
    works(session)
    assert shown(session).strip() == ""  # moving on clears what the link caused


@pytest.mark.parametrize("text, words", [
    ("%%%garbage%%%", "damaged"),
    (base64.urlsafe_b64encode(zlib.compress(b" " * 20_000_000, 9)).decode(), "unpacks to more"),
    (base64.urlsafe_b64encode(zlib.compress(b"[" * 200_000 + b"]" * 200_000)).decode(),
     "damaged"),
    ("A" * 70_000, "at most 60,000"),
], ids=["garbage", "compression-bomb", "nested-200k", "70kB"])
def test_links_that_are_not_links_are_refused_on_the_link_line(text: str, words: str) -> None:
    session = explorer_for({"s": [text.encode()]}, validated(SMALL))
    assert words in session.controls.error_text("link")
    assert session.experiment.network.layers == [2, 3, 2]  # the server's own start
    works(session)


def test_values_typed_into_every_control_are_refused_beside_it() -> None:
    session = Explorer(validated(SMALL))
    good = session.experiment
    typed = {"points": ["-3", "nan", "1e300", "3_0", "٣٠٠", ""], "seed": ["-1", "1.5", "2e40"],
             "widths": ["2,1e9,2", "2,-3,2", "", "2,3," * 50 + "2"], "scale": ["nan", "x"],
             "param:std": ["inf", "1e307", "0x10"]}
    for control, values in typed.items():
        for value in values:
            session.change(control, value)
            assert session.controls.error_text(control), (control, value)
            assert session.experiment == good, (control, value)
    for control in ("activation", "init", "color_by", "theme"):
        session.change(control, "__import__('os').system('true')")
        assert session.controls.error_text(control) and session.experiment == good
    works(session)


# --- uploads -------------------------------------------------------------------------------
def upload(session: Explorer, data: bytes, filename: str) -> None:
    session._upload(SimpleNamespace(value=data, filename=filename))


def npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """An .npy file's header alone: it declares ``shape`` but holds (almost) no data."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": dtype, "fortran_order": False,
                                               "shape": shape})
    return out.getvalue() + b"\0" * 64


def npz_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb() -> bytes:
    """An .npz whose one member unpacks to 157 MB (150 MiB) of zeros (about 150 kB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open("x.npy", "w", force_zip64=True) as member:
        member.write(npy_header((9_000_000, 2))[:-64])
        block = bytes(1 << 20)
        for _ in range(150):
            member.write(block)
    return out.getvalue()


def pickled_npy() -> bytes:
    out = io.BytesIO()
    np.save(out, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    return out.getvalue()


@pytest.mark.parametrize("make, filename, words", [
    (lambda: npy_header((250_000_000, 2)), "huge.npy", "declares 250,000,000 rows"),
    (lambda: npz_of({"x.npy": npy_header((250_000_000, 2))}), "huge.npz", "declares"),
    (lambda: npy_header((100, 5000)), "wide.npy", "d <= 64"),
    (zip_bomb, "bomb.npz", "unpacks to 157 MB"),
    (pickled_npy, "objects.npy", "Python objects"),
    (lambda: npz_of({"x.pkl": b"\x80\x04K\x01."}), "pickle.npz", "not an .npy"),
    (lambda: b"1,2\n" * 200_002, "long.csv", "200,002 lines"),
    (lambda: b"1,2\n", "../../etc/passwd.csv", "plain name"),
    (lambda: b"1,2\n", "a\x00.csv", "plain name"),
    (lambda: b"1,2\n", "x" * 300 + ".csv", "plain name"),
    (lambda: b"1,2\n", "points.exe", "upload points (.csv"),
    (lambda: b"\0" * 20_000_001, "big.csv", "at most 20 MB"),
], ids=["npy-rows", "npz-rows", "npy-cols", "zip-bomb", "pickle", "npz-not-npy", "csv-lines",
        "path-name", "nul-name", "long-name", "suffix", "over-20MB"])
def test_a_bad_upload_is_refused_from_its_header_beside_the_control(
        make: Any, filename: str, words: str) -> None:
    session = Explorer(validated(SMALL))
    good = session.experiment
    data = make()
    t0 = time.perf_counter()
    upload(session, data, filename)
    message = html.unescape(session.controls.error_text("upload"))
    assert words in message, message
    assert "spacewarp-upload" not in message and "/tmp" not in message  # no server path
    assert session.experiment == good
    folder = session._upload_dir
    assert folder is None or not any(folder.iterdir())  # nothing refused is kept
    assert time.perf_counter() - t0 < 30  # (a guard against reading the bomb, not a timing)
    works(session)
    session.close()


def test_upload_folders_are_removed_at_shutdown() -> None:
    sessions = [Explorer(validated(SMALL)) for _ in range(2)]
    for session in sessions:
        upload(session, b"1,2\n3,4\n", "two.csv")
    folders = [s._upload_dir for s in sessions]
    assert all(f is not None and f.is_dir() for f in folders)
    uploads.remove_all()  # what the server (and atexit) does at shutdown
    assert not any(Path(str(f)).exists() for f in folders)


# --- the worker: one job at a time per session, the newest value wins ----------------------
class Loop:
    """A stand-in for a session's event loop: callbacks run when the test says."""

    def __init__(self) -> None:
        self.callbacks: queue.Queue[Any] = queue.Queue()

    def post(self, callback: Any) -> None:
        self.callbacks.put(callback)

    def run_until(self, done: Any, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "the worker never finished"
            with contextlib.suppress(queue.Empty):
                self.callbacks.get(timeout=0.05)()


def test_a_session_runs_one_job_at_a_time_and_skips_stale_values() -> None:
    loop, pool = Loop(), ThreadPoolExecutor(4)
    worker = Worker(pool, loop.post)
    running, most, ran, shown = [0], [0], [], []
    gate = threading.Event()
    lock = threading.Lock()

    def job(value: int) -> Any:
        def run_it() -> int:
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            gate.wait(10)
            ran.append(value)
            with lock:
                running[0] -= 1
            return value
        return run_it

    for value in range(10):  # ten values typed into one box while the first runs
        worker.submit("seed", job(value), lambda r, e: shown.append(r))
    worker.submit("points", job(100), lambda r, e: shown.append(r))
    gate.set()
    loop.run_until(lambda: worker.idle)
    assert most[0] == 1  # never two jobs of one session at once
    assert ran == [0, 9, 100] and shown == [0, 9, 100]  # 1..8 were stale: never computed
    pool.shutdown()


def test_a_closed_session_drops_its_waiting_and_running_work() -> None:
    loop, pool = Loop(), ThreadPoolExecutor(2)
    worker = Worker(pool, loop.post)
    gate, shown = threading.Event(), []
    worker.submit("a", lambda: gate.wait(10), lambda r, e: shown.append("a"))
    worker.submit("b", lambda: 1, lambda r, e: shown.append("b"))
    worker.close()
    gate.set()
    pool.shutdown(wait=True)
    while not loop.callbacks.empty():
        loop.callbacks.get()()
    assert shown == []  # neither the running job's result nor the waiting one is shown


def test_a_held_session_shows_nothing_until_its_page_is_ready() -> None:
    """Served, what a job hands the page waits for the page's ready message, then goes in
    order: an update landing between the page's pull and its ready message was lost."""
    loop, pool = Loop(), ThreadPoolExecutor(2)
    worker = Worker(pool, loop.post, held=True)
    shown: list[str] = []
    worker.submit("open", lambda: "first", lambda r, e: shown.append(r))
    worker.submit("seed", lambda: "second", lambda r, e: shown.append(r))
    worker.post(lambda: shown.append("live"))
    time.sleep(0.3)
    while not loop.callbacks.empty():
        loop.callbacks.get()()
    assert shown == [] and not worker.idle  # all of it held; the first job's finish too
    worker.release()
    loop.run_until(lambda: worker.idle)
    assert shown == ["first", "live", "second"]  # in the order they were handed over
    worker.post(lambda: shown.append("after"))  # released: at once
    loop.run_until(lambda: len(shown) == 4)
    pool.shutdown()


def test_one_sessions_heavy_change_does_not_hold_up_another() -> None:
    """Two sessions on one pool: while one session's change is stuck, another's runs."""
    loop, pool = Loop(), ThreadPoolExecutor(2)
    slow = Explorer(validated(SMALL), worker=Worker(pool, loop.post), deferred=True)
    fast = Explorer(validated(SMALL), worker=Worker(pool, loop.post), deferred=True)
    for session in (slow, fast):
        session.open()
    loop.run_until(lambda: slow.trace is not None and fast.trace is not None)
    gate = threading.Event()
    slow.apply("points", lambda e: (gate.wait(20), e)[1])
    fast.change("seed", "5")
    loop.run_until(lambda: fast.experiment.seed == 5)
    assert not gate.is_set()  # the slow session's change was still running
    gate.set()
    loop.run_until(lambda: slow.worker.idle)
    pool.shutdown()
