"""Interactive page: build+write, size, ready, every show() and peak memory, in headless
Chromium, against a bare WebGL loop over the same points in the same browser.

    .venv/bin/python bench/bench_html.py [--quick] [--runs R]

Reference, measured in the same run and interleaved with ours (best of ``--runs``, 3 by
default): the same points (the film's keys, the same int16 bytes, base64 in the page) drawn
by a bare WebGL loop: decode, one buffer, ``show(p)`` moves the points between two keys on
the CPU, uploads them, draws and waits for the GPU, as ours does. Ready: from navigation to
the load event and ``window.spacewarp`` (ours: decoded, every view drawn; the reference:
its first frame drawn), polled every 20 ms. Shows: every one of 25 positions across the
film, the first included (median and slowest). Memory: the build's peak Python allocations
(tracemalloc, numpy's included); the page's peak RSS of the browser's processes above their
level before it opened (sampled every 50 ms). In software WebGL (headless Chromium without a
GPU) ``finish()`` returns without waiting for the drawing: a show()'s figure, ours and the
reference's, is its CPU side (the output says so). Targets (issue 20): 1e6 points ready <= 1.5
s, every show <= 100 ms with a median <= 16 ms, build <= 3 s. The machine's load is printed
with every line: compare ours with the reference of the same line.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from headless import launch  # bench/headless.py: bench/ is on sys.path when run as a script

import spacewarp as sw
from spacewarp.export.html import write_html
from spacewarp.render.blobs import Blobs
from spacewarp.render.browser import BrowserOptions, film_spec

READY = "() => typeof (window.spacewarp || {}).show === 'function'"  # not the div of that id
SHOWS = """() => {
  const api = window.spacewarp, ts = []
  for (let i = 0; i <= 24; i++) {
    const p = i / 24 * (api.stages - 1), t0 = performance.now()
    api.show(p); ts.push(performance.now() - t0)
  }
  return ts
}"""
CASES = [("grid", 10_000), ("gaussian", 100_000), ("gaussian", 1_000_000)]


def built(trace: sw.Trace, path: Path) -> tuple[float, float]:
    """Build and write our page: (seconds, peak MB of Python allocations)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    write_html(trace, path)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak


REFERENCE = """<!DOCTYPE html><html><body style="margin:0">
<canvas id="c" width="1200" height="470"></canvas>
<script type="application/json" id="meta">{meta}</script>
{keys}
<script>
const meta = JSON.parse(document.getElementById('meta').textContent), n = meta.n
const keys = Array.from(document.querySelectorAll('script.key'), (s, k) => {{
  const q = new Int16Array(Uint8Array.fromBase64(s.textContent).buffer), m = meta.keys[k]
  const d = m.d, out = new Float32Array(3 * n)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) out[3 * i + j] = m.lo[j] + (q[d * i + j] + 32767) * m.step[j]
  return out
}})
const gl = document.getElementById('c').getContext('webgl',
  {{antialias: false, preserveDrawingBuffer: true}})
const sh = (type, src) => {{
  const s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s); return s
}}
const prog = gl.createProgram()
gl.attachShader(prog, sh(gl.VERTEX_SHADER, 'attribute vec3 p; uniform vec3 c; uniform float k;' +
  'void main() {{ vec3 q = (p - c) * k;' +
  '  gl_Position = vec4(q.x * 0.4, q.y, -q.z * 0.1, 1.0); gl_PointSize = 1.0; }}'))
gl.attachShader(prog, sh(gl.FRAGMENT_SHADER,
  'precision mediump float; void main() {{ gl_FragColor = vec4(0.3, 0.7, 1.0, 1.0); }}'))
gl.linkProgram(prog); gl.useProgram(prog)
const buf = gl.createBuffer(), cur = new Float32Array(3 * n)
gl.bindBuffer(gl.ARRAY_BUFFER, buf); gl.bufferData(gl.ARRAY_BUFFER, cur.byteLength, gl.DYNAMIC_DRAW)
gl.enableVertexAttribArray(0); gl.vertexAttribPointer(0, 3, gl.FLOAT, false, 0, 0)
function show(p) {{  // the points between key floor(p) and the next, drawn; waits for the GPU
  const s = Math.min(Math.floor(p), keys.length - 2), t = p - s, a = keys[s], b = keys[s + 1]
  for (let i = 0; i < 3 * n; i++) cur[i] = a[i] + t * (b[i] - a[i])
  gl.bufferSubData(gl.ARRAY_BUFFER, 0, cur)
  gl.uniform3f(gl.getUniformLocation(prog, 'c'), 0, 0, 0)
  gl.uniform1f(gl.getUniformLocation(prog, 'k'), meta.k)
  gl.clearColor(0, 0, 0, 1); gl.clear(gl.COLOR_BUFFER_BIT)
  gl.drawArrays(gl.POINTS, 0, n); gl.finish()
}}
show(0)
window.spacewarp = {{stages: keys.length, show}}
</script></body></html>
"""


