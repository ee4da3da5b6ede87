"""sw.train in a notebook kernel: a live loss figure that updates in place, no error."""

from __future__ import annotations

from pathlib import Path

import nbformat
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient


def _kernel_of_this_python(tmp: Path) -> KernelManager:
    """A kernel spec written for ``sys.executable`` (as test_notebook's)."""
    kernels = tmp / "kernels"
    write_kernel_spec(path=str(kernels / "spacewarp-test"))
    ksm = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    return KernelManager(kernel_name="spacewarp-test", kernel_spec_manager=ksm)


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
    assert shown and "image/png" in shown[-1]["data"]
    assert outputs[-1].text.strip() == "6"
