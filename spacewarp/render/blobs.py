"""Binary arrays in a JSON spec, and their int16 quantisation: the one home of both.

An array travels as a descriptor ``{"dtype", "shape", ...}`` with either ``"b64"`` (base64
of the little-endian bytes; the explorer's and notebook's messages) or ``"blob": i``, an
index into separately stored text blocks in the ``b7`` encoding (7 bits per character, for
pages: 8/7 of the bytes instead of base64's 4/3) or into raw byte buffers (the notebook
widget's binary messages). Quantised coordinates are int16 per
column within the column's range: ``x = lo + (q + 32767) * step`` with ``step = (hi - lo)
/ LEVELS``, so the error is at most half a step, ``0.5 / LEVELS`` (7.6e-6) of the range.
Decoded by ``js/spec.js``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

LEVELS = 65534  # int16 steps across a column's range
Encoding = Literal["b64", "b7", "raw"]


@dataclass
class Blobs:
    """Where binary arrays go: inline base64, ``b7`` text blocks stored aside, or raw bytes
    stored aside (``raw``: the notebook widget's binary buffers)."""

    encoding: Encoding = "b64"
    texts: list[str] = field(default_factory=list)
    buffers: list[bytes] = field(default_factory=list)  # the ``raw`` encoding's

    def put(self, a: np.ndarray, **extra: Any) -> dict[str, Any]:
        a = np.ascontiguousarray(a)
        dtype = {"float32": "f4", "int16": "i2", "int32": "i4", "uint8": "u1"}[a.dtype.name]
        out: dict[str, Any] = {"dtype": dtype, "shape": list(a.shape), **extra}
        data = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        if self.encoding == "b64":
            out["b64"] = base64.b64encode(data).decode("ascii")
        elif self.encoding == "raw":
            out["blob"] = len(self.buffers)
            self.buffers.append(data)
        else:
            out["blob"] = len(self.texts)
            self.texts.append(b7(data))
        return out


def b7(data: bytes) -> str:
    """Bytes as text, 7 bits per character, safe inside an HTML ``<script>`` block.

    Big-endian bit stream cut in 7-bit groups (the last padded with zeros, to whole blocks
    of 7 bytes = 8 groups); the groups 0 (NUL), 13 (CR) and 60 (``<``), which the HTML
    parser would change or end the block on, are sent as U+0080 + group. Every character
    is below U+0100, so browsers hold the text as one byte per character (Latin-1), not
    two. Decoded by ``unb7`` in ``js/spec.js``.
    """
    a = np.frombuffer(data, dtype=np.uint8)
    a = np.concatenate([a, np.zeros(-len(a) % 7, dtype=np.uint8)]).reshape(-1, 7)  # (m, 7)
    groups = np.empty((len(a), 8), dtype=np.uint8)  # (m, 8): 56 bits as 8 groups of 7
    groups[:, 0] = a[:, 0] >> 1
    for j in range(1, 7):  # group j: the low j bits of byte j-1, the high 7-j of byte j
        groups[:, j] = ((a[:, j - 1] << (7 - j)) | (a[:, j] >> (j + 1))) & 0x7F
    groups[:, 7] = a[:, 6] & 0x7F
    return _latin1_escaped(groups.ravel())


def _latin1_escaped(groups: np.ndarray) -> str:
    """(8 m,) 7-bit groups -> text; 0, 13 and 60 as U+0080 + group (UTF-8: C2, 80 + g)."""
    bad = np.flatnonzero((groups == 0) | (groups == 13) | (groups == 60))  # (b,)
    counts = np.ones(len(groups), dtype=np.intp)
    counts[bad] = 2
    out = np.repeat(groups, counts)  # each escaped group twice: its two UTF-8 bytes
    first = bad + np.arange(len(bad))  # where each escaped group's pair starts in out
    out[first] = 0xC2
    out[first + 1] = 0x80 | groups[bad]
    return out.tobytes().decode("utf-8")


def put_int16(x: np.ndarray, store: Blobs,
              extent: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """(n, D) float -> int16 descriptor with per-column ``lo`` and ``step``; ``extent``:
    the columns' (lo, hi) when the caller has them already."""
    lo, hi = extent if extent is not None else (x.min(axis=0), x.max(axis=0))  # (D,)
    step = np.where(hi > lo, (hi - lo) / LEVELS, 1.0)
    q = np.subtract(x, lo, dtype=np.float64)  # (n, D), one temporary, then in place
    q /= step
    np.rint(q, out=q)
    q -= 32767  # in [-32767, 32767]
    return store.put(q.astype(np.int16), lo=lo.tolist(), step=step.tolist())


def put_coords(a: np.ndarray, quantised: bool, store: Blobs,
               extent: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """(n, d) float64 key coordinates -> a descriptor: float32, or int16 (``put_int16``)."""
    return put_int16(a, store, extent) if quantised else store.put(a.astype(np.float32))
