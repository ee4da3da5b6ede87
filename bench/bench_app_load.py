"""The explorer under load: N concurrent sessions x changes on a live loopback server.

Starts ``spacewarp serve`` as a subprocess on a free 127.0.0.1 port and drives it with
N Bokeh client sessions (``bokeh.client.pull_session``, one thread each, as a browser
tab would: the page's document, ``document_ready`` once it is there, then PATCH-DOC
messages; without ``document_ready`` Panel never sends a page its views). Each session
types a new seed ``--changes`` times; a change's latency is the time from sending the
value until the page holds what a user sees for it: the views' new film spec (the
canvas's serial) and the new state link. The clients decode the messages (Bokeh's
protocol) but draw nothing: the browser's drawing is not the server's load. Then
``--abandon`` more sessions each send a change and close at once (pages closed in the
middle of an update).

Prints changes per second, p50/p95 latency, CPU-seconds per change of the server process
and of the clients (process CPU time, far less sensitive to other load on the machine
than wall time), errors (changes that timed out, sessions that failed, tracebacks in the
server log) and server RSS before the sessions (after a warm-up round of N sessions x 3
changes, closed: imports and one-time caches are not a leak; the cold figure is printed
too), at its peak during them, and after they closed (and the server had ``--settle`` s
to let go).
Reference: one session's latency alone, measured first in the same run.
Targets at 20 sessions x 200 changes: no errors, p95 <= 2 s, RSS after within 10% of
before. Bounded: every wait has a timeout, the server is killed at the end.

Usage: .venv/bin/python bench/bench_app_load.py [--sessions 20] [--changes 200]
       [--abandon 10] [--settle 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from serving import cpu_s, free_port, rss_mb  # bench/serving.py (bench/ is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
CHANGE_TIMEOUT_S = 30.0
P95_TARGET_S = 2.0
RSS_TARGET = 1.10


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = os.environ.get("SPACEWARP_BENCH_SERVER")  # e.g. a profiler around the server
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), command, str(port)] if command else
        [str(ROOT / ".venv/bin/spacewarp"), "serve", "--host", "127.0.0.1", "--port",
         str(port), "--no-browser"], stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not start")


def model(doc: Any, css: str) -> Any:
    for m in doc.models:
        if css in (getattr(m, "css_classes", None) or []):
            return m
    raise LookupError(css)


def drawn_serial(canvas: Any) -> int:
    """The serial of the film spec a client's canvas holds (0 before the first)."""
    spec = canvas.data.spec
    return int(spec.get("serial", 0)) if isinstance(spec, dict) else 0


class Client:
    """One browser-tab-like Bokeh client session, in its own thread and event loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def run(self, seeds: list[int], close_at_once: bool = False) -> None:
        from bokeh.client import pull_session
        from tornado.ioloop import IOLoop

        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        try:
            session = self._open(pull_session, loop)
        except Exception as err:  # a refused or failed session counts as an error
            self.errors.append(f"connect: {type(err).__name__}: {err}")
            return
        try:
            doc = session.document
            seed, link, canvas = (model(doc, k) for k in ("sw-seed", "sw-link", "sw-canvas"))
            for value in seeds:
                before, drawn = link.text, drawn_serial(canvas)
                t0 = time.perf_counter()
                seed.value = str(value)
                if close_at_once:
                    self._until(session, loop, lambda: False, 0.05)  # let it be sent
                    break
                if self._until(session, loop, lambda b=before, d=drawn:
                               link.text != b and drawn_serial(canvas) > d):
                    self.latencies.append(time.perf_counter() - t0)
                else:
                    self.errors.append(f"seed {value}: no update in {CHANGE_TIMEOUT_S:.0f} s")
                    break
        except Exception as err:
            self.errors.append(f"{type(err).__name__}: {err}")
        finally:
            session.close()
            loop.close(all_fds=True)

    def _open(self, pull_session: Any, loop: Any) -> Any:
        """A client session on a page whose first views are there.

        Once it has pulled the page, the client says ``document_ready``, as BokehJS does
        when a page has loaded: until then the explorer holds back what it hands the page
        (an update sent while a client waits for its pull is dropped), then the first
        views arrive as patches.
        """
        from bokeh.events import DocumentReady

        session = pull_session(url=self.url, io_loop=loop)
        session.document.callbacks.send_event(DocumentReady())
        link = model(session.document, "sw-link")
        if not self._until(session, loop, lambda: bool(link.text)):
            raise TimeoutError(f"no first views in {CHANGE_TIMEOUT_S:.0f} s")
        return session

    @staticmethod
    def _until(session: Any, loop: Any, done: Any, timeout: float = CHANGE_TIMEOUT_S) -> bool:
        """Run this client's loop until ``done()`` (checked per message) or the timeout."""
        if done():
            return True
        expired: list[bool] = []
        handle = loop.call_later(timeout, lambda: (expired.append(True), loop.stop()))
        session._connection._loop_until(lambda: done() or bool(expired))
        loop.remove_timeout(handle)
        return bool(done())


