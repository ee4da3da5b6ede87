"""``export.png``: our PNG files read back by Pillow and zlib (independent decoders) as
the arrays they were made from, whole or in bands, opaque or not."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from spacewarp.export.png import adler_joined, deflated_rows, png_bytes, png_of_bands


def decoded(data: bytes) -> tuple[str, np.ndarray]:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.mode, np.asarray(image)


def idat_stream(data: bytes) -> bytes:
    """The zlib stream of a PNG's IDAT chunks, by walking its chunks."""
    at, stream = 8, b""
    while at < len(data):
        (size,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        if kind == b"IDAT":
            stream += data[at + 8:at + 8 + size]
        at += 12 + size
    return stream


@pytest.fixture
def picture() -> np.ndarray:
    rng = np.random.default_rng(3)
    rgba = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)
    rgba[5:20, 10:30] = (10, 20, 30, 255)  # flat colour, as figures have
    return rgba


def test_opaque_pictures_are_rgb_and_exact(picture: np.ndarray) -> None:
    picture[..., 3] = 255
    mode, pixels = decoded(png_bytes(picture))
    assert mode == "RGB"
    np.testing.assert_array_equal(pixels, picture[..., :3])


def test_translucent_pictures_keep_their_alpha(picture: np.ndarray) -> None:
    mode, pixels = decoded(png_bytes(picture))
    assert mode == "RGBA"
    np.testing.assert_array_equal(pixels, picture)


@pytest.mark.parametrize("cuts", [[1], [12, 13], [5, 6, 36]])
def test_bands_join_into_the_whole_picture(picture: np.ndarray, cuts: list[int]) -> None:
    """Bands deflated apart (as threads do) read back as one picture, and their joined
    Adler-32 is the one zlib computes over the whole stream (zlib checks it)."""
    bands = np.split(picture, cuts)
    data = png_of_bands([deflated_rows(band, last=i == len(bands) - 1)
                         for i, band in enumerate(bands)])
    mode, pixels = decoded(data)
    np.testing.assert_array_equal(pixels, picture)
    rows = zlib.decompress(idat_stream(data))  # raises on a wrong checksum
    assert len(rows) == picture.shape[0] * (1 + picture.shape[1] * 4)


def test_adler_joined_matches_zlib() -> None:
    rng = np.random.default_rng(4)
    for size in (0, 1, 5, 70_000):
        a, b = (rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (size, 3 * size))
        assert adler_joined(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


def test_the_same_array_gives_the_same_bytes(picture: np.ndarray) -> None:
    assert png_bytes(picture) == png_bytes(picture.copy())


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 4)),
                                 np.zeros((0, 4, 4), np.uint8)])
def test_what_is_no_rgba_picture_is_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="expected an"):
        png_bytes(bad)
