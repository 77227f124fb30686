"""Stimulus-set manifests: `manifest.csv` with the columns clip, pair, label, concept (docs/design.md)."""

from __future__ import annotations

import csv
from pathlib import Path

from physlab.errors import PhyslabError

REQUIRED_COLUMNS = ("clip", "pair", "label", "concept")
LABELS = ("possible", "impossible")


def read_manifest(folder: Path) -> list[dict]:
    """The manifest's rows; a missing file or a missing column is an error for the whole set."""
    path = folder / "manifest.csv"
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            rows = list(reader)
    except OSError as err:
        raise PhyslabError(f"{path}: cannot read the manifest ({err.strerror})") from None
    except (csv.Error, UnicodeDecodeError) as err:
        raise PhyslabError(f"{path}: not a CSV manifest ({err})") from None
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise PhyslabError(f"{path}: missing column(s) {', '.join(missing)}; a manifest needs {', '.join(REQUIRED_COLUMNS)}")
    for number, row in enumerate(rows, start=2):
        if row["label"] not in LABELS:
            raise PhyslabError(f"{path}: line {number}: label {row['label']!r} must be 'possible' or 'impossible'")
    return rows
