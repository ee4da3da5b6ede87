"""Export buttons: what is on screen, written by the library's own exporters.

Each button is a ``FileDownload`` whose (async) callback hands the export to the
session's worker, like every other heavy job, so writing a video never stalls the
server's loop: the exporter writes into a fresh temporary folder (stills, video, html,
config), the bytes are read back and the folder removed; nothing is kept on the server.
While it runs the button is disabled and a line says what is being written.
"""

from __future__ import annotations

import asyncio
import io
import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import panel as pn

from ..errors import SpacewarpError
from ..tracing.trace import Trace
from .work import Done, Job

log = logging.getLogger(__name__)
EXPORT_TIMEOUT_S = 900.0  # a job the worker never finishes (its page closed) is let go
INTERNAL = "the export failed (a bug, not your input); the server log has the details"
Submit = Callable[[str, Job, Done], None]  # Worker.submit
_ONE_AT_A_TIME = threading.Lock()

Writer = Callable[[Trace, Path], Path]  # (trace, folder) -> the written file


def _png(trace: Trace, folder: Path) -> Path:
    from ..export.stills import write_render

    write_render(trace, folder / "render")
    return folder / "render" / "stages.png"


def _video(suffix: str) -> Writer:
    def write(trace: Trace, folder: Path) -> Path:
        from ..export.video import write_video

        return write_video(trace, folder / f"spacewarp{suffix}", None, progress=False)

    return write


def _html(trace: Trace, folder: Path) -> Path:
    from ..export.html import write_html

    return write_html(trace, folder / "spacewarp.html")


def _toml(trace: Trace, folder: Path) -> Path:
    from ..export.stills import write_experiment_toml

    return write_experiment_toml(trace, folder / "experiment.toml")


EXPORTS: dict[str, tuple[str, Writer]] = {  # label -> (download name, writer)
    "PNG": ("stages.png", _png),
    "MP4": ("spacewarp.mp4", _video(".mp4")),
    "GIF": ("spacewarp.gif", _video(".gif")),
    "HTML": ("spacewarp.html", _html),
    "experiment.toml": ("experiment.toml", _toml),
}


def exported_bytes(trace: Trace, writer: Writer) -> bytes:
    """Run one exporter into a temporary folder and return the file's bytes (one export at a
    time in the process: the matplotlib themes set process-wide rcParams while drawing)."""
    with _ONE_AT_A_TIME, tempfile.TemporaryDirectory(prefix="spacewarp-export-") as tmp:
        return writer(trace, Path(tmp)).read_bytes()


async def in_worker(submit: Submit, key: str, job: Job) -> tuple[Any, BaseException | None]:
    """``job``'s (result, error), computed by the session's worker (at once without a pool)."""
    future: asyncio.Future[tuple[Any, BaseException | None]] = \
        asyncio.get_running_loop().create_future()

    def done(result: Any, error: BaseException | None) -> None:
        if not future.done():
            future.set_result((result, error))

    submit(key, job, done)
    return await asyncio.wait_for(future, EXPORT_TIMEOUT_S)


def export_buttons(current: Callable[[], Trace], submit: Submit,
                   on_error: Callable[[str], None], say: Callable[[str], None]
                   ) -> list[pn.widgets.FileDownload]:
    """One download button per format, exporting ``current()`` in the worker when clicked
    (``say``: the line shown while it runs)."""
    buttons = []
    for label, (filename, writer) in EXPORTS.items():
        button = pn.widgets.FileDownload(
            filename=filename, label=label, embed=False,
            width=130 if len(label) > 5 else 64, height=32, margin=(3, 4),
            css_classes=[f"sw-export-{filename.replace('.', '-')}"])

        async def callback(w: Writer = writer, name: str = filename,
                           b: pn.widgets.FileDownload = button) -> io.BytesIO | None:
            try:
                trace = current()
            except SpacewarpError as err:
                on_error(str(err))
                return None
            b.disabled = True
            say(f"writing {name}&hellip;")
            try:
                data, error = await in_worker(submit, f"export:{name}",
                                              lambda: exported_bytes(trace, w))
            finally:
                b.disabled = False
                say("")
            if isinstance(error, SpacewarpError):
                on_error(str(error))
                return None
            if error is not None:
                log.error("export of %s failed", name, exc_info=error)
                on_error(INTERNAL)
                return None
            return io.BytesIO(data)

        button.callback = callback
        buttons.append(button)
    return buttons
