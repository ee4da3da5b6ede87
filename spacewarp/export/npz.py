"""``.npz`` files as ``numpy.savez`` lays them out: an uncompressed zip of ``.npy``
members, each the bytes ``numpy.save`` writes. Written here, not by ``zipfile``:

- every member has one fixed timestamp, so the same arrays always give the same bytes;
- an array's data goes to the file as views of ``WRITE_BYTES`` (numpy's ``write_array``
  copies it out in 16 MB ``tobytes`` chunks: 150 MB for 1e6 points);
- the CRC-32 is ISA-L's (``deflate.crc32``): 7 ms for 1e6 points' 150 MB, against 38 ms
  for zipfile's zlib.

The layout is PKWARE's APPNOTE (6.3.x), as zipfile writes it: per member a local header
and the member's bytes, then the central directory and its end record; the Zip64 fields
where a size, an offset or the count needs them (``ZIP64_FROM``).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from .deflate import crc32
from .files import atomic_file

# Bytes per write() of a big array. One write of 128 MB (1e6 points) cost this kernel
# (6.18, ext4) 0.2-0.3 s of CPU in most processes, against 0.03-0.04 s in 1 MiB pieces:
# a write that big fills the page cache with large folios, whose allocation compacts
# memory; the same bytes in pieces never do.
WRITE_BYTES = 1 << 20
DOS_DATE, DOS_TIME = (0 << 9) | (1 << 5) | 1, 0  # 1980-01-01 00:00:00, zip's first day
ZIP64_FROM = 0xFFFFFFFF  # a size or offset this large is written in a Zip64 field
MAX_MEMBERS = 0xFFFF  # more members than this: the count in the Zip64 end record too
VERSION, VERSION_ZIP64 = 20, 45  # the zip version a reader needs (4.5: Zip64)
UNIX = 3  # "made by" system: the external attributes are a Unix mode
MODE = 0o644 << 16  # each member's external attributes: a regular file, rw-r--r--
UTF8_NAME = 0x800  # general purpose flag: the name is UTF-8, not code page 437
LOCAL = struct.Struct("<4s2B4HL2L2H")  # local file header
CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # central directory file header
END = struct.Struct("<4s4H2LH")  # end of central directory record
END64 = struct.Struct("<4sQ2H2L4Q")  # Zip64 end of central directory record
LOCATOR64 = struct.Struct("<4sLQL")  # Zip64 end of central directory locator
CRC_AT = 14  # where a local header holds its member's CRC-32


@dataclass(frozen=True)
class Member:
    """A member written: what its central directory entry says."""

    name: bytes
    flags: int
    crc: int
    size: int
    offset: int  # of its local header


def write_npz(path: str | Path, members: Iterable[tuple[str, np.ndarray]],
              zip64_from: int = ZIP64_FROM) -> Path:
    """``path`` (atomic): each ``(name, array)`` (no objects) as an uncompressed
    ``name.npy`` member, as ``numpy.savez`` lays them out, with a fixed timestamp on
    every member: the same arrays always give the same bytes. A 0-d array stays 0-d,
    as ``savez`` keeps it (``np.ascontiguousarray`` would make it (1,)).
    ``zip64_from``: sizes and offsets from this on are written in Zip64 fields."""
    with atomic_file(path) as tmp, open(tmp, "wb") as out:
        written = [write_member(out, f"{name}.npy", array, zip64_from)
                   for name, array in members]
        write_directory(out, written, zip64_from)
    return Path(path)


def write_member(out: IO[bytes], name: str, given: np.ndarray, zip64_from: int) -> Member:
    """One ``.npy`` member at ``out``'s end: its local header, its bytes (``write_npy``),
    and then the header's CRC-32, of the bytes as they were written."""
    array = given if given.flags.c_contiguous else np.ascontiguousarray(given)
    header = npy_header(array)
    size = len(header) + array.nbytes
    encoded, flags = name_bytes(name)
    offset = out.tell()
    big = size >= zip64_from
    extra = struct.pack("<2H2Q", 1, 16, size, size) if big else b""
    stated = 0xFFFFFFFF if big else size
    out.write(LOCAL.pack(b"PK\x03\x04", VERSION_ZIP64 if big else VERSION, 0, flags, 0,
                         DOS_TIME, DOS_DATE, 0, stated, stated, len(encoded), len(extra)))
    out.write(encoded + extra)
    crc = write_npy(out, array, header)
    end = out.tell()
    out.seek(offset + CRC_AT)
    out.write(struct.pack("<L", crc))
    out.seek(end)
    return Member(encoded, flags, crc, size, offset)


