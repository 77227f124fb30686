"""The film set around an event: a look's walls, furniture-like clutter and distractor, placed after the physics.

Everything here is visual only (no collision shape) and is built after the event was simulated,
so it cannot change the event's physics. It is placed from the event's swept volume (every
body's bounds over every frame): the distractor's lane and the back clutter lie behind the
event, side clutter lies beyond both the event and the camera, so nothing stands between the
camera (in front of the event, at lower y) and the event. Walls are pushed back until all of it
fits; a piece that cannot fit (the classic backdrop stays at its place) is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pybullet as p

from physlab.scenes.distractors import distractor_tracks
from physlab.scenes.looks import ClutterPiece, Surface
from physlab.scenes.render import eye_positions
from physlab.scenes.surfaces import box_visual, dress_body
from physlab.scenes.trajectory import Trajectory
from physlab.scenes.world import BACKDROP_POSITION, HIDDEN_POSITION, World

MARGIN = 0.25  # metres between the event's swept volume and anything the look adds
LANE = 0.5  # depth of the distractor's lane
BAND = 1.2  # depth of the band clutter stands in
WALL_HEIGHT = 4.0
WALL_THICKNESS = 0.05

# Furniture from boxes ("box", centre, half extents), cylinders ("cylinder", centre, (radius, half height))
# and spheres ("sphere", centre, (radius,)), in metres at scale 1, on the floor at the origin; "accent"
# parts are drawn darker. Each piece's footprint is its half size in x and y.
PIECES: dict[str, tuple[tuple[float, float], list[tuple]]] = {
    "table": (
        (0.45, 0.3),
        [("box", (0, 0, 0.72), (0.45, 0.3, 0.02))]
        + [("box", (sx * 0.41, sy * 0.26, 0.355), (0.02, 0.02, 0.355), "accent") for sx in (-1, 1) for sy in (-1, 1)],
    ),
    "shelf": (
        (0.42, 0.18),
        [("box", (sx * 0.4, 0, 0.8), (0.015, 0.17, 0.8), "accent") for sx in (-1, 1)]
        + [("box", (0, 0, z), (0.39, 0.17, 0.012)) for z in (0.1, 0.55, 1.0, 1.45)],
    ),
    "cabinet": (
        (0.4, 0.23),
        [("box", (0, 0, 0.45), (0.4, 0.22, 0.45)), ("box", (0, -0.225, 0.45), (0.005, 0.005, 0.4), "accent")],
    ),
    "chair": (
        (0.23, 0.23),
        [("box", (0, 0, 0.45), (0.22, 0.22, 0.02)), ("box", (0, 0.21, 0.7), (0.22, 0.015, 0.24))]
        + [("box", (sx * 0.19, sy * 0.19, 0.22), (0.015, 0.015, 0.22), "accent") for sx in (-1, 1) for sy in (-1, 1)],
    ),
    "lamp": (
        (0.16, 0.16),
        [
            ("cylinder", (0, 0, 0.015), (0.14, 0.015), "accent"),
            ("cylinder", (0, 0, 0.72), (0.015, 0.7), "accent"),
            ("cylinder", (0, 0, 1.45), (0.17, 0.12)),
        ],
    ),
    "plant": ((0.3, 0.3), [("cylinder", (0, 0, 0.15), (0.15, 0.15)), ("sphere", (0, 0, 0.55), (0.3,), "foliage")]),
    "crate": ((0.25, 0.25), [("box", (0, 0, 0.25), (0.25, 0.25, 0.25))]),
    "stool": (
        (0.18, 0.18),
        [("cylinder", (0, 0, 0.46), (0.18, 0.025))]
        + [("box", (0.12 * math.cos(a), 0.12 * math.sin(a), 0.22), (0.015, 0.015, 0.22), "accent") for a in (0.5, 2.6, 4.7)],
    ),
}
FOLIAGE = (0.25, 0.5, 0.22, 1.0)
CLUTTER_COLOR = (0.55, 0.45, 0.35, 1.0)  # a piece whose look keeps the "family" colour


@dataclass(frozen=True)
class Stage:
    """Where the look's set goes around one event (metres)."""

    back_y: float  # the back wall (room) or the corner's apex (corner)
    half_width: float  # side walls at +-half_width
    lane_y: float  # the distractor's lane
    lane_x: tuple[float, float]
    back_band: tuple[float, float]  # y range of the back clutter band
    side_band: tuple[float, float]  # |x| range of the side clutter bands
    event_y: tuple[float, float]


