"""Step a pybullet world and record its trajectory; the physics pass, separate from rendering."""

from __future__ import annotations

import numpy as np
import pybullet as p

from physlab.scenes.kinematics import Hinges
from physlab.scenes.spec import HingedObject
from physlab.scenes.trajectory import Track, Trajectory
from physlab.scenes.world import PHYSICS_HZ, World, body_aabb


def simulate(world: World, frames: int, fps: float) -> Trajectory:
    """Record `frames` frames at `fps`; frame 0 is the initial state.

    Frame t shows the physics step nearest to time t / fps, so any frame rate keeps real time (a
    rate that divides the physics rate, like 24 or 30, steps the same number of times per frame).
    Hinged bodies are posed for the time of every step (physlab/scenes/kinematics.py).
    """
    client = world.client
    stepped = 0
    hinges = Hinges(client, world.bodies, [obj for obj in world.scene.objects if isinstance(obj, HingedObject)])
    names = list(world.bodies)
    name_of = {body: name for name, body in world.bodies.items()}
    positions = np.zeros((len(names), frames, 3))
    orientations = np.zeros((len(names), frames, 4))
    joints = {name: np.zeros((frames, len(world.joints[name]))) for name in names}
    bounds = np.zeros((len(names), frames, 2, 3))
    contacts: list[frozenset[frozenset[str]]] = []
    for t in range(frames):
        target = max(stepped + (1 if t else 0), round(t * PHYSICS_HZ / fps))
        # A frame's contacts are those of every physics step since the last frame: an elastic impact lasts a
        # step or two, which a clip at 10-20 fps would otherwise miss.
        steps = range(stepped, target)
        touched = set() if steps else set(_contact_pairs(client, name_of))  # the first frame: before any step
        for step in steps:
            if hinges.items:
                hinges.pose(step / PHYSICS_HZ)
            p.stepSimulation(physicsClientId=client)
            touched |= _contact_pairs(client, name_of)
        stepped = target
        if hinges.items:
            hinges.pose(stepped / PHYSICS_HZ)
        for i, name in enumerate(names):
            body = world.bodies[name]
            position, orientation = p.getBasePositionAndOrientation(body, physicsClientId=client)
            positions[i, t] = position
            orientations[i, t] = orientation
            bounds[i, t] = body_aabb(client, body)
            if world.joints[name]:
                states = p.getJointStates(body, world.joints[name], physicsClientId=client)
                joints[name][t] = [state[0] for state in states]
        contacts.append(frozenset(touched))
    tracks = {}
    for i, name in enumerate(names):
        model = world.scene.object(name)
        tracks[name] = Track(
            model=model,
            position=positions[i],
            orientation=orientations[i],
            joints=joints[name],
            visible=np.ones(frames, dtype=bool),
            color=np.tile(np.array(model.color), (frames, 1)),
            bounds=bounds[i],
        )
    return Trajectory(tracks=tracks, contacts=contacts, fps=fps)


def _contact_pairs(client: int, name_of: dict[int, str]) -> frozenset[frozenset[str]]:
    pairs = set()
    for point in p.getContactPoints(physicsClientId=client):
        a, b = name_of.get(point[1]), name_of.get(point[2])
        if a and b and a != b:
            pairs.add(frozenset((a, b)))
    return frozenset(pairs)
