"""Worlds that take actions, live in pybullet: place a state, apply velocity commands, take top-down pictures.

A world is rebuilt from scratch at every `reset`, so an episode is a pure function of its start state
and its actions (pybullet is deterministic when it gets the same commands in the same order). One
DIRECT client per process, passed explicitly, as in `physlab.scenes.world`.

The agent is driven by a fixed constraint whose target moves at the commanded velocity, with a bounded
force: walls and heavy things stop it, as they would stop a motor. Actions are (vx, vy) in [-1, 1]^2,
times the world's `max_speed`.
"""

from __future__ import annotations

import math

import numpy as np
import pybullet as p

from physlab.control.spec import Push, TwoRooms
from physlab.scenes.world import PHYSICS_HZ, connect, disconnect

__all__ = ["ControlWorld", "PushWorld", "TwoRoomsWorld", "connect", "disconnect", "make_world"]


class ControlWorld:
    """What every world with actions does; subclasses build the bodies and read the state."""

    spec: TwoRooms | Push

    def __init__(self, spec: TwoRooms | Push, client: int):
        self.spec = spec
        self.client = client
        self.agent = -1
        self._drive = -1
        self._agent_z = 0.0
        self._target = np.zeros(2)
        substeps = PHYSICS_HZ / spec.motion.control_hz
        if abs(substeps - round(substeps)) > 1e-9:
            raise ValueError(f"control_hz {spec.motion.control_hz} must divide the physics rate {PHYSICS_HZ} Hz")
        self.substeps = round(substeps)
        self._view, self._projection = _top_down_camera(spec)

    @property
    def image_size(self) -> int:
        return self.spec.camera.image_size

    def reset(self, state: np.ndarray) -> None:
        """Rebuild the world with every body placed as `state` says, at rest."""
        p.resetSimulation(physicsClientId=self.client)
        p.setPhysicsEngineParameter(fixedTimeStep=1.0 / PHYSICS_HZ, deterministicOverlappingPairs=1, physicsClientId=self.client)
        self._build(np.asarray(state, dtype=np.float64))

    def step(self, action: np.ndarray) -> None:
        """Hold the velocity command `action` (2,) in [-1, 1] for one env step (1 / control_hz seconds).

        The drive's target moves on from where it was, so in free motion the agent covers exactly
        max_speed / control_hz per step at action 1 (it trails the target by a few physics steps); once something
        holds the agent back by more than half a step's travel, the target starts again from the agent.
        """
        motion = self.spec.motion
        velocity = np.clip(np.asarray(action, dtype=np.float64)[:2], -1.0, 1.0) * motion.max_speed
        if np.linalg.norm(self._agent_xy() - self._target) > 0.5 * motion.max_speed / motion.control_hz:
            self._target = self._agent_xy()
        start = self._target
        dt = 1.0 / PHYSICS_HZ
        for k in range(1, self.substeps + 1):
            self._target = self._reachable(start + velocity * dt * k)
            p.changeConstraint(
                self._drive, (*self._target, self._agent_z), maxForce=motion.max_force, physicsClientId=self.client
            )
            p.stepSimulation(physicsClientId=self.client)

    def render(self) -> np.ndarray:
        """The top-down picture (S, S, 3) uint8 of the world now, S the camera's image_size."""
        size = self.image_size
        _, _, rgba, _, _ = p.getCameraImage(
            size,
            size,
            self._view,
            self._projection,
            renderer=p.ER_TINY_RENDERER,
            lightDirection=(0.3, -0.4, 1.0),
            lightAmbientCoeff=0.75,
            lightDiffuseCoeff=0.35,
            lightSpecularCoeff=0.0,
            shadow=0,
            flags=p.ER_NO_SEGMENTATION_MASK,
            physicsClientId=self.client,
        )
        return np.reshape(np.asarray(rgba, dtype=np.uint8), (size, size, 4))[:, :, :3].copy()

    def state(self) -> np.ndarray:
        raise NotImplementedError

    def _build(self, state: np.ndarray) -> None:
        raise NotImplementedError

    def _reachable(self, target: np.ndarray) -> np.ndarray:
        """Where the drive may pull the agent: inside the picture."""
        bound = self.spec.half_size * self.spec.camera.margin - self.spec.agent.radius
        return np.clip(target, -bound, bound)

    def _add_agent(self, xy: np.ndarray, z: float, height: float) -> None:
        radius, client = self.spec.agent.radius, self.client
        collision = p.createCollisionShape(p.GEOM_CYLINDER, radius=radius, height=height, physicsClientId=client)
        visual = p.createVisualShape(
            p.GEOM_CYLINDER, radius=radius, length=height, rgbaColor=self.spec.agent.colour, physicsClientId=client
        )
        self._agent_z = z
        self._target = np.asarray(xy, dtype=np.float64)
        self.agent = p.createMultiBody(0.2, collision, visual, (*xy, z), physicsClientId=client)
        p.changeDynamics(self.agent, -1, lateralFriction=0.3, restitution=0.0, physicsClientId=client)
        self._drive = p.createConstraint(
            self.agent, -1, -1, -1, p.JOINT_FIXED, (0, 0, 0), (0, 0, 0), (*xy, z), physicsClientId=client
        )
        p.changeConstraint(self._drive, (*xy, z), maxForce=self.spec.motion.max_force, physicsClientId=client)

    def _agent_xy(self) -> np.ndarray:
        return np.asarray(p.getBasePositionAndOrientation(self.agent, physicsClientId=self.client)[0][:2])


