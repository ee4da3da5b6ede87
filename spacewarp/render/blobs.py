"""Binary arrays in a JSON spec, and their int16 quantisation: the one home of both.

An array travels as a descriptor ``{"dtype", "shape", ...}`` with either ``"b64"`` (base64
of the little-endian bytes; the explorer's messages) or ``"blob": i``, an index into
separately stored base64 text blocks (``text``: pages, which the browser decodes natively,
``Uint8Array.fromBase64``, block by block as its parser reaches them) or into raw byte
buffers (the notebook widget's binary messages). Quantised coordinates are int16 per
column within the column's range: ``x = lo + (q + 32767) * step`` with ``step = (hi - lo)
/ LEVELS``, so the error is at most half a step, ``0.5 / LEVELS`` (7.6e-6) of the range.
Decoded by ``js/spec.js``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..inputs.arrays import column_range

LEVELS = 65534  # int16 steps across a column's range
Encoding = Literal["b64", "text", "raw"]


@dataclass
class Blobs:
    """Where binary arrays go: inline base64, base64 text blocks stored aside (``text``), or
    raw bytes stored aside (``raw``: the notebook widget's binary buffers)."""

    encoding: Encoding = "b64"
    named: bool = False  # inline arrays carry an ``id`` (a digest of their bytes): ``drop_known``
    texts: list[str] = field(default_factory=list)
    buffers: list[bytes] = field(default_factory=list)  # the ``raw`` encoding's

    def put(self, a: np.ndarray, **extra: Any) -> dict[str, Any]:
        a = np.ascontiguousarray(a)
        dtype = {"float32": "f4", "int16": "i2", "int32": "i4", "uint8": "u1"}[a.dtype.name]
        out: dict[str, Any] = {"dtype": dtype, "shape": list(a.shape), **extra}
        data = a.astype(a.dtype.newbyteorder("<"), copy=False).data  # no copy when LE already
        if self.encoding == "raw":
            out["blob"] = len(self.buffers)
            self.buffers.append(bytes(data))
            return out
        text = base64.b64encode(data).decode("ascii")  # one pass, C speed (~1 GB/s)
        if self.encoding == "b64":
            out["b64"] = text
            if self.named:
                out["id"] = hashlib.sha1(data, usedforsecurity=False).hexdigest()[:24]
        else:
            out["blob"] = len(self.texts)
            self.texts.append(text)
        return out


def drop_known(spec: Any, known: set[str], binary: bool = False) -> tuple[Any, set[str]]:
    """A copy of ``spec`` in which every inline array whose ``id`` is in ``known`` travels
    as ``{"dtype", "shape", "id", "same": true, ...}`` without its base64 (the explorer's
    page keeps the arrays of the last spec it drew by id: ``js/decode.js``), and the ids of
    every array in it. A colour change of a 100-wide network so sends ~30 kB, not 4 MB.
    ``binary``: the new arrays travel as ``"bin"``, their bytes, in place of ``"b64"``
    (Bokeh sends bytes anywhere in a message as binary buffers beside its JSON, not as text
    inside it: the explorer's 4 MB of a new 100-wide film left ~5 MB of JSON to parse)."""
    ids: set[str] = set()

    def sent(v: dict[str, Any]) -> dict[str, Any]:
        rest = {k: x for k, x in v.items() if k != "b64"}
        if v["id"] in known:
            return {**rest, "same": True}
        return {**rest, "bin": base64.b64decode(v["b64"])} if binary else v

    def walk(v: Any) -> Any:
        if isinstance(v, list):
            return [walk(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "b64" in v and "id" in v:
            ids.add(v["id"])
            return sent(v)
        return {k: walk(x) for k, x in v.items()}

    return walk(spec), ids


def put_int16(x: np.ndarray, store: Blobs,
              extent: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """(n, D) float -> int16 descriptor with per-column ``lo`` and ``step``; ``extent``:
    the columns' (lo, hi) when the caller has them already."""
    lo, hi = extent if extent is not None else column_range(x)  # (D,)
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
