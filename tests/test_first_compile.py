"""The note before numba's first compilation of a module's loops on a machine."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from spacewarp.errors import SpacewarpNote
from spacewarp.measure.first_compile import note_first_compile


def test_a_module_without_a_cache_is_noted_and_one_with_a_cache_is_not(tmp_path: Path) -> None:
    module = tmp_path / "some_loops.py"
    module.write_text("")
    with pytest.warns(SpacewarpNote, match=r"compiling .*some_loops.* once"):
        note_first_compile(str(module))
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "some_loops.f-12.py311.nbi").write_bytes(b"")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        note_first_compile(str(module))


def test_the_shipped_loops_are_cached_after_one_use_so_later_runs_say_nothing() -> None:
    """After regions are cut once, every compiled module has its numba index where the
    note looks for it (the note's check and numba's cache agree on the place)."""
    import torch

    import spacewarp as sw
    from spacewarp.measure import arrangement_loops, sign_loops, tree_loops

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    assert len(sw.regions(net, (-1, 1, -1, 1)).polygons) > 1
    for module in (arrangement_loops, sign_loops, tree_loops):
        path = Path(module.__file__ or "")
        assert any((path.parent / "__pycache__").glob(f"{path.stem}.*.nbi")), path
