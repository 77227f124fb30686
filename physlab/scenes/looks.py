"""Looks: how a scene is filmed, apart from the physics of its event; YAML files in `looks/`, like families.

A look declares ranges and choices for the room (floor, back and side walls, their colours and
procedural textures), the objects' colours, textures and shape set, furniture-like clutter,
lighting, camera perturbations and motion, image size, aspect and frame rate, background
distractor motion, codec and palette artefacts, and the event's layout (multipliers and offsets
on a family's speeds, occluder widths and positions). `sample_look(look, family, scene, seed)` draws one
concrete look, a pure function of (look, family, scene, seed, attempt), from a random stream apart from
the family's physics draws, so a scene's physics never depends on the look. `restyle_scene` applies what
a look changes in the concrete scene itself. The look `classic` changes nothing: clips made with
it are the clips made without a look, byte for byte.

Values are fixed (`0.3`), uniform ranges (`[0.2, 0.4]`), choices (`{choice: [a, b]}`) or, for
held-out layouts, bands (`{bands: [[0.6, 0.8], [1.2, 1.4]]}`: uniform in one band drawn at random).
"""

from __future__ import annotations

import colorsys
import dataclasses
import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar, Union

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from physlab.errors import PhyslabError
from physlab.files import bundled_or_file, names_a_file, read_yaml_mapping, validate_mapping
from physlab.scenes.meshes import RANDOM_URDFS, urdf_shape
from physlab.scenes.spec import (
    NAMED_COLORS,
    RANDOM_COLORS,
    Camera,
    ConcreteObject,
    ConcreteScene,
    Family,
    Range,
    ScalarChoice,
    ShapeChoice,
    check_count,
    sample_color,
)
from physlab.scenes.textures import TEXTURE_KINDS

ROOM_KINDS = ("backdrop", "room", "corner")
SHAPE_SETS = ("family", "primitives", "meshes", "urdfs")
SHAPE_SET_MEMBERS = {
    "primitives": ("box", "sphere", "cylinder"),
    "meshes": ("duck", "teddy", "soccerball", "mug", "lego", "jenga"),
}
CLUTTER_KINDS = ("table", "shelf", "cabinet", "chair", "lamp", "plant", "crate", "stool")
DISTRACTOR_KINDS = ("roll", "bounce", "slide", "swing")
CODECS = ("raw", "h264", "mpeg4", "gif")
FITS = ("letterbox", "crop")
LOOK_STREAM = 0x100C  # the look's random stream, apart from the family's [seed, attempt]
# How a look's draws are seeded, recorded in every folder made with a look (`look_settings`), so a folder of
# older draws is never resumed with newer ones. 2: the family's name is part of the seed, so a stimulus set's
# families are filmed in different rooms, cameras and palettes at the same seeds (1 shared them).
LOOK_DRAWS = 2
# How `physlab looks` lists the bundled looks: the default, the training look, the held-out ones, the diagnostic ones.
LOOK_ORDER = ("classic", "randomized", "heldout_", "factor_", "ablate_")

T = TypeVar("T")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Strict, Generic[T]):
    choice: list[T] = Field(min_length=1)


class Bands(_Strict):
    """Uniform in one of several ranges, each as likely: a held-out look draws from bands the training look never does."""

    bands: list[Range] = Field(min_length=1)


def _scalar_kind(value: Any) -> str:
    """Which form a scalar takes, so a mistake is reported against that form alone."""
    if isinstance(value, dict):
        return "Bands" if "bands" in value else "ScalarChoice"
    return "Range" if isinstance(value, (list, tuple)) else "Fixed"


Scalar = Annotated[
    Union[
        Annotated[float, Tag("Fixed")],
        Annotated[Range, Tag("Range")],
        Annotated[ScalarChoice, Tag("ScalarChoice")],
        Annotated[Bands, Tag("Bands")],
    ],
    Discriminator(_scalar_kind),
]


