"""The training page: one offline page with two sliders, training time and stage.

``spacewarp html --training DIR/training.npz`` and ``spacewarp train --html``. The spec
is ``render.training_browser.training_spec`` (a film spec with every snapshot); the page
is ``export.html``'s, with the same inlined renderer, so it opens from disk, makes no
request and sets ``window.spacewarp`` (``setSnapshot``, ``snapshot``, ``show``, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..render.browser import Blobs, BrowserOptions
from .files import atomic_file
from .html import check_target, filled_page, script_safe

if TYPE_CHECKING:
    from ..training.train import Training
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
    return filled_page(spec, blobs, _help(spec),
                       f'<script type="application/toml" id="spacewarp-experiment">\n'
                       f'{script_safe(spec["experiment"])}</script>')


def _help(spec: dict[str, Any]) -> str:
    t = spec["training"]
    probe = ("The background points are a probe grid coloured by the class the network "
             "gives them, paler where it is less sure, carried through every stage with the "
             "data." if spec["color"]["legend"] else "The data and a probe line over the input "
             "range (reaching past the data) are coloured by input x and carried through "
             "every stage.")
    return (f"Two sliders: training time (the orange one: {t['count']} snapshots, or press "
            f"Snapshots) and the {len(spec['stages'])} stages (or Play). {probe} Box and "
            "projection are fixed over the whole training: motion means change.")
