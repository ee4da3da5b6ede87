"""A ``Training`` read back from ``spacewarp train``'s folder: ``training.npz`` (the
parameters at every snapshot and the curves) and the ``experiment.toml`` beside it (the
network and the data, which re-run exactly). Only the small members of the npz are read
(never the stage arrays, float32 by default, nor the probe grid's, kept only with
``--probe-stages``): every stage, the probe grid's included, is recomputed in float64
from each snapshot's parameters (``Training.trace``, ``Training.probe_trace``).
Every mistake is one ``InputError`` with ``field="training"``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import InputError, SpacewarpError
from .train import CURVE_NAMES, Curves, Training

CURVES = ("epoch", *CURVE_NAMES)  # the members of the curves, in ``Curves``' order
FIELD = "training"


# the regions through training (``spacewarp train --regions``), kept when the file has them
REGION_MEMBERS = ("regions_total", "regions_with_data", "local_complexity",
                  "regions_near_boundary", "lc_radius", "regions_bounds",
                  "regions_vertices", "regions_vertex_count")

def load_training(path: str | Path) -> Training:
    """The training run saved at ``path`` (``DIR/training.npz``, with ``DIR/experiment.toml``)."""
    from ..config.experiment import load_toml, validated
    from ..model.resolve import model_for
    from .setup import prepare, probe_for

    npz = Path(path)
    if not npz.is_file():
        raise InputError(f"{str(path)!r} does not exist; give the training.npz that spacewarp "
                         "train wrote", field=FIELD)
    if not zipfile.is_zipfile(npz):
        raise InputError(f"{str(path)!r} is not a training.npz (not an npz archive); give the "
                         "one spacewarp train wrote", field=FIELD)
    toml = npz.parent / "experiment.toml"
    if not toml.is_file():
        raise InputError(f"no experiment.toml beside {npz.name} in {str(npz.parent)!r}; "
                         "spacewarp train writes both, keep them together", field=FIELD)
    try:
        experiment, data = prepare(validated(load_toml(toml)))
    except SpacewarpError as err:
        raise InputError(f"the experiment.toml beside {npz.name} does not run: {err}",
                         field=FIELD) from None
    if experiment.train is None:
        raise InputError(f"the experiment.toml beside {npz.name} has no [train] section; is "
                         "it the one spacewarp train wrote?", field=FIELD)
    shapes = {k: tuple(v.shape) for k, v in model_for(experiment).state_dict().items()}
    names = list(shapes)
    with np.load(npz, allow_pickle=False) as z:
        members = set(z.files)
        missing = [m for m in (*CURVES, *names) if m not in members]
        if missing:
            raise InputError(f"{npz.name} lacks {', '.join(missing[:4])}"
                             f"{' ...' if len(missing) > 4 else ''}: not a training.npz of "
                             "this experiment.toml's network", field=FIELD)
        curves = Curves(*(np.asarray(z[m]) for m in CURVES))
        params = {m: np.asarray(z[m], dtype=np.float64) for m in names}
    _check(curves, params, npz.name)
    wrong = [m for m, v in params.items() if v.shape[1:] != shapes[m]]
    if wrong:
        m = wrong[0]
        raise InputError(f"{npz.name}'s {m} is {params[m].shape[1:]} per snapshot but "
                         f"experiment.toml's network has {shapes[m]}; keep the files of one "
                         "run together", field=FIELD)
    if "labels" in members and data.task == "classification":
        with np.load(npz, allow_pickle=False) as z:
            labels = z["labels"]
        if labels.shape != (data.points.n,):
            raise InputError(f"{npz.name} has {labels.shape[0]} labelled points but "
                             f"experiment.toml makes {data.points.n}; keep the files of one "
                             "run together", field=FIELD)
    probe = probe_for(data, experiment.train.probe)
    with np.load(npz, allow_pickle=False) as z:
        found = {m: np.asarray(z[m]) for m in REGION_MEMBERS if m in z.files}
    return Training(experiment, data, params, curves, probe, regions=found)


def _check(curves: Curves, params: dict[str, np.ndarray], name: str) -> None:
    """Every curve (S,) and every parameter (S, ...) with the same S >= 1."""
    count = curves.epoch.shape[0] if curves.epoch.ndim == 1 else 0
    bad = [m for m in CURVES if getattr(curves, m).shape != (count,)]
    bad += [m for m, v in params.items() if v.ndim < 1 or v.shape[0] != count]
    if count < 1 or bad:
        raise InputError(f"{name}: {', '.join(bad[:4]) or 'epoch'} do not hold one value per "
                         f"snapshot ({count} snapshots); the file is damaged or not a "
                         "training.npz", field=FIELD)
