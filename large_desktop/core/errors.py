"""Error classes shared by the core, the CLI and the GUI.

Every error a user can act on derives from `LargeError` and carries a
one-line message that names the file or value and what to do. Anything
else that escapes the core is a bug and is shown with its traceback.
"""


class LargeError(Exception):
    """Base of all domain errors; `str(error)` is the user-facing message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UserInputError(LargeError):
    """A value, option or file the user gave is invalid."""


class ImageDecodeError(LargeError):
    """A photo cannot be decoded; the indexer records it per file and goes on."""


class CheckpointError(LargeError):
    """A weight or direction file is missing, tampered, unsafe or of the wrong shape."""


class DatabaseError(LargeError):
    """The library database cannot be opened or written (read-only, full, locked, corrupt, newer)."""


class Interrupted(LargeError):
    """Work was cancelled by the user; callers stay silent about it."""
