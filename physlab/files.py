"""Files: atomic replacement, one writer per output folder, and YAML mappings read with clear errors."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from physlab.errors import PhyslabError, describe_validation

Model = TypeVar("Model", bound=BaseModel)


def read_yaml_mapping(path: str | Path, what: str, *, empty_ok: bool = False) -> dict:
    """The mapping in a YAML file; `what` ("a scene family") names it in one-line errors.

    Errors name the file and, for bad YAML, the line and column.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise PhyslabError(f"{path}: cannot read {what.split(' ', 1)[1]} file ({err.strerror})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise PhyslabError(f"{path}: not valid YAML{where}: {problem}") from None
    if data is None and empty_ok:
        return {}
    if not isinstance(data, dict):
        raise PhyslabError(f"{path}: {what} must be a YAML mapping, got {type(data).__name__}")
    return data


def names_a_file(text: str) -> bool:
    """Whether a name given for a bundled YAML file (a family, look or world) is a file's path instead: it ends in
    .yaml/.yml or holds a folder separator."""
    return text.endswith((".yaml", ".yml")) or os.sep in text


def bundled_or_file(name_or_path: str | Path, folder: Path, what: str) -> Path:
    """The YAML file a name stands for: a path (`names_a_file`) as it is, else the bundled `folder/<name>.yaml`; an
    unknown name is an error listing the bundled ones (`what`: "scene family")."""
    text = str(name_or_path)
    if names_a_file(text):
        return Path(text)
    path = folder / f"{text}.yaml"
    if not path.exists():
        names = ", ".join(sorted(candidate.stem for candidate in folder.glob("*.yaml")))
        raise PhyslabError(f"no {what} named {text!r}; bundled ones: {names}")
    return path


def read_validated_yaml(path: str | Path, what: str, schema: type[Model], **describe: Any) -> Model:
    """A YAML mapping file validated by a pydantic `schema`, which records the file in its `source` field.

    `describe` goes to describe_validation, so errors name the file and the field.
    """
    return validate_mapping(path, read_yaml_mapping(path, what), schema, **describe)


def validate_mapping(path: str | Path, data: dict, schema: type[Model], **describe: Any) -> Model:
    """`data`, read from the file `path`, validated by a pydantic `schema` (which records the file in its `source`
    field); errors name the file and the field (`describe` goes to describe_validation)."""
    try:
        return schema.model_validate({**data, "source": str(path)})
    except ValidationError as err:
        raise PhyslabError(f"{path}: {describe_validation(err, **describe)}") from None


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; it replaces `path` only if the block succeeds.

    The file gets the permissions a plain `open()` would give it under the current umask (clips,
    manifests and models are shared in a lab), not `tempfile.mkstemp`'s owner-only 0600, even when
    the writer replaces the temporary file with one of its own (safetensors does).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _new_file(path.parent, f".{path.stem}.", f".tmp{path.suffix}")
    mode = stat.S_IMODE(os.stat(temp).st_mode)
    try:
        yield Path(temp)
        with open(temp, "rb") as written:  # on disk before it takes the final name
            os.fsync(written.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _new_file(folder: Path, prefix: str, suffix: str) -> str:
    """Create an empty file with a fresh name, mode 0666 less the umask (as open() does)."""
    for _ in range(100):
        temp = folder / f"{prefix}{secrets.token_hex(4)}{suffix}"
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return str(temp)
    raise FileExistsError(f"{folder}: no free temporary name for {prefix}*{suffix}")


def write_json(path: str | Path, data: Any) -> None:
    """Write JSON atomically."""
    with atomic_path(path) as temp:
        temp.write_text(json.dumps(data, indent=1, default=_plain) + "\n")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@contextlib.contextmanager
def exclusive_folder(folder: str | Path, part: str = "") -> Iterator[Path]:
    """Hold the folder's lock (or one part's) for the block; a second writer gets a clear error."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".lock{part}", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PhyslabError(f"{folder}: another physlab run is writing this folder; wait for it or pick another") from None
        yield folder


def clean_partial_files(folder: str | Path, stems: list[str] | None = None) -> None:
    """Remove temporary files a killed run left (of the given file stems only, if named)."""
    patterns = [f".{stem}.*.tmp*" for stem in stems] if stems is not None else [".*.tmp*"]
    for pattern in patterns:
        for temp in Path(folder).rglob(pattern):
            temp.unlink(missing_ok=True)


def write_csv(path: str | Path, rows: list[dict], columns: list[str] | None = None) -> None:
    """Write rows as CSV atomically (columns default to the first row's keys)."""
    columns = columns or (list(rows[0]) if rows else [])
    with atomic_path(path) as temp, open(temp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
