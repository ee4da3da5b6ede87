"""The explorer's server under attack: origins, uploads over HTTP, the session cap, and
pages that close in the middle of an update. Servers run in this process on free loopback
ports and are stopped by the test that started them.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pages import free_port

from spacewarp.app import server as app_server
from spacewarp.app.session import Explorer
from spacewarp.config.experiment import validated
from spacewarp.errors import SpacewarpError
from spacewarp.pipeline import run

SMALL = {"input": {"points": 150}, "network": {"layers": [2, 3, 2]}}
TIMEOUT_S = 60.0


def wait_for(done: Any, what: str, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)


class Live:
    """A threaded explorer server on a free loopback port."""

    def __init__(self, **options: Any) -> None:
        self.port = free_port()
        self.server = app_server.start_server("127.0.0.1", self.port, validated(SMALL),
                                              threaded=True, **options)
        self.sessions: app_server.Sessions = self.server.spacewarp_sessions
        wait_for(self._listening, "the server listens")

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def open_page(self) -> Explorer:
        """GET the page (the server makes its session), say it is ready as a browser would,
        and return that session's explorer."""
        before = set(self.sessions.live)
        body = urllib.request.urlopen(self.url(), timeout=TIMEOUT_S).read().decode()
        assert "spacewarp" in body
        new = set(self.sessions.live) - before
        assert len(new) == 1
        ex = new.pop()
        ex.worker.release()  # what the page's ready message does (no browser here)
        wait_for(lambda: ex.trace is not None, "the first views")
        return ex

    def stop(self) -> None:
        self.server.stop()
        self.sessions.shutdown()


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    server = Live()
    yield server
    server.stop()


# --- origins ---------------------------------------------------------------------------------
def ws_status(port: int, origin: str) -> int:
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    async def attempt() -> int:
        request = HTTPRequest(f"ws://127.0.0.1:{port}/ws", headers={"Origin": origin})
        try:
            connection = await websocket_connect(request)
        except HTTPClientError as err:
            return int(err.code)
        connection.close()
        return 101

    # its own thread: a browser test's playwright may hold this thread's event loop
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, attempt()).result()


@pytest.mark.parametrize("origin", ["http://evil.example", "null",
                                    "http://127.0.0.1.evil.example:1234"])
def test_the_websocket_refuses_foreign_origins(live: Live, origin: str) -> None:
    assert ws_status(live.port, origin) == 403


def test_any_address_allows_only_the_hosts_own_names_and_explicit_origins() -> None:
    origins = app_server.allowed_origins("0.0.0.0", 5006, ["https://lab.example.org:8443"])
    assert "*" not in " ".join(origins)
    assert {"localhost:5006", "127.0.0.1:5006", f"{socket.gethostname()}:5006",
            "lab.example.org:8443"} <= set(origins)
    assert all(o.endswith(":5006") for o in origins if o != "lab.example.org:8443")
    with pytest.raises(SpacewarpError, match="allow-origin"):
        app_server.allowed_origins("0.0.0.0", 5006, ["*"])


def test_serving_on_the_network_prints_a_warning(monkeypatch: Any, capsys: Any) -> None:
    class Fake:
        spacewarp_sessions = app_server.Sessions(None)
        io_loop = type("Loop", (), {"start": staticmethod(lambda: None),
                                    "add_callback": staticmethod(lambda *a: None)})()

        def start(self) -> None:
            pass

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(app_server, "start_server",
                        lambda *a, **k: calls.append((a, k)) or Fake())
    app_server.serve("0.0.0.0", 5006, open_browser=False, allow_origin=["lab.example:80"])
    err = capsys.readouterr().err
    assert "reachable from the network" in err
    assert calls[0][1]["allow_origin"] == ["lab.example:80"]


# --- uploads over HTTP -------------------------------------------------------------------------
def post(live: Live, token: str, name: str, body: bytes,
         length: int | None = None) -> tuple[int, dict[str, Any]]:
    """POST ``body`` as the page's upload control does (``length``: a declared length)."""
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=TIMEOUT_S)
    query = urllib.parse.urlencode({"token": token, "name": name})
    connection.putrequest("POST", f"/spacewarp-upload?{query}")
    connection.putheader("Content-Length", str(len(body) if length is None else length))
    connection.putheader("Content-Type", "application/octet-stream")
    connection.endheaders()
    with contextlib.suppress(OSError):  # refused before the body was read: may be closed
        connection.send(body)
    reply = connection.getresponse()
    data = json.loads(reply.read() or b"{}")
    connection.close()
    return reply.status, data