def drive(url: str, sessions: int, changes: int, offset: int,
          close_at_once: bool = False) -> tuple[list[Client], float]:
    clients = [Client(url) for _ in range(sessions)]
    threads = [threading.Thread(target=c.run, args=(
        [offset + 1000 * k + i + 1 for i in range(changes)], close_at_once), daemon=True)
        for k, c in enumerate(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=CHANGE_TIMEOUT_S * (changes + 2))
    return clients, time.perf_counter() - t0


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else \
        (values[0] if values else float("nan"))


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import panel.models  # noqa: F401  (the page's model types, for the client documents)
    import panel.models.tabulator  # noqa: F401

    import spacewarp.app.server  # noqa: F401  (its own components' model types)

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--changes", type=int, default=200)
    p.add_argument("--abandon", type=int, default=10)
    p.add_argument("--settle", type=float, default=30.0)
    args = p.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = Path(tempfile.mkdtemp(prefix="spacewarp-bench-")) / "server.log"
    server = start_server(port, log)
    peak = [0.0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.2):
            peak[0] = max(peak[0], rss_mb(server.pid))

    try:
        cold = rss_mb(server.pid)
        warm, _ = drive(url, args.sessions, 3, 0)  # imports and one-time caches, then
        time.sleep(args.settle)  # the sessions are destroyed (~12 s after they close)
        before = rss_mb(server.pid)
        alone, _ = drive(url, 1, 20, 10**6)
        threading.Thread(target=watch, daemon=True).start()
        cpu0 = (cpu_s(server.pid), time.process_time())
        clients, wall = drive(url, args.sessions, args.changes, 2 * 10**6)
        cpu = (cpu_s(server.pid) - cpu0[0], time.process_time() - cpu0[1])
        abandoned, _ = drive(url, args.abandon, 1, 3 * 10**6, close_at_once=True)
        time.sleep(args.settle)
        stop.set()
        after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(args, warm + alone, alone, clients, abandoned, wall, (before, peak[0], after), log,
           cpu)
    print(f"(server RSS when it had just started, before any session: {cold:.0f} MB)")


def report(args: argparse.Namespace, warm: list[Client], alone: list[Client],
           clients: list[Client], abandoned: list[Client], wall: float,
           rss: tuple[float, float, float], log: Path, cpu: tuple[float, float]) -> None:
    latencies = [t for c in clients for t in c.latencies]
    errors = [e for c in clients + abandoned + warm for e in c.errors]
    text = log.read_text(errors="replace")
    tracebacks = text.count("Traceback")
    reference = statistics.median(alone[0].latencies) if alone[0].latencies else float("nan")
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    before, peak, after = rss
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min); "
          f"cpus {os.cpu_count()}")
    print(f"{args.sessions} sessions x {args.changes} changes: {len(latencies)} done in "
          f"{wall:.1f} s = {len(latencies) / wall:.1f} changes/s")
    print(f"latency p50 {p50 * 1e3:.0f} ms, p95 {p95 * 1e3:.0f} ms "
          f"(alone: median {reference * 1e3:.0f} ms; p95 / alone = {p95 / reference:.1f}x; "
          f"target p95 <= {P95_TARGET_S:g} s)")
    done = max(len(latencies), 1)
    print(f"CPU per change: server {cpu[0] / done * 1e3:.0f} ms, clients {cpu[1] / done * 1e3:.0f}"
          f" ms (process CPU time over the {args.sessions} sessions' changes)")
    print(f"errors: {len(errors)} in sessions, {tracebacks} tracebacks in the server log")
    for e in errors[:5]:
        print("  ", e)
    print(f"server RSS: before {before:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB "
          f"(after / before = {after / before:.3f}; target <= {RSS_TARGET})")
    if tracebacks:
        print(text[text.index("Traceback"):][:1500])
    ok = not errors and not tracebacks and p95 <= P95_TARGET_S and after <= RSS_TARGET * before
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
