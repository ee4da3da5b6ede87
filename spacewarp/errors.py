"""The one exception family for the user's mistakes, each carrying the config field it concerns.

Like httpx's errors carry their request, ours carry ``field``: the dotted config path
(``"input.points"``, ``"network.layers"``, ``"output"``) that the mistake is about, set
where it is raised. Fronts never parse message text: the CLI turns ``field`` into its
flag, the app puts the message beside that field's control.
"""

from __future__ import annotations


class SpacewarpError(ValueError):
    """A user's mistake: says what was wrong and what would be right, in one line.

    Raised at the boundary (config, files, CLI flags, app controls). The CLI
    prints it as one line on stderr with exit status 2; the app shows it beside
    the control that caused it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field  # dotted config path ("network.layers"), or None when it has none


class InputError(SpacewarpError):
    """The points: an input set, its parameters or a data file."""


class NetworkError(SpacewarpError):
    """The network: widths, activation, recipe, a model file, or what it does to the points."""


class WeightsError(SpacewarpError):
    """Explicit weights or a checkpoint: missing or unexpected keys, shapes, formats."""


class LimitError(SpacewarpError):
    """A resource budget: what was asked would cost more memory or time than the cap."""


class OutputError(SpacewarpError):
    """An output path: cannot be written, or the disk is full."""


class SpacewarpNote(UserWarning):
    """Not a mistake, but a reading the user should know of (a data file's column taken as
    labels): a warning, which the CLI prints as one line ``spacewarp: note: ...``."""
