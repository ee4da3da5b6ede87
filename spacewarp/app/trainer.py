"""Training in the explorer: Train / Pause / Step / Reset, the live views and the loss curve.

One ``Trainer`` per session. Its heavy work (``training_task``) goes through the
session's ``Worker`` like every other change, one job at a time, so a training session
takes its turn in the server's pool and never blocks another session. While running it
submits one chunk after another (each about ``CHUNK_S`` of epochs, then a live update of
the views); Pause, Reset, any other change and closing the session stop the chain (a
closed session's worker drops its jobs). Pause and the end of training commit the
trained weights into the session's experiment (so the state link, the weights card and
the exports show the trained network) and plan the film afresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

import panel as pn
from bokeh.models import ColumnDataSource, LinearAxis, Range1d
from bokeh.plotting import figure

from ..config.experiment import Experiment
from ..errors import SpacewarpError
from ..pipeline import run as run_pipeline
from ..tracing.trace import Trace
from . import edits
from .controls import Controls
from .training_task import LiveRun, advance, frame, params_now, paused_frame, start
from .views import Views
from .work import Worker

log = logging.getLogger(__name__)
CURVE_COLUMNS = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
BUTTONS = ("train", "pause", "step", "reset")
CURVE_PX = 180  # the loss curve's height: legend and axes take ~90 px, the curves the rest
CHUNKS_PER_JOB = 3  # live updates per pool job (at most ~0.3 s before others' work runs)


class TrainingSession(Protocol):
    """What a ``Trainer`` needs from its explorer session (``session.Explorer``): the
    experiment it trains, a way to change it, and where the trained network and mistakes go."""

    @property
    def experiment(self) -> Experiment: ...

    def apply(self, control: str, edit: Callable[[Experiment], Experiment],
              key: str | None = None) -> None: ...

    def show_trained(self, trace: Trace, seconds: float) -> None: ...

    def refuse(self, control: str, error: SpacewarpError) -> None: ...


class Trainer:
    """The training part of one explorer session: its buttons, status and loss curve; the
    session's views, controls and worker, shared with it."""

    def __init__(self, session: TrainingSession, views: Views, controls: Controls,
                 worker: Worker) -> None:
        self.session = session
        self.views, self.controls, self.worker = views, controls, worker
        self.run: LiveRun | None = None
        self.running = False
        self.origin: Experiment | None = None  # the experiment before training (Reset)
        self._steps = 0
        self._updates: list[float] = []  # times of recent live updates (updates per second)
        self.buttons = {name: pn.widgets.Button(
            label=name.capitalize(), width=70, margin=(2, 4), css_classes=[f"sw-train-{name}"],
            color="primary" if name == "train" else "default") for name in BUTTONS}
        for name, button in self.buttons.items():
            button.on_click(self._handler(name))
        self.status = pn.pane.HTML("", css_classes=["sw-train-status"], margin=(2, 8),
                                   styles={"font-size": "13px"})
        self.source = ColumnDataSource({c: [] for c in CURVE_COLUMNS})
        self.curve = pn.pane.Bokeh(loss_figure(self.source), css_classes=["sw-loss-curve"],
                                   margin=(0, 8))

    # --- the buttons ---------------------------------------------------------------------
    def _handler(self, name: str) -> Callable[[Any], None]:
        return lambda _event: self.press(name)

    def press(self, name: str) -> None:
        self.controls.clear_error("train")
        {"train": self.train, "pause": self.pause, "step": self.step,
         "reset": self.reset}[name]()

    def train(self) -> None:
        if self.running:
            return
        self.running = True
        if self.run is not None and self._current(self.run):
            self._reframe(self.run, then=self._chunk)  # the paused view has no live plan
        else:
            self._start(then=self._chunk)

    def pause(self) -> None:
        if not self.running:
            return
        self.running = False
        self._settle()

    def step(self) -> None:
        """Exactly one epoch (after starting a run when there is none), then commit."""
        if self.running:
            return
        if self.run is None or not self._current(self.run):
            self._start(then=self.step)
            return
        run = self.run
        if run.plan is None:  # the paused view (every snapshot) has no live plan
            self._reframe(run, then=self.step)
            return
        self._steps += 1

        def shown(update: dict[str, Any]) -> None:
            self._live(run, update)
            self._commit(run, replan=False)

        self._submit(f"train:step:{self._steps}", lambda: advance(run, epochs=1),
                     shown)

    def reset(self) -> None:
        """Stop and show the experiment as it was before training."""
        self.running = False
        origin, self.run, self.origin = self.origin, None, None
        self._clear_curves()
        if origin is not None:
            self.session.apply("train", lambda _e: origin, key="train:reset")

    def forget(self, keep_origin: bool) -> None:
        """Another change was made: the run no longer matches the experiment (Reset still
        goes back to before training after a change of a training setting)."""
        self.running = False
        self.run = None
        if not keep_origin:
            self.origin = None
        self._clear_curves()

    def stop(self) -> None:
        """The session closed."""
        self.running = False
        self.run = None

    # --- the jobs ------------------------------------------------------------------------
    def _current(self, run: LiveRun) -> bool:
        return run is self.run and run.source is self.session.experiment

    def _start(self, then: Callable[[], None]) -> None:
        experiment, serial = self.session.experiment, self.views.next_serial()

        def job() -> tuple[LiveRun, dict[str, Any]]:
            run = start(experiment)
            return run, frame(run, serial)[0]

        def shown(result: tuple[LiveRun, dict[str, Any]]) -> None:
            run, spec = result
            run.source = experiment
            self.run = run
            self.origin = self.origin or experiment
            self.views.show(spec)
            self._clear_curves()
            self._curves(run)
            then()

        self._submit("train:start", job, shown, stop_on_error=True)

    def _reframe(self, run: LiveRun, then: Callable[[], None]) -> None:
        serial = self.views.next_serial()

        def shown(spec: dict[str, Any]) -> None:
            self.views.show(spec)
            then()

        self._submit("train:frame", lambda: frame(run, serial)[0], shown,
                     stop_on_error=True)

    def _chunk(self) -> None:
        """One job of up to ``CHUNKS_PER_JOB`` chunks: the first ones' updates are handed to
        the loop as they are made (the loop sends one while the next chunk trains), the
        last one's by the job's outcome; then the next job queues behind other work."""
        run = self.run
        if run is None or not self.running:
            return

        def job() -> dict[str, Any]:
            for _ in range(CHUNKS_PER_JOB - 1):
                update = advance(run)
                if run.done or not self.running or run is not self.run:
                    return update
                self.worker.post(partial(self._passing, run, update))
            return advance(run)

        def shown(update: dict[str, Any]) -> None:
            self._live(run, update)
            if run.done or not self.worker.background:  # (a notebook: one job a press)
                self.running = False
                self._commit(run, replan=True)
            elif self.running:
                self._chunk()

        self._submit("train:chunk", job, shown, stop_on_error=True)

    def _passing(self, run: LiveRun, update: dict[str, Any]) -> None:
        if run is self.run and self.running:
            self._live(run, update)

    def _settle(self) -> None:
        if self.run is not None:
            self._commit(self.run, replan=True)

    def _commit(self, run: LiveRun, replan: bool) -> None:
        """The trained weights into the session's experiment (link, weights card, exports);
        with ``replan``, the film planned afresh around the network as it is now."""
        base, serial = self.session.experiment, self.views.next_serial()

        def job() -> tuple[Any, dict[str, Any] | None, float]:
            t0 = time.perf_counter()
            experiment = edits.trained(base, run.experiment.network, params_now(run))
            traced = run_pipeline(experiment)
            spec = paused_frame(run, serial)[0] if replan else None
            return traced, spec, time.perf_counter() - t0

        def shown(result: tuple[Any, dict[str, Any] | None, float]) -> None:
            traced, spec, seconds = result
            if spec is not None:
                self.views.show(spec)
            self.session.show_trained(traced, seconds)
            self.status.object = status_html(run, 0.0)
            run.source = self.session.experiment

        self._submit("train:commit", job, shown)

    def _submit(self, key: str, job: Callable[[], Any], shown: Callable[[Any], Any],
                stop_on_error: bool = False) -> None:
        run = self.run

        def done(result: Any, error: BaseException | None) -> None:
            if run is not None and run is not self.run:
                return  # a run that was reset or replaced meanwhile
            if error is None:
                shown(result)
                return
            if stop_on_error:
                self.running = False
            self._fail(error)

        self.worker.submit(key, job, done)

    def _fail(self, error: BaseException) -> None:
        if isinstance(error, SpacewarpError):
            self.session.refuse("train", error)
        else:
            log.error("training failed", exc_info=error)
            self.controls.show_error("train", "internal error (a bug, not your input); "
                                        "the server log has the details")

    # --- what is shown -------------------------------------------------------------------
    def _live(self, run: LiveRun, update: dict[str, Any]) -> None:
        self.views.show_live(update)
        self._curves(run)
        if run.stopped:
            self.controls.show_error("train", run.stopped)

    def _curves(self, run: LiveRun) -> None:
        have = len(self.source.data["epoch"])
        new = run.curves[have:]
        if new:
            self.source.stream({c: [row[i] for row in new]
                                for i, c in enumerate(CURVE_COLUMNS)})
            show_accuracy(self.curve.object, run.fit.data.task == "classification")
        now = time.perf_counter()
        self._updates = [t for t in self._updates if now - t < 2.0] + [now]
        self.status.object = status_html(run, len(self._updates) / 2.0 if self.running else 0.0)

    def _clear_curves(self) -> None:
        self.source.data = {c: [] for c in CURVE_COLUMNS}
        self._updates = []
        self.status.object = ""

    def panel(self) -> pn.Row:
        """The buttons, the numbers and the curve beside them (one short row above the
        views); none for a served model of the user's, which the explorer does not train."""
        left = pn.Column(pn.Row(*self.buttons.values(), margin=(4, 4)),
                         self.controls.errors["train"], self.status, width=420, margin=0)
        return pn.Row(left, self.curve, sizing_mode="stretch_width", margin=0,
                      visible=not self.controls.served)


