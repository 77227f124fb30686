"""The one exception type for errors a user can cause (bad files, bad arguments)."""


class PhyslabError(Exception):
    """A user-facing error; its message names the file or field and what is wrong."""
