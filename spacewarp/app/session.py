"""One explorer session: controls -> edits -> pipeline.run -> views, with its own state.

An ``Explorer`` is built per browser session (and per notebook call); it holds the last
good experiment and trace, and nothing it holds is shared with another session. A
refused change leaves the last good views on screen and a message beside its control.
"""

from __future__ import annotations

import html
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import panel as pn
from panel.io.document import unlocked

from ..config import Experiment
from ..datafile import SUFFIXES, read_points_file
from ..errors import SpacewarpError
from ..pipeline import run
from ..trace import Trace
from . import edits, state
from .controls import Controls, displayed
from .exports import export_buttons
from .limits import MAX_POINTS, MAX_UPLOAD_BYTES, ControlError, check_limits
from .views import Views
from .weights import WeightsEditor

log = logging.getLogger(__name__)
WEIGHTS_BACKGROUND = "#1e1f22"  # the weights card keeps the page chrome's dark colours
WEIGHTS_FOREGROUND = "#e8e8e8"
Edit = Callable[[Experiment], Experiment]


class Explorer:
    """The state and wiring of one session; ``panel()`` is what the page shows."""

    def __init__(self, experiment: Experiment | None = None, link_error: str = "") -> None:
        self.rng = np.random.default_rng()  # for "randomise": this session's own
        self._upload_dir: Path | None = None
        self.views = Views()
        self.weights = WeightsEditor(self._weight_edited, self._randomise)
        start = experiment or Experiment()
        self.experiment = start  # the last good experiment (resolved once it has run)
        self._ms = 0.0
        self.controls = Controls(start, self.change)
        self.status = pn.pane.HTML("", css_classes=["sw-status"], margin=(0, 10),
                                   styles={"font-size": "13px", "opacity": "0.8"})
        self.link = pn.pane.HTML("", css_classes=["sw-link"], margin=(0, 10),
                                 sizing_mode="stretch_width")
        self.trace, self.experiment = self._first_trace(start, link_error)

    def _first_trace(self, start: Experiment, link_error: str) -> tuple[Trace, Experiment]:
        try:
            trace = self._compute(start)
        except SpacewarpError as err:  # a bad config or link: say so, start from defaults
            link_error = link_error or f"could not open that experiment: {err}"
            trace = self._compute(Experiment())
        if link_error:
            self.controls.show_error("link", link_error)
        self._commit(trace, "")
        assert trace.experiment is not None
        return trace, trace.experiment

    # --- the one path every change takes -------------------------------------------------
    def change(self, control: str, value: Any) -> None:
        """Apply one control's new raw value (called by the widgets)."""
        edit = self._edit_for(control, value)
        if edit is not None:
            self.apply(control, edit)

    def apply(self, control: str, edit: Edit) -> bool:
        """Edit the experiment, run it and show it; on a mistake, show the message.

        The views go to the page first (sent at once, as one update), then the weights
        and the link.
        """
        t0 = time.perf_counter()
        try:
            trace = self._compute(edit(self.experiment))
            t1 = time.perf_counter()
            shown = self.views.payload(trace)
        except SpacewarpError as err:
            self.controls.show_error(control, str(err))
            if control == "weights":
                self.weights.restore(self.trace)
            return False
        except Exception as err:  # a bug, not the user's: keep the page alive, say so
            log.exception("explorer update failed")
            self.controls.show_error(control, f"internal error: {type(err).__name__}: {err}")
            return False
        t2 = time.perf_counter()
        with unlocked():  # send the views now, not when this callback ends
            self.views.show(shown)
        t3 = time.perf_counter()
        self._commit(trace, control)
        log.info("%s: compute %.0f ms, views %.0f ms, sent %.0f ms, rest %.0f ms", control,
                 (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3,
                 (time.perf_counter() - t3) * 1e3)
        return True

    def _compute(self, experiment: Experiment) -> Trace:
        check_limits(experiment)
        t0 = time.perf_counter()
        trace = run(experiment)
        assert trace.experiment is not None
        check_limits(trace.experiment, trace.n)
        self._ms = (time.perf_counter() - t0) * 1e3
        return trace

    def _commit(self, trace: Trace, control: str) -> None:
        old = displayed(self.experiment)
        self.trace = trace
        assert trace.experiment is not None
        self.experiment = trace.experiment
        if not self.views.shown:  # the first trace: draw it
            self.views.show(self.views.payload(trace))
        new = displayed(self.experiment)
        touched = {control, *(k for k in new if old.get(k) != new[k])}
        for key in touched:
            self.controls.clear_error(key)
        if control not in ("link", ""):
            self.controls.clear_error("link")
        self.controls.sync(self.experiment, None if not control else touched)
        self.weights.show(trace)
        self._show_link()
        self.status.object = (f"{trace.n:,} points &middot; {len(trace.stages)} stages "
                              f"&middot; computed in {self._ms:.0f} ms")

    def _show_link(self) -> None:
        query = state.query(self.experiment)
        note = (" (uploaded data is not part of the link)"
                if self.experiment.input.name == "file" else "")
        self.link.object = (f'<a class="sw-state-link" href="{html.escape(query)}" '
                            f'target="_blank">State link</a>: opens this experiment '
                            f"in a new tab; copy it to share{html.escape(note)}.")

    # --- what each control does ------------------------------------------------------------
    def _edit_for(self, control: str, value: Any) -> Edit | None:
        if control.startswith("param:"):
            key = control.removeprefix("param:")
            return lambda e: edits.set_param(e, key, value)
        simple: dict[str, Edit] = {
            "input": lambda e: edits.set_input(e, str(value)),
            "points": lambda e: edits.set_points(e, str(value)),
            "seed": lambda e: edits.set_seed(e, str(value)),
            "widths": lambda e: edits.set_widths(e, str(value)),
            "scale": lambda e: edits.set_scale(e, str(value)),
            "add_layer": edits.add_layer,
            "remove_layer": edits.remove_layer,
        }
        if control in simple:
            return simple[control]
        if control in ("activation", "bias", "init", "color_by", "theme"):
            return lambda e: edits.set_choice(e, control, value)
        if control == "upload":
            self._upload(value)
        return None

    def _weight_edited(self, name: str, row: int, col: int | None, text: str) -> None:
        self.apply("weights", lambda e: edits.set_weight(e, self.trace.params, name, row,
                                                         col, text))

    def _randomise(self, name: str) -> None:
        self.apply("weights", lambda e: edits.randomised(e, self.trace.params, name, self.rng))

    def _upload(self, widget: Any) -> None:
        """Save the uploaded bytes in this session's folder, parse them, use them."""
        data, filename = widget.value, str(widget.filename or "")
        if not data:
            return
        try:
            path = self._save_upload(data, filename)
        except SpacewarpError as err:
            self.controls.show_error("upload", str(err))
            return
        try:
            x, labels = read_points_file(str(path))  # the library's parser and messages
        except SpacewarpError as err:  # name the user's file, never the server's path
            path.unlink(missing_ok=True)
            self.controls.show_error("upload", str(err).replace(str(path), filename))
            return
        if len(x) > MAX_POINTS:
            path.unlink(missing_ok=True)
            self.controls.show_error("upload", f"{filename} has {len(x):,} rows; the explorer "
                                     f"takes at most {MAX_POINTS:,} points")
            return
        if self.apply("upload", lambda e: edits.set_upload(e, str(path), x.shape[1],
                                                           labels is not None)):
            for old in path.parent.iterdir():  # earlier uploads are no longer used
                if old != path:
                    old.unlink(missing_ok=True)
        else:
            path.unlink(missing_ok=True)

    def _save_upload(self, data: bytes, filename: str) -> Path:
        suffix = Path(filename).suffix.lower()
        if suffix not in SUFFIXES:
            raise ControlError("upload", f"cannot read {filename!r}: upload a "
                               f"{', '.join(SUFFIXES)} file")
        if len(data) > MAX_UPLOAD_BYTES:
            raise ControlError("upload", f"{filename} is {len(data) / 1e6:.0f} MB; at most "
                               f"{MAX_UPLOAD_BYTES // 1_000_000} MB")
        if self._upload_dir is None:
            self._upload_dir = Path(tempfile.mkdtemp(prefix="spacewarp-upload-"))
        path = self._upload_dir / f"upload-{time.monotonic_ns()}{suffix}"  # never the name
        path.write_bytes(data)
        return path

    def close(self) -> None:
        """Remove this session's uploads (called when the session ends)."""
        if self._upload_dir is not None:
            shutil.rmtree(self._upload_dir, ignore_errors=True)
            self._upload_dir = None

    # --- the page ------------------------------------------------------------------------
    def sidebar(self) -> pn.Column:
        export = pn.FlexBox(*export_buttons(lambda: self.trace, self._export_error),
                            margin=(0, 6))
        return self.controls.panel(self.link, export)

    def main(self) -> pn.Column:
        weights = pn.Column(
            pn.pane.HTML("<b>Weights</b> &mdash; type a number and press Enter to re-warp",
                         margin=(6, 10, 0, 10)),
            self.controls.errors["weights"], self.weights.box,
            width=430, scroll=True, max_height=560,
            # the page's own dark card, readable whatever theme the views are drawn in
            styles={"background": WEIGHTS_BACKGROUND, "color": WEIGHTS_FOREGROUND,
                    "border-radius": "4px"})
        self.views.canvas.weights = weights  # shown beside the morph view
        return pn.Column(self.status, self.controls.errors["views"], self.views.canvas,
                         sizing_mode="stretch_width", css_classes=["sw-views"])

    def panel(self) -> pn.Row:
        """Sidebar and views in one object (notebooks; the server uses a template)."""
        return pn.Row(self.sidebar(), self.main(), sizing_mode="stretch_width",
                      css_classes=["sw-app"])

    def _export_error(self, message: str) -> None:
        self.controls.show_error("export", message)


def explorer_for(args: dict[str, Any], base: Experiment | None) -> Explorer:
    """A session's explorer: the experiment in the link (``?s=``) or ``base``."""
    try:
        linked = state.from_query(args)
    except ControlError as err:
        return Explorer(base, link_error=str(err))
    return Explorer(linked or base)