def status_html(run: LiveRun, rate: float) -> str:
    """``epoch 120 · loss 0.53 / 0.55 · accuracy 0.81 / 0.79``, with the numbers as data
    attributes (tests and scripts read them)."""
    epoch, train_loss, test_loss, train_acc, test_acc = run.curves[-1]
    rate_text = f" &middot; {rate:.0f} view updates/s" if rate else ""
    acc = (f" &middot; accuracy {train_acc:.3f} train / {test_acc:.3f} test"
           if train_acc == train_acc else "")
    return (f'<span class="sw-train-numbers" data-epoch="{epoch}" '
            f'data-train-loss="{train_loss!r}" data-test-loss="{test_loss!r}" '
            f'data-train-accuracy="{train_acc!r}">epoch {epoch} of {run.fit.spec.epochs} '
            f"&middot; loss {train_loss:.4f} train / {test_loss:.4f} test{acc}"
            f"{rate_text}</span>")


def show_accuracy(fig: Any, on: bool) -> None:
    """The accuracy lines, their legend entries and axis: shown for classification only
    (a regression has no accuracy to plot)."""
    for item in fig.legend[0].items:
        if "accuracy" in str(getattr(item.label, "value", "")):
            item.visible = on
            for renderer in item.renderers:
                renderer.visible = on
    for axis in fig.right:
        axis.visible = on