def dress_set(world: World, trajectory: Trajectory) -> Trajectory:
    """Build the look's walls and clutter around the simulated event, and add its distractor's tracks.

    Returns the trajectory with the distractor (the same object if the look adds none); without a look, nothing changes.
    """
    look = world.look
    if look is None:
        return trajectory
    stage = plan_stage(world, trajectory)
    _build_walls(world, stage)
    for piece in look.clutter:
        _build_piece(world, stage, piece)
    if look.distractor is None:
        return trajectory
    dressed = trajectory.copy()
    dressed.tracks.update(distractor_tracks(look.distractor, stage.lane_y, stage.lane_x, trajectory.frames, trajectory.fps))
    return dressed


def event_extent(trajectory: Trajectory) -> tuple[np.ndarray, np.ndarray]:
    """The low and high corners of every body's bounds over every frame."""
    lows = [track.bounds[:, 0].min(axis=0) for track in trajectory.tracks.values()]
    highs = [track.bounds[:, 1].max(axis=0) for track in trajectory.tracks.values()]
    return np.min(lows, axis=0), np.max(highs, axis=0)


def plan_stage(world: World, trajectory: Trajectory) -> Stage:
    look = world.look
    low, high = event_extent(trajectory)
    eyes = eye_positions(world.scene.camera, look, trajectory.frames)
    reach_x = max(abs(low[0]), abs(high[0]))
    camera_x = float(np.abs(eyes[:, 0]).max())
    lane_y = high[1] + MARGIN + LANE / 2
    band_start = high[1] + MARGIN + (LANE if look.distractor else 0.0)
    back_band = (band_start, band_start + BAND)
    needed_back = back_band[1] + MARGIN if look.clutter else band_start + MARGIN
    side_start = max(reach_x, camera_x) + MARGIN
    side_band = (side_start, side_start + 0.8)
    needed_side = side_band[1] + 0.1 if look.clutter else side_start
    if look.room == "backdrop":
        back_y = BACKDROP_POSITION[1]
        half_width = 10.0
    elif look.room == "room":
        back_y = max(high[1] + look.depth, needed_back)
        half_width = max(look.width / 2, needed_side)
    else:  # corner: walls at 45 degrees meeting behind the event; a point is inside when back_y - y > |x|
        back_y = max(high[1] + reach_x + look.depth, needed_back + reach_x, camera_x + float(eyes[:, 1].max()) + MARGIN)
        half_width = back_y
    # The lane stays clear of the side clutter and, in a corner, inside the walls.
    lane_half = min(min(half_width, 3.0) - MARGIN, side_start - 0.1)
    if look.room == "corner":
        lane_half = min(lane_half, back_y - lane_y - 0.3)
    return Stage(back_y, half_width, lane_y, (-lane_half, lane_half), back_band, side_band, (float(low[1]), float(high[1])))


def _wall_color(world: World) -> tuple:
    return world.scene.wall_color


def _add_visual(world: World, visual: int, position: tuple, orientation: tuple = (0.0, 0.0, 0.0, 1.0)) -> int:
    return p.createMultiBody(0.0, -1, visual, position, orientation, physicsClientId=world.client)


def _box(world: World, half: tuple, position: tuple, color: tuple, surface: Surface, orientation=(0.0, 0.0, 0.0, 1.0)) -> int:
    client = world.client
    if surface.texture:
        visual = box_visual(client, half, color, surface)
    else:
        visual = p.createVisualShape(p.GEOM_BOX, halfExtents=half, rgbaColor=color, physicsClientId=client)
    return _add_visual(world, visual, position, orientation)