def reference_page(trace: sw.Trace, path: Path) -> None:
    """The film's keys as int16 (from 1e5 points the same bytes as our page), drawn by a
    bare WebGL loop."""
    spec = film_spec(trace, BrowserOptions(quantise_from=0), Blobs("b64"))  # int16 keys
    keys = spec["keys"]
    span = max(max(abs(lo), abs(lo + 65534 * st))
               for k in keys for lo, st in zip(k["lo"], k["step"], strict=True))
    meta = {"n": spec["n"], "k": 1 / span,
            "keys": [{"d": k["shape"][1], "lo": k["lo"], "step": k["step"]} for k in keys]}
    blocks = "\n".join(f'<script type="text/plain" class="key">{k["b64"]}</script>' for k in keys)
    path.write_text(REFERENCE.format(meta=json.dumps(meta), keys=blocks), encoding="utf-8")


class PeakRss:
    """Peak RSS (MB) of this process's child processes (the browser, its page's renderer
    included: list them once the page exists) above their level at the start, sampled
    every 50 ms while the ``with`` block runs."""

    def __enter__(self) -> PeakRss:
        self.procs = psutil.Process().children(recursive=True)  # once: a walk of /proc
        self.base, self.peak, self.running = self.rss(), 0.0, True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()

    def rss(self) -> float:
        total = 0
        for p in self.procs:
            with contextlib.suppress(psutil.Error):  # a process gone meanwhile
                total += p.memory_info().rss
        return total / 1e6

    def sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.rss() - self.base)
            time.sleep(0.05)


def open_page(playwright: Any, path: Path) -> dict[str, Any]:
    """Open a page in a browser of its own (after a 1e6-point page, the next one in the
    same browser took ~20 s, ours or the reference): ready (s), every show (ms), peak
    browser MB, errors."""
    browser = launch(playwright)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    with PeakRss() as mem:
        t0 = time.perf_counter()
        page.goto(path.resolve().as_uri(), timeout=300_000)  # to its load event
        page.wait_for_function(READY, timeout=300_000, polling=20)
        ready = time.perf_counter() - t0
        shows = page.evaluate(SHOWS)
    browser.close()
    return {"ready": ready, "shows": np.array(shows), "mb": mem.peak, "errors": errors}


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The best of several runs, each figure on its own (the machine is shared)."""
    return {"ready": min(r["ready"] for r in runs),
            "median": min(float(np.median(r["shows"])) for r in runs),
            "slowest": min(float(r["shows"].max()) for r in runs),
            "mb": min(r["mb"] for r in runs), "errors": sum((r["errors"] for r in runs), [])}


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def case(playwright: Any, tmp: Path, name: str, n: int, runs: int) -> None:
    trace = sw.run(sw.Experiment.model_validate({"input": {"name": name, "points": n}}))
    ours_path, ref_path = tmp / f"page-{n}.html", tmp / f"ref-{n}.html"
    build, build_mb = built(trace, ours_path)
    reference_page(trace, ref_path)
    del trace
    print(f"{name} {n:,} points: build+write {build:.2f} s (peak {build_mb:.0f} MB), "
          f"page {ours_path.stat().st_size / 1e6:.1f} MB, "
          f"reference {ref_path.stat().st_size / 1e6:.1f} MB; "
          f"{load()}")
    mine, theirs = [], []
    for r in range(runs):  # interleaved: ours, then the reference, on the same load
        mine.append(open_page(playwright, ours_path))
        theirs.append(open_page(playwright, ref_path))
        print(f"  run {r + 1}: ours ready {mine[-1]['ready']:.2f} s, shows "
              f"{np.round(mine[-1]['shows']).astype(int).tolist()} ms; reference ready "
              f"{theirs[-1]['ready']:.2f} s, slowest show {theirs[-1]['shows'].max():.0f} ms; "
              f"{load()}")
    a, b = best(mine), best(theirs)
    for label, x in (("ours", a), ("reference", b)):
        print(f"  best {label:>9}: ready {x['ready']:.2f} s, show median {x['median']:.1f} ms, "
              f"slowest {x['slowest']:.0f} ms, browser peak +{x['mb']:.0f} MB"
              + (f"  ERRORS {x['errors']}" if x["errors"] else ""))
    print(f"  ratio ours/reference: ready {ratio(a['ready'], b['ready'])}, median show "
          f"{ratio(a['median'], b['median'])}, slowest show "
          f"{ratio(a['slowest'], b['slowest'])}")


def ratio(ours: float, reference: float) -> str:
    """``ours / reference`` to two places; a reference of 0 is under the page's clock
    (``performance.now()`` ticks by 0.1 ms in a page that is not cross-origin isolated)."""
    if reference <= 0:
        return "n/a (the reference under the clock's 0.1 ms tick)"
    return f"{ours / reference:.2f}"


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench_html."))
    cases = CASES[:2] if "--quick" in sys.argv else CASES
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    print(f"{load()} (1 min), {os.cpu_count()} cores")
    print("note: in software WebGL (SwiftShader, no GPU) finish() does not wait for the "
          "drawing: a show()'s time, ours and the reference's, is its CPU side")
    with sync_playwright() as p:
        for name, n in cases:
            case(p, tmp, name, n, runs)
    print(f"{load()} after")


if __name__ == "__main__":
    main()
