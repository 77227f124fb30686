"""A pybullet world built from a concrete scene: floor, backdrop and the scene's bodies.

One DIRECT client per process, passed explicitly everywhere (no pybullet global client).
With a look, the same bodies are built in the same order with the same collision shapes (so
the physics is the look's layout's, nothing else), and only their visuals change: colours and
procedural textures (`physlab/scenes/surfaces.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pybullet as p
import pybullet_data

from physlab.scenes.looks import ConcreteLook, Surface
from physlab.scenes.meshes import MESH_EXTENTS, is_mesh, mesh_extent, urdf_file
from physlab.scenes.spec import ConcreteObject, ConcreteScene
from physlab.scenes.surfaces import box_visual, dress_body, forget_client
from physlab.scenes.violations import ALT_SUFFIX

PHYSICS_HZ = 240
WHEEL_RADIUS = {"racecar": 0.05}
HIDDEN_POSITION = (0.0, 0.0, -50.0)
FLOOR_HALF_EXTENTS = (10.0, 10.0, 0.05)
BACKDROP_HALF_EXTENTS = (10.0, 0.05, 4.0)
BACKDROP_POSITION = (0.0, 3.0, 0.0)


@dataclass
class World:
    """The live pybullet state of one scene; `bodies` maps scene names to body ids."""

    client: int
    scene: ConcreteScene
    bodies: dict[str, int] = field(default_factory=dict)
    joints: dict[str, list[int]] = field(default_factory=dict)
    colors: dict[str, tuple] = field(default_factory=dict)  # the colour each body shows now
    look: ConcreteLook | None = None
    set_bodies: dict[str, int] = field(default_factory=dict)  # floor, backdrop: not part of the event


def connect() -> int:
    """Open a headless pybullet client."""
    client = p.connect(p.DIRECT)
    p.setAdditionalSearchPath(pybullet_data.getDataPath(), physicsClientId=client)
    return client


def disconnect(client: int) -> None:
    p.disconnect(physicsClientId=client)
    forget_client(client)


def build_world(client: int, scene: ConcreteScene, look: ConcreteLook | None = None) -> World:
    """Reset the client and load the scene, every body resting where the scene places it."""
    p.resetSimulation(physicsClientId=client)
    p.setPhysicsEngineParameter(fixedTimeStep=1.0 / PHYSICS_HZ, deterministicOverlappingPairs=1, physicsClientId=client)
    p.setGravity(0, 0, -9.81, physicsClientId=client)
    world = World(client=client, scene=scene, look=look)
    floor = look.floor if look else None
    world.set_bodies["floor"] = _add_box(
        client, FLOOR_HALF_EXTENTS, (0.0, 0.0, -0.05), scene.floor_color, collide=True, friction=0.8, surface=floor
    )
    # The backdrop only closes the view; it does not collide, so nothing bounces back into frame.
    walls = look.walls if look else None
    world.set_bodies["backdrop"] = _add_box(
        client, BACKDROP_HALF_EXTENTS, BACKDROP_POSITION, scene.wall_color, collide=False, surface=walls
    )
    for obj in scene.objects:
        add_body(world, obj)
    return world


def body_surface(world: World, name: str) -> Surface | None:
    """The look's surface for a body (a violation's alternate shape wears its original's)."""
    if world.look is None:
        return None
    return world.look.bodies.get(name.removesuffix(ALT_SUFFIX))


def add_body(world: World, obj: ConcreteObject, *, physical: bool = True) -> int:
    """Create one body, place it on its support, and set its initial motion.

    A non-physical body (an alternate shape shown only by a violation) has no collision and
    is parked out of sight.
    """
    client = world.client
    orientation = p.getQuaternionFromEuler((0.0, 0.0, math.radians(obj.yaw)))
    surface = body_surface(world, obj.name)
    if is_mesh(obj.shape):
        body = p.loadURDF(
            urdf_file(obj.shape),
            (0.0, 0.0, 5.0),
            orientation,
            globalScaling=obj.size[0] / mesh_extent(obj.shape),
            useFixedBase=obj.static or not physical,
            physicsClientId=client,
        )
        for link in range(-1, p.getNumJoints(body, physicsClientId=client)):
            p.changeVisualShape(body, link, rgbaColor=obj.color, physicsClientId=client)
            if not physical:
                p.setCollisionFilterGroupMask(body, link, 0, 0, physicsClientId=client)
        if not obj.static and physical:
            p.changeDynamics(body, -1, mass=obj.mass, physicsClientId=client)
    else:
        collision = _collision_shape(client, obj) if physical else -1
        visual = _visual_shape(client, obj, surface)
        mass = 0.0 if obj.static or not physical else obj.mass
        body = p.createMultiBody(mass, collision, visual, (0.0, 0.0, 5.0), orientation, physicsClientId=client)
    if surface is not None:
        dress_body(client, body, surface, obj.color)
    world.bodies[obj.name] = body
    world.colors[obj.name] = tuple(obj.color)
    world.joints[obj.name] = _moving_joints(client, body)
    if not physical:
        p.resetBasePositionAndOrientation(body, HIDDEN_POSITION, orientation, physicsClientId=client)
        return body
    _place(world, body, obj, orientation)
    for link in range(-1, p.getNumJoints(body, physicsClientId=client)):
        p.changeDynamics(
            body,
            link,
            lateralFriction=obj.friction,
            restitution=obj.restitution,
            rollingFriction=obj.rolling_friction,
            linearDamping=0.0,
            angularDamping=0.0,
            physicsClientId=client,
        )
    p.resetBaseVelocity(body, obj.velocity, _angular_velocity(obj), physicsClientId=client)
    _spin_wheels(world, body, obj)
    return body