def _unit(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{value} must be in 0..1")
    return value


class Palette(_Strict):
    """Colours drawn from a box in HSV space (each component 0..1)."""

    hue: Scalar = (0.0, 1.0)
    saturation: Scalar = (0.5, 1.0)
    value: Scalar = (0.5, 1.0)

    @model_validator(mode="after")
    def _in_unit_box(self) -> Palette:
        for name in ("hue", "saturation", "value"):
            for end in _ends(getattr(self, name)):
                if not 0.0 <= end <= 1.0:
                    raise ValueError(f"{name} must stay within 0..1, got {end}")
        return self


def _check_look_color(color: Any) -> Any:
    if isinstance(color, str) and color != "family" and color not in NAMED_COLORS and color not in RANDOM_COLORS:
        allowed = ", ".join(["family", *NAMED_COLORS, *RANDOM_COLORS])
        raise ValueError(f"unknown colour {color!r}; allowed: {allowed}, [r, g, b] in 0..1, or {{hue, saturation, value}}")
    if isinstance(color, tuple) and not all(0.0 <= c <= 1.0 for c in color):
        raise ValueError(f"colour {color} must have components in 0..1")
    return color


LookColor = Annotated[Union[str, tuple[float, float, float], Palette], AfterValidator(_check_look_color)]


class SurfaceSpec(_Strict):
    """A surface's colour (`family` keeps the family's) and procedural texture (`plain`: none)."""

    color: LookColor | Choice[LookColor] = "family"
    texture: Literal[TEXTURE_KINDS] | Choice[Literal[TEXTURE_KINDS]] = "plain"  # type: ignore[valid-type]
    scale: Scalar = 0.5  # metres per repeat of the pattern on floors, walls and boxes
    contrast: Scalar = 0.45  # 0: no pattern, 1: its dark tone is black


class RoomSpec(_Strict):
    """`backdrop`: a floor and a far backdrop (today's); `room`: back and side walls; `corner`: two walls meeting behind."""

    kind: Literal[ROOM_KINDS] | Choice[Literal[ROOM_KINDS]] = "backdrop"  # type: ignore[valid-type]
    depth: Scalar = 3.0  # the back wall's distance behind the event, metres (pushed back if the event needs room)
    width: Scalar = 4.0  # between the side walls, metres
    floor: SurfaceSpec = SurfaceSpec()
    walls: SurfaceSpec = SurfaceSpec()


class ObjectsSpec(_Strict):
    """The event's bodies: moving ones and static ones (screens, walls, platforms), and the shape set."""

    moving: SurfaceSpec = SurfaceSpec()
    static: SurfaceSpec = SurfaceSpec()
    shapes: Literal[SHAPE_SETS] | Choice[Literal[SHAPE_SETS]] = "family"  # type: ignore[valid-type]
    urdfs: tuple[int, int] = (0, RANDOM_URDFS - 1)  # which random_urdfs the `urdfs` set draws from

    @field_validator("urdfs")
    @classmethod
    def _urdf_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= value[0] <= value[1] < RANDOM_URDFS:
            raise ValueError(f"must be [first, last] with 0 <= first <= last <= {RANDOM_URDFS - 1}")
        return value


class ClutterSpec(_Strict):
    """Furniture-like static pieces behind and beside the event, never in its way (no collisions, never in front)."""

    count: int | tuple[int, int] = 0
    kinds: list[Literal[CLUTTER_KINDS]] = Field(default_factory=lambda: list(CLUTTER_KINDS), min_length=1)  # type: ignore[valid-type]
    surface: SurfaceSpec = SurfaceSpec(color="random_muted")
    scale: Scalar = (0.8, 1.2)

    @field_validator("count")
    @classmethod
    def _count(cls, value: Any) -> Any:
        return check_count(value)


class DistractorSpec(_Strict):
    """Something moving in the background, away from the event, by plain physics (rolling, bouncing, sliding, swinging)."""

    probability: Annotated[float, AfterValidator(_unit)] = 0.0
    kinds: list[Literal[DISTRACTOR_KINDS]] = Field(default_factory=lambda: ["roll", "bounce", "slide"], min_length=1)  # type: ignore[valid-type]
    surface: SurfaceSpec = SurfaceSpec(color="random")
    speed: Scalar = (0.3, 0.8)  # metres per second (rolling, sliding)
    size: Scalar = (0.1, 0.2)


class LightingLook(_Strict):
    """Overrides of the family's lighting (absent: the family's), and the light's colour."""

    direction: tuple[Scalar, Scalar, Scalar] | None = None
    ambient: Scalar | None = None
    diffuse: Scalar | None = None
    specular: Scalar | None = None
    shadow: bool | Choice[bool] | None = None
    color: LookColor | Choice[LookColor] | None = None


class CameraLook(_Strict):
    """Perturbations of the family's camera: offsets in degrees and metres, a factor on distance, motion over the clip."""

    yaw: Scalar = 0.0
    pitch: Scalar = 0.0
    distance: Scalar = 1.0  # factor
    height: Scalar = 0.0  # metres the camera and its target move up
    fov: Scalar = 0.0
    pan: Scalar = 0.0  # degrees of yaw turned during the clip
    dolly: Scalar = 0.0  # change of distance during the clip, as a fraction of it (negative: closer)


class VideoSpec(_Strict):
    """Image size, aspect and frame rate, codec and palette artefacts, and how a frame fits a square training shard."""

    height: Scalar | None = None  # pixels; absent: the requested size times `scale`
    scale: Scalar = 1.0
    aspect: Scalar = 1.0  # width / height
    fps: Scalar | None = None  # absent: the family's; the clip's duration in seconds stays the family's
    codec: Literal[CODECS] | Choice[Literal[CODECS]] = "raw"  # type: ignore[valid-type]
    container: Literal["mp4", "avi"] = "mp4"  # for mpeg4
    h264_crf: Scalar = 23.0
    mpeg4_qscale: Scalar = 6.0
    gif_colors: Scalar = 64.0
    gif_dither: bool = True
    grain: Scalar = 0.0  # standard deviation of per-pixel noise, in 0..255 levels
    blur: Scalar = 0.0  # Gaussian sigma in pixels
    fit: Literal[FITS] | Choice[Literal[FITS]] = "letterbox"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _gif_rate(self) -> VideoSpec:
        # A look that may draw another codec too may store fast clips as gif; one that always writes gif may not.
        if self.codec == "gif" and self.fps is not None:
            for rate in _ends(self.fps):
                if rate > 50:
                    raise ValueError(f"a GIF frame lasts at least 20 ms, so fps {rate} cannot be stored as gif; use fps <= 50")
        return self


class LayoutSpec(_Strict):
    """The event's layout: factors on moving bodies' speeds and static bodies' widths, and a shift of the event in metres."""

    speed: Scalar = 1.0
    static_width: Scalar = 1.0
    shift: tuple[Scalar, Scalar] = (0.0, 0.0)


class Look(_Strict):
    """A look as declared in one YAML file of `looks/`."""

    name: str
    description: str = ""
    room: RoomSpec = RoomSpec()
    objects: ObjectsSpec = ObjectsSpec()
    clutter: ClutterSpec = ClutterSpec()
    distractor: DistractorSpec = DistractorSpec()
    lighting: LightingLook = LightingLook()
    camera: CameraLook = CameraLook()
    video: VideoSpec = VideoSpec()
    layout: LayoutSpec = LayoutSpec()
    source: str = Field("", exclude=True)

    def digest(self) -> str:
        """A short hash of everything the look draws from, so a folder notices a changed look file."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]

    def __reduce__(self):
        # Worker processes get a look by value: pydantic's generic Choice[...] classes do not pickle by name.
        return (_look_from_data, (self.model_dump(mode="json"), self.source))


def _look_from_data(data: dict, source: str) -> Look:
    return Look.model_validate({**data, "source": source})


def _ends(spec: Any) -> list[float]:
    if isinstance(spec, ScalarChoice):
        return list(spec.choice)
    if isinstance(spec, Bands):
        return [end for band in spec.bands for end in band]
    if isinstance(spec, tuple):
        return list(spec)
    return [spec]


# --- finding and loading look files --------------------------------------------------------------


def looks_dir() -> Path:
    """The folder of bundled looks (`PHYSLAB_LOOKS` overrides it)."""
    override = os.environ.get("PHYSLAB_LOOKS")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "looks"


def look_names() -> list[str]:
    """Names of the bundled looks in the order a user meets them: the default (classic), the training look, the
    held-out looks, then the diagnostic factor and ablation looks; by name within each."""
    return sorted((path.stem for path in looks_dir().glob("*.yaml")), key=_look_rank)


def _look_rank(name: str) -> tuple[float, str]:
    for rank, start in enumerate(LOOK_ORDER):
        if name == start or (start.endswith("_") and name.startswith(start)):
            return rank, name
    return LOOK_ORDER.index("heldout_") + 0.5, name  # any other bundled look: after the held-out ones


def load_look(name_or_path: str | Path | Look) -> Look:
    """A bundled look by name, or any look file by path; errors name the file, the field and what is allowed."""
    if isinstance(name_or_path, Look):
        return name_or_path
    return load_look_file(bundled_or_file(name_or_path, looks_dir(), "look"))


def effective_look(look: Look | str | Path | None) -> Look | None:
    """The look to film with, or None when it changes nothing (`classic`): the family's own filming, byte for byte."""
    if look is None:
        return None
    look = load_look(look)
    plain = Look(name=look.name, description=look.description, source=look.source)
    return None if look == plain else look


def look_settings(look: Look | None) -> dict[str, Any]:
    """What a folder records about its look, so a resumed run with another look (or a changed file) is refused.

    Without a look both are None, which folders made before looks existed also read as; with one, also how its
    draws are seeded (`LOOK_DRAWS`), so a folder of older draws is refused too.
    """
    if look is None:
        return {"look": None, "look_digest": None}
    return {"look": look.name, "look_digest": look.digest(), "look_draws": LOOK_DRAWS}


def load_look_file(path: str | Path) -> Look:
    """A look file, on top of its `base` look when it names one (see `look_mapping`)."""
    path = Path(path)
    return validate_mapping(path, look_mapping(path), Look, hidden=_is_tag, unknown=_unknown_field)


def look_mapping(path: Path, inside: tuple[Path, ...] = ()) -> dict:
    """A look file's mapping, with what its `base` (a bundled look's name, or a look file's path, relative to this
    file's folder) gives: sections and surfaces merge field by field, so every field the file names replaces the
    base's (a value whole: a range, a choice, bands, a colour) and every other is the base's. Bases may have bases.

    Raises PhyslabError naming the file when the base cannot be found or the bases go round in a circle.
    """
    data = read_yaml_mapping(path, "a look")
    if "base" not in data:
        return data
    base = data.pop("base")
    if not isinstance(base, str) or not base:
        raise PhyslabError(f"{path}: field base: a bundled look's name or a look file's path, got {base!r}")
    if names_a_file(base):
        base_path = (path.parent / base).resolve()
        if not base_path.is_file():
            raise PhyslabError(f"{path}: field base: there is no look file {base_path}")
    else:
        try:
            base_path = bundled_or_file(base, looks_dir(), "look")
        except PhyslabError as err:
            raise PhyslabError(f"{path}: field base: {err}") from None
    chain = (*inside, path.resolve())
    if base_path.resolve() in chain:
        raise PhyslabError(f"{path}: field base: {base} is this look or one it is based on (a circle)")
    return _merged(look_mapping(base_path, chain), data)


# A mapping with one of these keys is one value (a choice, bands, an HSV box), replaced whole; any other mapping
# (a section, a surface) is merged field by field.
_VALUE_KEYS = frozenset({"choice", "bands", "hue", "saturation", "value"})


def _merged(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        inner = out.get(key)
        nested = isinstance(value, dict) and isinstance(inner, dict)
        out[key] = _merged(inner, value) if nested and not (_VALUE_KEYS & (value.keys() | inner.keys())) else value
    return out


_TAGS = ("float", "int", "str", "bool", "Fixed", "Range", "ScalarChoice", "Bands", "Palette")


def _is_tag(part: str) -> bool:
    """pydantic's names for the branches of a union, not the user's fields."""
    return part in _TAGS or "[" in part or "-" in part


def _unknown_field(loc: tuple) -> str:
    model: type[BaseModel] = Look
    for part in loc[:-1]:
        if isinstance(part, int) or _is_tag(str(part)) or part not in model.model_fields:
            continue
        annotation = model.model_fields[part].annotation
        inner = getattr(annotation, "__args__", (annotation,))
        model = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), model)
    return f"unknown field; allowed here: {', '.join(name for name in model.model_fields if name != 'source')}"


