"""The explorer's views: the shared browser renderer (``render/js/film.js``) as one Panel
component.

Python sends one ``data`` update per change: the film spec of the trace
(``render.browser.film_spec``, binary arrays in base64). The renderer draws every stage
side by side and the morph view, whose slider and Play run in the browser; ``_HANDOVER``
only hands the spec to it (tests read ``el.__spacewarp`` and wait for ``data-sw-version``).
"""

from __future__ import annotations

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
  let api = null
  const set = () => {
    const spec = model.data
    if (!spec || !spec.stages) return
    if (api) api.setSpec(spec, [])
    else api = mount(box, spec, [], {side: model.get_child('weights'), config: false})
  }
  model.on('data', set)
  model.on('live', () => { const u = model.live; if (api && u && u.keys) api.live(u) })
  model.on('remove', () => { if (api) api.destroy() })
  set()
  return box
}
"""


class StageCanvas(pn.custom.JSComponent):
    """Every stage side by side and the morph view; ``weights`` sits beside the morph."""

    data = param.Dict(default={}, doc="the film spec to draw: see ``payload``")
    live = param.Dict(default={}, doc="new coordinates for ``data``'s keys: ``render.live``")
    weights = Child(doc="a Panel object shown beside the morph view")

    _esm = renderer_js() + _HANDOVER


def payload(trace: Trace, serial: int) -> dict[str, Any]:
    """The film spec of ``trace`` for the component (``serial`` tells changes apart)."""
    return film_spec(trace, None, Blobs("b64"), serial=serial)
