"""Serving the explorer: one fresh ``Explorer`` per browser session, bound to loopback.

``serve()`` backs ``spacewarp serve``; ``explorer()`` returns the same explorer as a
Panel object for notebooks.
"""

from __future__ import annotations

from typing import Any

import panel as pn
from panel.theme import fast

from ..config import Experiment
from ..errors import SpacewarpError
from .limits import LIMITS_TEXT, check_limits
from .session import Explorer, explorer_for

TITLE = "spacewarp explorer"
EXTENSIONS = ("tabulator",)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Fast(fast.Fast):
    """Panel's Fast design without its Google font: the page never leaves the machine.

    (Named ``Fast`` because Panel finds a design's bundled files by its class name.)
    """

    _resources = {k: v for k, v in fast.Fast._resources.items()  # type: ignore[assignment]
                  if k != "font"}


def make_app(base: Experiment | None = None) -> pn.template.BaseTemplate:
    """The page of one session (Panel calls this once per browser session)."""
    args: dict[str, Any] = dict(pn.state.session_args or {})
    ex = explorer_for(args, base)
    pn.state.on_session_destroyed(lambda _ctx: ex.close())
    page = pn.template.FastListTemplate(
        title=TITLE, theme="dark", sidebar=[ex.sidebar()], main=[ex.main()],
        sidebar_width=330, header_background="#1d2330", accent_base_color="#5ab4ff",
        main_layout=None, meta_description=LIMITS_TEXT, design=Fast, theme_toggle=False,
        font="system-ui, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif")
    return page


def start_server(host: str = "127.0.0.1", port: int = 5006,
                 config: Experiment | None = None, *, threaded: bool = False) -> Any:
    """A Panel server for the explorer, bound but not yet started (``threaded``: running
    in its own thread, a ``StoppableThread`` with ``.stop()``, for tests and benchmarks)."""
    pn.extension(*EXTENSIONS)
    origins = [f"{h}:{port}" for h in {host, "localhost", "127.0.0.1"}]
    if host not in LOOPBACK:
        origins = ["*"]  # reachable from other machines: any Host header they use

    def app() -> pn.template.BaseTemplate:  # a plain function: Panel calls it per session
        return make_app(config)

    return pn.serve({"/": app}, address=host, port=port, show=False, title=TITLE,
                    websocket_origin=origins, threaded=threaded, start=threaded,
                    verbose=False)


def serve(host: str = "127.0.0.1", port: int = 5006, config: Experiment | None = None,
          open_browser: bool = True) -> None:
    """Serve the explorer at ``http://host:port/`` until interrupted (loopback by default)."""
    if config is not None:
        check_limits(config)
    try:
        server = start_server(host, port, config)
    except OSError as err:
        raise SpacewarpError(f"cannot serve on {host}:{port}: {err.strerror or err}; "
                             "choose another --port") from None
    print(f"spacewarp explorer: http://{_url_host(host)}:{port}/  (Ctrl+C to stop)",
          flush=True)
    server.start()
    if open_browser:
        server.io_loop.add_callback(server.show, "/")
    server.io_loop.start()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def explorer(experiment: Experiment | None = None) -> pn.Row:
    """The explorer as a Panel object: shows inline in a notebook (``pn.extension`` run here)."""
    pn.extension(*EXTENSIONS)
    return Explorer(experiment).panel()
