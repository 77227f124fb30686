"""Progress bars that read well in a terminal and in a log.

In a terminal, tqdm redraws one line. Without one (`make demo` started from a desktop, CI, `nohup`), a redrawn line
is a run of carriage returns in the log; there each update becomes a line of its own, at most one every
`LOG_SECONDS`, so a long job still shows it is moving.
"""

from __future__ import annotations

import io
import sys
from typing import Any

from tqdm import tqdm

LOG_SECONDS = 30.0


class _LogLines(io.TextIOBase):
    """A text stream for tqdm that writes each redraw of the bar as a line of its own, and no blank lines."""

    def __init__(self, stream: Any):
        self.stream = stream

    def write(self, text: str) -> int:
        line = text.strip("\r\n ")
        if line:
            self.stream.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(*args: Any, **kwargs: Any) -> tqdm:
    """`tqdm(*args, **kwargs)`, on stderr: redrawn in place in a terminal, a line every `LOG_SECONDS` in a log."""
    stream = kwargs.pop("file", None) or sys.stderr
    if getattr(stream, "isatty", lambda: False)():  # a replaced stderr may not say
        return tqdm(*args, file=stream, dynamic_ncols=True, **kwargs)
    # tqdm's monitor thread redraws every `maxinterval` regardless of `mininterval`: both are the log's pace.
    return tqdm(*args, file=_LogLines(stream), mininterval=LOG_SECONDS, maxinterval=LOG_SECONDS, ncols=100, ascii=True, **kwargs)
