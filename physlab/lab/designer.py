"""Designing stimuli: a family's sampled ranges as knobs, fixed to chosen values, exported as a set.

The scene designer page and scripts use the same steps: `knobs(family)` lists every parameter
the family draws from a range, `drawn_values(family, scene)` the value each took in a concrete
scene (what a seed drew), `fix(family, values)` returns the family with those parameters pinned
(still validated like a YAML file), and `export_zip` writes a stimulus set of it as one zip file.

A pinned parameter keeps its place in the seed's stream of draws: it becomes a range of one value,
[v, v], which the sampler draws from like any range (and gets v). So pinning one parameter leaves
every other one as that seed drew it, and pinning a parameter to the value the seed drew gives the
very same scene; the sampler itself is untouched, so unpinned families draw what they always did.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from physlab.data.stimuli import write_stimuli
from physlab.errors import PhyslabError
from physlab.scenes.spec import ConcreteScene, Family

AXES = ("x", "y", "z")
# Fields a person designing stimuli turns; the rest (friction, lighting) keep their ranges.
SECTIONS = ("objects", "camera")
# The unit of each field a knob can turn (physlab/scenes/world.py and render.py use them so).
UNITS = {
    ("objects", "size"): "m",
    ("objects", "position"): "m",
    ("objects", "velocity"): "m/s",
    ("objects", "angular_velocity"): "rad/s",
    ("objects", "yaw"): "°",
    ("objects", "mass"): "kg",
    ("camera", "distance"): "m",
    ("camera", "target"): "m",
    ("camera", "yaw"): "°",
    ("camera", "pitch"): "°",
    ("camera", "fov"): "°",
}


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

    @property
    def unit(self) -> str:
        """ "m", "m/s", "°", "kg"..., or "" for a ratio such as friction."""
        field = self.path[2] if self.path[0] == "objects" else self.path[1]
        return UNITS.get((str(self.path[0]), str(field)), "")


def knobs(family: Family) -> list[Knob]:
    """Every parameter of the family's objects and camera that is drawn from a [low, high] range."""
    data = family.model_dump()
    found: list[Knob] = []
    for section in SECTIONS:
        _collect(data[section], (section,), family, found)
    return found


def drawn_values(family: Family, scene: ConcreteScene) -> dict[tuple[str | int, ...], float]:
    """The value each knob of `family` took in `scene` (drawn from it): {knob path: value}.

    An object with a count stands for its first copy; a count that drew no copy leaves its knobs out.
    """
    found = {}
    for knob in knobs(family):
        if knob.path[0] == "camera":
            holder, rest = scene.camera, knob.path[1:]
        else:
            spec = family.objects[knob.path[1]]
            name = f"{spec.name}_0" if spec.counted else spec.name
            holder = next((obj for obj in scene.objects if obj.name == name), None)
            rest = knob.path[2:]
            if holder is None:
                continue
        value = getattr(holder, rest[0])
        # A size drawn as one number is a cube's side (or a sphere's diameter): the same on every axis.
        found[knob.path] = float(value[rest[1]] if len(rest) > 1 else value[0] if isinstance(value, tuple) else value)
    return found


def fix(family: Family, values: dict[tuple[str | int, ...], float]) -> Family:
    """The family with the parameters at `values`' paths pinned, as ranges of one value (so the seed's
    other draws stay as they were); the result is validated."""
    data = _lists(family.model_dump())
    for path, value in values.items():
        holder = data
        for part in path[:-1]:
            holder = holder[part]
        holder[path[-1]] = [float(value), float(value)]
    try:
        return Family.model_validate({**data, "source": family.source})
    except ValidationError as err:
        raise PhyslabError(f"{family.name}: the chosen values make an invalid family ({err.errors()[0]['msg']})") from None


def family_yaml(family: Family) -> str:
    """The family as YAML, so a designed family can be saved to `scenes/` and used anywhere."""
    text = yaml.safe_dump(_lists(family.model_dump()), sort_keys=False)
    if any(_is_pinned(value) for value in _leaves(family.model_dump())):
        text = PINNED_NOTE + text
    return text


PINNED_NOTE = (
    "# Pinned parameters are ranges of one value, [v, v]: each seed still draws them (and gets v), so\n"
    "# every other parameter is drawn for each seed exactly as in the family this was designed from.\n"
)


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


def _is_pinned(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, float) for v in value) and value[0] == value[1]
    )


def _leaves(value: Any) -> Iterator[Any]:
    """Every range and scalar in a dumped family."""
    yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    for inner in children:
        yield from _leaves(inner)


def _lists(value: Any) -> Any:
    """Tuples as lists, so the YAML reads like the hand-written files."""
    if isinstance(value, dict):
        return {key: _lists(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(inner) for inner in value]
    return value