def test_an_upload_goes_over_http_and_becomes_the_input(live: Live) -> None:
    ex = live.open_page()
    x = np.random.default_rng(1).normal(size=(300, 2)).round(5)
    body = "\n".join(f"{a},{b}" for a, b in x).encode()
    status, reply = post(live, ex.upload_token, "mine.csv", body)
    assert status == 200 and reply["bytes"] == len(body)
    wait_for(lambda: ex.experiment.input.name == "file", "the upload is used")
    assert ex.trace is not None
    np.testing.assert_allclose(ex.trace.stages[0].points, x)
    np.testing.assert_allclose(ex.trace.output, run(ex.experiment).output)
    folder = Path(str(ex.experiment.input.path)).parent
    assert [p.name for p in folder.iterdir()] == [Path(str(ex.experiment.input.path)).name]


@pytest.mark.parametrize("name, length, status, words", [
    ("big.csv", 25_000_000, 413, "at most 20 MB"),
    ("../secret.csv", None, 400, "plain name"),
    ("points.pkl", None, 400, "upload points (.csv"),
])
def test_a_bad_http_upload_is_refused_before_its_body_is_read(
        live: Live, name: str, length: int | None, status: int, words: str) -> None:
    ex = live.open_page()
    got, reply = post(live, ex.upload_token, name, b"1,2\n" * 10, length)
    assert got == status and words in reply["error"]
    wait_for(lambda: words in ex.controls.error_text("upload"), "the message beside upload")
    assert "/tmp" not in reply["error"]
    folder = ex._upload_dir
    assert folder is None or not any(folder.iterdir())  # nothing kept, not even a part


def test_an_upload_for_no_live_session_is_refused(live: Live) -> None:
    status, reply = post(live, "not-a-token", "a.csv", b"1,2\n")
    assert status == 403 and "reload" in reply["error"]


def page_text(live: Live) -> str:
    """Every text of a new page's document, as a Bokeh client receives it."""
    import panel.models.tabulator  # noqa: F401  (the page's model types, for the client)
    from bokeh.client import pull_session

    session = pull_session(url=live.url())
    try:
        return " ".join(str(getattr(m, "text", "")) for m in session.document.models)
    finally:
        session.close()


# --- sessions --------------------------------------------------------------------------------
def test_the_session_cap_shows_a_polite_page_and_uploads_go_at_shutdown() -> None:
    server = Live(max_sessions=2)
    try:
        first = server.open_page()
        server.open_page()
        assert "The explorer is busy" in page_text(server)  # a third page, over the cap
        assert len(server.sessions.live) == 2
        status, _ = post(server, first.upload_token, "a.csv", b"1,2\n3,4\n")
        assert status == 200
        wait_for(lambda: first.experiment.input.name == "file", "the upload is used")
        folder = Path(str(first.experiment.input.path)).parent
        assert folder.is_dir()
    finally:
        server.stop()
    assert not folder.exists()


def test_a_page_closed_mid_update_leaves_no_traceback_and_no_session(
        live: Live, caplog: Any) -> None:
    import panel.models.tabulator  # noqa: F401  (the page's model types, for the client)
    from bokeh.client import pull_session

    caplog.set_level(logging.INFO)
    before = len(live.sessions.live)
    for k in range(3):
        session = pull_session(url=live.url())
        seed = next(m for m in session.document.models
                    if "sw-seed" in (getattr(m, "css_classes", None) or []))
        seed.value = str(100 + k)
        session.force_roundtrip()  # the change has reached the server
        session.close()  # ... and the page goes before its update is shown
    wait_for(lambda: len(live.sessions.live) <= before, "the closed sessions are destroyed",
             timeout=60)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]


def test_a_killed_server_removes_its_upload_folders(tmp_path: Path) -> None:
    """``spacewarp serve`` stopped by SIGTERM (``kill``) leaves no upload folder behind."""
    import os
    import signal
    import subprocess
    import sys

    import panel.models.tabulator  # noqa: F401  (the page's model types, for the client)
    from bokeh.client import pull_session

    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "spacewarp.cli", "serve", "--port", str(port),
                               "--no-browser"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        live = Live.__new__(Live)
        live.port = port
        wait_for(live._listening, "the server listens")
        session = pull_session(url=live.url())
        token = next(m.data.token for m in session.document.models  # the UploadBox's
                     if "sw-upload" in (getattr(m, "css_classes", None) or []))
        assert post(live, token, "a.csv", b"1,2\n3,4\n")[0] == 200
        wait_for(lambda: list(tmp_path.glob("spacewarp-upload-*/upload-*.csv")), "saved")
        session.close()
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0].decode()
    finally:
        server.kill()
    assert server.returncode is not None
    assert not list(tmp_path.glob("spacewarp-upload-*")), output
    assert "Traceback" not in output


