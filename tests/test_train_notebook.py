"""sw.train in a notebook kernel: a live loss figure that updates in place, no error."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from test_notebook import _kernel_of_this_python  # a kernel spec for this very python


def test_training_in_a_kernel_shows_a_live_figure(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import spacewarp as sw\n"
        "run = sw.train(input='xor', points=80, layers='2,3,2', epochs=30, snapshots=6, "
        "device='cpu')\n"
        "print(len(run.snapshots))")]
    client = NotebookClient(nb, km=_kernel_of_this_python(tmp_path), timeout=300,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    shown = [o for o in outputs if o.output_type in ("display_data", "update_display_data")]
    # the figure, beside tqdm's progress bar (an ipywidget where ipywidgets is installed)
    assert [o for o in shown if "image/png" in o["data"]]
    assert outputs[-1].text.strip() == "6"
