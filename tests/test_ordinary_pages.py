"""Exact regions ask NumPy for no huge pages while they enumerate, and restore its setting."""

from __future__ import annotations

import threading

import pytest
from torch import nn

import spacewarp as sw
from spacewarp.measure import chain_walk, linear_regions
from spacewarp.measure.ordinary_pages import SWITCH, ordinary_pages

pytestmark = pytest.mark.skipif(SWITCH is None, reason="this NumPy asks for no huge pages")


def numpy_asks_for_huge_pages() -> bool:
    assert SWITCH is not None
    was_on = bool(SWITCH(False))
    SWITCH(was_on)
    return was_on


@pytest.mark.parametrize("before", [True, False])
def test_regions_enumerate_on_ordinary_pages_and_restore_numpys_setting(
        before: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SWITCH is not None
    during: list[bool] = []
    walk = chain_walk.walk_chain

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        during.append(numpy_asks_for_huge_pages())
        return walk(*args, **kwargs)

    monkeypatch.setattr(linear_regions, "walk_chain", watched)
    was = SWITCH(before)
    try:
        net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1)).double()
        assert len(sw.regions(net, (-1.0, 1.0, -1.0, 1.0))) > 1
        assert during == [False]
        assert numpy_asks_for_huge_pages() == before
    finally:
        SWITCH(was)


def test_overlapping_blocks_restore_the_setting_after_the_last() -> None:
    assert SWITCH is not None
    was = SWITCH(True)
    try:
        inside, leave = threading.Event(), threading.Event()

        def other() -> None:
            with ordinary_pages():
                inside.set()
                leave.wait(10)

        thread = threading.Thread(target=other)
        with ordinary_pages():
            thread.start()
            assert inside.wait(10)
        assert not numpy_asks_for_huge_pages()  # the other block is still open
        leave.set()
        thread.join(10)
        assert numpy_asks_for_huge_pages()
    finally:
        SWITCH(was)
