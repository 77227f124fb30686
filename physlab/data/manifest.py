"""Stimulus-set manifests as people save them, and IntPhys-style trees that have none (docs/design.md).

A manifest is `manifest.csv` with the columns clip, pair, label, concept (any others are kept). It is read the
way spreadsheets write it: UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8"), UTF-16 with its mark
(Excel's "Unicode Text"), or Windows-1252; comma,
semicolon or tab separated (found from the header line); CRLF or LF; spaces around names and values; blank rows;
column names in any case. Labels may be the field's synonyms: possible/plausible/expected and
impossible/implausible/unexpected, in any case. A folder without a manifest that holds IntPhys-layout movies
(`<block>/<scene>/<1..4>/scene/*.png` beside a `status.json` saying whether it is possible) is read as one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import unicodedata
from pathlib import Path

from physlab.errors import PhyslabError

REQUIRED_COLUMNS = ("clip", "pair", "label", "concept")
LABELS = ("possible", "impossible")
LABEL_WORDS = {
    "possible": "possible",
    "plausible": "possible",
    "expected": "possible",
    "impossible": "impossible",
    "implausible": "impossible",
    "unexpected": "impossible",
}
SEPARATORS = ",;\t|"
# IntPhys's blocks (Riochet et al. 2018): O1 object permanence, O2 shape constancy, O3 spatio-temporal continuity.
INTPHYS_BLOCKS = {"O1": "permanence", "O2": "constancy", "O3": "continuity"}


def read_manifest(folder: Path) -> list[dict]:
    """The manifest's rows, names and values stripped, labels spelled `possible` or `impossible`.

    Errors for the whole set (one line naming the file, the real cause and the fix): no manifest, unreadable
    text, a missing column (listing the columns it has), an unknown label (naming the accepted words).
    """
    folder = Path(folder)
    path = folder / "manifest.csv"
    if not path.exists() and folder.is_dir() and _status_files(folder):
        return intphys_rows(folder)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise PhyslabError(f"{path}: cannot read the manifest ({err.strerror})") from None
    text = _decode(data, path)
    lines = text.splitlines()
    header = next((line for line in lines if line.strip()), "")
    separator = _separator(header)
    reader = csv.DictReader(io.StringIO(text), delimiter=separator, skipinitialspace=True)
    try:
        raw_rows = list(reader)
        columns = [_column(name) for name in reader.fieldnames or []]
    except csv.Error as err:
        raise PhyslabError(f"{path}: not a CSV manifest ({err})") from None
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        found = ", ".join(repr(name) for name in columns) or "none"
        raise PhyslabError(
            f"{path}: missing column(s) {', '.join(missing)} (its header line has {found}, read with separator "
            f"{separator!r}); a manifest needs the columns {', '.join(REQUIRED_COLUMNS)}"
        )
    rows = []
    for number, raw in enumerate(raw_rows, start=2):
        row = {_column(key): (value or "").strip() for key, value in raw.items() if key is not None}
        if not any(row.values()):
            continue  # blank rows, as spreadsheets leave at the end
        row["label"] = _label(row["label"], path, number)
        rows.append(row)
    return rows


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16 with its mark (Excel's "Unicode Text"), or Windows-1252."""
    fix = "save it again as 'CSV UTF-8' (Excel) or UTF-8 (any editor)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")  # Excel's "CSV (Comma delimited)" on Windows in western locales
            except UnicodeDecodeError:
                raise PhyslabError(f"{path}: neither UTF-8 nor Windows-1252 text; {fix}") from None
    if "\x00" in text:
        raise PhyslabError(f"{path}: holds NUL characters (UTF-16 or UTF-32 text without its byte-order mark?); {fix}")
    return text


def _separator(header: str) -> str:
    """The separator of the header line: the one of , ; tab | that splits it into the most known columns (else
    the one csv.Sniffer finds, else a comma)."""
    counts = {sep: sum(_column(part) in REQUIRED_COLUMNS for part in header.split(sep)) for sep in SEPARATORS}
    best = max(counts, key=counts.get)
    if counts[best]:
        return best
    try:
        return csv.Sniffer().sniff(header, delimiters=SEPARATORS).delimiter
    except csv.Error:
        return ","


def _column(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def _label(value: str, path: Path, line: int) -> str:
    word = LABEL_WORDS.get(value.strip().lower())
    if word is None:
        raise PhyslabError(
            f"{path}: line {line}: label {value!r} is not one physlab reads; use possible or impossible "
            f"(plausible/implausible and expected/unexpected are read too, in any case)"
        )
    return word


def number_or_none(value: str | None, kind: type = float) -> float | int | None:
    """A manifest cell as a number of `kind` (float or int; '' or text: None)."""
    try:
        return kind(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


def crop_box(value: str | None, path: Path, clip: str) -> tuple[float, float, float, float] | None:
    """A `crop` cell, 'x y width height' in source pixels (any separators), as a box; empty: None."""
    if not value:
        return None
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", value)]
    if len(numbers) != 4 or numbers[2] <= 0 or numbers[3] <= 0:
        raise PhyslabError(f"{path}: clip {clip!r}: crop {value!r} must be 'x y width height' in pixels of the source")
    return tuple(numbers)  # type: ignore[return-value]


def clip_path(folder: Path, clip: str) -> Path:
    """Where a manifest's clip is: a path inside the set's folder.

    Refused (PhyslabError): an absolute path, or one whose `..` parts lead out of the folder. Symbolic links
    inside the folder are followed wherever they lead (a lab's scratch disk, git-annex). A name whose Unicode
    normalisation differs from the file's (a set zipped on a Mac) finds the file.
    """
    relative = Path(clip)
    if relative.is_absolute() or Path(os.path.normpath(relative)).parts[:1] == ("..",):
        raise PhyslabError(f"{folder / 'manifest.csv'}: clip {clip!r} points outside the set's folder")
    path = folder / relative
    return path if path.exists() else _normalised(folder, relative.parts) or path


def _normalised(folder: Path, parts: tuple[str, ...]) -> Path | None:
    """The path whose parts equal `parts` up to Unicode normalisation (NFC against NFD), if there is one."""
    here = folder
    for part in parts:
        wanted = unicodedata.normalize("NFC", part)
        try:
            here = next(child for child in here.iterdir() if unicodedata.normalize("NFC", child.name) == wanted)
        except (StopIteration, OSError):
            return None
    return here


def _status_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*/*/status.json")) or sorted(folder.glob("*/*/status.json"))


def intphys_rows(folder: Path) -> list[dict]:
    """Manifest rows of an IntPhys-layout tree: each movie folder with a status.json and a `scene/` of frames.

    The pair is the movie's scene (its parent folder, e.g. O1/0001), the label the status file's
    `header.is_possible`, the concept the block's (O1 permanence, O2 constancy, O3 continuity; else the
    block's name).
    """
    rows = []
    for status in _status_files(folder):
        movie = status.parent
        try:
            possible = json.loads(status.read_text())["header"]["is_possible"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise PhyslabError(f"{status}: no header.is_possible to label the movie ({type(err).__name__})") from None
        frames = movie / "scene" if (movie / "scene").is_dir() else movie
        relative = movie.relative_to(folder)
        block = relative.parts[0]
        rows.append(
            {
                "clip": str(frames.relative_to(folder)),
                "pair": "/".join(relative.parts[:-1]),
                "label": "possible" if possible else "impossible",
                "concept": INTPHYS_BLOCKS.get(block, block),
            }
        )
    return rows