# --- concrete looks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    """A concrete surface: RGBA colour (None: keep the body's own) and texture (kind None: plain)."""

    color: tuple[float, float, float, float] | None
    texture: str | None = None
    variant: int = 0
    contrast: float = 0.45
    scale: float = 0.5


@dataclass(frozen=True)
class ClutterPiece:
    kind: str
    place: str  # "back", "left" or "right"
    along: float  # 0..1 across the band it stands in
    depth: float  # 0..1 into the band
    yaw: float
    scale: float
    surface: Surface


@dataclass(frozen=True)
class DistractorDraw:
    kind: str
    along: float  # 0..1: where across the back lane it starts
    direction: float  # +1 or -1 along x
    speed: float
    size: float
    phase: float  # 0..1: a swing's starting angle, a bounce's starting height
    surface: Surface


@dataclass(frozen=True)
class ConcreteLook:
    """One look, drawn: everything `restyle_scene`, the world builder, the renderer and the writers need."""

    name: str
    room: str
    depth: float
    width: float
    floor: Surface
    walls: Surface
    bodies: dict[str, Surface]  # per object name
    shapes: dict[str, str]  # per object name, the shape the look gives it
    clutter: tuple[ClutterPiece, ...]
    distractor: DistractorDraw | None
    light_color: tuple[float, float, float] | None
    lighting: dict[str, Any]  # the family's lighting fields the look overrides
    camera: dict[str, float]  # yaw, pitch, distance, height, fov, pan, dolly
    image_height: int
    aspect: float
    fps: float | None
    codec: str
    container: str
    quality: float
    gif_dither: bool
    grain: float
    blur: float
    fit: str
    speed: float
    static_width: float
    shift: tuple[float, float]

    @property
    def width_pixels(self) -> int:
        """Image width: the height times the aspect, even (H.264 and MPEG-4 need even sides)."""
        return max(2, 2 * round(self.image_height * self.aspect / 2))

    @property
    def suffix(self) -> str:
        """The file suffix a stimulus clip in this look is stored with."""
        return {"gif": ".gif", "mpeg4": f".{self.container}"}.get(self.codec, ".mp4")

    def metadata(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self), default=float))


