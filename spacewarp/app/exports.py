"""Export buttons: what is on screen, written by the library's own exporters.

Each button is a ``FileDownload`` whose callback writes into a fresh temporary folder
through the exporter (stills, video, html, config), reads the bytes back and removes
the folder; nothing is kept on the server.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import panel as pn

from ..errors import SpacewarpError
from ..trace import Trace

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
    """Run one exporter into a temporary folder and return the file's bytes."""
    with tempfile.TemporaryDirectory(prefix="spacewarp-export-") as tmp:
        return writer(trace, Path(tmp)).read_bytes()


def export_buttons(current: Callable[[], Trace],
                   on_error: Callable[[str], None]) -> list[pn.widgets.FileDownload]:
    """One download button per format, exporting ``current()`` when clicked."""
    buttons = []
    for label, (filename, writer) in EXPORTS.items():
        def callback(w: Writer = writer) -> io.BytesIO | None:
            try:
                return io.BytesIO(exported_bytes(current(), w))
            except SpacewarpError as err:
                on_error(str(err))
                return None
        buttons.append(pn.widgets.FileDownload(
            callback=callback, filename=filename, label=label, embed=False,
            width=130 if len(label) > 5 else 64, height=32, margin=(3, 4),
            css_classes=[f"sw-export-{filename.replace('.', '-')}"]))
    return buttons
