"""Import pybullet without the build banner it writes to stderr, so errors stay one line."""

from __future__ import annotations

import os
import sys


def import_pybullet_quietly() -> None:
    if "pybullet" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import pybullet  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
