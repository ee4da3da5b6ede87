"""Uploads over HTTP: a Tornado handler on the explorer's server and the page's file control.

The page POSTs the raw file to ``/spacewarp-upload?token=...&name=...``; the token names
one live session (it is only in that session's page). The handler refuses a bad name or
a declared size over the cap before reading the body, streams the body to the session's
upload folder with a hard byte cap, then hands the file to the session, whose worker
checks its header and parses it. Messages go beside the upload control, over the
session's own connection; the HTTP reply says the same in JSON.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import panel as pn
import param
import tornado.web

from ..errors import InputError
from . import uploads
from .limits import MAX_UPLOAD_BYTES
from .session import Explorer

URL = "/spacewarp-upload"


@dataclass(frozen=True)
class Receiver:
    explorer: Explorer
    post: Callable[[Callable[[], None]], None]  # run on the session's event loop


_receivers: dict[str, Receiver] = {}
_lock = threading.Lock()


def register(explorer: Explorer, post: Callable[[Callable[[], None]], None]) -> None:
    with _lock:
        _receivers[explorer.upload_token] = Receiver(explorer, post)


def unregister(explorer: Explorer) -> None:
    with _lock:
        _receivers.pop(explorer.upload_token, None)


class UploadBox(pn.custom.JSComponent):
    """A file input that POSTs the chosen file to ``url`` (``upload.js``)."""

    url = param.String(default=URL)
    token = param.String(default="")
    accept = param.String(default=".csv,.npy,.npz")

    _esm = "upload.js"


@tornado.web.stream_request_body
class UploadHandler(tornado.web.RequestHandler):
    """``POST /spacewarp-upload?token=&name=``: one file into one session's folder."""

    def initialize(self, origins: list[str]) -> None:
        self._origins = origins
        self._file: IO[bytes] | None = None
        self._part: Path | None = None
        self._size = 0
        self._receiver: Receiver | None = None
        self._name = ""

    def prepare(self) -> None:
        if self.request.method != "POST":
            return
        with _lock:
            self._receiver = _receivers.get(self.get_query_argument("token", ""))
        self._name = self.get_query_argument("name", "")
        if self._receiver is None or not self._origin_ok():
            self._reply(403, "this upload is not for a live explorer page; reload the page")
            return
        try:
            suffix = uploads.check_name(self._name)
        except InputError as err:
            self._refuse(err, 400)
            return
        try:
            uploads.check_size(int(self.request.headers.get("Content-Length") or 0), self._name)
        except InputError as err:  # refused from its declared length: nothing is read
            self._refuse(err, 413)
            return
        except ValueError:
            self._reply(400, "the upload's length is not a number")
            return
        connection: Any = self.request.connection
        connection.set_max_body_size(MAX_UPLOAD_BYTES)
        final = uploads.target(self._receiver.explorer.upload_folder(), suffix)
        self._part = final.with_name(final.name + ".part")
        self._file = self._part.open("wb")

    def data_received(self, chunk: bytes) -> None:
        if self._file is None:
            return
        self._size += len(chunk)
        if self._size > MAX_UPLOAD_BYTES:  # a body without a true length: cut it here
            self._discard()
            self._refuse(uploads.refused(f"{uploads.shown_name(self._name)} is over "
                                         f"{MAX_UPLOAD_BYTES // 1_000_000} MB"), 413)
            return
        self._file.write(chunk)

    def post(self) -> None:
        if self._finished or self._file is None or self._part is None:
            return
        self._file.close()
        self._file = None
        path = self._part.with_suffix("")  # upload-xxxx.csv.part -> upload-xxxx.csv
        self._part.rename(path)
        self._part = None
        receiver, name = self._receiver, self._name
        assert receiver is not None
        receiver.post(lambda: receiver.explorer.use_upload(path, name))
        self.finish({"ok": True, "bytes": self._size})

    def on_connection_close(self) -> None:  # the browser gave up: leave nothing behind
        self._discard()

    def on_finish(self) -> None:
        self._discard()

    def _discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._part is not None:
            self._part.unlink(missing_ok=True)
            self._part = None

    def _refuse(self, error: InputError, status: int) -> None:
        receiver = self._receiver
        if receiver is not None:
            receiver.post(lambda: receiver.explorer.refuse_upload(error))
        self._reply(status, str(error))

    def _reply(self, status: int, message: str) -> None:
        if not self._finished:
            self.set_status(status)
            self.finish({"error": message})

    def _origin_ok(self) -> bool:
        origin = self.request.headers.get("Origin")
        if origin is None:  # not sent by a browser page: the token alone decides
            return True
        netloc = urlparse(origin).netloc
        return netloc == self.request.host or netloc in self._origins


def patterns(origins: list[str]) -> list[tuple[str, Any, dict[str, Any]]]:
    """The route to give ``pn.serve(extra_patterns=...)``."""
    return [(URL, UploadHandler, {"origins": origins})]
