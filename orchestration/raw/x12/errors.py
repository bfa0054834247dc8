"""The one exception of the 835 reader."""


class X12QuarantineError(Exception):
    """The whole file cannot be loaded; ``str(e)`` is the human reason."""
