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


def test_each_loop_is_compiled_for_one_signature_whatever_the_caller_passes() -> None:
    """Read-only arrays (a frozen weight, a transposed one-row W) and literal counters are
    other numba types: each was a compilation of its own on a first run (fill_roots 3
    times). Networks that take each path: a one-output last layer (W.T a read-only view),
    wider ones, a trace's frozen weights on a slice through a CNN with max-pooling."""
    from hooks import relu_net
    from test_slice_regions import small_cnn

    import spacewarp as sw
    from spacewarp.measure import arrangement_loops, max_loops, tree_loops

    for widths in ([2, 8, 8, 2], [2, 16, 16, 1], [2, 12, 12, 12, 3]):
        assert len(sw.regions(relu_net(widths), (-1, 1, -1, 1))) > 1
    trace = sw.run(model=small_cnn(), input="digits", slice="0,10,20", points=100,
                   device="cpu")
    assert len(sw.regions(trace)) > 1
    assert len(sw.regions(sw.run(layers="2,8,8,2", activation="relu", bias=True,
                                 init="random", device="cpu"))) > 1  # a trace's weights
    loops = {f"{m.__name__}.{name}": f for m in (arrangement_loops, tree_loops, max_loops)
             for name, f in vars(m).items() if hasattr(f, "signatures")}
    again = {name: [str(s) for s in f.signatures] for name, f in loops.items()
             if len(f.signatures) > 1 and not name.endswith("._grown")}  # (any array: by design)
    assert again == {}  # (a loop called only by loops lists none where they were cached)
    assert len(loops["spacewarp.measure.tree_loops.fill_roots"].signatures) == 1
