"""Experiment -> points -> network -> trace: the steps run in order, nothing drawn.

``resolve`` and ``model_for`` live in ``model/resolve.py`` (training starts from them too).
"""

from __future__ import annotations

import copy
from dataclasses import replace

from torch import nn

from .budget import check_experiment
from .config.experiment import Experiment, style_of
from .inputs.points import MEASURED_COLORINGS
from .measure import Measures, measures
from .measure.colors import measure_color, stage_notes
from .model.files import load_checkpoint
from .model.resolve import default_layers, model_for, resolve
from .tracing.trace import Trace, recolored, trace

__all__ = ["default_layers", "measured", "model_for", "resolve", "rerun", "run", "run_model"]


def run(experiment: Experiment, work: str = "trace") -> Trace:
    """Resolve the experiment, build its points and network, and trace them.

    The budget is checked first (``budget.check_experiment``): the trace and what will be
    done with it (``work``: ``trace``, ``render``, ``html`` or ``animate``) over the memory
    or time cap is refused before a point is generated.
    """
    return rerun(None, experiment, work)


def rerun(previous: Trace | None, experiment: Experiment, work: str = "trace") -> Trace:
    """``run``, reusing ``previous`` when ``experiment`` traces the same stages (only its
    colouring or style differ: the explorer's colour, theme, regions and measures
    changes): its stages are recoloured (``tracing.trace.recolored``), not traced again."""
    check_experiment(experiment, work)
    resolved, pts = resolve(experiment)
    as_before = resolved if previous is None else _with_shape(resolved, previous.image_shape)
    if previous is not None and _same_stages(previous.experiment, as_before):
        resolved = as_before
        traced = recolored(previous, pts, resolved)
    else:
        traced = trace(model_for(resolved), pts, device=resolved.device, experiment=resolved)
        resolved = _with_shape(resolved, traced.image_shape)
    return _colored(replace(traced, experiment=resolved, style=style_of(resolved)))


def _with_shape(experiment: Experiment, shape: tuple[int, ...] | None) -> Experiment:
    """``experiment`` with the image shape its rows were traced as (inferred from the model
    when none was given) recorded as ``input.shape``: its experiment.toml makes the same
    trace without inferring again."""
    if shape is None or experiment.input.shape is not None:
        return experiment
    spec = experiment.input.model_copy(update={"shape": list(shape)})
    return experiment.model_copy(update={"input": spec})


def _same_stages(a: Experiment | None, b: Experiment) -> bool:
    """Whether ``a`` and ``b`` trace the same stages: equal but for colouring and style,
    with generated points and a network built here (files may change between runs)."""
    if a is None or b.network.model or b.network.checkpoint or b.input.path:
        return False

    def traced(e: Experiment) -> Experiment:
        return e.model_copy(update={"input": e.input.model_copy(update={"color_by": None}),
                                    "style": None})

    return traced(a) == traced(b)


def run_model(model: nn.Module, experiment: Experiment) -> Trace:
    """The experiment's points through a model object (with the experiment's checkpoint,
    if any). The trace carries no experiment: an object cannot be written to TOML."""
    check_experiment(experiment)
    _, pts = resolve(experiment.model_copy(update={"network": experiment.network.model_copy(
        update={"checkpoint": None, "layers": None})}))
    net = experiment.network
    if net.checkpoint is not None:
        model = load_checkpoint(net.checkpoint, copy.deepcopy(model))
    traced = trace(model, pts, device=experiment.device)
    return _colored(replace(traced, style=style_of(experiment)))


def _colored(traced: Trace) -> Trace:
    """Colours that need the trace (stretch, area, ...) filled in from its measures, and
    the measure summaries in the titles when the style asks for them."""
    wanted = traced.color_by in MEASURED_COLORINGS or traced.style.measures
    return measured(traced)[0] if wanted else traced


def measured(traced: Trace) -> tuple[Trace, Measures]:
    """The trace with a measure summary under every stage's title (and its colours from the
    measures when it is coloured by one), and the measures."""
    m = measures(traced)
    update: dict[str, object] = {"stage_notes": stage_notes(m)}
    if traced.color_by in MEASURED_COLORINGS:
        update["color"] = measure_color(traced, traced.color_by, m)
    return replace(traced, **update), m  # type: ignore[arg-type]
