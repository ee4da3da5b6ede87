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

from ..config.experiment import Experiment, validated
from ..errors import SpacewarpError

QUERY_KEY = "s"  # the query parameter that carries the state
MAX_LINK_CHARS = 60_000  # longer links do not survive browsers and servers
MAX_JSON_BYTES = 2_000_000  # decompressed size accepted from a link
MAX_NESTING = 8  # an experiment nests 4 levels deep (network.weights.name[row][col])


class LinkError(SpacewarpError):
    """A state link that is not one this app made (damaged, too long, a bomb, a path)."""


def encode(experiment: Experiment) -> str:
    """The experiment as a compact URL-safe string (decode gives it back exactly)."""
    data = experiment.model_dump(mode="json", exclude_defaults=True)
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True, allow_nan=False)
    packed = zlib.compress(raw.encode(), 9)
    return base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode(text: str) -> Experiment:
    """The experiment in a state string, validated (the app's limits are checked when
    it is opened, like any other change).

    ``LinkError`` when the text is not a state link this app made; a ``SpacewarpError``
    with the config ``field`` when it holds a value the config refuses.
    """
    text = text.strip()
    if len(text) > MAX_LINK_CHARS:
        raise LinkError(f"the state link is {len(text):,} characters; at most "
                           f"{MAX_LINK_CHARS:,} are accepted")
    damaged = LinkError("the state link is damaged (not base64url/zlib JSON); "
                           "copy the whole link again")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_JSON_BYTES)  # never more than this
    except (binascii.Error, zlib.error, ValueError):
        raise damaged from None
    if inflater.unconsumed_tail:
        raise LinkError("the state link unpacks to more than "
                           f"{MAX_JSON_BYTES:,} bytes; it is not one this app made")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise damaged from None
    if _depth(data) > MAX_NESTING:
        raise LinkError(f"the state link nests deeper than {MAX_NESTING} levels; it is not "
                        "one this app made")
    if not isinstance(data, dict):
        raise LinkError("the state link does not hold an experiment")
    return _from_link_data(data)


def _from_link_data(data: dict[str, Any]) -> Experiment:
    spec = data.get("input")
    if isinstance(spec, dict) and (spec.get("name") == "file" or "path" in spec):
        raise LinkError("a state link cannot name a file on the server; open the "
                           "link, then upload the data")
    net = data.get("network")
    if isinstance(net, dict) and any(k in net for k in SERVER_MODEL_KEYS):
        raise LinkError("a state link cannot name a model or checkpoint file on the server; "
                        "start the server with spacewarp serve --model ... --weights ...")
    return validated(data)  # a mistake carries its field: shown beside its control


def _depth(data: Any) -> int:
    """How deeply lists and dicts nest in ``data`` (iterative: no recursion limit)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_NESTING:  # deeper is refused anyway: stop walking
                stack.extend((v, level + 1) for v in
                             (item.values() if isinstance(item, dict) else item))
    return deepest


SERVER_MODEL_KEYS = ("model", "checkpoint", "checkpoint_sha256")  # files on the server


def with_served_model(experiment: Experiment, served: Experiment | None) -> Experiment:
    """``experiment`` (from a link) on the model the server was started with, if any."""
    if served is None or served.network.model is None and served.network.checkpoint is None:
        return experiment
    keys = {k: getattr(served.network, k) for k in SERVER_MODEL_KEYS}
    return experiment.model_copy(update={
        "network": experiment.network.model_copy(update=keys)})


def query(experiment: Experiment) -> str:
    """``?s=...``: the query string of the state link (uploaded data left out)."""
    return f"?{QUERY_KEY}={encode(shareable(experiment))}"


def shareable(experiment: Experiment) -> Experiment:
    """The experiment without a server file path (an upload, the served model), which a link
    cannot carry; the server that serves the model adds it back (``with_served_model``)."""
    experiment = experiment.model_copy(update={"network": experiment.network.model_copy(
        update=dict.fromkeys(SERVER_MODEL_KEYS))})
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