def sample_look_scalar(spec: Any, rng: np.random.Generator) -> float:
    if isinstance(spec, Bands):
        low, high = spec.bands[rng.integers(len(spec.bands))]
        return float(rng.uniform(low, high))
    if isinstance(spec, ScalarChoice):
        return float(spec.choice[rng.integers(len(spec.choice))])
    if isinstance(spec, tuple):
        return float(rng.uniform(spec[0], spec[1]))
    return float(spec)


def _pick(spec: Any, rng: np.random.Generator) -> Any:
    return spec.choice[rng.integers(len(spec.choice))] if isinstance(spec, Choice) else spec


def sample_look_color(spec: Any, rng: np.random.Generator) -> tuple[float, float, float, float] | None:
    """RGBA of a look colour; None for `family` (the body keeps its own)."""
    spec = _pick(spec, rng)
    if spec == "family":
        return None
    if isinstance(spec, Palette):
        hue, saturation, value = (sample_look_scalar(getattr(spec, k), rng) for k in ("hue", "saturation", "value"))
        r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
        return (float(r), float(g), float(b), 1.0)
    return sample_color(spec, rng)


def sample_surface(spec: SurfaceSpec, rng: np.random.Generator) -> Surface:
    color = sample_look_color(spec.color, rng)
    kind = _pick(spec.texture, rng)
    variant = int(rng.integers(4))
    contrast = sample_look_scalar(spec.contrast, rng)
    scale = sample_look_scalar(spec.scale, rng)
    return Surface(color, None if kind == "plain" else kind, variant, contrast, scale)


