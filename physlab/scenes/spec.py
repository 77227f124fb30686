"""Scene families: the YAML schema, its validation, and sampling concrete scenes from a seed.

A family declares ranges; `sample_scene(family, rng)` turns them into one concrete scene.
Every value in a family may be fixed (`0.3`), a uniform range (`[0.2, 0.4]`) or a choice
(`{choice: [a, b]}`), so a family is data, and the code never hard-codes a scene.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from physlab.files import read_validated_yaml

SHAPES = ("box", "sphere", "cylinder", "racecar", "duck", "soccerball", "teddy")
DETECTORS = ("occluded", "leaves_support", "apex", "contact", "frame", "lands", "in_view")
EDITS = (
    "vanish",
    "appear",
    "hide_in_gap",
    "recolor",
    "reshape",
    "continue_straight",
    "freeze",
    "mirror_vertical",
    "mirror_horizontal",
    "pass_through",
)
NAMED_COLORS: dict[str, tuple[float, float, float]] = {
    "red": (0.85, 0.15, 0.15),
    "green": (0.2, 0.7, 0.25),
    "blue": (0.15, 0.35, 0.85),
    "yellow": (0.95, 0.85, 0.15),
    "orange": (0.95, 0.55, 0.1),
    "purple": (0.55, 0.25, 0.75),
    "cyan": (0.2, 0.8, 0.85),
    "magenta": (0.85, 0.2, 0.65),
    "pink": (0.95, 0.6, 0.7),
    "teal": (0.1, 0.5, 0.5),
    "brown": (0.5, 0.33, 0.18),
    "white": (0.95, 0.95, 0.95),
    "grey": (0.55, 0.55, 0.55),
    "black": (0.1, 0.1, 0.1),
}
RANDOM_COLORS = {
    # (saturation range, value range) in HSV
    "random": ((0.55, 0.95), (0.6, 0.95)),
    "random_muted": ((0.08, 0.3), (0.35, 0.8)),
    "random_light": ((0.05, 0.25), (0.75, 0.95)),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScalarChoice(_Strict):
    choice: list[float] = Field(min_length=1)


def _ordered(value: tuple[float, float]) -> tuple[float, float]:
    if value[0] > value[1]:
        raise ValueError(f"range [{value[0]}, {value[1]}] has its low end above its high end")
    return value


Range = Annotated[tuple[float, float], AfterValidator(_ordered)]
Scalar = Union[float, Range, ScalarChoice]
Vec3 = tuple[Scalar, Scalar, Scalar]


class ShapeChoice(_Strict):
    choice: list[Literal[SHAPES]] = Field(min_length=1)  # type: ignore[valid-type]


class ColorChoice(_Strict):
    choice: list[str | tuple[float, float, float]] = Field(min_length=1)

    @field_validator("choice")
    @classmethod
    def _known_colors(cls, value: list) -> list:
        for color in value:
            _check_color(color)
        return value


def _lowest(spec: Any) -> float:
    if isinstance(spec, ScalarChoice):
        return min(spec.choice)
    return spec[0] if isinstance(spec, tuple) else spec


def _check_color(color: Any) -> Any:
    if isinstance(color, str) and color not in NAMED_COLORS and color not in RANDOM_COLORS:
        allowed = ", ".join([*NAMED_COLORS, *RANDOM_COLORS])
        raise ValueError(f"unknown colour {color!r}; allowed: {allowed}, or [r, g, b] in 0..1")
    if isinstance(color, tuple) and not all(0.0 <= c <= 1.0 for c in color):
        raise ValueError(f"colour {color} must have components in 0..1")
    return color


Color = Union[str, tuple[float, float, float], ColorChoice]


def check_count(value: Any) -> Any:
    """A count of copies: a number >= 0, or a range [low, high] with 0 <= low <= high (ValueError otherwise)."""
    low, high = (value, value) if isinstance(value, int) else value
    if low < 0 or low > high:
        raise ValueError(f"count must be a number of copies >= 0, or a range [low, high] with low <= high; got {value}")
    return value


class HingeSpec(_Strict):
    """A static body lowered and raised like a drawbridge: turned about its bottom front edge (the edge nearer the
    camera, along x) by `angle` degrees at each keyframe's time in seconds (0 upright, 90 flat toward the camera),
    eased between keyframes. Kinematic: it is posed at every physics step, never pushed."""

    keyframes: list[tuple[Scalar, Scalar]] = Field(min_length=1)


class ObjectSpec(_Strict):
    """One body of a scene: its shape, size (metres), placement, motion and look."""

    name: str
    shape: Literal[SHAPES] | ShapeChoice = "box"  # type: ignore[valid-type]
    size: Scalar | Vec3 = 0.2
    position: Vec3 = (0.0, 0.0, 0.0)
    rests_on: str | None = None
    yaw: Scalar = 0.0
    velocity: Vec3 = (0.0, 0.0, 0.0)
    angular_velocity: Vec3 = (0.0, 0.0, 0.0)
    roll: bool = False
    mass: Scalar = 1.0
    static: bool = False
    color: Color = "random"
    friction: Scalar = 0.5
    restitution: Scalar = 0.2
    rolling_friction: Scalar = 0.0
    count: tuple[int, int] | int = 1
    hinge: HingeSpec | None = None

    @field_validator("color")
    @classmethod
    def _color(cls, value: Any) -> Any:
        return _check_color(value)

    @field_validator("count")
    @classmethod
    def _count(cls, value: Any) -> Any:
        return check_count(value)

    @model_validator(mode="after")
    def _positive(self) -> ObjectSpec:
        sizes = self.size if isinstance(self.size, tuple) and len(self.size) == 3 else (self.size,)
        for name, values in (("size", sizes), ("mass", (self.mass,))):
            if any(_lowest(value) <= 0 for value in values):
                raise ValueError(f"{name} must be above 0")
        if self.hinge is not None and (not self.static or self.shape != "box"):
            raise ValueError("a hinge turns a static box; set static: true and shape: box")
        return self

    @property
    def counted(self) -> bool:
        return self.count != 1


class CameraSpec(_Strict):
    """Where the camera looks from: yaw 0 looks along +y, pitch is degrees above the horizon."""

    distance: Scalar = 2.0
    yaw: Scalar = 0.0
    pitch: Scalar = 10.0
    target: Vec3 = (0.0, 0.0, 0.2)
    fov: Scalar = 45.0


class LightingSpec(_Strict):
    direction: Vec3 = (0.5, -1.0, 2.0)
    ambient: Scalar = 0.6
    diffuse: Scalar = 0.5
    specular: Scalar = 0.1
    shadow: bool = True


class OnsetSpec(_Strict):
    """How the violation onset is found: a detector and what it needs."""

    detector: Literal[DETECTORS]  # type: ignore[valid-type]
    support: str | None = None
    other: str | None = None
    frame: Scalar | None = None

    @model_validator(mode="after")
    def _needs(self) -> OnsetSpec:
        needs = {"leaves_support": "support", "contact": "other", "frame": "frame"}
        key = needs.get(self.detector)
        if key and getattr(self, key) is None:
            raise ValueError(f"detector {self.detector!r} needs the field {key!r}")
        return self


class ViolationSpec(_Strict):
    """An impossible twin: which edit is applied to which bodies, from which onset on."""

    name: str
    edit: Literal[EDITS]  # type: ignore[valid-type]
    target: str | list[str]
    onset: OnsetSpec
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _params(self) -> ViolationSpec:
        allowed = {"reshape": {"shapes"}}.get(self.edit, set())
        unknown = set(self.params) - allowed
        if unknown:
            raise ValueError(f"edit {self.edit!r} takes no parameter(s) {sorted(unknown)}; it takes {sorted(allowed) or 'none'}")
        shapes = self.params.get("shapes", [])
        if not isinstance(shapes, list) or not set(shapes) <= {"box", "sphere", "cylinder"}:
            raise ValueError("params.shapes must be a list drawn from box, sphere, cylinder")
        return self

    @property
    def targets(self) -> list[str]:
        return [self.target] if isinstance(self.target, str) else list(self.target)


class Family(_Strict):
    """A scene family as declared in one YAML file of `scenes/`."""

    name: str
    concept: str
    description: str = ""
    frames: int = Field(48, ge=8)
    fps: float = Field(24.0, gt=0)
    camera: CameraSpec = CameraSpec()
    lighting: LightingSpec = LightingSpec()
    floor_color: Color = "random_muted"
    wall_color: Color = "random_light"
    objects: list[ObjectSpec] = Field(min_length=1)
    violations: list[ViolationSpec] = Field(default_factory=list)
    source: str = Field("", exclude=True)

    @model_validator(mode="after")
    def _references(self) -> Family:
        names: list[str] = []
        for i, obj in enumerate(self.objects):
            if obj.name in names:
                raise ValueError(f"objects.{i}.name: {obj.name!r} is used twice")
            if obj.rests_on is not None and obj.rests_on not in names:
                raise ValueError(f"objects.{i}.rests_on: {obj.rests_on!r} must name an object declared before it; have {names}")
            if obj.rests_on is not None and self.objects[names.index(obj.rests_on)].counted:
                raise ValueError(f"objects.{i}.rests_on: {obj.rests_on!r} has a count, so it names no single object")
            names.append(obj.name)
        counted = {obj.name for obj in self.objects if obj.counted}
        for i, violation in enumerate(self.violations):
            for target in violation.targets:
                if target not in names or target in counted:
                    raise ValueError(f"violations.{i}.target: {target!r} is not a single object; objects are {names}")
            for key in ("support", "other"):
                ref = getattr(violation.onset, key)
                if ref is not None and ref not in names:
                    raise ValueError(f"violations.{i}.onset.{key}: {ref!r} is not an object; objects are {names}")
        return self

    @property
    def has_violations(self) -> bool:
        return bool(self.violations)


def load_family_file(path: str | Path) -> Family:
    """Read and validate one family file; errors name the file, the field and what is allowed."""
    return read_validated_yaml(Path(path), "a scene family", Family, hidden=_is_union_tag, unknown=_unknown_field)


def _is_union_tag(part: str) -> bool:
    return part in ("float", "int", "str", "bool", "ScalarChoice", "ShapeChoice", "ColorChoice") or "[" in part or "-" in part


def _unknown_field(loc: tuple) -> str:
    return f"unknown field; allowed here: {', '.join(_allowed_fields(loc))}"


def _allowed_fields(loc: tuple) -> list[str]:
    """The fields of the model that holds the unknown one."""
    model: type[BaseModel] = Family
    for part in loc[:-1]:
        if isinstance(part, int) or _is_union_tag(str(part)):
            continue
        annotation = model.model_fields[part].annotation
        inner = getattr(annotation, "__args__", (annotation,))
        model = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), model)
    return [name for name in model.model_fields if name != "source"]


# --- sampling concrete scenes ------------------------------------------------------------


@dataclass(frozen=True)
class ConcreteObject:
    name: str
    shape: str
    size: tuple[float, float, float]
    position: tuple[float, float, float]
    rests_on: str | None
    yaw: float
    velocity: tuple[float, float, float]
    angular_velocity: tuple[float, float, float]
    roll: bool
    mass: float
    static: bool
    color: tuple[float, float, float, float]
    friction: float
    restitution: float
    rolling_friction: float


@dataclass(frozen=True)
class HingedObject(ConcreteObject):
    """A static box turned about its bottom front edge: (seconds, degrees lowered toward the camera) keyframes."""

    hinge: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class ConcreteViolation:
    name: str
    edit: str
    targets: tuple[str, ...]
    detector: str
    support: str | None
    other: str | None
    frame: int | None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Camera:
    distance: float
    yaw: float
    pitch: float
    target: tuple[float, float, float]
    fov: float


@dataclass(frozen=True)
class Lighting:
    direction: tuple[float, float, float]
    ambient: float
    diffuse: float
    specular: float
    shadow: bool


@dataclass(frozen=True)
class ConcreteScene:
    """Everything needed to simulate and render one clip; a pure function of (family, seed)."""

    family: str
    concept: str
    seed: int
    frames: int
    fps: float
    size: int
    camera: Camera
    lighting: Lighting
    floor_color: tuple[float, float, float, float]
    wall_color: tuple[float, float, float, float]
    objects: tuple[ConcreteObject, ...]
    violation: ConcreteViolation | None

    def object(self, name: str) -> ConcreteObject:
        return next(obj for obj in self.objects if obj.name == name)


def sample_scalar(spec: Any, rng: np.random.Generator) -> float:
    if isinstance(spec, ScalarChoice):
        return float(spec.choice[rng.integers(len(spec.choice))])
    if isinstance(spec, tuple):
        return float(rng.uniform(spec[0], spec[1]))
    return float(spec)


def sample_vec3(spec: tuple, rng: np.random.Generator) -> tuple[float, float, float]:
    x, y, z = (sample_scalar(component, rng) for component in spec)
    return (x, y, z)


def sample_color(spec: Any, rng: np.random.Generator) -> tuple[float, float, float, float]:
    if isinstance(spec, ColorChoice):
        spec = spec.choice[rng.integers(len(spec.choice))]
    if isinstance(spec, str) and spec in RANDOM_COLORS:
        (s_lo, s_hi), (v_lo, v_hi) = RANDOM_COLORS[spec]
        rgb = colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(s_lo, s_hi), rng.uniform(v_lo, v_hi))
    elif isinstance(spec, str):
        rgb = NAMED_COLORS[spec]
    else:
        rgb = spec
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]), 1.0)


def _sample_size(spec: Any, shape: str, rng: np.random.Generator) -> tuple[float, float, float]:
    if isinstance(spec, tuple) and len(spec) == 3:
        return sample_vec3(spec, rng)
    side = sample_scalar(spec, rng)
    return (side, side, side)


def _sample_object(spec: ObjectSpec, name: str, rng: np.random.Generator) -> ConcreteObject:
    shape = spec.shape.choice[rng.integers(len(spec.shape.choice))] if isinstance(spec.shape, ShapeChoice) else spec.shape
    hinged = {}
    if spec.hinge is not None:
        keys = sorted((sample_scalar(time, rng), sample_scalar(angle, rng)) for time, angle in spec.hinge.keyframes)
        hinged = {"hinge": tuple(keys)}
    kind = HingedObject if hinged else ConcreteObject
    return kind(
        **hinged,
        name=name,
        shape=shape,
        size=_sample_size(spec.size, shape, rng),
        position=sample_vec3(spec.position, rng),
        rests_on=spec.rests_on,
        yaw=sample_scalar(spec.yaw, rng),
        velocity=sample_vec3(spec.velocity, rng),
        angular_velocity=sample_vec3(spec.angular_velocity, rng),
        roll=spec.roll,
        mass=sample_scalar(spec.mass, rng),
        static=spec.static,
        color=sample_color(spec.color, rng),
        friction=sample_scalar(spec.friction, rng),
        restitution=sample_scalar(spec.restitution, rng),
        rolling_friction=sample_scalar(spec.rolling_friction, rng),
    )


def _sample_violation(spec: ViolationSpec, rng: np.random.Generator) -> ConcreteViolation:
    frame = None if spec.onset.frame is None else int(round(sample_scalar(spec.onset.frame, rng)))
    return ConcreteViolation(
        name=spec.name,
        edit=spec.edit,
        targets=tuple(spec.targets),
        detector=spec.onset.detector,
        support=spec.onset.support,
        other=spec.onset.other,
        frame=frame,
        params=dict(spec.params),
    )


def sample_scene(family: Family, seed: int, *, attempt: int = 0, size: int = 64, frames: int | None = None) -> ConcreteScene:
    """Draw one concrete scene; the same (family, seed, attempt) always gives the same scene."""
    rng = np.random.default_rng([seed, attempt])
    camera = family.camera
    lighting = family.lighting
    objects: list[ConcreteObject] = []
    for spec in family.objects:
        count = spec.count if isinstance(spec.count, int) else int(rng.integers(spec.count[0], spec.count[1] + 1))
        for k in range(count):
            name = spec.name if count == 1 and isinstance(spec.count, int) else f"{spec.name}_{k}"
            objects.append(_sample_object(spec, name, rng))
    violation = None
    if family.violations:
        violation = _sample_violation(family.violations[rng.integers(len(family.violations))], rng)
    return ConcreteScene(
        family=family.name,
        concept=family.concept,
        seed=seed,
        frames=frames or family.frames,
        fps=family.fps,
        size=size,
        camera=Camera(
            distance=sample_scalar(camera.distance, rng),
            yaw=sample_scalar(camera.yaw, rng),
            pitch=sample_scalar(camera.pitch, rng),
            target=sample_vec3(camera.target, rng),
            fov=sample_scalar(camera.fov, rng),
        ),
        lighting=Lighting(
            direction=sample_vec3(lighting.direction, rng),
            ambient=sample_scalar(lighting.ambient, rng),
            diffuse=sample_scalar(lighting.diffuse, rng),
            specular=sample_scalar(lighting.specular, rng),
            shadow=lighting.shadow,
        ),
        floor_color=sample_color(family.floor_color, rng),
        wall_color=sample_color(family.wall_color, rng),
        objects=tuple(objects),
        violation=violation,
    )
