"""The notebook API: a few functions that call the steps. Never computes or draws itself.

    import spacewarp as sw
    trace = sw.run(input="grid", activation="relu")   # experiment -> points -> network -> trace
    sw.stages(trace)                                  # matplotlib figure, a panel per stage
    sw.save(trace, "out")                             # stages.png, per-stage PNGs, trace.npz, ...
    sw.interactive(trace)                             # inline film: slider, play, rotate, hover
    w = sw.widget(trace); w                           # the same, two-way: w.position, w.selected
    sw.animate(trace, "morph.mp4")                    # a film of the morph (MP4 or GIF)

Plotting libraries are imported only when a function that draws is called.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import pipeline
from .config.experiment import Experiment, load_toml, merged, nest, validated
from .errors import SpacewarpError

T = TypeVar("T")

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np
    from matplotlib.animation import FuncAnimation
    from matplotlib.figure import Figure
    from torch import nn

    from .measure import Measures, Regions
    from .render.browser import BrowserOptions
    from .render.notebook import PageView
    from .render.widget import Widget
    from .tracing.trace import Trace
    from .training.train import Curves, Training


def experiment(config: Experiment | dict[str, Any] | str | Path | None = None,
               **options: Any) -> Experiment:
    """An experiment from a config (object, nested dict or TOML path) and flat options.

    Options use the flat names of ``settings.SETTINGS`` (the CLI's flags): ``input``,
    ``points``, ``data``, ``color_by``, ``layers``, ``activation``, ``bias``, ``init``,
    ``scale``, ``model``, ``checkpoint``, ``theme``, ``cmap``, ``point_size``, ``seed``,
    ``device``. Values parse as flags do (``points="1e5"`` is 100000).
    """
    if isinstance(config, Experiment):
        base = config.model_dump(exclude_none=True)
    elif isinstance(config, str | Path):
        base = load_toml(config)
    else:
        base = dict(config or {})
    return validated(merged(base, nest(options)))


def run(config: Experiment | dict[str, Any] | str | Path | None = None,
        **options: Any) -> Trace:
    """Build the experiment's points and network and trace them: every stage, in float64.

    ``model`` is a file (``"net.py:Net"``, ``"net.onnx"``) or an ``nn.Module`` object;
    ``weights`` a checkpoint path. An object is traced as given, so the trace has no
    ``experiment.toml`` to redo it (give a file for that).
    """
    model = options.get("model")
    if model is not None and not isinstance(model, str | Path):
        del options["model"]
        return pipeline.run_model(model, experiment(config, **options))
    return pipeline.run(experiment(config, **options))


def measures(trace: Trace) -> Measures:
    """Jacobian singular values, area change, anisotropy, rank and folds of every point
    at every stage (``Measures``; ``.summary(k)`` is stage k's one-line account)."""
    from .measure import measures as measure

    return measure(trace)


def regions(model_or_trace: nn.Module | Trace, bounds: tuple[float, ...] | None = None,
            max_regions: int | None = None, cut_output: bool = False) -> Regions:
    """The exact linear regions of a piecewise-linear network on the box ``(x0, x1, y0, y1)``
    (a trace defaults to its input's box): polygons, patterns, affine maps, areas and the
    decision boundary. More than ``max_regions`` (default 1e6) is refused, by estimate
    before the work; ``cut_output`` also cuts along each output's zero set."""
    from .measure import regions as find

    return find(model_or_trace, bounds, max_regions=max_regions, cut_output=cut_output)


def stages(trace: Trace, theme: str | None = None) -> Figure:
    """A matplotlib figure with one panel per stage (shows inline in notebooks)."""
    from .render.static import stages_figure

    return stages_figure(trace, theme=theme or trace.style.theme)


def save(trace: Trace, out: str | Path) -> list[Path]:
    """Write stages.png, a PNG per stage, trace.npz, experiment.toml and weights.txt."""
    from .export.stills import write_render

    return write_render(trace, out)


def interactive(trace: Trace, **options: Any) -> PageView:
    """The interactive film inline (no server): stage slider, Play, 3-D rotation, hover.

    Options are ``BrowserOptions`` fields (``theme``, ``cmap``) and ``FilmOptions`` fields
    (``max_points``, ``sample_seed``, ``split_bias``, ``morph_s``, ``hold_s``, ...).
    """
    return _page_view(trace, "morph", options)


def widget(trace_or_training: Trace | Training, **options: Any) -> Widget:
    """The interactive film as a two-way notebook widget (anywidget): ``position``,
    ``playing``, ``selected`` (Shift + drag: lasso, Ctrl + drag: box), ``hovered``,
    ``color`` (a per-point array), ``regions`` and, for a training, ``snapshot`` are
    traits Python reads and sets; ``w.selection()`` is ``trace.select(w.selected)``.

    Options as ``interactive``. Needs the ``notebook`` extra (anywidget); without it,
    ``interactive`` shows the same film one-way.
    """
    try:
        from .render.widget import trace_widget, training_widget
    except ImportError:
        raise SpacewarpError("the widget needs anywidget: pip install 'spacewarp[notebook]' "
                             "(or use sw.interactive)", field="widget") from None
    from .tracing.trace import Trace

    o = browser_options("morph", options)
    if isinstance(trace_or_training, Trace):
        return trace_widget(trace_or_training, o)
    return training_widget(trace_or_training, o)


def stages_grid(trace: Trace, **options: Any) -> PageView:
    """Every stage side by side, inline, each turning in 3-D (options as ``interactive``)."""
    return _page_view(trace, "grid", options)


def write_html(trace: Trace, path: str | Path, *, layout: str = "morph",
               **options: Any) -> Path:
    """A self-contained offline page (``layout`` ``"morph"`` or ``"grid"``)."""
    from .export.html import HtmlOptions
    from .export.html import write_html as write_page

    return write_page(trace, path, HtmlOptions(browser_options(layout, options)))


def browser_options(layout: str, options: dict[str, Any]) -> BrowserOptions:
    """``BrowserOptions`` from flat keywords: ``FilmOptions`` fields go to its ``film``."""
    from .render.browser import BrowserOptions
    from .view.film import FilmOptions

    film_names = {f.name for f in fields(FilmOptions)}
    film = _options(FilmOptions, {k: v for k, v in options.items() if k in film_names})
    rest = {k: v for k, v in options.items() if k not in film_names}
    names = [f.name for f in fields(BrowserOptions) if f.name not in ("film", "layout")]
    unknown = sorted(set(rest) - set(names))
    if unknown:
        raise SpacewarpError(f"unknown option {unknown[0]!r}; options are: "
                             f"{', '.join(names + sorted(film_names))}", field=unknown[0])
    return BrowserOptions(film=film, layout=layout, **rest)  # type: ignore[arg-type]


def _page_view(trace: Trace, layout: str, options: dict[str, Any]) -> PageView:
    from .export.html import page_html
    from .render.notebook import PageView, height_for

    page = page_html(trace, browser_options(layout, options))
    return PageView(page, height_for(len(trace.stages), layout))


def animate(trace: Trace, path: str | Path, **options: Any) -> Path:
    """A film of the morph through every stage, to ``.mp4`` or ``.gif``.

    Options are ``AnimationOptions`` fields (``fps``, ``seconds``, ``hold``, ``size``, ...).
    """
    from .export.video import write_video
    from .render.animation_options import AnimationOptions

    return write_video(trace, path, _options(AnimationOptions, options))


def frames(trace: Trace, **options: Any) -> Iterator[np.ndarray]:
    """The film's frames one at a time, each an (H, W, 3) uint8 RGB array."""
    from .render.animation_options import AnimationOptions
    from .render.frames import iter_frames

    return iter_frames(trace, _options(AnimationOptions, options))


def animation(trace: Trace, **options: Any) -> FuncAnimation:
    """The film as a matplotlib animation, e.g. ``HTML(sw.animation(t).to_jshtml())``."""
    from .render.animation_options import AnimationOptions
    from .render.frames import animation as make

    return make(trace, _options(AnimationOptions, options))


def train(config: Experiment | dict[str, Any] | str | Path | None = None, *,
          progress: bool | None = None, live: bool | None = None,
          lc_radius: float | None = None, max_regions: int | None = None,
          **options: Any) -> Training:
    """Train the experiment's network on its points, keeping snapshots: a ``Training``.

    Options are the CLI's names, training ones included (``epochs``, ``lr``,
    ``optimizer``, ``momentum``, ``weight_decay``, ``batch_size``, ``loss``,
    ``test_split``, ``noise``, ``snapshots``, ``watch``, ``probe``). Unset, the input is
    the course's spiral and the network its 2-100-3 ReLU model. ``slice="0,6,8"`` (with
    ``input="digits"`` or ``data=FILE``; also ``"pca"``, ``"I"``): trains on every row of
    the data in its own dimension and shows that plane, fixed before training
    (``Training.probe`` is a grid on it, ``Training.shown`` its anchor rows).
    ``progress``: a tqdm bar; ``live``: in a notebook, a loss figure that updates while
    training (default: in a notebook). ``regions=True`` (or ``"region"``, ``"area"``, as
    ``--regions``): the exact linear regions at every snapshot (``Training.regions``:
    regions_total, regions_with_data, local_complexity, regions_near_boundary, lc_radius,
    regions_bounds; see ``measure.training_regions``), with squares of half-side
    ``lc_radius`` (default 1% of the box's larger side) and at
    most ``max_regions`` regions (default 1e6, refused by estimate).
    """
    from dataclasses import replace

    from .measure.training_regions import check_training_regions, training_regions
    from .training.setup import prepare
    from .training.train import train as run_training

    if isinstance(options.get("regions"), bool):  # regions=True: "region", False: "off"
        options["regions"] = "region" if options["regions"] else "off"
    exp = experiment(config, **options)
    regions = exp.style.regions != "off"
    if regions:  # every mistake said before training
        check_training_regions(*prepare(exp), lc_radius, max_regions)
    if live is None:
        live = _in_notebook()
    callback = _live_curves(exp) if live else None
    done = run_training(exp, progress=progress, callback=callback)
    if not regions:
        return done
    return replace(done, regions=training_regions(done, lc_radius, max_regions).named())


def save_training(training: Training, out: str | Path, *, film: bool = True,
                  html: bool = False, probe_stages: bool = False, float64: bool = False
                  ) -> list[Path]:
    """Write what ``spacewarp train`` writes: training.npz, .png, .mp4, experiment.toml,
    model.pt, weights.txt (and training.html with ``html=True``). ``probe_stages``: keep
    the probe grid's stages in training.npz; ``float64``: stages in float64 (float32)."""
    from .export.training import NpzLayout, write_training
    from .export.training_html import write_training_html
    from .training.snapshots import MAX_PROBE, trace_snapshots
    from .view.training import training_views
    from .view.training_film import training_film

    traced = trace_snapshots(training, None if probe_stages else MAX_PROBE)
    written = write_training(traced, out, training_views(traced, film), film=film,
                             layout=NpzLayout(probe_stages, float64))
    if html and training.probe is not None:
        written.append(write_training_html(training_film(traced),
                                           Path(out) / "training.html"))
    return written


def training_page(training: Training, path: str | Path) -> Path:
    """The training page (``.html``, offline): sliders for training time and stage, the
    decision carried through every stage, one box and projection for the whole run."""
    from .export.training_html import write_training_html
    from .training.snapshots import trace_snapshots
    from .view.training_film import training_film

    return write_training_html(training_film(trace_snapshots(training)), path)


def load_training(path: str | Path) -> Training:
    """A training run read back from ``DIR/training.npz`` and ``DIR/experiment.toml``."""
    from .training.file import load_training as load

    return load(path)


def animate_training(training: Training, path: str | Path) -> Path:
    """The film of learning (``.mp4``): data and probe grid in the input plane and in the
    watched stage, moving continuously from snapshot to snapshot (positions interpolated
    between them), with one box and projection throughout."""
    from .export.training import write_training_film
    from .training.snapshots import trace_snapshots
    from .view.training import training_view

    return write_training_film(training_view(trace_snapshots(training)), path)


def training_figure(training: Training, theme: str | None = None) -> Figure:
    """``training.png`` as a matplotlib figure: curves, decision regions, watched stage."""
    from .render.training import training_figure as make
    from .training.snapshots import trace_snapshots
    from .view.training import training_view

    return make(training_view(trace_snapshots(training)), theme)


def training_stages(training: Training, snapshot: int = -1, theme: str | None = None
                    ) -> Figure:
    """The decision carried through every stage of one snapshot: the probe grid coloured
    by predicted class in each stage, with the data coloured by their true class."""
    from .render.training import decision_stages_figure
    from .training.snapshots import trace_snapshots
    from .view.training import decision_stages

    return decision_stages_figure(decision_stages(trace_snapshots(training), snapshot), theme)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _live_curves(exp: Experiment) -> Any:
    """A callback that redraws a small loss figure in place, at most twice a second."""
    import io
    import time

    from IPython.display import Image, display

    from .render.training import curves_figure

    handle = display(None, display_id=True)
    last = [0.0]
    total = exp.train.epochs if exp.train is not None else None

    def update(epoch: int, curves: Curves) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and epoch != total:
            return
        last[0] = now
        if handle is not None:
            png = io.BytesIO()
            curves_figure(curves, total, exp.style.theme).savefig(png, format="png")
            handle.update(Image(data=png.getvalue(), format="png"))

    return update


def explorer(config: Experiment | dict[str, Any] | str | Path | None = None,
             **options: Any) -> Any:
    """The explorer (a Panel object) starting from this experiment; shows inline in notebooks.

    Needs the ``app`` extra (Panel), installed by ``make demo``.
    """
    try:
        from .app.server import explorer as make
    except ImportError:
        raise SpacewarpError("the explorer needs Panel: pip install 'spacewarp[app]'",
                             field="app") from None
    return make(experiment(config, **options))


def _options(cls: type[T], options: dict[str, Any]) -> T:
    """An options dataclass from keywords, an unknown keyword being a user's mistake."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise SpacewarpError(f"unknown option {unknown[0]!r}; options are: {', '.join(names)}",
                             field=unknown[0])
    return cls(**options)
