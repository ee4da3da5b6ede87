"""One explorer session: controls -> edits -> pipeline.run -> views, with its own state.

An ``Explorer`` is built per browser session (and per notebook call); it holds the last
good experiment and trace, and nothing it holds is shared with another session. Every
change goes through one path, ``apply``: the edit, the run and the views are computed by
the session's ``Worker`` (off the event loop when served), then shown. A refused change
leaves the last good views on screen and a message beside the control of the config
field it concerns.
"""

from __future__ import annotations

import html
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import panel as pn

from ..config.experiment import Experiment
from ..errors import InputError, SpacewarpError
from ..inputs.datafile import read_points_file
from ..pipeline import rerun
from ..tracing.trace import Trace
from . import edits, state, uploads
from .controls import Controls, displayed
from .exports import export_buttons
from .fields import control_for
from .limits import MAX_POINTS, check_limits
from .text import Text
from .trainer import Trainer
from .views import Views, one_message
from .weights import WeightsEditor
from .work import Worker

log = logging.getLogger(__name__)
WEIGHTS_BACKGROUND = "#1e1f22"  # the weights card keeps the page chrome's dark colours
WEIGHTS_FOREGROUND = "#e8e8e8"
INTERNAL = "internal error (a bug, not your input); the server log has the details"
Edit = Callable[[Experiment], Experiment]


