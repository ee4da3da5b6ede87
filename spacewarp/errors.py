"""The one exception type for the user's mistakes."""


class SpacewarpError(ValueError):
    """A user's mistake: says what was wrong and what would be right, in one line.

    Raised at the boundary (config, files, CLI flags, app controls). The CLI
    prints it as one line on stderr with exit status 2; the app shows it beside
    the control that caused it.
    """