class TwoRoomsWorld(ControlWorld):
    """State (2,): the agent's x and y in metres."""

    spec: TwoRooms

    def state(self) -> np.ndarray:
        return self._agent_xy()

    def _build(self, state: np.ndarray) -> None:
        spec, client = self.spec, self.client
        p.setGravity(0, 0, 0, physicsClientId=client)
        half, thick, height = spec.half_size, spec.wall_thickness, 0.1
        _box(client, (half * 1.3, half * 1.3, 0.01), (0, 0, -0.01), spec.floor_colour, collide=False)
        outer = half + thick / 2
        for centre, extents in (
            ((0, outer), (outer + thick / 2, thick / 2)),
            ((0, -outer), (outer + thick / 2, thick / 2)),
            ((outer, 0), (thick / 2, outer + thick / 2)),
            ((-outer, 0), (thick / 2, outer + thick / 2)),
        ):
            _box(client, (*extents, height / 2), (*centre, height / 2), spec.wall_colour)
        low, high = spec.door_centre - spec.door_width / 2, spec.door_centre + spec.door_width / 2
        self.middle_walls = [
            _box(client, (thick / 2, (end - start) / 2, height / 2), (0, (start + end) / 2, height / 2), spec.wall_colour)
            for start, end in ((-half, low), (high, half))
            if end - start > 1e-6
        ]
        self._add_agent(state[:2], height / 2, height * 0.6)

    def pass_through_walls(self) -> None:
        """Let the agent pass through the middle wall from now on (until the next reset): impossible twins only."""
        for wall in self.middle_walls:
            p.setCollisionFilterPair(self.agent, wall, -1, -1, 0, physicsClientId=self.client)


class PushWorld(ControlWorld):
    """State (5,): the pusher's x, y, the object's x, y (metres) and heading (radians)."""

    spec: Push

    def state(self) -> np.ndarray:
        position, orientation = p.getBasePositionAndOrientation(self.object, physicsClientId=self.client)
        heading = p.getEulerFromQuaternion(orientation)[2]
        return np.array([*self._agent_xy(), position[0], position[1], heading])

    def object_height(self) -> float:
        """The object's height above the floor now (it is below the table top once it has fallen off)."""
        return float(p.getBasePositionAndOrientation(self.object, physicsClientId=self.client)[0][2])

    def _build(self, state: np.ndarray) -> None:
        spec, client = self.spec, self.client
        p.setGravity(0, 0, -9.81, physicsClientId=client)
        half, top = spec.half_size, spec.table_height
        _box(client, (half * 3, half * 3, 0.01), (0, 0, -0.01), spec.floor_colour, friction=spec.object.friction)
        table = _box(client, (half, half, top / 2), (0, 0, top / 2), spec.table_colour, friction=spec.object.friction)
        self.object = _push_object(client, spec, state[2:5], top)
        self._add_agent(state[:2], top + spec.object.height * 0.5, spec.object.height * 0.6)
        p.setCollisionFilterPair(self.agent, table, -1, -1, 0, physicsClientId=client)