def body_aabb(client: int, body: int) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned bounds of a body over all its links."""
    boxes = [p.getAABB(body, link, physicsClientId=client) for link in range(-1, p.getNumJoints(body, physicsClientId=client))]
    lows = np.array([box[0] for box in boxes])
    highs = np.array([box[1] for box in boxes])
    return lows.min(axis=0), highs.max(axis=0)


def _place(world: World, body: int, obj: ConcreteObject, orientation: tuple) -> None:
    client = world.client
    x, y, clearance = obj.position
    top = 0.0
    if obj.rests_on is not None:
        low, high = body_aabb(client, world.bodies[obj.rests_on])
        x += (low[0] + high[0]) / 2
        y += (low[1] + high[1]) / 2
        top = float(high[2])
    base, _ = p.getBasePositionAndOrientation(body, physicsClientId=client)
    low, _ = body_aabb(client, body)
    # Meshes have their origin anywhere; put the bottom of the bounds on the support.
    z = base[2] - low[2] + top + clearance + 1e-3
    p.resetBasePositionAndOrientation(body, (x, y, z), orientation, physicsClientId=client)


def _angular_velocity(obj: ConcreteObject) -> tuple[float, float, float]:
    if not obj.roll:
        return obj.angular_velocity
    # Rolling without slipping on a horizontal floor: omega = (z x v) / r.
    radius = obj.size[2] / 2
    vx, vy, _ = obj.velocity
    return (-vy / radius, vx / radius, 0.0)


def _moving_joints(client: int, body: int) -> list[int]:
    """Joints that can move; wheels are set free to roll (pybullet motors hold them by default)."""
    joints = []
    for joint in range(p.getNumJoints(body, physicsClientId=client)):
        info = p.getJointInfo(body, joint, physicsClientId=client)
        if info[2] in (p.JOINT_REVOLUTE, p.JOINT_PRISMATIC, p.JOINT_CONTINUOUS if hasattr(p, "JOINT_CONTINUOUS") else -1):
            joints.append(joint)
            if b"wheel" in info[1]:
                p.setJointMotorControl2(body, joint, p.VELOCITY_CONTROL, force=0, physicsClientId=client)
    return joints


def _spin_wheels(world: World, body: int, obj: ConcreteObject) -> None:
    """Start wheels turning at the speed that matches the body's velocity, so they roll, not skid."""
    client = world.client
    speed = float(np.hypot(obj.velocity[0], obj.velocity[1]))
    for joint in world.joints[obj.name]:
        info = p.getJointInfo(body, joint, physicsClientId=client)
        if b"wheel" in info[1]:
            radius = WHEEL_RADIUS[obj.shape] * obj.size[0] / MESH_EXTENTS[obj.shape]
            # Rolling forward (+x in the body frame) is a turn about +y; joint axes point either way.
            frame = np.reshape(p.getMatrixFromQuaternion(info[15]), (3, 3))
            direction = float(np.sign((frame @ np.asarray(info[13]))[1]))
            p.resetJointState(body, joint, 0.0, direction * speed / radius, physicsClientId=client)


def _collision_shape(client: int, obj: ConcreteObject) -> int:
    sx, sy, sz = obj.size
    if obj.shape == "sphere":
        return p.createCollisionShape(p.GEOM_SPHERE, radius=sz / 2, physicsClientId=client)
    if obj.shape == "cylinder":
        return p.createCollisionShape(p.GEOM_CYLINDER, radius=sx / 2, height=sz, physicsClientId=client)
    return p.createCollisionShape(p.GEOM_BOX, halfExtents=(sx / 2, sy / 2, sz / 2), physicsClientId=client)


def _visual_shape(client: int, obj: ConcreteObject, surface: Surface | None = None) -> int:
    sx, sy, sz = obj.size
    if obj.shape == "box" and surface is not None and surface.texture:
        return box_visual(client, (sx / 2, sy / 2, sz / 2), obj.color, surface)
    if obj.shape == "sphere":
        return p.createVisualShape(p.GEOM_SPHERE, radius=sz / 2, rgbaColor=obj.color, physicsClientId=client)
    if obj.shape == "cylinder":
        return p.createVisualShape(p.GEOM_CYLINDER, radius=sx / 2, length=sz, rgbaColor=obj.color, physicsClientId=client)
    return p.createVisualShape(p.GEOM_BOX, halfExtents=(sx / 2, sy / 2, sz / 2), rgbaColor=obj.color, physicsClientId=client)


def _add_box(
    client: int,
    half_extents: tuple[float, float, float],
    position: tuple[float, float, float],
    color: tuple[float, float, float, float],
    *,
    collide: bool,
    friction: float = 0.5,
    surface: Surface | None = None,
) -> int:
    collision = p.createCollisionShape(p.GEOM_BOX, halfExtents=half_extents, physicsClientId=client) if collide else -1
    if surface is not None and surface.texture:
        visual = box_visual(client, half_extents, color, surface)
    else:
        visual = p.createVisualShape(p.GEOM_BOX, halfExtents=half_extents, rgbaColor=color, physicsClientId=client)
    body = p.createMultiBody(0.0, collision, visual, position, physicsClientId=client)
    if collide:
        p.changeDynamics(body, -1, lateralFriction=friction, restitution=0.5, physicsClientId=client)
    if surface is not None:
        dress_body(client, body, surface, color)
    return body
