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
from .tracing.trace import Trace, trace

__all__ = ["default_layers", "measured", "model_for", "resolve", "run", "run_model"]


def run(experiment: Experiment, work: str = "trace") -> Trace:
    """Resolve the experiment, build its points and network, and trace them.

    The budget is checked first (``budget.check_experiment``): the trace and what will be
    done with it (``work``: ``trace``, ``render``, ``html`` or ``animate``) over the memory
    or time cap is refused before a point is generated.
    """
    check_experiment(experiment, work)
    resolved, pts = resolve(experiment)
    traced = trace(model_for(resolved), pts, device=resolved.device, experiment=resolved)
    return _colored(replace(traced, style=style_of(resolved)))


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
