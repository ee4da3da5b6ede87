"""The explorer's whole state is one ``Experiment``; this module puts it in a URL and back.

A state link is ``?s=<base64url(zlib(JSON))>``: the experiment's non-default fields as
compact JSON, compressed, in URL-safe base64 without padding. Opening the link decodes
and validates it like any other config; nothing in it is ever evaluated, and it cannot
name a file on the server (uploaded data does not travel in links).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from ..config import Experiment, validated
from ..errors import SpacewarpError
from .limits import ControlError

QUERY_KEY = "s"  # the query parameter that carries the state
MAX_LINK_CHARS = 60_000  # longer links do not survive browsers and servers
MAX_JSON_BYTES = 2_000_000  # decompressed size accepted from a link


def encode(experiment: Experiment) -> str:
    """The experiment as a compact URL-safe string (decode gives it back exactly)."""
    data = experiment.model_dump(mode="json", exclude_defaults=True)
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True, allow_nan=False)
    packed = zlib.compress(raw.encode(), 9)
    return base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode(text: str) -> Experiment:
    """The experiment in a state string, validated; ``ControlError("link", ...)`` if bad."""
    text = text.strip()
    if len(text) > MAX_LINK_CHARS:
        raise ControlError("link", f"the state link is {len(text):,} characters; at most "
                           f"{MAX_LINK_CHARS:,} are accepted")
    damaged = ControlError("link", "the state link is damaged (not base64url/zlib JSON); "
                           "copy the whole link again")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_JSON_BYTES)  # never more than this
    except (binascii.Error, zlib.error, ValueError):
        raise damaged from None
    if inflater.unconsumed_tail:
        raise ControlError("link", "the state link unpacks to more than "
                           f"{MAX_JSON_BYTES:,} bytes; it is not one this app made")
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise damaged from None
    if not isinstance(data, dict):
        raise ControlError("link", "the state link does not hold an experiment")
    return _from_link_data(data)


def _from_link_data(data: dict[str, Any]) -> Experiment:
    spec = data.get("input")
    if isinstance(spec, dict) and (spec.get("name") == "file" or "path" in spec):
        raise ControlError("link", "a state link cannot name a file on the server; open the "
                           "link, then upload the data")
    try:
        return validated(data)
    except SpacewarpError as err:
        raise ControlError("link", f"the state link holds a bad experiment: {err}") from None


def query(experiment: Experiment) -> str:
    """``?s=...``: the query string of the state link (uploaded data left out)."""
    return f"?{QUERY_KEY}={encode(shareable(experiment))}"


def shareable(experiment: Experiment) -> Experiment:
    """The experiment without a server file path (an upload), which a link cannot carry."""
    if experiment.input.name != "file":
        return experiment
    spec = experiment.input.model_copy(update={"name": "gaussian", "path": None,
                                               "points": None, "params": {}})
    net = experiment.network.model_copy(update={"layers": None, "init": None, "weights": {}})
    return experiment.model_copy(update={"input": spec, "network": net})


def from_query(args: Mapping[str, Sequence[bytes | str]]) -> Experiment | None:
    """The experiment in request arguments (``pn.state.session_args``), None if absent."""
    values = args.get(QUERY_KEY)
    if not values:
        return None
    value = values[0]
    return decode(value.decode("ascii", "replace") if isinstance(value, bytes) else value)
