"""The explorer's views: the shared browser renderer (``render/js/film.js``) as one Panel
component.

Python sends one ``spec`` update per change: the film spec of the trace
(``render.browser.film_spec``, binary arrays in base64), and ``live`` updates while the
session trains (``render.live``). The renderer draws every stage side by side and the
morph view, whose slider and Play run in the browser; ``_HANDOVER`` only hands the spec
to it (tests read ``el.__spacewarp`` and wait for ``data-sw-version``).

Both travel as dicts. (Sent as one JSON string, which Bokeh serialises without walking
it, a 100-wide network's spec never reached the page: Panel set the model's property
and no patch went out, while a 64-wide one arrived; not understood yet, so the dict.)
"""

from __future__ import annotations

import json
from typing import Any

import panel as pn
import param
from panel.viewable import Child

from ..render.blobs import Blobs
from ..render.browser import film_spec, renderer_js
from ..tracing.trace import Trace

MORPH_MIN_PX = 400  # the big view's least width beside the weights card; narrower: the card
# goes below it (it sat beside a squeezed morph box, over the canvas that overflowed it)
SIDE_CSS = (".sw-bottom { flex-wrap: wrap; row-gap: 8px; } "
            f".sw-bottom > .sw-morph-box {{ flex: 1 1 {MORPH_MIN_PX}px; }} "
            ".sw-bottom > .sw-side { max-width: 100%; overflow-x: auto; }")

# Panel's ES module entry point: mount the shared renderer once, then hand it each spec
_HANDOVER = """
const ARRAYS = new WeakMap()  // model -> Map(id -> bytes)
export function render({model, el}) {
  const box = document.createElement('div'), css = document.createElement('style')
  css.textContent = SIDE_CSS; box.append(css)
  // the weights card is taken (and kept in the page) now, while Panel renders this
  // component: taken only when the first spec arrives, it stayed an empty 0 x 0 node
  const side = model.get_child('weights'), wait = document.createElement('div')
  wait.style.display = 'none'; if (side) wait.append(side); box.append(wait)
  let api = null
  // the arrays of the last spec drawn, by id (decode.js): kept with the model, so that a
  // view made again (Panel renders a component anew) can read a spec that names them
  if (!ARRAYS.has(model)) ARRAYS.set(model, new Map())
  const set = () => {
    const spec = model.spec
    if (!spec || !spec.stages) return
    if (api) api.setSpec(spec, [])
    else {
      wait.remove(); api = mount(box, spec, [], {side, config: false, arrays: ARRAYS.get(model)})
    }
  }
  model.on('spec', set)
  model.on('live', () => {  // a live update (training): new coordinates for the spec's keys
    const u = model.live
    if (api && u && u.keys) api.live(u)
  })
  model.on('remove', () => { if (api) api.destroy() })
  set()
  return box
}
"""


class StageCanvas(pn.custom.JSComponent):
    """Every stage side by side and the morph view; ``weights`` sits beside the morph."""

    spec = param.Dict(default={}, doc="the film spec to draw: see ``payload``")
    live = param.Dict(default={}, doc="new coordinates for the keys of ``spec``: "
                      "``render.live``")
    weights = Child(doc="a Panel object shown beside the morph view")

    _esm = renderer_js() + f"const SIDE_CSS = {json.dumps(SIDE_CSS)}\n" + _HANDOVER

    @classmethod
    def _patch_datamodel_ref(cls, props: Any, ref: str) -> None:
        """Panel tags every data model under this one with the page's root (for cleanup) by
        walking every model it references, the weights card's included, on each new spec.
        A new spec adds no model: once the component's own data model carries the tag
        (from when it was made, with everything under it), there is nothing to walk."""
        if f"__ref:{ref}" not in props.tags:
            super()._patch_datamodel_ref(props, ref)

    full_spec: dict[str, Any] = {}  # the spec last shown, every array in it (``data``)

    @property
    def data(self) -> dict[str, Any]:
        """The film spec shown, with every array ({} before the first): ``spec`` is what
        went to the page, where arrays it holds already are named by id only."""
        return self.full_spec or self.spec

    @property
    def live_update(self) -> dict[str, Any]:
        """The last live update sent ({} before the first)."""
        return self.live


def payload(trace: Trace, serial: int) -> dict[str, Any]:
    """The film spec of ``trace`` for the component (``serial`` tells changes apart)."""
    return film_spec(trace, None, Blobs("b64", named=True), serial=serial)
