"""The error a converter raises: a message and the key path it is about, relative to its caller."""

from __future__ import annotations

from composeswarm.errors import Path


class ConvertError(Exception):
    """A value docker stack deploy would refuse; `path` grows as the error bubbles up."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def under(self, *prefix: str | int) -> ConvertError:
        """The same error with `prefix` put in front of its path."""
        return ConvertError(tuple(prefix) + self.path, self.message)