def _build_walls(world: World, stage: Stage) -> None:
    look, client = world.look, world.client
    if look.room == "backdrop":
        return
    # The classic backdrop gives way to the look's walls.
    p.resetBasePositionAndOrientation(world.set_bodies["backdrop"], HIDDEN_POSITION, (0, 0, 0, 1), physicsClientId=client)
    color, surface = _wall_color(world), look.walls
    if look.room == "room":
        _box(world, (stage.half_width, WALL_THICKNESS, WALL_HEIGHT), (0.0, stage.back_y + WALL_THICKNESS, 0.0), color, surface)
        depth = (stage.back_y + 6.0) / 2
        for side in (-1, 1):
            centre = (side * (stage.half_width + WALL_THICKNESS), stage.back_y - depth, 0.0)
            _box(world, (WALL_THICKNESS, depth, WALL_HEIGHT), centre, color, surface)
        return
    length = 10.0
    for side in (-1, 1):
        # Each wall runs from the apex (0, back_y) towards the camera's side at 45 degrees.
        direction = np.array([side, -1.0]) / math.sqrt(2)
        normal = np.array([-direction[1], direction[0]]) * -side  # points into the room
        centre = np.array([0.0, stage.back_y]) + direction * length / 2 - normal * WALL_THICKNESS
        yaw = math.atan2(direction[1], direction[0])
        orientation = p.getQuaternionFromEuler((0.0, 0.0, yaw))
        _box(world, (length / 2, WALL_THICKNESS, WALL_HEIGHT), (centre[0], centre[1], 0.0), color, surface, orientation)


def _build_piece(world: World, stage: Stage, piece: ClutterPiece) -> None:
    footprint, parts = PIECES[piece.kind]
    reach = max(footprint) * piece.scale
    if piece.place == "back":
        y = stage.back_band[0] + reach + piece.depth * max(0.0, stage.back_band[1] - stage.back_band[0] - 2 * reach)
        x = (2 * piece.along - 1) * (min(stage.half_width, 2.5) - reach)
    else:
        side = -1 if piece.place == "left" else 1
        x = side * (stage.side_band[0] + reach + piece.depth * max(0.0, stage.side_band[1] - stage.side_band[0] - 2 * reach))
        y = stage.event_y[0] + piece.along * (stage.back_band[1] - stage.event_y[0])
    if not _fits(world, stage, x, y, reach):
        return
    yaw = math.radians(piece.yaw)
    orientation = p.getQuaternionFromEuler((0.0, 0.0, yaw))
    turn = np.array([[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]])
    base = piece.surface.color or CLUTTER_COLOR
    for part in parts:
        shape, centre, dims = part[0], np.asarray(part[1]) * piece.scale, np.asarray(part[2]) * piece.scale
        role = part[3] if len(part) > 3 else "main"
        color = FOLIAGE if role == "foliage" else tuple([*(np.asarray(base[:3]) * (0.6 if role == "accent" else 1.0)), 1.0])
        offset = turn @ centre[:2]
        position = (x + offset[0], y + offset[1], centre[2])
        surface = piece.surface if role == "main" else Surface(None)
        _add_part(world, shape, dims, position, orientation, color, surface)


def _fits(world: World, stage: Stage, x: float, y: float, reach: float) -> bool:
    """Inside the walls, and behind the event or beside it beyond the camera."""
    look = world.look
    if look.room == "corner":
        return stage.back_y - (y + reach) > abs(x) + reach + 0.05
    if look.room == "room":
        return abs(x) + reach < stage.half_width and y + reach < stage.back_y
    return y + reach < BACKDROP_POSITION[1] - WALL_THICKNESS


def _add_part(
    world: World, shape: str, dims: np.ndarray, position: tuple, orientation: tuple, color: tuple, surface: Surface
) -> None:
    client = world.client
    if shape == "box":
        _box(world, tuple(dims), position, color, surface, orientation)
        return
    if shape == "cylinder":
        visual = p.createVisualShape(p.GEOM_CYLINDER, radius=dims[0], length=2 * dims[1], rgbaColor=color, physicsClientId=client)
    else:
        visual = p.createVisualShape(p.GEOM_SPHERE, radius=dims[0], rgbaColor=color, physicsClientId=client)
    body = _add_visual(world, visual, position, orientation)
    dress_body(client, body, surface, color)
