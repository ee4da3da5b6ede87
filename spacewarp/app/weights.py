"""Every linear layer's matrix as an editable grid, a randomise button, its singular values.

Cells hold text; a typed number goes through ``edits.set_weight`` (parsed, never
evaluated). Grids are updated in place while the network keeps its shape, and rebuilt
only when the widths or the bias change.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import panel as pn
from panel.widgets.tables import BaseTable

from ..measure import singular_values
from ..tracing.trace import Trace
from .text import Text

EditHandler = Callable[[str, int, "int | None", str], None]  # (param, row, col, text)
BIAS_COLUMN = "b"
TEXT = "#e8e8e8"  # titles on the weights card's own dark background, whatever the theme
ROWS_SHOWN = 6  # a taller grid scrolls inside itself, so every layer's grid is in view
ROW_PX, HEAD_PX = 27, 34  # Tabulator's row and header heights here
GRID_WIDTH = 405  # px: a grid wider than the card scrolls sideways inside itself


def cell_text(value: float) -> str:
    return f"{value:.6g}"


def table(weight: np.ndarray, bias: np.ndarray | None) -> pd.DataFrame:
    """A layer as text cells: columns ``x1..x{d_in}`` (and ``b``), one row per output."""
    cells = {f"x{j + 1}": [cell_text(v) for v in weight[:, j]] for j in range(weight.shape[1])}
    if bias is not None:
        cells[BIAS_COLUMN] = [cell_text(v) for v in bias]
    index = pd.Index([f"y{i + 1}" for i in range(weight.shape[0])], name="out")
    return pd.DataFrame(cells, index=index)


class Grid(pn.widgets.Tabulator):
    """Panel's Tabulator, updated for new numbers without the work this editor never uses.

    On each new ``value`` Panel builds a pandas Styler and sends its (empty) cell styles,
    and recomputes the column configuration though the columns are the same: about a
    third of a grid's update, for every grid of every session on each change.
    """

    def _validate(self, *events: Any) -> None:
        BaseTable._validate(self, *events)  # (Tabulator's own adds the Styler)

    def _update_style(self, recompute: bool = True) -> None:
        return  # no cell is styled

    def _update_columns(self, event: Any, model: Any) -> None:
        if event.name == "value" and [c.field for c in model.columns] == self._get_fields():
            return  # the same columns: new numbers only
        super()._update_columns(event, model)


Matrices = tuple[Any, np.ndarray, np.ndarray | None]  # a linear stage, its W (out, in), b


def layer_matrices(trace: Trace) -> list[Matrices]:
    """Each linear stage with the matrix its grid edits: the layer's own parameters. On a
    slice, the first layer's stage carries its map from the slice's coordinates
    (``W axes^T``, ``W origin + b``), but a typed number goes into the layer's own ``W``
    and ``b`` (``edits.set_weight``), so the grid shows those."""
    out: list[Matrices] = []
    for stage in trace.stages:
        if stage.kind != "linear" or stage.weight is None:
            continue
        weight, bias = stage.weight, stage.bias
        own = trace.params.get(f"{stage.module}.weight")
        if trace.frame is not None and stage.inputs == (0,) and own is not None:
            weight, bias = own, trace.params.get(f"{stage.module}.bias")
        out.append((stage, weight, bias))
    return out


def _sv_text(weight: np.ndarray) -> str:
    values = ", ".join(f"{s:.3g}" for s in singular_values(weight))
    return f'<span class="sw-sv">singular values: {html.escape(values)}</span>'


def _grid_size(shape: tuple[int, ...]) -> dict[str, int]:
    """A big layer's grid (Linear 2->100: 100 rows) kept to a few rows and the card's
    width, scrolling inside itself; a small one as tall and wide as it is."""
    rows, cols = shape
    size = {"height": HEAD_PX + ROW_PX * ROWS_SHOWN} if rows > ROWS_SHOWN else {}
    return {**size, "width": GRID_WIDTH} if cols > 3 else size


class WeightsEditor:
    """One grid per linear layer; ``show(trace)`` fills them from the trace's weights."""

    def __init__(self, on_edit: EditHandler, on_randomise: Callable[[str], None]) -> None:
        self._on_edit = on_edit
        self._on_randomise = on_randomise
        self._shape: tuple[Any, ...] = ()
        self._tables: dict[str, Grid] = {}
        self._svs: dict[str, pn.pane.HTML] = {}
        self._shown: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self.box = pn.Column(sizing_mode="stretch_width", margin=0, css_classes=["sw-weights"])

    def show(self, trace: Trace) -> None:
        linear = layer_matrices(trace)
        shape = tuple((s.module, w.shape, b is not None) for s, w, b in linear)
        if shape != self._shape:
            self._rebuild(linear)
            self._shape = shape
            return
        for stage, weight, bias in linear:
            if self._same(stage.module, weight, bias):
                continue  # unchanged (a new seed, input or colour): nothing to send
            self._tables[stage.module].value = table(weight, bias)
            self._svs[stage.module].object = _sv_text(weight)
            self._shown[stage.module] = (weight, bias)

    def _same(self, module: str, weight: np.ndarray, bias: np.ndarray | None) -> bool:
        old = self._shown.get(module)
        return old is not None and np.array_equal(old[0], weight) and (
            (old[1] is None and bias is None)
            or (old[1] is not None and bias is not None and np.array_equal(old[1], bias)))

    def _rebuild(self, linear: list[Matrices]) -> None:
        self._tables, self._svs, rows = {}, {}, []
        self._shown = {s.module: (w, b) for s, w, b in linear}
        for stage, weight, bias in linear:
            name = stage.module
            grid = Grid(
                table(weight, bias), show_index=True, sortable=False,
                selectable=False, layout="fit_data_table", margin=(0, 10),
                css_classes=["sw-grid", f"sw-grid-{name}"],
                configuration={"columnDefaults": {"headerSort": False}},
                editors={c: {"type": "input"} for c in table(weight, bias)},
                **_grid_size(weight.shape),
            )
            grid.on_edit(partial(self._edited, name))
            button = pn.widgets.Button(label="Randomise", width=95, height=28,
                                       margin=(0, 10), css_classes=[f"sw-randomise-{name}"])
            button.on_click(partial(self._randomise_clicked, f"{name}.weight"))
            sv = Text(_sv_text(weight), margin=(0, 10),
                              styles={"font-size": "12px", "opacity": "0.8", "color": TEXT})
            title = pn.pane.HTML(f"<b>{html.escape(stage.title)}</b> "
                                 f"<code>{html.escape(name)}.weight</code>",
                                 margin=(8, 10, 2, 10),
                                 styles={"font-size": "13px", "color": TEXT})
            self._tables[name], self._svs[name] = grid, sv
            rows.append(pn.Column(pn.Row(title, button, margin=0), grid, sv, margin=(0, 0, 6, 0)))
        self.box.objects = rows

    def _randomise_clicked(self, param: str, _event: Any) -> None:
        self._on_randomise(param)

    def _edited(self, module: str, event: Any) -> None:
        column, row = str(event.column), int(event.row)
        if column == BIAS_COLUMN:
            self._on_edit(f"{module}.bias", row, None, str(event.value))
        else:
            self._on_edit(f"{module}.weight", row, int(column.removeprefix("x")) - 1,
                          str(event.value))

    def restore(self, trace: Trace) -> None:
        """Show the trace's weights again (after a refused edit left bad text in a cell)."""
        self._shown = {}
        self.show(trace)
