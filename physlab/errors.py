"""The one exception type for errors a user can cause (bad files, bad arguments), and how validation errors read."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError


class PhyslabError(Exception):
    """A user-facing error; its message names the file or field and what is wrong."""


def describe_validation(
    err: ValidationError,
    prefix: str = "",
    hidden: Callable[[str], bool] = lambda part: False,
    unknown: Callable[[tuple], str] = lambda loc: "unknown field",
) -> str:
    """'field a.b.0: what is wrong' for the most telling of pydantic's errors.

    Our own checks and unknown fields come before type errors, which pydantic lists once per
    branch of a union. `hidden` drops path parts that are pydantic's tags, not the user's
    fields; `unknown` says what to write for a field the model does not have.
    """
    errors = err.errors()
    error = next((e for e in errors if e["type"] in ("value_error", "extra_forbidden")), errors[0])
    where = prefix + ".".join(str(part) for part in error["loc"] if isinstance(part, int) or not hidden(str(part)))
    message = unknown(error["loc"]) if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
    return f"field {where or '(top level)'}: {message}"
