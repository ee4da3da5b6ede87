"""The explorer's views: the shared browser renderer (``render/js/film.js``) as one Panel
component.

Python sends one ``spec`` update per change: the film spec of the trace
(``render.browser.film_spec``, binary arrays in base64) as JSON text, made by ``json`` in
one call. (As a dict, Bokeh walked every list of it for models, on each change and on
every session's document: most of the server's time per change.) The renderer draws
every stage side by side and the morph view, whose slider and Play run in the browser;
``_HANDOVER`` only parses the text and hands the spec to it (tests read
``el.__spacewarp`` and wait for ``data-sw-version``).
"""

from __future__ import annotations

import json
import math
from typing import Any

import panel as pn
import param
from panel.viewable import Child

from ..render.browser import Blobs, film_spec, renderer_js
from ..trace import Trace

# Panel's ES module entry point: mount the shared renderer once, then hand it each spec
_HANDOVER = """
export function render({model, el}) {
  const box = document.createElement('div')
  // the weights card is taken (and kept in the page) now, while Panel renders this
  // component: taken only when the first spec arrives, it stayed an empty 0 x 0 node
  const side = model.get_child('weights'), wait = document.createElement('div')
  wait.style.display = 'none'; if (side) wait.append(side); box.append(wait)
  let api = null
  const set = () => {
    if (!model.spec) return
    const spec = JSON.parse(model.spec)
    if (!spec.stages) return
    if (api) api.setSpec(spec, [])
    else { wait.remove(); api = mount(box, spec, [], {side, config: false}) }
  }
  model.on('spec', set)
  model.on('live', () => {  // a live update (training): new coordinates for the spec's keys
    if (!model.live) return
    const u = JSON.parse(model.live)
    if (api && u.keys) api.live(u)
  })
  model.on('remove', () => { if (api) api.destroy() })
  set()
  return box
}
"""


class StageCanvas(pn.custom.JSComponent):
    """Every stage side by side and the morph view; ``weights`` sits beside the morph."""

    spec = param.String(default="", doc="the film spec to draw, as JSON text: see ``payload``")
    live = param.String(default="", doc="new coordinates for the keys of ``spec``, as JSON "
                        "text: ``render.live``")
    weights = Child(doc="a Panel object shown beside the morph view")

    _esm = renderer_js() + _HANDOVER

    @classmethod
    def _patch_datamodel_ref(cls, props: Any, ref: str) -> None:
        """Panel tags every data model under this one with the page's root (for cleanup) by
        walking every model it references, the weights card's included, on each new spec.
        A new spec adds no model: once the component's own data model carries the tag
        (from when it was made, with everything under it), there is nothing to walk."""
        if f"__ref:{ref}" not in props.tags:
            super()._patch_datamodel_ref(props, ref)

    @property
    def data(self) -> dict[str, Any]:
        """The film spec shown ({} before the first)."""
        return json.loads(self.spec) if self.spec else {}

    @property
    def live_update(self) -> dict[str, Any]:
        """The last live update sent ({} before the first)."""
        return json.loads(self.live) if self.live else {}


def payload(trace: Trace, serial: int) -> str:
    """The film spec of ``trace`` as JSON text for the component (``serial`` tells changes
    apart)."""
    return as_json(film_spec(trace, None, Blobs("b64"), serial=serial))


def as_json(spec: dict[str, Any]) -> str:
    """A spec or live update as the component's JSON text (made where the work runs)."""
    try:
        return json.dumps(spec, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a NaN or inf (JSON has none): sent as null, as Bokeh did
        return json.dumps(_finite(spec), separators=(",", ":"))


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
