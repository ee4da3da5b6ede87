"""``stages.png`` is the stage files side by side, over the colour key: read back from
the files, tile by tile; a note is said once, under the pictures; ``render.sheet``'s
rows against plain NumPy."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spacewarp.config.experiment import validated
from spacewarp.export.stills import write_pictures
from spacewarp.pipeline import run
from spacewarp.render.sheet import below_blank, flattened, sheet_row, strips
from spacewarp.tracing.trace import Trace

NOTE = "stages are module outputs; operations between them are not shown"


@pytest.fixture(scope="module")
def plain() -> Trace:
    return run(validated({"input": {"points": 300}, "device": "cpu"}))


def pictures(trace: Trace, folder: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sheet and the stage files that ``write_pictures`` wrote, as arrays."""
    names = write_pictures(trace, folder)
    read = [np.asarray(Image.open(folder / name).convert("RGB")) for name in names]
    return read[0], read[1:]


@pytest.fixture(scope="module")
def drawn(plain: Trace, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[np.ndarray, list[np.ndarray]]:
    return pictures(plain, tmp_path_factory.mktemp("plain"))


def test_the_sheet_is_the_stage_files_in_rows(drawn: tuple[np.ndarray, list[np.ndarray]]
                                              ) -> None:
    sheet, stages = drawn
    assert len({s.shape for s in stages}) == 1  # one size: flipped through, they line up
    h, w, _ = stages[0].shape
    assert sheet.shape[1] == 3 * w  # six stages: two rows of three
    for k, stage in enumerate(stages):
        r, c = divmod(k, 3)
        np.testing.assert_array_equal(sheet[r * h:(r + 1) * h, c * w:(c + 1) * w], stage)
    key = sheet[2 * h:]
    assert 0 < key.shape[0] < h / 4
    assert (key != key[0, 0]).any(axis=2).sum() > 1000  # the colour bar and its words


def test_a_note_is_said_once_under_the_pictures(
        plain: Trace, drawn: tuple[np.ndarray, list[np.ndarray]], tmp_path: Path) -> None:
    """Each stage file says the note at its bottom left; on the sheet the tiles are the
    files without it (exactly: nothing else is drawn there), and the key says it."""
    sheet, stages = drawn
    noted_sheet, noted = pictures(replace(plain, note=NOTE), tmp_path)
    h, w, _ = stages[0].shape
    for k, (with_note, without) in enumerate(zip(noted, stages, strict=True)):
        rows, cols = np.nonzero((with_note != without).any(axis=2))
        assert rows.size and rows.min() > h - 30 and cols.max() < w  # its bottom left
        r, c = divmod(k, 3)
        np.testing.assert_array_equal(noted_sheet[r * h:(r + 1) * h, c * w:(c + 1) * w],
                                      without)
    key_rows = np.nonzero((noted_sheet[2 * h:] != sheet[2 * h:]).any(axis=(1, 2)))[0]
    assert key_rows.size  # the note, in the key


def test_sheet_rows_sit_tiles_on_their_bottom_edge_over_the_background() -> None:
    rng = np.random.default_rng(5)
    tall = rng.integers(0, 256, (6, 4, 4), dtype=np.uint8)
    tall[..., 3] = 255
    short = rng.integers(0, 256, (4, 4, 4), dtype=np.uint8)  # translucent
    back = np.array([10, 20, 30], np.uint8)
    row = sheet_row([tall, short], 3, back)
    assert row.shape == (6, 12, 3)
    np.testing.assert_array_equal(row[:, :4], tall[..., :3])
    np.testing.assert_array_equal(row[:2, 4:], np.broadcast_to(back, (2, 8, 3)))
    a = short[..., 3:] / 255.0  # straight alpha over the background, by hand
    over = np.rint(short[..., :3] * a + back * (1 - a)).astype(np.uint8)
    np.testing.assert_array_equal(row[2:, 4:8], over)
    np.testing.assert_array_equal(row[:, 8:], np.broadcast_to(back, (6, 4, 3)))
    np.testing.assert_array_equal(flattened(tall, back), tall[..., :3])


@pytest.mark.parametrize("count", [1, 2, 3, 5, 6, 7, 40])
def test_a_rows_strips_are_its_rows_top_to_bottom(count: int) -> None:
    """A row made in strips (each encoded on its own thread) is the whole row, cut: a
    tall opaque tile, a short translucent one under the row's top, and background."""
    rng = np.random.default_rng(8)
    tall = rng.integers(0, 256, (6, 4, 4), dtype=np.uint8)
    tall[..., 3] = 255
    short = rng.integers(0, 256, (4, 4, 4), dtype=np.uint8)
    back = np.array([10, 20, 30], np.uint8)
    whole = sheet_row([tall, short], 3, back)
    parts = strips(6, count)
    assert len(parts) == min(count, 6) and all(p.stop > p.start for p in parts)
    assert [p.start for p in parts[1:]] == [p.stop for p in parts[:-1]]
    assert (parts[0].start, parts[-1].stop) == (0, 6)
    np.testing.assert_array_equal(
        np.concatenate([sheet_row([tall, short], 3, back, p) for p in parts]), whole)
    for rows in (slice(1, 3), slice(3, 4), slice(0, 6), slice(5, 9)):  # any rows, too
        np.testing.assert_array_equal(sheet_row([tall, short], 3, back, rows), whole[rows])


def test_below_blank_keeps_a_margin_above_what_is_drawn() -> None:
    back = np.array([0, 0, 0, 255], np.uint8)
    key = np.broadcast_to(back, (50, 8, 4)).copy()
    key[30, 2] = (255, 255, 255, 255)
    assert below_blank(key, back, 5).shape == (25, 8, 4)
    assert below_blank(key, back, 40).shape == (50, 8, 4)
    assert below_blank(np.broadcast_to(back, (50, 8, 4)), back, 5).shape == (5, 8, 4)
    for channel in range(4):  # a mark in one byte of one pixel is a mark
        faint = key.copy()
        faint[20, 7, channel] ^= 1
        assert below_blank(faint, back, 5).shape == (35, 8, 4)


def test_sheet_rows_refuse_tiles_that_make_no_row() -> None:
    with pytest.raises(ValueError, match="no row"):
        sheet_row([np.zeros((2, 3, 4), np.uint8), np.zeros((2, 4, 4), np.uint8)], 2,
                  np.zeros(3, np.uint8))
