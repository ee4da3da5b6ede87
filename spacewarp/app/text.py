"""A text pane whose updates send only its text.

Panel's HTML pane recomputes every property of its model (design, stylesheets, sizing)
each time its ``object`` changes, about half a millisecond per pane on a quiet machine;
the explorer changes a few panes per change in every session (status, link, singular
values), so they send the new text alone.
"""

from __future__ import annotations

from typing import Any

import panel as pn


class Text(pn.pane.HTML):
    """``pn.pane.HTML`` whose new ``object`` updates only the model's ``text``."""

    def _update(self, ref: str, model: Any) -> None:
        model.update(text=self._transform_object(self.object)["object"])
