"""Trajectory to frames and per-object masks with pybullet's tiny renderer, headless."""

from __future__ import annotations

import math

import numpy as np
import pybullet as p

from physlab.scenes.spec import Camera, ConcreteScene
from physlab.scenes.trajectory import Trajectory
from physlab.scenes.world import HIDDEN_POSITION, World, add_body


def camera_matrices(camera: Camera, size: int) -> tuple[list[float], list[float]]:
    """View and projection matrices; yaw 0 looks along +y, pitch is elevation in degrees."""
    yaw, pitch = math.radians(camera.yaw), math.radians(camera.pitch)
    direction = np.array([math.sin(yaw) * math.cos(pitch), -math.cos(yaw) * math.cos(pitch), math.sin(pitch)])
    eye = np.asarray(camera.target) + camera.distance * direction
    view = p.computeViewMatrix(eye.tolist(), list(camera.target), [0, 0, 1])
    projection = p.computeProjectionMatrixFOV(camera.fov, 1.0, 0.05, 30.0)
    return view, projection


def render_trajectory(
    world: World,
    trajectory: Trajectory,
    *,
    start: int = 0,
    base: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Render every frame from `start` on; earlier frames are copied from `base`.

    Returns frames (T, H, W, 3) uint8 and masks (T, H, W) uint8 where k > 0 is the k-th
    track of `trajectory.tracks` and 0 is floor, backdrop or sky.
    """
    scene = world.scene
    size = scene.size
    frames = np.zeros((trajectory.frames, size, size, 3), dtype=np.uint8)
    masks = np.zeros((trajectory.frames, size, size), dtype=np.uint8)
    if start:
        frames[:start], masks[:start] = base[0][:start], base[1][:start]
    names = list(trajectory.tracks)
    for name in names:
        if name not in world.bodies:
            add_body(world, trajectory.tracks[name].model, physical=False)
    label_of = np.zeros(max(world.bodies.values()) + 2, dtype=np.uint8)
    for index, name in enumerate(names, start=1):
        label_of[world.bodies[name] + 1] = index
    view, projection = camera_matrices(scene.camera, size)
    for t in range(start, trajectory.frames):
        for name in names:
            _pose_body(world, name, trajectory, t)
        _, _, rgba, _, seg = p.getCameraImage(
            size, size, view, projection, renderer=p.ER_TINY_RENDERER, **light_args(scene), physicsClientId=world.client
        )
        frames[t] = np.reshape(rgba, (size, size, 4))[:, :, :3]
        masks[t] = label_of[np.reshape(seg, (size, size)) + 1]
    return frames, masks


def _pose_body(world: World, name: str, trajectory: Trajectory, t: int) -> None:
    client, body, track = world.client, world.bodies[name], trajectory.tracks[name]
    if not track.visible[t]:
        p.resetBasePositionAndOrientation(body, HIDDEN_POSITION, track.orientation[t], physicsClientId=client)
        return
    p.resetBasePositionAndOrientation(body, track.position[t], track.orientation[t], physicsClientId=client)
    for joint, angle in zip(world.joints[name], track.joints[t]):
        p.resetJointState(body, joint, angle, physicsClientId=client)
    color = tuple(track.color[t])
    if world.colors[name] != color:
        for link in range(-1, p.getNumJoints(body, physicsClientId=client)):
            p.changeVisualShape(body, link, rgbaColor=color, physicsClientId=client)
        world.colors[name] = color


def light_args(scene: ConcreteScene) -> dict:
    """The tiny renderer's lighting arguments for a scene."""
    light = scene.lighting
    return {
        "lightDirection": light.direction,
        "lightAmbientCoeff": light.ambient,
        "lightDiffuseCoeff": light.diffuse,
        "lightSpecularCoeff": light.specular,
        "shadow": int(light.shadow),
    }