def write_directory(out: IO[bytes], members: list[Member], zip64_from: int) -> None:
    """The central directory of ``members`` and its end record(s), at ``out``'s end."""
    start = out.tell()
    for m in members:
        big_size, big_offset = m.size >= zip64_from, m.offset >= zip64_from
        fields = ([m.size, m.size] if big_size else []) + ([m.offset] if big_offset else [])
        extra = struct.pack(f"<2H{len(fields)}Q", 1, 8 * len(fields), *fields) if fields \
            else b""
        version = VERSION_ZIP64 if fields else VERSION
        out.write(CENTRAL.pack(
            b"PK\x01\x02", version, UNIX, version, 0, m.flags, 0, DOS_TIME, DOS_DATE,
            m.crc, 0xFFFFFFFF if big_size else m.size, 0xFFFFFFFF if big_size else m.size,
            len(m.name), len(extra), 0, 0, 0, MODE,
            0xFFFFFFFF if big_offset else m.offset))
        out.write(m.name + extra)
    end = out.tell()
    count, size = len(members), end - start
    if count > MAX_MEMBERS or size >= zip64_from or start >= zip64_from:
        out.write(END64.pack(b"PK\x06\x06", END64.size - 12, VERSION_ZIP64, VERSION_ZIP64,
                             0, 0, count, count, size, start))
        out.write(LOCATOR64.pack(b"PK\x06\x07", 0, end, 1))
        count, size, start = min(count, MAX_MEMBERS), min(size, 0xFFFFFFFF), \
            min(start, 0xFFFFFFFF)
    out.write(END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))


def name_bytes(name: str) -> tuple[bytes, int]:
    """A member's name as a zip holds it, and its flags: ASCII as it is, else UTF-8
    with the flag that says so (as zipfile does)."""
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), UTF8_NAME


def npy_header(array: np.ndarray) -> bytes:
    """The ``.npy`` header ``numpy.save`` writes for ``array`` (format 1.0, or 2.0
    where the header is over 64 KiB). Arrays of objects are refused, as
    ``allow_pickle=False`` refuses them."""
    if array.dtype.hasobject:
        raise ValueError("an .npz member cannot hold Python objects (no pickle)")
    header = np.lib.format.header_data_from_array_1_0(array)
    out = io.BytesIO()
    try:
        np.lib.format.write_array_header_1_0(out, header)
    except ValueError:  # a header over 64 KiB (a huge shape)
        out = io.BytesIO()
        np.lib.format.write_array_header_2_0(out, header)
    return out.getvalue()


def data_pieces(array: np.ndarray) -> Iterable[memoryview]:
    """A C-contiguous ``array``'s bytes as views of at most ``WRITE_BYTES``, no copy."""
    data = array.data.cast("B") if array.size else memoryview(b"")  # (bytes,) view
    return (data[start:start + WRITE_BYTES] for start in range(0, len(data), WRITE_BYTES))


def write_npy(out: IO[bytes], array: np.ndarray, header: bytes | None = None) -> int:
    """``array`` (C-contiguous) as ``.npy`` bytes into ``out``, exactly as
    ``numpy.lib.format.write_array`` writes them (``header``: its ``npy_header``, where
    the caller has it); returns their CRC-32, each piece summed as it is written."""
    header = npy_header(array) if header is None else header
    crc = crc32(header)
    out.write(header)
    for piece in data_pieces(array):
        crc = crc32(piece, crc)
        out.write(piece)
    return crc
