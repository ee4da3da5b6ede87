"""examples/tour.ipynb runs top to bottom in a kernel of this environment, and its figures
come out as notebook outputs that need no extension and no network: the offline page in
an ``<iframe srcdoc>``."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from spacewarp.render.browser import JS_DIR

TOUR = Path(__file__).resolve().parents[1] / "examples" / "tour.ipynb"


def _kernel_of_this_python(tmp: Path) -> KernelManager:
    """A kernel spec written for ``sys.executable``: the venv's python, whatever else exists."""
    kernels = tmp / "kernels"
    write_kernel_spec(path=str(kernels / "spacewarp-test"))
    ksm = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    return KernelManager(kernel_name="spacewarp-test", kernel_spec_manager=ksm)


def test_tour_runs_top_to_bottom(tmp_path: Path) -> None:
    nb = nbformat.read(TOUR, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = NotebookClient(nb, km=_kernel_of_this_python(tmp_path), timeout=600,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any error

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert outputs[-1].text.strip() == sys.executable
    figures = [o.data["text/html"] for o in outputs
               if o.output_type in ("display_data", "execute_result")
               and o.get("data", {}).get("text/html", "").startswith("<iframe srcdoc=")]
    assert len(figures) >= 9
    regl = (JS_DIR / "vendor" / "regl.min.js").read_text()  # names a URL in an error text
    for h in figures:
        page = html.unescape(h)
        assert "window.spacewarp = spacewarpRenderer.mount(" in page
        assert not re.search(r"https?:", page.replace(regl, ""))
    assert (tmp_path / "mesh_relu.html").stat().st_size > 0
