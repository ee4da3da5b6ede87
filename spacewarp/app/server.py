"""Serving the explorer: one fresh ``Explorer`` per browser session, bound to loopback.

``serve()`` backs ``spacewarp serve``; ``explorer()`` returns the same explorer as a
Panel object for notebooks. The server runs every session's heavy work in one shared
thread pool (each session one job at a time), takes uploads over HTTP, caps the number
of live sessions, accepts websockets only from its own origins, and gives memory back
when a session closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import panel as pn
import torch
from panel.theme import fast
from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError

from ..config.experiment import Experiment
from ..errors import SpacewarpError
from . import upload_http, uploads
from .limits import LIMITS_TEXT, MAX_SESSIONS, check_limits
from .session import Explorer, explorer_for
from .work import Worker

TITLE = "spacewarp explorer"
EXTENSIONS = ("tabulator",)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
ANY_ADDRESS = ("0.0.0.0", "::", "")
WORKERS = 2  # threads for every session's heavy work (the machine's cores, not sessions)
MAX_HEADER_BYTES = 256 * 1024  # a request line this long still reaches the app's message
RELEASE_AFTER_S = 2.0  # after a tab closes, collect garbage once (it pauses every tab)
CHECK_CLOSED_MS = 2_000  # how often the server looks for sessions whose page has gone
CLOSED_LIFETIME_MS = 10_000  # a session without a connection for this long is destroyed
log = logging.getLogger(__name__)


class Fast(fast.Fast):
    """Panel's Fast design without its Google font: the page never leaves the machine.

    (Named ``Fast`` because Panel finds a design's bundled files by its class name.)
    """

    _resources = {k: v for k, v in fast.Fast._resources.items()  # type: ignore[assignment]
                  if k != "font"}


class Sessions:
    """The live sessions of one server, and the pool their work runs in."""

    def __init__(self, base: Experiment | None, limit: int = MAX_SESSIONS) -> None:
        self.base, self.limit = base, limit
        self.pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="spacewarp-work")
        self.live: set[Explorer] = set()
        self._lock = threading.Lock()
        self._release: object | None = None  # a scheduled ``release_memory``

    def page(self) -> Any:
        """The page of one session (Panel calls this once per browser session)."""
        with self._lock:
            full = len(self.live) >= self.limit
        if full:
            return busy_page(self.limit)
        doc = pn.state.curdoc
        assert doc is not None

        loop = IOLoop.current()

        def post(callback: Callable[[], None]) -> None:  # from any thread: via the loop,
            loop.add_callback(on_document, doc, callback)  # then under the document's lock

        worker = Worker(self.pool, post, held=True)  # until the page says it is ready
        ex = explorer_for(dict(pn.state.session_args or {}), self.base, worker=worker,
                          deferred=True)
        ex.document = doc
        with self._lock:
            self.live.add(ex)
        upload_http.register(ex, worker.post)
        ex.controls.widgets["upload"] = upload_http.UploadBox(  # type: ignore[assignment]
            token=ex.upload_token, sizing_mode="stretch_width", css_classes=["sw-upload"])
        pn.state.on_session_destroyed(lambda _ctx: self.closed(ex))
        doc.add_next_tick_callback(ex.open)  # the first trace: once the session exists
        pn.state.onload(worker.release)  # shown once the page is ready (see ``Worker``)
        return template(ex)

    def closed(self, ex: Explorer) -> None:
        ex.close()
        upload_http.unregister(ex)
        with self._lock:
            self.live.discard(ex)
            if self._release is not None:  # one release for a burst of closing tabs
                return
            self._release = IOLoop.current().call_later(RELEASE_AFTER_S, self._released)

    def _released(self) -> None:
        with self._lock:
            self._release = None
        release_memory()

    def shutdown(self) -> None:
        for ex in list(self.live):
            ex.close()
            upload_http.unregister(ex)
        self.live.clear()
        self.pool.shutdown(wait=False, cancel_futures=True)
        uploads.remove_all()


def on_document(doc: Any, callback: Callable[[], None]) -> None:
    """Run ``callback`` under ``doc``'s lock (on the server's loop; nothing if it is gone)."""
    try:
        doc.add_next_tick_callback(callback)
    except Exception as err:  # the session was destroyed meanwhile
        log.info("update for a closed session dropped: %s", err)


def template(ex: Explorer) -> pn.template.BaseTemplate:
    """The page. No busy spinner: Panel's is one process-wide flag shown in every tab, so
    each change in one tab sent an update to every other tab (and it never covered the
    pool's work); the status line tells when a change is shown."""
    return pn.template.FastListTemplate(
        title=TITLE, theme="dark", sidebar=[ex.sidebar()], main=[ex.main()],
        sidebar_width=330, header_background="#1d2330", accent_base_color="#5ab4ff",
        main_layout=None, meta_description=LIMITS_TEXT, design=Fast, theme_toggle=False,
        font="system-ui, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif", busy_indicator=None)


def busy_page(limit: int) -> pn.pane.HTML:
    return pn.pane.HTML(
        f"<h2>The explorer is busy</h2><p class='sw-busy'>It already has {limit} pages open, "
        "its most. Close a tab you no longer use, or try again in a minute.</p>",
        styles={"font-family": "system-ui, sans-serif", "padding": "2em"})


def release_memory() -> None:
    """Collect a closed session's objects and hand freed heap pages back to the system."""
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def allowed_origins(host: str, port: int, extra: list[str] | None = None) -> list[str]:
    """Websocket origins (``host:port``): loopback names, the bound host's own names when it
    is not loopback, and ``extra`` (``--allow-origin``). Never ``*``."""
    names = {"localhost", "127.0.0.1"}  # (Bokeh's allowlist takes no IPv6 literals)
    if host in ANY_ADDRESS:
        names |= own_names()
    elif host not in LOOPBACK and ":" not in host:
        names.add(host)
    out = {f"{name}:{port}" for name in names}
    for origin in extra or []:
        netloc = origin.split("://", 1)[-1].rstrip("/")
        if not netloc or "*" in netloc or "/" in netloc:
            raise SpacewarpError(f"--allow-origin wants a host[:port] such as "
                                 f"example.org:{port}, got {origin!r}", field="allow_origin")
        out.add(netloc)
    return sorted(out)


def own_names() -> set[str]:
    """This machine's host names and addresses (what other machines reach it by)."""
    hostname = socket.gethostname()
    names = {hostname, socket.getfqdn()}
    with contextlib.suppress(OSError):
        names |= {str(info[4][0]) for info in socket.getaddrinfo(hostname, None)}
    return {name for name in names if name and ":" not in name}


def start_server(host: str = "127.0.0.1", port: int = 5006,
                 config: Experiment | None = None, *, threaded: bool = False,
                 allow_origin: list[str] | None = None,
                 max_sessions: int = MAX_SESSIONS) -> Any:
    """A Panel server for the explorer, bound but not yet started (``threaded``: running
    in its own thread, a ``StoppableThread`` with ``.stop()``, for tests and benchmarks)."""
    pn.extension(*EXTENSIONS)
    torch.set_num_threads(1)  # parallel across sessions (the pool), not inside one matmul
    origins = allowed_origins(host, port, allow_origin)
    sessions = Sessions(config, max_sessions)
    server = pn.serve({"/": sessions.page}, address=host, port=port, show=False, title=TITLE,
                      websocket_origin=origins, threaded=threaded, start=threaded,
                      verbose=False, extra_patterns=upload_http.patterns(origins),
                      http_server_kwargs={"max_header_size": MAX_HEADER_BYTES},
                      check_unused_sessions_milliseconds=CHECK_CLOSED_MS,
                      unused_session_lifetime_milliseconds=CLOSED_LIFETIME_MS)
    server.spacewarp_sessions = sessions  # for shutdown, tests and benchmarks
    return server


def serve(host: str = "127.0.0.1", port: int = 5006, config: Experiment | None = None,
          open_browser: bool = True, allow_origin: list[str] | None = None) -> None:
    """Serve the explorer at ``http://host:port/`` until interrupted (loopback by default)."""
    if config is not None:
        check_limits(config)
    try:
        server = start_server(host, port, config, allow_origin=allow_origin)
    except OSError as err:
        raise SpacewarpError(f"cannot serve on {host}:{port}: {err.strerror or err}; "
                             "choose another --port", field="port") from None
    if host not in LOOPBACK:
        print(f"warning: the explorer is reachable from the network at {host}:{port}; "
              "anyone who can reach this machine can use it", file=sys.stderr, flush=True)
    print(f"spacewarp explorer: http://{_url_host(host)}:{port}/  (Ctrl+C to stop)",
          flush=True)
    server.start()
    server.io_loop.add_callback(
        lambda: asyncio.get_running_loop().set_exception_handler(quiet_closed_sockets))
    if open_browser:
        server.io_loop.add_callback(server.show, "/")
    stop = lambda *_: server.io_loop.add_callback(server.io_loop.stop)  # noqa: E731
    previous = signal.signal(signal.SIGTERM, stop)  # `kill`: stop cleanly, uploads removed
    freeze_loaded()
    try:
        server.io_loop.start()
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.spacewarp_sessions.shutdown()


def freeze_loaded() -> int:
    """Every object alive now (the modules of torch, NumPy, Panel and Bokeh: ~350,000) out
    of the garbage collector's sight; returns how many. They live as long as the process,
    yet each full collection walked them all, on whichever thread allocated: 0.7 to 1.4 s
    on a loaded 2-core machine, in the middle of a change every few changes (issue 20).
    Sessions made later are collected as before (``release_memory``)."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def quiet_closed_sockets(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The loop's handler of errors nobody awaited: a write to a page that has closed
    (Panel writes some updates without awaiting them) is logged in one line, not as a
    traceback; anything else goes to asyncio's default handler."""
    if isinstance(context.get("exception"), WebSocketClosedError | StreamClosedError):
        log.info("an update for a closed page was dropped")
        return
    loop.default_exception_handler(context)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def explorer(experiment: Experiment | None = None) -> pn.Row:
    """The explorer as a Panel object: shows inline in a notebook (``pn.extension`` run here)."""
    pn.extension(*EXTENSIONS)
    return Explorer(experiment).panel()