def family_stream(name: str) -> int:
    """A family name as a seed word: stable across runs and machines (Python's `hash` of a string is not)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def sample_look(look: Look, family: Family, scene: ConcreteScene, seed: int, attempt: int = 0) -> ConcreteLook:
    """Draw a concrete look for one scene; a pure function of (look, family, scene, seed, attempt)."""
    rng = np.random.default_rng([seed, attempt, LOOK_STREAM, family_stream(family.name)])
    room = look.room
    kind = _pick(room.kind, rng)
    depth, width = sample_look_scalar(room.depth, rng), sample_look_scalar(room.width, rng)
    floor, walls = sample_surface(room.floor, rng), sample_surface(room.walls, rng)
    shape_set = _pick(look.objects.shapes, rng)
    bodies, shapes = {}, {}
    for obj in scene.objects:
        spec = _object_spec(family, obj.name)
        bodies[obj.name] = sample_surface(look.objects.static if obj.static else look.objects.moving, rng)
        if _restylable_shape(spec):
            shapes[obj.name] = _sample_shape(shape_set, obj.shape, look.objects.urdfs, rng)
    clutter = tuple(_sample_clutter(look.clutter, rng) for _ in range(_count(look.clutter.count, rng)))
    distractor = _sample_distractor(look.distractor, rng) if rng.uniform() < look.distractor.probability else None
    lighting = look.lighting
    overrides: dict[str, Any] = {}
    if lighting.direction is not None:
        overrides["direction"] = tuple(sample_look_scalar(part, rng) for part in lighting.direction)
    for key in ("ambient", "diffuse", "specular"):
        if getattr(lighting, key) is not None:
            overrides[key] = sample_look_scalar(getattr(lighting, key), rng)
    if lighting.shadow is not None:
        overrides["shadow"] = bool(_pick(lighting.shadow, rng))
    light_color = sample_look_color(lighting.color, rng) if lighting.color is not None else None
    camera = {key: sample_look_scalar(getattr(look.camera, key), rng) for key in CameraLook.model_fields}
    video = look.video
    height = sample_look_scalar(video.height, rng) if video.height is not None else None
    scale = sample_look_scalar(video.scale, rng)
    aspect = sample_look_scalar(video.aspect, rng)
    fps = sample_look_scalar(video.fps, rng) if video.fps is not None else None
    codec = _pick(video.codec, rng)
    quality = {"h264": video.h264_crf, "mpeg4": video.mpeg4_qscale, "gif": video.gif_colors}.get(codec)
    layout = look.layout
    return ConcreteLook(
        name=look.name,
        room=kind,
        depth=depth,
        width=width,
        floor=floor,
        walls=walls,
        bodies=bodies,
        shapes=shapes,
        clutter=clutter,
        distractor=distractor,
        light_color=None if light_color is None else light_color[:3],
        lighting=overrides,
        camera=camera,
        image_height=_even(height if height is not None else scene.size * scale),
        aspect=aspect,
        fps=fps,
        codec=codec,
        container=video.container,
        quality=sample_look_scalar(quality, rng) if quality is not None else 0.0,
        gif_dither=video.gif_dither,
        grain=sample_look_scalar(video.grain, rng),
        blur=sample_look_scalar(video.blur, rng),
        fit=_pick(video.fit, rng),
        speed=sample_look_scalar(layout.speed, rng),
        static_width=sample_look_scalar(layout.static_width, rng),
        shift=(sample_look_scalar(layout.shift[0], rng), sample_look_scalar(layout.shift[1], rng)),
    )


def _even(pixels: float) -> int:
    """H.264 and MPEG-4 in 4:2:0 need even sides."""
    return max(2, 2 * round(pixels / 2))


def _object_spec(family: Family, name: str) -> Any:
    """The family's object spec behind a concrete object (counted objects are named `name_k`)."""
    for spec in family.objects:
        if spec.name == name or (spec.counted and name.rsplit("_", 1)[0] == spec.name):
            return spec
    return None


