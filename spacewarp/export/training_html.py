"""The training page: one offline page with two sliders, training time and stage.

``spacewarp html --training DIR/training.npz`` and ``spacewarp train --html``. The spec
is ``render.training_browser.training_spec`` (a film spec with every snapshot); the page
is ``export.html``'s, with the same inlined renderer, so it opens from disk, makes no
request and sets ``window.spacewarp`` (``setSnapshot``, ``snapshot``, ``show``, ...).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..render.browser import Blobs, BrowserOptions, renderer_js
from .files import atomic_file
from .html import _PAGE, _script_text, check_target

if TYPE_CHECKING:
    from ..training import Training
    from ..view.training_film import TrainingFilmOptions


def write_training_html(training: Training, path: str | Path,
                        options: BrowserOptions | None = None,
                        film: TrainingFilmOptions | None = None) -> Path:
    """Write the training page of ``training`` to ``path`` (``.html``), atomically."""
    target = check_target(path)
    page = training_page_html(training, options, film)
    with atomic_file(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return target


def training_page_html(training: Training, options: BrowserOptions | None = None,
                       film: TrainingFilmOptions | None = None) -> str:
    """The whole training page as text."""
    from ..render.training_browser import training_spec
    from ..view.training_film import training_film

    blobs = Blobs("b7")
    spec = training_spec(training_film(training, film), options, blobs)
    return _PAGE.format(
        title=html.escape(spec["title"]), bg=spec["theme"]["background"],
        fg=spec["theme"]["foreground"], help=_help(spec),
        spec=_script_text(json.dumps(spec, separators=(",", ":"))),
        blobs="\n".join(f'<script type="text/plain" class="spacewarp-blob">{t}</script>'
                        for t in blobs.texts),
        toml=(f'<script type="application/toml" id="spacewarp-experiment">\n'
              f'{_script_text(spec["experiment"])}</script>'),
        renderer=renderer_js())


def _help(spec: dict[str, Any]) -> str:
    t = spec["training"]
    return (f"Two sliders: training time (the orange one: {t['count']} snapshots, or press "
            f"Train) and the {len(spec['stages'])} stages (or Play). The background points "
            "are a probe grid coloured by the class the network gives them, paler where it "
            "is less sure, carried through every stage with the data. Box and projection "
            "are fixed over the whole training: motion means change.")
