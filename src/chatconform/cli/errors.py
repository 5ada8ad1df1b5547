"""The one exception the CLI turns into exit status 2 with a one-line reason."""


class UsageError(Exception):
    """A usage or configuration error: printed as one line, exit status 2."""