def _restylable_shape(spec: Any) -> bool:
    """A look may change the shape of a moving body whose family lets it be several shapes and that does not roll
    (a rolling ball must stay round, a car keeps its wheels)."""
    return spec is not None and not spec.static and not spec.roll and isinstance(spec.shape, ShapeChoice)


def _sample_shape(shape_set: str, shape: str, urdfs: tuple[int, int], rng: np.random.Generator) -> str:
    if shape_set == "family":
        return shape
    if shape_set == "urdfs":
        return urdf_shape(int(rng.integers(urdfs[0], urdfs[1] + 1)))
    members = SHAPE_SET_MEMBERS[shape_set]
    return members[rng.integers(len(members))]


def _count(spec: int | tuple[int, int], rng: np.random.Generator) -> int:
    return spec if isinstance(spec, int) else int(rng.integers(spec[0], spec[1] + 1))


def _sample_clutter(spec: ClutterSpec, rng: np.random.Generator) -> ClutterPiece:
    return ClutterPiece(
        kind=spec.kinds[rng.integers(len(spec.kinds))],
        place=("back", "back", "left", "right")[rng.integers(4)],
        along=float(rng.uniform()),
        depth=float(rng.uniform()),
        yaw=float(rng.uniform(-20, 20)),
        scale=sample_look_scalar(spec.scale, rng),
        surface=sample_surface(spec.surface, rng),
    )


