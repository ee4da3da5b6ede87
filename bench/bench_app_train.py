"""The explorer while it trains: view updates per second at 1e4 points (data plus probe).

    .venv/bin/python bench/bench_app_train.py [--seconds S]

A live explorer (this process, a loopback port) serving the course's spiral classifier
(2,100,3 ReLU with bias, Adam) on 7,500 points, whose live views add the 2,500-point
probe sub-grid: 1e4 points through every stage. A headless Chromium page presses Train
and counts, for ``--seconds``, the live updates its renderer applied and drew
(``el.__spacewarp.live``), and the epochs trained. Prints updates per second (the
issue's target: at least 10), the bytes of one update, the server-side time of one chunk,
and ``uptime`` (the machine is shared: read the figures with the load).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from headless import launch  # noqa: E402
from serving import free_port  # noqa: E402

EXPERIMENT = {"input": {"name": "spiral", "points": 7500},
              "network": {"layers": [2, 100, 3], "activation": "relu", "bias": True,
                          "init": "random"},
              "train": {"epochs": 100_000}}
LIVE_JS = "el => [el.__spacewarp.live || 0, el.__spacewarp.serial]"


def browser_rate(url: str, seconds: float) -> tuple[float, int, int]:
    """(updates drawn per second, epochs at the start and end of the count)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url)
        root = page.locator(".sw-canvas .sw-root[data-sw-version]")
        root.wait_for(timeout=180_000)
        page.locator(".sw-train-train button").click()
        numbers = page.locator(".sw-train-numbers")
        numbers.wait_for(timeout=180_000)
        time.sleep(2.0)  # past the first frame
        first, _ = root.evaluate(LIVE_JS)
        e0 = int(numbers.get_attribute("data-epoch") or 0)
        t0 = time.perf_counter()
        time.sleep(seconds)
        last, _ = root.evaluate(LIVE_JS)
        e1 = int(numbers.get_attribute("data-epoch") or 0)
        print("  server status:", numbers.inner_text())
        rate = (last - first) / (time.perf_counter() - t0)
        live_spec = root.evaluate(LIVE_JS)[1]
        page.locator(".sw-train-pause button").click()
        # the paused view (every snapshot) follows the click; closed before it came, the
        # page left the server sending into a closed connection (bokeh's warning)
        page.wait_for_function("([el, s]) => el.__spacewarp.serial !== s",
                               arg=[root.element_handle(), live_spec], timeout=120_000)
        browser.close()
    return rate, e0, e1


def server_chunk() -> tuple[float, int, int]:
    """In-process, one session's chunk: seconds, update bytes (JSON), points drawn."""
    import torch

    from spacewarp.app import training_task as tt
    from spacewarp.config.experiment import validated

    torch.set_num_threads(1)
    run = tt.start(validated(EXPERIMENT))
    tt.frame(run, 1)
    times, size = [], 0
    for _ in range(10):
        t = time.perf_counter()
        update = tt.advance(run)
        times.append(time.perf_counter() - t)
        size = len(json.dumps(update))
    return sorted(times)[len(times) // 2], size, run.joint.n


def session_rate(seconds: float) -> float:
    """Live updates per second of one session in-process, without a browser: a real pool,
    the session's loop played here (the views' data set as the server would, not sent)."""
    import queue
    from concurrent.futures import ThreadPoolExecutor

    import torch

    from spacewarp.app.session import Explorer
    from spacewarp.app.work import Worker
    from spacewarp.config.experiment import validated

    torch.set_num_threads(1)
    calls: queue.Queue = queue.Queue()
    pool = ThreadPoolExecutor(2)
    ex = Explorer(validated(EXPERIMENT), worker=Worker(pool, calls.put))

    def pump(until: float, stop: object = None) -> None:
        while time.perf_counter() < until and not (stop and stop()):  # type: ignore[operator]
            try:
                call = calls.get(timeout=0.05)
            except queue.Empty:
                continue
            call()

    pump(time.perf_counter() + 300, lambda: ex.trace is not None and ex.worker.idle)
    ex.trainer.press("train")
    pump(time.perf_counter() + 300, lambda: ex.trainer.run is not None
         and len(ex.trainer.run.curves) > 2)
    run = ex.trainer.run
    assert run is not None
    first, t0 = run.serial, time.perf_counter()
    pump(t0 + seconds)
    rate = (run.serial - first) / (time.perf_counter() - t0)
    ex.close()
    pool.shutdown(wait=True, cancel_futures=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    from spacewarp.app.server import start_server
    from spacewarp.config.experiment import validated

    chunk_s, size, n = server_chunk()
    port = free_port()
    server = start_server("127.0.0.1", port, validated(EXPERIMENT), threaded=True)
    try:
        rate, e0, e1 = browser_rate(f"http://127.0.0.1:{port}/", args.seconds)
    finally:
        server.stop()
        server.spacewarp_sessions.shutdown()
    alone = session_rate(args.seconds)  # after the server (a session made outside one
    # first kept the served page from loading)
    print(f"explorer view updates per second during training at {n:,} points "
          f"(data 7,500 + probe): {rate:.1f} (target >= 10)")
    print(f"  one session in-process, no browser (the server's share): {alone:.1f} per second")
    print(f"  epochs trained meanwhile: {e1 - e0} in {args.seconds:g} s")
    print(f"  one chunk in-process (~40 ms of epochs, then the update): {chunk_s * 1e3:.0f} ms; "
          f"one update {size / 1e6:.2f} MB of JSON")
    print("  load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