def make_world(spec: TwoRooms | Push, client: int) -> ControlWorld:
    """The live world of a spec, on a pybullet client."""
    return (TwoRoomsWorld if spec.kind == "two_rooms" else PushWorld)(spec, client)


def _push_object(client: int, spec: Push, pose: np.ndarray, top: float) -> int:
    thing = spec.object
    half_height = thing.height / 2
    if thing.shape == "box":
        parts = [((thing.size / 2, thing.size / 2, half_height), (0.0, 0.0, 0.0))]
    else:
        # A T: the bar along x across the stem's top end, the stem along -y. pybullet puts the centre of mass at the
        # body's origin, so the parts are placed around their joint centre of mass: pushed, the T turns as a T does.
        bar_area, stem_area = thing.size * thing.width, thing.width * thing.stem
        centre = bar_area * (thing.stem + thing.width) / 2 / (bar_area + stem_area)
        bar = ((thing.size / 2, thing.width / 2, half_height), (0.0, (thing.stem + thing.width) / 2 - centre, 0.0))
        stem = ((thing.width / 2, thing.stem / 2, half_height), (0.0, -centre, 0.0))
        parts = [bar, stem]
    collision = p.createCollisionShapeArray(
        [p.GEOM_BOX] * len(parts),
        halfExtents=[extents for extents, _ in parts],
        collisionFramePositions=[offset for _, offset in parts],
        physicsClientId=client,
    )
    visual = p.createVisualShapeArray(
        [p.GEOM_BOX] * len(parts),
        halfExtents=[extents for extents, _ in parts],
        visualFramePositions=[offset for _, offset in parts],
        rgbaColors=[thing.colour] * len(parts),
        physicsClientId=client,
    )
    orientation = p.getQuaternionFromEuler((0.0, 0.0, float(pose[2])))
    body = p.createMultiBody(
        thing.mass,
        collision,
        visual,
        (float(pose[0]), float(pose[1]), top + half_height + 1e-4),
        orientation,
        physicsClientId=client,
    )
    p.changeDynamics(body, -1, lateralFriction=thing.friction, restitution=0.0, physicsClientId=client)
    return body


def _box(
    client: int,
    half_extents: tuple[float, float, float],
    position: tuple[float, float, float],
    colour: tuple[float, float, float, float],
    *,
    collide: bool = True,
    friction: float = 0.5,
) -> int:
    collision = p.createCollisionShape(p.GEOM_BOX, halfExtents=half_extents, physicsClientId=client) if collide else -1
    visual = p.createVisualShape(p.GEOM_BOX, halfExtents=half_extents, rgbaColor=colour, physicsClientId=client)
    body = p.createMultiBody(0.0, collision, visual, position, physicsClientId=client)
    if collide:
        p.changeDynamics(body, -1, lateralFriction=friction, restitution=0.0, physicsClientId=client)
    return body


def _top_down_camera(spec: TwoRooms | Push) -> tuple[list[float], list[float]]:
    """A camera straight above the centre, far away with a narrow field of view: nearly orthographic, x to the
    right and y up in the picture."""
    camera = spec.camera
    view = p.computeViewMatrix((0.0, 0.0, camera.distance), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    fov = math.degrees(2 * math.atan(spec.half_size * camera.margin / camera.distance))
    projection = p.computeProjectionMatrixFOV(fov, 1.0, camera.distance / 2, camera.distance * 2)
    return view, projection
