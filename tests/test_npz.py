"""``export.npz``: .npz files that numpy and the standard library's zipfile read back
exactly (zipfile checks every member's CRC-32), laid out as numpy.savez lays them out."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from spacewarp.export import deflate, npz

ARRAYS = {"stage_00": np.arange(12.0).reshape(4, 3), "names": np.array(["Input", "Tanh"]),
          "empty": np.zeros((0, 3)), "scalar": np.array(2.5),
          "ints": np.array([[0, -1], [1, -1]], dtype=np.int64),
          "f32": np.ones((3, 2), dtype=np.float32),
          "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
          "big": np.random.default_rng(0).normal(size=(3 * npz.WRITE_BYTES // 8 + 5,)),
          "0.weight": np.eye(2), "schicht_ä.bias": np.array([1.0, -2.0])}


@pytest.mark.parametrize("array", list(ARRAYS.values())[:6], ids=list(ARRAYS)[:6])
def test_npy_members_are_numpys_own_bytes(array: np.ndarray) -> None:
    """Each member is what numpy.save writes for the array, byte for byte."""
    want = io.BytesIO()
    np.lib.format.write_array(want, array, allow_pickle=False)
    got = io.BytesIO()
    crc = npz.write_npy(got, array)
    assert got.getvalue() == want.getvalue()
    assert crc == zlib.crc32(got.getvalue())
    assert np.array_equal(np.load(io.BytesIO(got.getvalue())), array)


@pytest.mark.parametrize("zip64_from", [npz.ZIP64_FROM, 0, 3000], ids=["plain", "all-zip64",
                                                                       "zip64-from-3000"])
def test_zipfile_and_numpy_read_every_member_back(tmp_path: Path, zip64_from: int) -> None:
    """zipfile verifies each CRC-32 (testzip) and the layout; numpy.load gives back the
    arrays; with Zip64 fields forced (every size, or offsets past 3000 bytes), too."""
    path = npz.write_npz(tmp_path / "a.npz", ARRAYS.items(), zip64_from=zip64_from)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert z.namelist() == [f"{name}.npy" for name in ARRAYS]
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o644
            assert zlib.crc32(z.read(info)) == info.CRC
    with np.load(path, allow_pickle=False) as got:
        assert list(got.keys()) == list(ARRAYS)
        for name, array in ARRAYS.items():
            assert got[name].shape == array.shape and got[name].dtype == array.dtype
            np.testing.assert_array_equal(got[name], array)


def test_members_are_savezs_members(tmp_path: Path) -> None:
    """The same member bytes as numpy.savez's own file (which differs only in its
    timestamps and modes), but a Fortran-ordered array's, written in C order here."""
    arrays = {name: a for name, a in ARRAYS.items() if name != "fortran"}
    ours = npz.write_npz(tmp_path / "ours.npz", arrays.items())
    np.savez(tmp_path / "numpys.npz", **arrays)
    with zipfile.ZipFile(ours) as a, zipfile.ZipFile(tmp_path / "numpys.npz") as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name


def test_same_arrays_same_bytes(tmp_path: Path) -> None:
    npz.write_npz(tmp_path / "a.npz", ARRAYS.items())
    npz.write_npz(tmp_path / "b.npz", ARRAYS.items())
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_objects_are_refused_and_nothing_is_left(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="objects"):
        npz.write_npz(tmp_path / "o.npz", [("ok", np.eye(2)),
                                          ("bad", np.array([{}], dtype=object))])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("size", [0, 1, 7, 100_003])
def test_checksums_are_zlibs(size: int) -> None:
    """The checksums (ISA-L's where installed) equal zlib's, whole and continued."""
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    half = size // 2
    assert deflate.crc32(data) == zlib.crc32(data)
    assert deflate.crc32(data[half:], deflate.crc32(data[:half])) == zlib.crc32(data)
    assert deflate.adler32(data) == zlib.adler32(data)
    assert deflate.adler32(data[half:], deflate.adler32(data[:half])) == zlib.adler32(data)


def test_raw_deflate_segments_inflate_with_zlib() -> None:
    """Segments ended by a sync flush, then a last one finished, are one raw deflate
    stream to zlib (PNG bands are joined so)."""
    rng = np.random.default_rng(1)
    parts = [np.repeat(rng.integers(0, 256, 5000, dtype=np.uint8), 7).tobytes()
             for _ in range(3)]
    stream = b""
    for k, part in enumerate(parts):
        squeezer = deflate.raw_deflater()
        stream += squeezer.compress(part) + squeezer.flush(
            deflate.FINISH if k == len(parts) - 1 else deflate.SYNC_FLUSH)
    inflater = zlib.decompressobj(-15)
    assert inflater.decompress(stream) == b"".join(parts)
    assert inflater.eof



def test_zlibs_fallback_writes_the_same_files(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ISA-L is missing, zlib does the work: the same .npz bytes (the CRC-32 is one
    function), and PNGs of the same pixels."""
    from PIL import Image

    from spacewarp.export.png import png_bytes

    picture = np.random.default_rng(3).integers(0, 256, (37, 53, 4), dtype=np.uint8)
    picture[..., 3] = 255
    picture[10:20] = (12, 34, 56, 255)  # flat colour, as figures have
    fast = npz.write_npz(tmp_path / "fast.npz", ARRAYS.items()).read_bytes()
    fast_png = png_bytes(picture)
    monkeypatch.setattr(deflate, "engine", zlib)
    assert npz.write_npz(tmp_path / "slow.npz", ARRAYS.items()).read_bytes() == fast
    for data in (fast_png, png_bytes(picture)):
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))),
                                      picture[..., :3])