class Explorer:
    """The state and wiring of one session; ``panel()`` is what the page shows.

    ``worker``: where the heavy work runs (a pool, when served; at once otherwise).
    ``link_error``: why the state link the page was opened with was refused.
    ``deferred``: wait for ``open()`` to compute the first views (a served page calls it
    once the page has loaded); otherwise they are computed here.
    ``fallback``: shown when ``experiment`` is refused (the server's own start).
    """

    def __init__(self, experiment: Experiment | None = None,
                 link_error: SpacewarpError | None = None, worker: Worker | None = None,
                 deferred: bool = False, fallback: Experiment | None = None) -> None:
        self.rng = np.random.default_rng()  # for "randomise": this session's own
        self.worker = worker or Worker()
        self.document: Any = None  # the served page's Bokeh document (set by the server)
        self.upload_token = secrets.token_urlsafe(24)  # names this session to the upload URL
        self._upload_dir: Path | None = None
        self._edits = 0
        self._link_errors: set[str] = set()  # controls showing why the link was refused
        self.views = Views()
        self.weights = WeightsEditor(self._weight_edited, self._randomise)
        start = experiment or Experiment()
        self._fallback = fallback or Experiment()
        self.experiment = start  # the last good experiment (resolved once it has run)
        self.trace: Trace | None = None  # the last good trace (None until the first is shown)
        self.controls = Controls(start, self.change)
        self.trainer = Trainer(self, self.views, self.controls, self.worker)
        self.status = Text("computing&hellip;", css_classes=["sw-status"],
                                   margin=(0, 10), styles={"font-size": "13px",
                                                           "opacity": "0.8"})
        self.link = Text("", css_classes=["sw-link"], margin=(0, 10),
                                 sizing_mode="stretch_width")
        if link_error is not None:
            self._refuse("link", link_error)
        if not deferred:
            self.open()

    def open(self) -> None:
        """Compute and show the experiment the session started with."""
        self._open(self.experiment)

    def _open(self, start: Experiment) -> None:
        """Compute and show the first experiment; on a mistake, say so and use the default."""
        def done(result: Any, error: BaseException | None) -> None:
            if error is None:
                self._show("", result)
                return
            self._fail("link", error)
            if start != self._fallback:
                self._open(self._fallback)

        self.worker.submit("open", lambda: self._work(lambda _e: start), done)

    # --- the one path every change takes -------------------------------------------------
    def change(self, control: str, value: Any) -> None:
        """Apply one control's new raw value (called by the widgets)."""
        edit = self._edit_for(control, value)
        if edit is not None:
            self.apply(control, edit)

    def apply(self, control: str, edit: Edit, key: str | None = None,
              after: Callable[[bool], None] | None = None) -> None:
        """Edit the experiment, run it and show it; on a mistake, show the message.

        ``key``: a waiting change with the same key is replaced (default: the control).
        ``after``: called with whether the change was shown.
        """
        def done(result: Any, error: BaseException | None) -> None:
            shown = error is None
            if shown:
                self._show(control, result)
            else:
                self._fail(control, error)
            if after is not None:
                after(shown)

        self.worker.submit(key or control, lambda: self._work(edit), done)

    def _work(self, edit: Edit) -> tuple[Trace, dict[str, Any], tuple[float, float]]:
        """The heavy part of a change (in a worker thread when served)."""
        t0 = time.perf_counter()
        experiment = edit(self.experiment)
        check_limits(experiment)  # before any work: the caps hold whatever the edit
        trace = rerun(self.trace, experiment)  # a colour or style change traces nothing
        assert trace.experiment is not None
        check_limits(trace.experiment, trace.n)
        t1 = time.perf_counter()
        payload = self.views.payload(trace)
        return trace, payload, (t1 - t0, time.perf_counter() - t1)

    def _show(self, control: str, result: tuple[Trace, dict[str, Any], tuple[float, float]]
              ) -> None:
        trace, payload, (compute_s, views_s) = result
        with one_message(self.document):  # served: one message per change, not per widget
            self.views.show(payload)
            self._commit(trace, control, compute_s)
        log.info("%s: compute %.0f ms, views %.0f ms", control or "open", compute_s * 1e3,
                 views_s * 1e3)

    def _fail(self, control: str, error: BaseException | None) -> None:
        if isinstance(error, SpacewarpError):
            self._refuse(control, error)
        else:  # a bug, not the user's: keep the page alive, say so, log it
            log.error("explorer update failed", exc_info=error)
            self.controls.show_error(control or "views", INTERNAL)
        if control == "weights" and self.trace is not None:
            self.weights.restore(self.trace)

    def refuse(self, control: str, error: SpacewarpError) -> None:
        """Show a mistake beside the control of its field (else beside ``control``)."""
        self._refuse(control, error)

    def show_trained(self, trace: Trace, seconds: float) -> None:
        """The trained network as the session's experiment (the views stay the trainer's)."""
        self._commit(trace, "train", seconds)

    def _refuse(self, control: str, error: SpacewarpError) -> None:
        """Show a mistake beside the control of its field (else beside ``control``); a
        refused link also says so on the link's own line (its control may be gone)."""
        target = control_for(error, default=control or "views")
        if target not in self.controls.errors:  # a control this page has not got
            target = "views"
        self.controls.show_error(target, str(error))
        if control == "link":
            self._link_errors.add(target)
        if control == "link" and target != "link":
            self.controls.show_error("link", f"that link was refused: {error}; showing the "
                                     "starting experiment instead")

    def _commit(self, trace: Trace, control: str, compute_s: float) -> None:
        if control not in ("train", "link", ""):  # the trainer's run was of the old one
            self.trainer.forget(keep_origin=control.startswith("train:"))
        old = displayed(self.experiment)
        self.trace = trace
        assert trace.experiment is not None
        self.experiment = trace.experiment
        new = displayed(self.experiment)
        touched = {control, *(k for k in new if old.get(k) != new[k])}
        for key in touched if control else ():  # opening keeps a refused link's messages
            self.controls.clear_error(key)
        if control not in ("link", ""):  # the user has moved on from a refused link
            for key in {"link", *self._link_errors}:
                self.controls.clear_error(key)
            self._link_errors.clear()
        self.controls.sync(self.experiment, None if not control else touched)
        self.weights.show(trace)
        self._show_link()
        self.status.object = (f"{trace.n:,} points &middot; {len(trace.stages)} stages "
                              f"&middot; computed in {compute_s * 1e3:.0f} ms")

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
        if control.startswith("train:"):
            setting = control.removeprefix("train:")
            return lambda e: edits.set_train(e, setting, value)
        simple: dict[str, Edit] = {
            "input": lambda e: edits.set_input(e, str(value)),
            "points": lambda e: edits.set_points(e, str(value)),
            "slice": lambda e: edits.set_slice(e, str(value)),
            "bounds": lambda e: edits.set_bounds(e, str(value)),
            "seed": lambda e: edits.set_seed(e, str(value)),
            "widths": lambda e: edits.set_widths(e, str(value)),
            "scale": lambda e: edits.set_scale(e, str(value)),
        }
        if control in simple:
            return simple[control]
        if control in ("add_layer", "remove_layer"):  # every click counts: never replaced
            self._edits += 1
            step = edits.add_layer if control == "add_layer" else edits.remove_layer
            self.apply("widths", step, key=f"{control}:{self._edits}")
            return None
        if control in ("activation", "bias", "init", "color_by", "theme", "regions",
                       "svd_steps", "measures", "show_data"):
            return lambda e: edits.set_choice(e, control, value)
        if control == "upload":
            self._upload(value)
        return None

    def _params(self) -> dict[str, np.ndarray]:
        if self.trace is None:
            raise SpacewarpError("the network is still being computed; try again",
                                 field="network.weights")
        return self.trace.params

    def _weight_edited(self, name: str, row: int, col: int | None, text: str) -> None:
        self.apply("weights", lambda e: edits.set_weight(e, self._params(), name, row, col,
                                                         text), key=f"weights:{name}:{row}:{col}")

    def _randomise(self, name: str) -> None:
        self._edits += 1
        self.apply("weights", lambda e: edits.randomised(e, self._params(), name, self.rng),
                   key=f"randomise:{self._edits}")

    # --- uploads --------------------------------------------------------------------------
    def upload_folder(self) -> Path:
        """This session's private folder for uploads (made on first use)."""
        if self._upload_dir is None:
            self._upload_dir = uploads.new_folder()
        return self._upload_dir

    def _upload(self, widget: Any) -> None:
        """Bytes from a file widget (notebooks, tests): saved, checked, used."""
        data, filename = widget.value, str(widget.filename or "")
        if not data:
            return
        try:
            path = uploads.save_bytes(self.upload_folder(), data, filename)
        except SpacewarpError as err:
            self._refuse("upload", err)
            return
        self.use_upload(path, filename)

    def use_upload(self, path: Path, filename: str) -> None:
        """Use a file saved in this session's folder: header checked before any data is read,
        parsed in the worker; earlier uploads are removed once it is shown."""
        if path.suffix in uploads.CHECKPOINTS:
            self._use_checkpoint(path, filename)
            return

        def edit(e: Experiment) -> Experiment:
            uploads.check_header(path, filename)
            try:
                x, labels = read_points_file(str(path))  # the library's parser and messages
            except SpacewarpError as err:  # name the user's file, never the server's path
                raise uploads.refused(str(err).replace(str(path), name)) from None
            if len(x) > MAX_POINTS:
                raise uploads.refused(f"{name} has {len(x):,} rows; the explorer takes at "
                                      f"most {MAX_POINTS:,} points")
            return edits.set_upload(e, str(path), x.shape[1], labels is not None)

        def after(shown: bool) -> None:
            if not shown:
                path.unlink(missing_ok=True)
                return
            for old in path.parent.glob("upload-*"):  # earlier uploads are no longer used
                if old != path and old.suffix in (".csv", ".npy", ".npz"):
                    old.unlink(missing_ok=True)

        name = uploads.shown_name(filename)
        self.apply("upload", edit, after=after)

    def _use_checkpoint(self, path: Path, filename: str) -> None:
        """A state_dict for the current network: its parameters become the experiment's
        explicit weights (so links and exports carry them); the file is then removed."""
        name = uploads.shown_name(filename)

        def edit(e: Experiment) -> Experiment:
            uploads.check_checkpoint(path, filename)
            try:
                weights = edits.checkpoint_weights(e, path)
            except SpacewarpError as err:  # name the user's file, never the server's path
                raise uploads.refused(str(err).replace(repr(str(path)), repr(name))
                                      .replace(str(path), name)) from None
            return edits.with_weights(e, weights)

        self.apply("upload", edit, after=lambda _shown: path.unlink(missing_ok=True))

    def refuse_upload(self, error: InputError) -> None:
        """An upload the HTTP handler refused (too big, a bad name): say so."""
        self._refuse("upload", error)

    def close(self) -> None:
        """Drop waiting work and remove this session's uploads (the session has ended)."""
        self.trainer.stop()
        self.worker.close()
        uploads.remove(self._upload_dir)
        self._upload_dir = None

    # --- the page ------------------------------------------------------------------------
    def sidebar(self) -> pn.Column:
        note = Text("", css_classes=["sw-export-note"], margin=(0, 10),
                    styles={"font-size": "12.5px", "opacity": "0.8"})
        export = pn.Column(pn.FlexBox(*export_buttons(
            self._current, self.worker.submit, self._export_error,
            lambda text: setattr(note, "object", text)), margin=(0, 6)), note, margin=0)
        return self.controls.panel(self.link, export)

    def _current(self) -> Trace:
        if self.trace is None:
            raise SpacewarpError("nothing to export yet; wait for the views", field="output")
        return self.trace

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
        return pn.Column(self.status, self.controls.errors["link"], self.controls.errors["views"],
                         self.trainer.panel(), self.views.canvas,
                         sizing_mode="stretch_width", css_classes=["sw-views"])

    def panel(self) -> pn.Row:
        """Sidebar and views in one object (notebooks; the server uses a template)."""
        return pn.Row(self.sidebar(), self.main(), sizing_mode="stretch_width",
                      css_classes=["sw-app"])

    def _export_error(self, message: str) -> None:
        self.controls.show_error("export", message)


def explorer_for(args: dict[str, Any], base: Experiment | None,
                 worker: Worker | None = None, deferred: bool = False) -> Explorer:
    """A session's explorer: the experiment in the link (``?s=``) or ``base``."""
    try:
        linked = state.from_query(args)
    except SpacewarpError as err:
        return Explorer(base, link_error=err, worker=worker, deferred=deferred)
    start = None if linked is None else state.with_served_model(linked, base)
    return Explorer(start or base, worker=worker, deferred=deferred, fallback=base)