SERVE_THREADS = """
import os, sys, types
def serve(**_kw):  # the server, replaced: how many threads does NumPy's BLAS start?
    import numpy as np
    a = np.ones((600, 600))
    a @ a  # OpenBLAS starts its threads (one per core) on load
    print(len(os.listdir('/proc/self/task')), os.environ.get('OPENBLAS_NUM_THREADS'))
import spacewarp  # NumPy-free
app = types.ModuleType('spacewarp.app')  # its modules, without its __init__ (Panel)
app.__path__ = [os.path.join(os.path.dirname(spacewarp.__file__), 'app')]
server = types.ModuleType('spacewarp.app.server'); server.serve = serve
sys.modules.update({'spacewarp.app': app, 'spacewarp.app.server': server})
from spacewarp.cli import main
main(['serve', '--no-browser'])
"""


def test_serve_runs_numpy_on_one_blas_thread() -> None:
    """The explorer is parallel across sessions: NumPy's BLAS must not spread every
    product over all cores (it spins on a busy machine: 10x the CPU for a wide film)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", SERVE_THREADS], capture_output=True,
                          text=True, env=env, timeout=120, check=True)
    threads, setting = done.stdout.split()
    assert setting == "1"
    assert int(threads) == 1, f"{threads} threads: BLAS started its own"


# --- exports ---------------------------------------------------------------------------------
def pulled(live: Live) -> tuple[Any, Explorer]:
    """A client session of a fresh page (bokeh's client, as a browser's socket) and the
    server's explorer for it, ready and showing its first trace."""
    import panel.models.tabulator  # noqa: F401  (the page's model types, for the client)
    from bokeh.client import pull_session

    before = set(live.sessions.live)
    session = pull_session(url=live.url())
    new = set(live.sessions.live) - before
    assert len(new) == 1
    ex = new.pop()
    ex.worker.release()  # what the page's ready message does
    wait_for(lambda: ex.trace is not None, "the first views")
    return session, ex


def model_with_class(session: Any, css: str) -> Any:
    return next(m for m in session.document.models
                if css in (getattr(m, "css_classes", None) or []))


def test_an_export_leaves_other_sessions_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    """An MP4 export clicked in one page runs off the server's event loop: held in the
    middle of writing, the server still takes a second page's change, computes it and
    shows it; then the export's file reaches the first page."""
    import threading

    from spacewarp.app import exports

    started, gate = threading.Event(), threading.Event()
    written: list[bytes] = []
    write_mp4 = exports.EXPORTS["MP4"][1]

    def held(trace: Any, folder: Path) -> Path:  # the real writer, held at its start
        started.set()
        assert gate.wait(TIMEOUT_S)
        path = write_mp4(trace, folder)
        written.append(path.read_bytes())
        return path

    monkeypatch.setitem(exports.EXPORTS, "MP4", ("spacewarp.mp4", held))
    live = Live()  # its own server: the buttons are made with the held writer
    try:
        page_a, explorer_a = pulled(live)
        page_b, explorer_b = pulled(live)
        model_with_class(page_a, "sw-export-spacewarp-mp4").clicks += 1  # a click's message
        page_a.force_roundtrip()
        wait_for(started.is_set, "the export starts")
        seed = model_with_class(page_b, "sw-seed")
        seed.value = "4242"
        page_b.force_roundtrip()  # the server's loop takes the change ...
        wait_for(lambda: explorer_b.experiment.seed == 4242 and explorer_b.trace is not None
                 and explorer_b.trace.experiment == explorer_b.experiment,
                 "the second page's change is computed")  # ... and its worker computes it
        assert not gate.is_set()  # all while the export is held
        gate.set()

        mp4 = next(m for m in explorer_a.document.models  # the page's model, on the server
                   if "sw-export-spacewarp-mp4" in (getattr(m, "css_classes", None) or []))
        wait_for(lambda: str(mp4.data).startswith("data:video/mp4;base64,"),
                 "the film is handed to the first page")
        assert base64.b64decode(str(mp4.data).split(",", 1)[1]) == written[0]
        page_a.close()
        page_b.close()
    finally:
        gate.set()
        live.stop()


SERVE_FROZEN = """
import gc, types
from spacewarp.app import server
class Loop:  # the server's loop, replaced: what does the collector still walk?
    def add_callback(self, *args): pass
    def start(self): print(gc.get_freeze_count(), len(gc.get_objects()))
class Started:
    io_loop = Loop()
    spacewarp_sessions = types.SimpleNamespace(shutdown=lambda: None)
    def start(self): pass
server.start_server = lambda *args, **kwargs: Started()
server.serve(open_browser=False)
"""


def test_serve_keeps_the_loaded_modules_out_of_the_collectors_walk() -> None:
    """A full garbage collection walked every object of torch, Panel and Bokeh (0.7 to
    1.4 s on a loaded machine, mid-change): the served process freezes them before its
    loop starts, so a collection walks only what sessions made since."""
    done = subprocess.run([sys.executable, "-c", SERVE_FROZEN], capture_output=True,
                          text=True, timeout=120, check=True)
    frozen, walked = map(int, done.stdout.split()[-2:])
    assert frozen > 100_000 and walked < frozen // 10, done.stdout