def loss_figure(source: ColumnDataSource) -> Any:
    """Train and test loss (left axis) and accuracy (right axis, 0 to 1) by epoch."""
    fig = figure(height=CURVE_PX, sizing_mode="stretch_width", toolbar_location=None,
                 x_axis_label="epoch", y_axis_label="loss", background_fill_color="#1e1f22",
                 border_fill_color="#1e1f22")
    fig.extra_y_ranges = {"accuracy": Range1d(start=0, end=1)}
    fig.add_layout(LinearAxis(y_range_name="accuracy", axis_label="accuracy"), "right")
    for column, colour, dash, rng in (
            ("train_loss", "#5ab4ff", "solid", "default"),
            ("test_loss", "#5ab4ff", "dashed", "default"),
            ("train_accuracy", "#f0a030", "solid", "accuracy"),
            ("test_accuracy", "#f0a030", "dashed", "accuracy")):
        fig.line("epoch", column, source=source, color=colour, line_dash=dash, line_width=2,
                 y_range_name=rng, legend_label=column.replace("_", " "))
    legend = fig.legend[0]
    fig.add_layout(legend, "above")  # one line above the plot: never over the curves
    legend.orientation = "horizontal"
    legend.label_text_font_size = "10px"
    legend.label_text_color = "#e8e8e8"
    legend.background_fill_alpha = 0.0
    legend.border_line_alpha = 0.0
    for axis in (*fig.xaxis, *fig.yaxis):
        axis.axis_label_text_color = axis.major_label_text_color = "#e8e8e8"
    fig.grid.grid_line_alpha = 0.15
    return fig
