"""Explorer server memory over many successive changes, in-process (no browser).

One ``Explorer`` is laid out into a bokeh ``Document`` as ``spacewarp serve`` does for a
session, and the document is handled as the server handles it: serialised once (the page
load), each change's events held and then sent as PATCH-DOC messages (what the server
writes to the session's websocket). The explorer takes ``--changes`` changes through the
handlers its widgets call, cycling: activation, points, one typed weight, widths. RSS is
printed every ``--every`` changes; the reference is the RSS after ``--warmup`` changes,
and the result is the ratio last / reference (flat: under 1.1x). The document's model
count and its count of models never sent to a client are printed too: neither may grow.
(Without the PATCH-DOC step bokeh keeps every model it attached but never sent, in
``doc.models._new_models``, and memory grows by about 0.2 MB a change: an artefact of
driving a document with no client, which ``--no-patches`` shows.)

Usage: .venv/bin/python bench/bench_app_memory.py [--changes 200] [--points 10000]
       [--every 20] [--warmup 20] [--no-document] [--no-patches]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu"]
WIDTHS = ["2,3,3,2", "2,4,4,2", "2,3,4,3,2"]
TARGET = 1.1


def rss_mb() -> float:
    """This process's resident memory in MB (psutil, else /proc/self/status)."""
    try:
        import psutil
    except ImportError:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no psutil and no /proc/self/status: cannot read RSS") from None
    return float(psutil.Process(os.getpid()).memory_info().rss) / 2**20


def change(session: Any, k: int, points: int) -> tuple[str, str]:
    """The k-th change (activation, points, a typed weight, widths, in turn): (control, what)."""
    kind = k % 4
    if kind == 0:
        value = ACTIVATIONS[(k // 4) % len(ACTIVATIONS)]
        session.controls.widgets["activation"].value = value
        return "activation", value
    if kind == 1:
        value = str(points - (k // 4) % 3 * 500)
        session.controls.widgets["points"].value = value
        return "points", value
    if kind == 2:
        text = f"{0.1 + (k % 17) / 10:.2f}"
        session._weight_edited("0.weight", 0, 0, text)  # what a grid cell edit calls
        return "weights", f"0.weight[0,0]={text}"
    value = WIDTHS[(k // 4) % len(WIDTHS)]
    session.controls.widgets["widths"].value = value
    return "widths", value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--no-document", action="store_true",
                        help="do not lay the explorer out in a bokeh Document")
    parser.add_argument("--no-patches", action="store_true",
                        help="do not send the document's changes as PATCH-DOC messages")
    args = parser.parse_args(argv)

    import logging

    from bokeh.document import Document
    from bokeh.protocol import Protocol
    from panel.io.state import set_curdoc

    from spacewarp.app.session import Explorer
    from spacewarp.config.experiment import validated

    logging.getLogger("spacewarp").setLevel(logging.WARNING)
    doc = Document()
    session = Explorer(validated({"input": {"points": args.points}}))
    with set_curdoc(doc):
        if not args.no_document:
            doc.add_root(session.panel().get_root(doc))
        patches = not (args.no_document or args.no_patches)
        if patches:
            protocol = Protocol()
            doc.to_json()  # the page load: every model sent once
            doc.on_change(lambda event: protocol.create("PATCH-DOC", [event]))
        print(f"start: {rss_mb():.1f} MB, {len(doc.models)} models in the document")
        reference, rows, t0 = None, [], time.perf_counter()
        for k in range(1, args.changes + 1):
            if patches:
                doc.hold("combine")  # as Panel holds a callback's events, then sends them
            control, what = change(session, k, args.points)
            if patches:
                doc.unhold()
            refused = (session.controls.error_text(control)
                       or session.controls.error_text("views"))
            if refused:
                raise SystemExit(f"change {k} ({what}) was refused: {refused}")
            if k == args.warmup or k % args.every == 0:
                gc.collect()
                rss = rss_mb()
                reference = rss if k == args.warmup else reference
                rows.append((k, rss))
                print(f"change {k:4d} ({control} {what:18s}): RSS {rss:8.1f} MB, "
                      f"{len(doc.models):4d} document models "
                      f"({len(doc.models._new_models):4d} unsent), "
                      f"{(time.perf_counter() - t0) / k * 1e3:6.0f} ms/change")
    assert reference is not None, "--warmup must be at most --changes"
    last = rows[-1][1]
    after = [r for k, r in rows if k >= args.warmup]
    print(f"RSS after warmup ({args.warmup} changes): {reference:.1f} MB; last: {last:.1f} MB; "
          f"peak after warmup: {max(after):.1f} MB")
    ratio = last / reference
    print(f"ratio last / after-warmup: {ratio:.3f}x (target < {TARGET}x): "
          f"{'flat' if ratio < TARGET else 'GROWS'}")
    session.close()
    return 0 if ratio < TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
