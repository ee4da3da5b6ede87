"""Region outlines for the browser film: each exact linear region carried through the stages.

A region's image at stage k is its polygon mapped by the region's own affine map
(``measure.regions``). Those vertex images are appended to every stage's points as extra
rows, so they go through exactly the same view step as the points (sub-steps, wide
stages' projections, the boxes) and morph with them; projections are fitted on the points
alone (``motion(fit_rows=n)``), so drawing regions never moves the view. Arrays only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import LimitError, SpacewarpError
from ..measure import Regions, regions
from ..tracing.trace import Trace

MAX_OUTLINE_REGIONS = 20_000  # more regions than this are not drawn in a browser film
# The enumerator gives up past this many regions, by its estimate before each layer's cuts
# and by count while cutting, so a film (and the explorer, whose views are films) never
# computes for minutes what it would refuse to draw: at the >= 50,000 regions/s measured in
# docs/REGIONS.md, about a second. Twice the drawn cap, as the estimate is not exact.
MAX_OUTLINE_WORK = 2 * MAX_OUTLINE_REGIONS


def too_many_words(regions: int, epoch: int, limit: int = MAX_OUTLINE_REGIONS) -> str:
    """What a view of training says of a snapshot with more regions than it outlines:
    "25,310 linear regions at epoch 6: outlines are drawn up to 20,000 regions"."""
    return (f"{regions:,} linear regions at epoch {epoch}: outlines are drawn up to "
            f"{limit:,} regions")


@dataclass(frozen=True)
class Outlines:
    """The regions of a film: vertex rows per film key, and per-region counts."""

    regions: Regions
    count: np.ndarray  # (R,) vertices of each region; region r owns rows start[r]:start[r+1]
    keys: tuple[np.ndarray, ...] = ()  # per film key: (V, d_i) display coordinates

    @property
    def start(self) -> np.ndarray:
        """(R + 1,) the first vertex row of each region, then the total V."""
        return np.concatenate([[0], np.cumsum(self.count)])


def outlines_of(trace: Trace) -> Outlines:
    """The exact regions of ``trace``'s network on the box of its input points.

    A smooth network (tanh) or one that is not a chain of piecewise-linear steps is
    refused in one line (``field="style.regions"``), and so is a network with more regions
    than a film draws, before they are all enumerated (``MAX_OUTLINE_WORK``)."""
    try:
        found = regions(trace, max_regions=MAX_OUTLINE_WORK)
    except LimitError:
        raise _too_many(f"more than {MAX_OUTLINE_WORK:,}, counted or estimated before a "
                        "layer's cuts") from None
    except SpacewarpError as e:
        e.field = "style.regions"
        raise
    if len(found) > MAX_OUTLINE_REGIONS:
        raise _too_many(f"{len(found):,}")
    return Outlines(found, found.count.astype(np.int64))


def _too_many(how_many: str) -> LimitError:
    return LimitError(f"the network has {how_many} linear regions on the input's box, "
                      f"more than the {MAX_OUTLINE_REGIONS:,} a film draws; use fewer or "
                      "narrower layers, or spacewarp regions for a still",
                      field="style.regions")


def vertex_images(o: Outlines) -> list[np.ndarray]:
    """Per stage k: (V, d_k) every region's vertices mapped by its own map to stage k."""
    valid = np.arange(o.regions.verts.shape[1])[None, :] < o.count[:, None]  # (R, M)
    return [o.regions.image(k)[valid] for k in range(len(o.regions.stage_maps))]


def with_outlines(trace: Trace, o: Outlines) -> Trace:
    """``trace`` with every stage's points followed by the vertex images (n + V rows)."""
    images = vertex_images(o)
    if len(images) != len(trace.stages):
        raise SpacewarpError(f"the regions have {len(images)} stages and the trace "
                             f"{len(trace.stages)}", field="style.regions")
    stages = tuple(replace(s, points=np.concatenate([s.points, v.astype(s.points.dtype)]))
                   for s, v in zip(trace.stages, images, strict=True))
    return replace(trace, stages=stages)
