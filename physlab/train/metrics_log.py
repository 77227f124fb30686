"""A run's metrics log (`metrics.csv`): one row a step, cut back to the checkpoint when a run resumes.

Both training loops (the watching models', `physlab/train/loop.py`, and the action models',
`physlab/control/train.py`) keep their log this way, each with its own columns.
"""

from __future__ import annotations

import csv
from pathlib import Path

from physlab.files import atomic_path


def append_metrics(path: Path, metrics: dict, columns: list[str]) -> None:
    """Add a step's row (a header first, for a new file); a column `metrics` lacks is left empty."""
    new = not path.exists()
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerow({key: metrics.get(key, "") for key in columns})


def truncate_metrics(path: Path, step: int, columns: list[str]) -> None:
    """Drop rows logged after the checkpoint a run resumes from, so the log has each step once."""
    if not path.exists():
        return
    with open(path, newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if int(row["step"]) <= step]
    with atomic_path(path) as temp, open(temp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
