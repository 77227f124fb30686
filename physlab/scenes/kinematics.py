"""Kinematic bodies: static bodies that move on a schedule, like a drawbridge screen lowered and raised.

A hinged box turns about its bottom front edge (the edge nearer the camera, along x) by the
angle its keyframes give at each moment, eased between keyframes; the simulation poses it at
every physics step, so dynamic bodies meet it where it is, and the trajectory records it like
any body.
"""

from __future__ import annotations

import math

import numpy as np
import pybullet as p

from physlab.scenes.spec import HingedObject


def hinge_angle(keyframes: tuple[tuple[float, float], ...], time: float) -> float:
    """Degrees lowered toward the camera at `time` seconds: the keyframes' angles, smoothstep-eased between them."""
    times = [key[0] for key in keyframes]
    if time <= times[0]:
        return keyframes[0][1]
    for (t0, a0), (t1, a1) in zip(keyframes, keyframes[1:]):
        if time <= t1:
            u = (time - t0) / max(t1 - t0, 1e-9)
            return a0 + (a1 - a0) * u * u * (3 - 2 * u)
    return keyframes[-1][1]


def hinge_pose(obj: HingedObject, upright: tuple, angle: float) -> tuple[np.ndarray, tuple]:
    """Position and orientation of a hinged box lowered by `angle` degrees from its upright pose `upright`."""
    centre = np.asarray(upright)
    _, depth, height = obj.size
    pivot = centre + np.array([0.0, -depth / 2, -height / 2])
    theta = math.radians(angle)
    offset = centre - pivot  # (0, depth/2, height/2)
    turned = np.array(
        [
            0.0,
            offset[1] * math.cos(theta) - offset[2] * math.sin(theta),
            offset[1] * math.sin(theta) + offset[2] * math.cos(theta),
        ]
    )
    return pivot + turned, (math.sin(theta / 2), 0.0, 0.0, math.cos(theta / 2))


class Hinges:
    """The hinged bodies of a world, posed for any time."""

    def __init__(self, client: int, bodies: dict[str, int], objects: list[HingedObject]) -> None:
        self.client = client
        self.items = [
            (bodies[obj.name], obj, p.getBasePositionAndOrientation(bodies[obj.name], physicsClientId=client)[0])
            for obj in objects
        ]

    def pose(self, time: float) -> None:
        for body, obj, upright in self.items:
            position, orientation = hinge_pose(obj, upright, hinge_angle(obj.hinge, time))
            p.resetBasePositionAndOrientation(body, position.tolist(), orientation, physicsClientId=self.client)
