"""Designing stimuli: a family's sampled ranges as knobs, fixed to chosen values, exported as a set.

The scene designer page and scripts use the same three steps: `knobs(family)` lists every
parameter the family draws from a range, `fix(family, values)` returns the family with those
parameters pinned (still validated like a YAML file), and `export_zip` writes a stimulus set
of it as one zip file.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from physlab.data.stimuli import write_stimuli
from physlab.errors import PhyslabError
from physlab.scenes.spec import Family

AXES = ("x", "y", "z")
# Fields a person designing stimuli turns; the rest (friction, lighting) keep their ranges.
SECTIONS = ("objects", "camera")


@dataclass(frozen=True)
class Knob:
    """One sampled parameter: where it sits in the family, a readable label, and its range."""

    path: tuple[str | int, ...]
    label: str
    low: float
    high: float

    @property
    def middle(self) -> float:
        return round((self.low + self.high) / 2, 4)


def knobs(family: Family) -> list[Knob]:
    """Every parameter of the family's objects and camera that is drawn from a [low, high] range."""
    data = family.model_dump()
    found: list[Knob] = []
    for section in SECTIONS:
        _collect(data[section], (section,), family, found)
    return found


def fix(family: Family, values: dict[tuple[str | int, ...], float]) -> Family:
    """The family with the parameters at `values`' paths fixed; the result is validated."""
    data = _lists(family.model_dump())
    for path, value in values.items():
        holder = data
        for part in path[:-1]:
            holder = holder[part]
        holder[path[-1]] = float(value)
    try:
        return Family.model_validate({**data, "source": family.source})
    except ValidationError as err:
        raise PhyslabError(f"{family.name}: the chosen values make an invalid family ({err.errors()[0]['msg']})") from None


def family_yaml(family: Family) -> str:
    """The family as YAML, so a designed family can be saved to `scenes/` and used anywhere."""
    return yaml.safe_dump(_lists(family.model_dump()), sort_keys=False)


def export_zip(family: Family, pairs: int, *, seed: int = 0, size: int = 128, workers: int = 1) -> bytes:
    """A stimulus set of `pairs` pairs of the family, with the family's YAML, as zip bytes."""
    with tempfile.TemporaryDirectory(prefix="physlab-export-") as temp:
        folder = Path(temp) / family.name
        report = write_stimuli(folder, [family], pairs, seed=seed, size=size, workers=workers, progress=False)
        if report.errors:
            raise PhyslabError(report.errors[0])
        (folder / f"{family.name}.yaml").write_text(family_yaml(family))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    archive.write(path, path.relative_to(folder.parent))
        return buffer.getvalue()


def _collect(value: Any, path: tuple, family: Family, found: list[Knob]) -> None:
    if _is_range(value) and path[-1] not in ("count", "choice"):
        found.append(Knob(path, _label(path, family), float(value[0]), float(value[1])))
    elif isinstance(value, dict):
        for key, inner in value.items():
            _collect(inner, (*path, key), family, found)
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            _collect(inner, (*path, index), family, found)


def _is_range(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        and value[0] < value[1]
    )


def _label(path: tuple, family: Family) -> str:
    """("objects", 1, "velocity", 0) -> "car · velocity x"."""
    parts: list[str] = []
    rest = list(path)
    if rest[0] == "objects":
        parts.append(family.objects[rest[1]].name)
        rest = rest[2:]
    for part in rest:
        if isinstance(part, int) and parts and parts[-1] in ("position", "velocity", "angular_velocity", "target", "size"):
            parts[-1] = f"{parts[-1]} {AXES[part]}"
        else:
            parts.append(str(part).replace("_", " "))
    return " · ".join(parts)


def _lists(value: Any) -> Any:
    """Tuples as lists, so the YAML reads like the hand-written files."""
    if isinstance(value, dict):
        return {key: _lists(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(inner) for inner in value]
    return value
