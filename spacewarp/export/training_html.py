"""The training page: one offline page with two sliders, training time and stage.

``spacewarp html --training DIR/training.npz`` and ``spacewarp train --html``. The spec
is ``render.training_browser.training_spec`` of a ``view.training_film.TrainingFilm`` (a
film spec with every snapshot); the page
is ``export.html``'s, with the same inlined renderer, so it opens from disk, makes no
request and sets ``window.spacewarp`` (``setSnapshot``, ``snapshot``, ``show``, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..render.browser import Blobs, BrowserOptions
from ..render.training_browser import training_spec
from ..view.training_film import TrainingFilm
from .files import atomic_file
from .html import check_target, filled_page, script_safe


def write_training_html(tf: TrainingFilm, path: str | Path,
                        options: BrowserOptions | None = None) -> Path:
    """Write the training page of ``tf`` (``view.training_film.training_film``) to
    ``path`` (``.html``), atomically."""
    target = check_target(path)
    page = training_page_html(tf, options)
    with atomic_file(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return target


def training_page_html(tf: TrainingFilm, options: BrowserOptions | None = None) -> str:
    """The whole training page as text."""
    blobs = Blobs("text")
    spec = training_spec(tf, options, blobs)
    return filled_page(spec, blobs, _help(spec),
                       f'<script type="application/toml" id="spacewarp-experiment">\n'
                       f'{script_safe(spec["experiment"])}</script>')


def _help(spec: dict[str, Any]) -> str:
    t = spec["training"]
    with_what = ("the slice's anchor rows (the data lie off the slice)"
                 if t.get("slice") else "the data")
    probe = ("The background points are a probe grid coloured by the class the network "
             "gives them, paler where it is less sure, carried through every stage with "
             f"{with_what}." if spec["color"]["legend"] else "The data and a probe line "
             "over the input range (reaching past the data) are coloured by input x and "
             "carried through every stage.")
    return (f"Two sliders: training time (the orange one: {t['count']} snapshots, or press "
            f"Snapshots) and the {len(spec['stages'])} stages (or Play). {probe} Box and "
            "projection are fixed over the whole training: motion means change.")
