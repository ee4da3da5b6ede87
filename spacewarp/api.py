"""The notebook API: a few functions that call the steps. Never computes or draws itself.

    import spacewarp as sw
    trace = sw.run(input="grid", activation="relu")   # experiment -> points -> network -> trace
    sw.stages(trace)                                  # matplotlib figure, a panel per stage
    sw.save(trace, "out")                             # stages.png, per-stage PNGs, trace.npz, ...
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import pipeline
from .config import Experiment, load_toml, merged, nest, validated

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .trace import Trace


def experiment(config: Experiment | dict[str, Any] | str | Path | None = None,
               **options: Any) -> Experiment:
    """An experiment from a config (object, nested dict or TOML path) and flat options.

    Options use the CLI's names: ``input``, ``points``, ``data``, ``color_by``, ``layers``,
    ``activation``, ``bias``, ``init``, ``scale``, ``seed``, ``device``, ``theme``.
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
    """Build the experiment's points and network and trace them: every stage, in float64."""
    return pipeline.run(experiment(config, **options))


def stages(trace: Trace, theme: str | None = None) -> Figure:
    """A matplotlib figure with one panel per stage (shows inline in notebooks)."""
    from .render.static import stages_figure

    return stages_figure(trace, theme=theme or _theme(trace))


def save(trace: Trace, out: str | Path) -> list[Path]:
    """Write stages.png, a PNG per stage, trace.npz, experiment.toml and weights.txt."""
    from .export.stills import write_render

    return write_render(trace, out)


def _theme(trace: Trace) -> str:
    return trace.experiment.style.theme if trace.experiment else "dark"
