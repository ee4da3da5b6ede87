"""The browser renderer inline in a notebook, with no server and no extension.

``PageView`` shows the offline page (renderer and film spec inlined) in an ``<iframe
srcdoc>``: it draws in Jupyter, VS Code and anything else that displays ``text/html``,
fetches nothing, and keeps each figure's scripts and styles apart from the notebook's.
"""

from __future__ import annotations

import html
from pathlib import Path

MORPH_HEIGHT = 940  # px: title, stage row, morph view, controls, notes
GRID_ROW = 420  # px per row of the stages-only layout


class PageView:
    """One page shown inline; ``save(path)`` writes the same page to a file."""

    def __init__(self, page: str, height: int) -> None:
        self.page = page
        self.height = height

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
                f'style="width: 100%; height: {self.height}px; border: 0" '
                'sandbox="allow-scripts" title="spacewarp"></iframe>')

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(self.page, encoding="utf-8")
        return target


def height_for(n_stages: int, layout: str) -> int:
    if layout == "grid":
        return 120 + GRID_ROW * -(-n_stages // 3)
    return MORPH_HEIGHT
