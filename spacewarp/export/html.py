"""One self-contained interactive page: the browser renderer and the film spec inlined.

The page opens from disk and makes no request. The film spec (``render.browser``) is a
JSON block; its binary arrays are base64 text blocks after it. The renderer
(``render/js``, as one classic script: ``renderer_script``) comes before them, so that each
block is decoded to bytes (natively: ``Uint8Array.fromBase64``) and dropped from the page
as soon as the parser has read it, while the rest of the file still arrives; the last
script mounts the film and sets ``window.spacewarp`` (``stages``, ``show``, ``play``,
``pause``).
Every point is drawn up to ``view.film.MAX_POINTS``; above, a seeded subset, said on
the page. The resolved experiment is embedded as ``experiment.toml``.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..render.blobs import Blobs
from ..render.browser import BrowserOptions, film_spec, renderer_js
from ..tracing.trace import Trace
from .files import atomic_file, writable_target


@dataclass(frozen=True)
class HtmlOptions:
    browser: BrowserOptions = field(default_factory=BrowserOptions)


def write_html(trace: Trace, path: str | Path, options: HtmlOptions | None = None) -> Path:
    """Write the interactive page of ``trace`` to ``path`` (``.html``), atomically."""
    o = options or HtmlOptions()
    target = check_target(path)
    page = page_html(trace, o.browser)
    with atomic_file(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return target


def check_target(path: str | Path) -> Path:
    """``path`` when it names a page that can be written; else ``OutputError``."""
    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise OutputError(f"cannot write {str(path)!r} as a page; give a name ending in .html",
                          field="output")
    target = writable_target(path)
    return target


def page_html(trace: Trace, options: BrowserOptions | None = None) -> str:
    """The whole page as text."""
    blobs = Blobs("text")
    spec = film_spec(trace, options, blobs)
    return filled_page(spec, blobs, _help(spec), _toml_block(trace, spec))


def filled_page(spec: dict[str, Any], blobs: Blobs, help_html: str, toml_html: str) -> str:
    """The page around a film spec (a trace's or a training's) and its blobs."""
    return _PAGE.format(
        title=html.escape(spec["title"]), bg=spec["theme"]["background"],
        fg=spec["theme"]["foreground"], help=help_html,
        spec=script_safe(json.dumps(spec, separators=(",", ":"))),
        blobs="\n".join(f'<script type="text/plain" class="spacewarp-blob">{t}</script>'
                        "<script>spacewarpTake(document.currentScript)</script>"
                        for t in blobs.texts),
        toml=toml_html, renderer=renderer_script())


def renderer_script() -> str:
    """The renderer as a classic script's body (``renderer_js`` without its exports, in a
    function of its own scope): run where the parser meets it, before the data blocks,
    where a module would wait for the whole file. Evaluates to ``{mount, base64Bytes}``."""
    code = re.sub(r"^export ", "", renderer_js(), flags=re.M)
    return f"(function () {{ 'use strict'\n{code}\nreturn {{mount, base64Bytes}} }})()"


def script_safe(text: str) -> str:
    """Text safe inside a ``<script>`` block: no ``</`` can end it early."""
    return text.replace("</", "<\\/")


def _toml_block(trace: Trace, spec: dict[str, Any]) -> str:
    """The resolved experiment, machine-readable (the renderer shows it in <details>)."""
    if trace.experiment is None:
        return ('<p class="help">Made from a model given in Python; there is no experiment '
                "config to embed.</p>")
    return (f'<script type="application/toml" id="spacewarp-experiment">\n'
            f'{script_safe(spec["experiment"])}</script>')


def _help(spec: dict[str, Any]) -> str:
    layout = spec["layout"]
    if layout == "grid":
        return "Every stage side by side; drag a 3-D panel to turn it, scroll to zoom."
    return (f"Drag the slider through the {len(spec['stages'])} stages or press Play; "
            "drag the view to turn it, scroll to zoom, hover a point to see where it came from.")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ background: {bg}; color: {fg}; font-family: system-ui, sans-serif; margin: 0 1em; }}
h1 {{ font-size: 1.1em; font-weight: 600; margin: 0.6em 0 0.2em; }}
p.help {{ opacity: 0.75; font-size: 0.85em; margin: 0 0 0.4em; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="help">{help}</p>
<div id="spacewarp"></div>
<script type="application/json" id="spacewarp-spec">{spec}</script>
<script>
const spacewarpRenderer = {renderer}
const spacewarpData = []  // each data block's bytes, in order

function spacewarpTake(script) {{  // the data block just before this script: decoded once, dropped
  const block = script.previousElementSibling
  spacewarpData.push(spacewarpRenderer.base64Bytes(block.textContent))
  block.remove(); script.remove()  // the text would otherwise stay, as large as the data
}}
</script>
{blobs}
{toml}
<script>
(function () {{
  const spec = JSON.parse(document.getElementById('spacewarp-spec').textContent)
  const blobs = spacewarpData.splice(0)  // the film's own: no global holds them
  window.spacewarp = spacewarpRenderer.mount(document.getElementById('spacewarp'), spec, blobs)
  document.body.dataset.spacewarpReady = 'true'
}})()
</script>
</body>
</html>
"""
