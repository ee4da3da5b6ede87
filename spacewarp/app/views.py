"""The explorer's views: one canvas component (stages side by side and the morph view).

``payload`` (in ``canvas``) turns a trace into what the browser draws; ``Views.show``
sends it as one update. The morph, its slider and play run in the browser.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import panel as pn

from ..render.blobs import drop_known
from ..tracing.trace import Trace
from .canvas import StageCanvas, payload

VIEWS_HEIGHT = 880  # px: the stage row, then the morph view with its slider


class Views:
    """One long-lived canvas component per session; ``show`` replaces what it draws."""

    def __init__(self, weights: Any = None) -> None:
        self.canvas = StageCanvas(weights=weights, sizing_mode="stretch_width",
                                  min_height=VIEWS_HEIGHT, css_classes=["sw-canvas"],
                                  margin=(0, 5))
        self._serial = 0
        self._held: set[str] = set()  # the ids of the arrays the page holds (the last spec's)

    def payload(self, trace: Trace) -> dict[str, Any]:
        """What the browser draws for ``trace`` (drawing errors surface here first)."""
        return payload(trace, self.next_serial())

    def next_serial(self) -> int:
        """A new number for a film spec (live updates name the spec they apply to)."""
        self._serial += 1
        return self._serial

    def show(self, spec: dict[str, Any]) -> None:
        """A new film spec; arrays the page holds already (the last spec's, by id) go as
        their id only, new ones as bytes (binary buffers, not base64 in the JSON:
        ``render.blobs.drop_known``). Shows are in order, on the session's
        event loop, and the page draws each in that order: it holds what was last shown."""
        sent, self._held = drop_known(spec, self._held, binary=True)
        self.canvas.full_spec = spec
        self.canvas.spec = sent

    def show_live(self, update: dict[str, Any]) -> None:
        """New coordinates for the shown spec's keys (``render.live``)."""
        self.canvas.live = update

    @property
    def shown(self) -> bool:
        return bool(self.canvas.spec)



@contextlib.contextmanager
def one_message(doc: Any = None) -> Iterator[None]:
    """Served, every model change made inside goes to the page of ``doc`` (the session's
    own Bokeh document) as one message (Panel's ``hold``), not one per widget; without a
    served document (notebooks, tests) nothing changes. The document is the session's,
    never ``pn.state.curdoc``: in a callback scheduled on the loop that can be another
    session's (or another server's) document, and holding that one lost this change."""
    if doc is None or doc.session_context is None:
        yield
        return
    with pn.io.hold(doc):
        yield