def _sample_distractor(spec: DistractorSpec, rng: np.random.Generator) -> DistractorDraw:
    return DistractorDraw(
        kind=spec.kinds[rng.integers(len(spec.kinds))],
        along=float(rng.uniform()),
        direction=float(rng.choice([-1.0, 1.0])),
        speed=sample_look_scalar(spec.speed, rng),
        size=sample_look_scalar(spec.size, rng),
        phase=float(rng.uniform()),
        surface=sample_surface(spec.surface, rng),
    )


# --- what a look changes in the scene ------------------------------------------------------------


def restyle_scene(scene: ConcreteScene, look: ConcreteLook) -> ConcreteScene:
    """The scene as the look films it: layout, shapes and colours, camera, lighting, frame rate and length.

    The clip's duration in seconds stays the family's; a fixed-frame onset keeps its time.
    """
    fps = look.fps or scene.fps
    frames = max(8, round(scene.frames * fps / scene.fps))
    violation = scene.violation
    if violation is not None and violation.frame is not None and fps != scene.fps:
        violation = dataclasses.replace(violation, frame=round(violation.frame * fps / scene.fps))
    camera = scene.camera
    camera = Camera(
        distance=camera.distance * look.camera["distance"],
        yaw=camera.yaw + look.camera["yaw"],
        pitch=camera.pitch + look.camera["pitch"],
        target=(camera.target[0], camera.target[1], camera.target[2] + look.camera["height"]),
        fov=float(np.clip(camera.fov + look.camera["fov"], 10.0, 120.0)),
    )
    lighting = dataclasses.replace(scene.lighting, **look.lighting) if look.lighting else scene.lighting
    return dataclasses.replace(
        scene,
        frames=frames,
        fps=fps,
        camera=camera,
        lighting=lighting,
        floor_color=look.floor.color or scene.floor_color,
        wall_color=look.walls.color or scene.wall_color,
        objects=tuple(_restyle_object(obj, look) for obj in scene.objects),
        violation=violation,
    )


def _restyle_object(obj: ConcreteObject, look: ConcreteLook) -> ConcreteObject:
    changes: dict[str, Any] = {}
    surface = look.bodies.get(obj.name)
    if surface is not None and surface.color is not None:
        changes["color"] = surface.color
    if look.shapes.get(obj.name, obj.shape) != obj.shape:
        changes["shape"] = look.shapes[obj.name]
    if obj.static and look.static_width != 1.0:
        changes["size"] = (obj.size[0] * look.static_width, obj.size[1], obj.size[2])
    if not obj.static and look.speed != 1.0:
        changes["velocity"] = tuple(v * look.speed for v in obj.velocity)
        changes["angular_velocity"] = tuple(w * look.speed for w in obj.angular_velocity)
    if obj.rests_on is None and look.shift != (0.0, 0.0):
        x, y, z = obj.position
        changes["position"] = (x + look.shift[0], y + look.shift[1], z)
    return dataclasses.replace(obj, **changes) if changes else obj


def vertical_fov(fov: float, aspect: float) -> float:
    """The vertical field of view that gives the shorter side of the image `fov` degrees (portrait keeps the width)."""
    if aspect >= 1.0:
        return fov
    return math.degrees(2 * math.atan(math.tan(math.radians(fov) / 2) / aspect))
