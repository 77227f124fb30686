"""Worlds that take actions, as data: the YAML schema (pydantic) and where the bundled worlds live.

A world file names its kind (`two_rooms` or `push`), its geometry and colours, how the agent moves
(actions are planar velocity commands in [-1, 1]^2, times `max_speed`), how its pictures are taken,
and the task the planner is judged on: how start and goal states are drawn, the step budget and
what counts as success. Worlds live in `worlds/`, apart from `scenes/`: nothing here is drawn into
the watching model's training data or stimulus sets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from physlab.files import bundled_or_file, read_validated_yaml

Colour = tuple[float, float, float, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Camera(_Strict):
    """A camera straight above the centre of the world; `margin` is how much more than the world it shows."""

    image_size: int = Field(64, ge=16, multiple_of=8)
    margin: float = Field(1.05, ge=1.0)
    distance: float = Field(6.0, gt=0, description="metres above the floor; far, so the view is nearly orthographic")


class Motion(_Strict):
    """How actions move the agent: an env step holds one velocity command for 1 / control_hz seconds."""

    control_hz: float = Field(10.0, gt=0)
    frame_skip: int = Field(5, ge=1, description="env steps per model step: the model's action is a chunk of this many")
    max_speed: float = Field(..., gt=0, description="metres per second at action norm 1 along an axis")
    max_force: float = Field(60.0, gt=0, description="newtons the agent's drive can exert (walls and heavy things stop it)")


class Agent(_Strict):
    radius: float = Field(..., gt=0)
    colour: Colour


class TwoRoomsTask(_Strict):
    """Start in one room, the goal anywhere in the other one; success is ending within `success_radius`."""

    steps: int = Field(100, ge=1, description="env steps the agent has (the step budget)")
    success_radius: float = Field(0.15, gt=0)
    clearance: float = Field(0.1, ge=0, description="how far starts and goals stay from walls, beyond the agent")


class TwoRooms(_Strict):
    """A square arena split by a wall at x = 0 with one door; a point agent must go through the door."""

    kind: Literal["two_rooms"]
    name: str
    description: str = ""
    source: str = ""
    half_size: float = Field(1.0, gt=0, description="the arena spans [-half_size, half_size] in x and y")
    wall_thickness: float = Field(0.1, gt=0)
    door_centre: float = 0.0
    door_width: float = Field(0.45, gt=0)
    floor_colour: Colour
    wall_colour: Colour
    agent: Agent
    motion: Motion
    camera: Camera = Camera()
    task: TwoRoomsTask = TwoRoomsTask()

    @model_validator(mode="after")
    def _fits(self) -> TwoRooms:
        if self.door_width <= 2 * self.agent.radius:
            raise ValueError(f"door_width {self.door_width} must exceed the agent's diameter {2 * self.agent.radius}")
        if abs(self.door_centre) + self.door_width / 2 > self.half_size:
            raise ValueError("the door must lie inside the wall")
        return self

    @property
    def state_names(self) -> tuple[str, ...]:
        return ("agent_x", "agent_y")


class PushObject(_Strict):
    """The thing to push: a box (`size` its side) or a T (`size` the bar's length, `stem` its stem's length)."""

    shape: Literal["box", "tee"] = "box"
    size: float = Field(0.16, gt=0)
    stem: float = Field(0.12, gt=0, description="a T's stem length")
    width: float = Field(0.04, gt=0, description="a T's bar and stem thickness")
    height: float = Field(0.04, gt=0)
    mass: float = Field(0.4, gt=0)
    friction: float = Field(0.5, ge=0)
    colour: Colour


class PushTask(_Strict):
    """Start and goal `goal_steps` apart on a noisy scripted pushing trajectory (so the goal is reachable)."""

    steps: int = Field(50, ge=1, description="env steps the agent has (the step budget)")
    # "behind": the pusher starts just behind the object and the goal is where a scripted push of goal_steps leaves
    # them; "trajectory": start and goal goal_steps apart anywhere on a scripted trajectory, approaches included, as
    # DINO-WM and LeWorldModel draw Push-T's pairs (harder: the planner must also find its way around the object).
    start: Literal["behind", "trajectory"] = "behind"
    goal_steps: int = Field(25, ge=1, description="env steps between start and goal on the scripted trajectory")
    min_displacement: float = Field(0.06, ge=0, description="the goal moves the object at least this far")
    position_tolerance: float = Field(0.05, gt=0, description="success: the object's centre this close to the goal's")
    angle_tolerance: float = Field(20.0, gt=0, description="and its heading within this many degrees (modulo symmetry)")
    start_region: float = Field(0.6, gt=0, le=1, description="starts lie within this fraction of the table")


class Push(_Strict):
    """A flat pusher moves over a table and must push an object to a goal pose; off the edge it falls."""

    kind: Literal["push"]
    name: str
    description: str = ""
    source: str = ""
    half_size: float = Field(0.5, gt=0, description="the table spans [-half_size, half_size] in x and y")
    table_height: float = Field(0.1, gt=0)
    floor_colour: Colour
    table_colour: Colour
    agent: Agent
    object: PushObject
    motion: Motion
    camera: Camera = Camera()
    task: PushTask = PushTask()
    guardrail_margin: float = Field(0.03, ge=0, description="the cost's guardrails begin this far inside the table's edge")

    @property
    def state_names(self) -> tuple[str, ...]:
        return ("agent_x", "agent_y", "object_x", "object_y", "object_angle")

    @property
    def symmetry(self) -> int:
        """Turns that leave the object looking the same: 4 for a box, 1 for a T."""
        return 4 if self.object.shape == "box" else 1


WorldSpec = Annotated[TwoRooms | Push, Field(discriminator="kind")]


def worlds_dir() -> Path:
    """The folder of bundled worlds (`PHYSLAB_WORLDS` overrides it)."""
    override = os.environ.get("PHYSLAB_WORLDS")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "worlds"


def world_names() -> list[str]:
    """Names of the bundled worlds, sorted."""
    return sorted(path.stem for path in worlds_dir().glob("*.yaml"))


def load_world(name_or_path: str | Path) -> TwoRooms | Push:
    """A bundled world by name (`two_rooms`, `push`) or any world file by path; errors name the file and field."""
    path = bundled_or_file(name_or_path, worlds_dir(), "world")
    wrapped = read_validated_yaml(path, "a world", _Wrapper)
    return wrapped.world


class _Wrapper(_Strict):
    """A world file is the world's fields at the top level; this wraps them so `kind` picks the schema."""

    world: WorldSpec
    source: str = ""

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: dict) -> dict:
        source = data.pop("source", "")
        return {"world": {**data, "source": source}, "source": source}
